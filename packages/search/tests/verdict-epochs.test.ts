import { MessageChannel } from 'node:worker_threads';
import { InMemoryRunStore } from '@aelab/store';
import { describe, expect, it } from 'vitest';
import type { TrialExecutor } from '../src/executors/executor.js';
import { createExecutor } from '../src/executors/index.js';
import { portChannel } from '../src/executors/port-channel.js';
import { verdictRelay } from '../src/executors/verdict-relay.js';
import { parseExperiment } from '../src/experiment.js';
import { AshaPruner } from '../src/pruners/asha.js';
import { HyperbandPruner } from '../src/pruners/hyperband.js';
import { MedianPruner } from '../src/pruners/median.js';
import type { Pruner } from '../src/pruners/pruner.js';
import { runStudy } from '../src/study.js';
import type { TrialProgress, TrialTask } from '../src/trial-task.js';

const epochRecord = (epoch: number) => ({ epoch, loss: 1, valLoss: 1, seconds: 0 });
const task = (verdictEpochs?: number[]) =>
  ({ trialId: 's-1.t000000', pruning: true, ...(verdictEpochs ? { verdictEpochs } : {}) }) as TrialTask;
const epochMessage = (epoch: number): TrialProgress => ({
  type: 'epoch',
  trialId: 's-1.t000000',
  record: epochRecord(epoch),
  epochs: 9,
});

describe('a trial waits for verdicts only where its pruner can stop it', () => {
  it('ASHA and Hyperband say where they decide; the median pruner does not', () => {
    const asha = new AshaPruner({ minEpochs: 3, reductionFactor: 3 });
    expect([1, 2, 3, 4, 8, 9, 10].filter((e) => asha.decidesAt('any', e))).toEqual([3, 9]);
    const hyperband = new HyperbandPruner({ minEpochs: 1, maxEpochs: 27, reductionFactor: 3 });
    for (const training of ['a:0', 'b:0', 'c:1']) {
      const bracket = hyperband.bracketOf(training);
      const rungs = Array.from({ length: 27 }, (_, i) => i + 1).filter((e) => hyperband.decidesAt(training, e));
      expect(rungs).toEqual([1, 3, 9, 27].filter((e) => e >= 3 ** bracket));
    }
    expect((new MedianPruner() as Pruner).decidesAt).toBeUndefined();
  });

  it('the relay answers the epochs of verdictEpochs only, and every epoch without it', async () => {
    const answered: number[] = [];
    for (const [verdictEpochs, expected] of [
      [[3], [3]],
      [undefined, [1, 2, 3]],
    ] as const) {
      answered.length = 0;
      const relay = verdictRelay(task(verdictEpochs as number[] | undefined), () => 'continue', fail);
      for (const epoch of [1, 2, 3]) relay.receive(epochMessage(epoch), () => void answered.push(epoch));
      await relay.drained();
      expect(answered).toEqual(expected);
    }
  });

  it("the worker's channel goes on at once after an epoch without a verdict, and waits at one", async () => {
    const { port1, port2 } = new MessageChannel();
    try {
      const channel = portChannel(task([3]), port2);
      const now = (answer: Promise<boolean>) => Promise.race([answer, new Promise((r) => setTimeout(r, 50, 'waits'))]);
      expect(await now(Promise.resolve(channel.shouldStop(1)))).toBe(false);
      expect(await now(Promise.resolve(channel.shouldStop(2)))).toBe(false);
      const atRung = Promise.resolve(channel.shouldStop(3));
      expect(await now(atRung)).toBe('waits');
      port1.postMessage('prune');
      expect(await atRung).toBe(true);
    } finally {
      port1.close();
    }
  });
});

function fail(error: unknown): never {
  throw error;
}

const experiment = parseExperiment({
  name: 'verdict-epochs',
  seed: 11,
  data: { dataset: 'synthetic-ecg', options: { trainRows: 120, testRows: 60 }, validationFraction: 0.2 },
  model: { kind: 'dense', encoder: [8, 4], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
  training: { epochs: 9, batchSize: 32, learningRate: 0.003, loss: 'mse' },
  scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
  space: {
    'model.encoder': {
      type: 'categorical',
      values: [
        [8, 4],
        [6, 3],
        [12, 2],
      ],
    },
    'training.learningRate': { type: 'categorical', values: [0.0003, 0.003, 0.03] },
  },
  sampler: { type: 'random', trials: 9, seed: 4 },
  pruner: { type: 'asha', minEpochs: 1, reductionFactor: 3 },
  selection: { metric: 'f1', direction: 'maximize', split: 'test', allowTest: true },
  executor: { backend: 'wasm', workers: 1 },
});

/** The pool, recording the tasks it is given; `everyEpoch` hands them over without verdictEpochs (as before). */
function recordingPool(tasks: TrialTask[], everyEpoch: boolean): TrialExecutor {
  const pool = createExecutor(undefined, { workers: 1, backend: 'wasm' });
  return {
    name: pool.name,
    concurrency: 1,
    run(given, onProgress, signal) {
      const { verdictEpochs: _, ...rest } = given;
      tasks.push(given);
      return pool.run(everyEpoch ? rest : given, onProgress, signal);
    },
    close: () => pool.close(),
  };
}

async function sweep(everyEpoch: boolean) {
  const store = new InMemoryRunStore();
  const tasks: TrialTask[] = [];
  const summary = await runStudy({
    experiment,
    experimentPath: 'verdict-epochs.json',
    store,
    executor: recordingPool(tasks, everyEpoch),
  });
  const trials = await store.listTrials(summary.study.id);
  return { tasks, trials: trials.map((t) => ({ status: t.status, history: t.history.map((h) => h.loss) })) };
}

describe('a sweep with ASHA, verdicts at rungs only', () => {
  it('hands each training the rungs, and trains and prunes exactly as when every epoch waits', async () => {
    const rungsOnly = await sweep(false);
    const everyEpoch = await sweep(true);
    expect(rungsOnly.tasks.every((t) => JSON.stringify(t.verdictEpochs) === '[1,3,9]')).toBe(true);
    expect(rungsOnly.trials.filter((t) => t.status === 'pruned').length).toBeGreaterThan(0);
    expect(rungsOnly.trials.map((t) => t.history.length)).toEqual(everyEpoch.trials.map((t) => t.history.length));
    expect(rungsOnly.trials).toEqual(everyEpoch.trials);
  }, 120_000);
});
