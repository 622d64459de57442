import { InMemoryRunStore } from '@aelab/store';
import { describe, expect, it } from 'vitest';
import type { TrialExecutor } from '../src/executors/executor.js';
import { createExecutor } from '../src/executors/index.js';
import { parseExperiment, type ExperimentInput } from '../src/experiment.js';
import { runStudy } from '../src/study.js';
import type { TrialProgress } from '../src/trial-task.js';

const tiny: ExperimentInput = {
  name: 'tiny-progress',
  seed: 3,
  data: {
    dataset: 'synthetic-ecg',
    options: { trainRows: 120, testRows: 60 },
    scaler: 'standard',
    validationFraction: 0.2,
  },
  model: { kind: 'dense', encoder: [8, 4], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
  training: { epochs: 3, batchSize: 32, learningRate: 0.003, loss: 'mse' },
  scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
  space: {
    'model.encoder': {
      type: 'categorical',
      values: [
        [8, 4],
        [6, 3],
      ],
    },
  },
  selection: { metric: 'f1', direction: 'maximize', split: 'test', allowTest: true },
  executor: { backend: 'wasm' },
};

/**
 * The pool, with each trial's last epoch handler held a while: the result travels on
 * Piscina's channel, the epochs on the trial's port, and on a loaded machine the result
 * overtook the last epochs (a CI failure: 3 epoch events of 6). A slow handler makes that
 * order the likely one; the contract says `run` resolves only after every handler settled.
 */
function holdingPool(log: string[]): TrialExecutor {
  const pool = createExecutor(undefined, { workers: 1 });
  return {
    name: pool.name,
    concurrency: pool.concurrency,
    async run(task, onProgress, signal) {
      const handle = async (progress: TrialProgress) => {
        if (progress.type === 'epoch' && progress.record.epoch === progress.epochs)
          await new Promise((r) => setTimeout(r, 500));
        log.push(`${task.trialId}:${progress.type}`);
        return onProgress(progress);
      };
      const value = await pool.run(task, handle, signal);
      log.push(`${task.trialId}:result`);
      return value;
    },
    close: () => pool.close(),
  };
}

describe('the local pool', () => {
  it('gives back a trial only after every progress message of it was handled', async () => {
    const log: string[] = [];
    const events: string[] = [];
    const experiment = parseExperiment(tiny);
    const summary = await runStudy({
      experiment,
      experimentPath: 'tiny-progress.json',
      store: new InMemoryRunStore(),
      executor: holdingPool(log),
      onEvent: (e) => void (e.type === 'trial-epoch' && events.push(e.trialId)),
    });
    expect(summary).toMatchObject({ trained: 2, failed: 0 });
    expect(events).toHaveLength(6);
    for (const id of new Set(events)) {
      const ofTrial = log.filter((l) => l.startsWith(`${id}:`));
      expect(ofTrial.at(-1)).toBe(`${id}:result`);
      expect(ofTrial.filter((l) => l.endsWith(':epoch'))).toHaveLength(3);
    }
  });
});
