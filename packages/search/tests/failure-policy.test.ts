import { InMemoryRunStore } from '@aelab/store';
import { afterAll, describe, expect, it } from 'vitest';
import { createExecutor } from '../src/executors/index.js';
import type { TrialExecutor } from '../src/executors/executor.js';
import { DEFAULT_FAILURES, parseExperiment, type ExperimentInput } from '../src/experiment.js';
import { experimentHash, runStudy } from '../src/study.js';
import type { TrialTask } from '../src/trial-task.js';

/*
 * The failure policy (the experiment's `failures`), forced without timing: an executor that
 * fails the trainings of chosen configurations at once and hands the others to the real pool.
 */
const sweep: ExperimentInput = {
  name: 'failure-policy',
  seed: 3,
  data: {
    dataset: 'synthetic-ecg',
    options: { trainRows: 120, testRows: 80 },
    scaler: 'standard',
    validationFraction: 0.2,
  },
  model: { kind: 'dense', encoder: [8, 2], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
  training: { epochs: 1, batchSize: 32, learningRate: 0.003, loss: 'mse' },
  scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
  space: {
    'model.encoder': {
      type: 'categorical',
      values: [
        [8, 1],
        [8, 2],
        [8, 3],
        [8, 4],
        [8, 5],
        [8, 6],
      ],
    },
  },
  selection: { metric: 'f1', direction: 'maximize', split: 'test', allowTest: true },
  executor: { backend: 'wasm' },
};

const pool = createExecutor(undefined, { workers: 1 });
afterAll(() => pool.close());

const codeOf = (task: TrialTask) => (task.config.model.encoder as number[])[1];

/** Fails the tasks whose encoder code is in `failing` (recording each code it was given); trains the rest. */
function failing(codes: number[]): TrialExecutor & { given: number[] } {
  const given: number[] = [];
  return {
    name: 'failing',
    concurrency: 1,
    given,
    run(task, onProgress, signal) {
      given.push(codeOf(task));
      if (codes.includes(codeOf(task))) return Promise.reject(new Error(`forced failure of code ${codeOf(task)}`));
      return pool.run(task, onProgress, signal);
    },
    close: async () => undefined,
  };
}

describe('the failure policy', () => {
  it('stops the sweep after failures.maxConsecutive failed trainings in a row, and says why', async () => {
    const experiment = parseExperiment({ ...sweep, failures: { maxConsecutive: 3 } });
    const store = new InMemoryRunStore();
    const executor = failing([1, 2, 3, 4, 5, 6]);
    const summary = await runStudy({ experiment, experimentPath: 'failures.json', store, executor });
    expect(executor.given).toEqual([1, 2, 3]);
    expect(summary).toMatchObject({ failed: 3, trained: 0, interrupted: false });
    expect(summary.stopped).toMatch(/^stopped after 3 failed trainings in a row \(failures\.maxConsecutive\)/);
    expect((await store.listTrials(summary.study.id)).map((t) => t.status)).toEqual(['failed', 'failed', 'failed']);
  });

  it('a training that does not fail resets the count: failures apart do not stop the sweep', async () => {
    const experiment = parseExperiment({ ...sweep, failures: { maxConsecutive: 2 } });
    const executor = failing([1, 3, 5]);
    const summary = await runStudy({
      experiment,
      experimentPath: 'failures.json',
      store: new InMemoryRunStore(),
      executor,
    });
    expect(executor.given).toEqual([1, 2, 3, 4, 5, 6]);
    expect(summary).toMatchObject({ failed: 3, trained: 3 });
    expect(summary.stopped).toBeUndefined();
  });

  it(
    'retries a failed training on at most failures.maxRetriesPerTrial later runs, ' + 'then skips it and counts it',
    async () => {
      const space = {
        'model.encoder': {
          type: 'categorical' as const,
          values: [
            [8, 1],
            [8, 2],
          ],
        },
      };
      const experiment = parseExperiment({ ...sweep, space, failures: { maxRetriesPerTrial: 1 } });
      const store = new InMemoryRunStore();
      const runs = [];
      for (let run = 0; run < 3; run++) {
        const executor = failing([1]);
        const summary = await runStudy({ experiment, experimentPath: 'failures.json', store, executor });
        runs.push({ given: executor.given, failed: summary.failed, gaveUp: summary.gaveUp, skipped: summary.skipped });
      }
      expect(runs).toEqual([
        { given: [1, 2], failed: 1, gaveUp: 0, skipped: 0 },
        { given: [1], failed: 1, gaveUp: 0, skipped: 1 },
        { given: [], failed: 0, gaveUp: 1, skipped: 1 },
      ]);
    },
  );

  it('has Keras Tuner-like defaults, bounded settings, and does not change the experiment hash', () => {
    const experiment = parseExperiment(sweep);
    expect(experiment.failures).toEqual(DEFAULT_FAILURES);
    expect(experimentHash(parseExperiment({ ...sweep, failures: { maxConsecutive: 1, maxRetriesPerTrial: 0 } }))).toBe(
      experimentHash(experiment),
    );
    expect(() => parseExperiment({ ...sweep, failures: { maxConsecutive: 0 } })).toThrow(/failures\.maxConsecutive/);
    expect(() => parseExperiment({ ...sweep, failures: { maxRetriesPerTrial: 1e9 } })).toThrow(
      /failures\.maxRetriesPerTrial/,
    );
    expect(() => parseExperiment({ ...sweep, failures: { maxRetriesPerTrail: 1 } } as never)).toThrow(
      /did you mean "maxRetriesPerTrial"/,
    );
  });
});
