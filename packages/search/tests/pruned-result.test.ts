import { describe, expect, it } from 'vitest';
import { trainTrial, type TrialChannel } from '../src/trial-runner.js';
import type { TrialTask } from '../src/trial-task.js';

// A pruned training never competes (the recorder keeps its curve only), so the worker does
// not score its splits or save its model: that was most of a short pruned trial's cost.
const task: TrialTask = {
  trialId: 't1',
  config: {
    data: { dataset: 'synthetic-ecg', options: { trainRows: 60, testRows: 40 }, validationFraction: 0.25 },
    model: { kind: 'dense', encoder: [8, 4], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
    training: { epochs: 4, batchSize: 16, learningRate: 0.001, loss: 'mse' },
  },
  seed: 5,
  backend: 'wasm',
  pruning: true,
};

/** A channel whose pruner stops the trial after epoch `stopAt` (never when null). */
const channel = (stopAt: number | null): TrialChannel => {
  let epochs = 0;
  return { report: (p) => void (p.type === 'epoch' && (epochs = p.record.epoch)), shouldStop: () => epochs === stopAt };
};

describe('a pruned trial', () => {
  it('comes back with its curve only: no errors, examples, model files or model info', async () => {
    const pruned = await trainTrial(task, channel(2));
    expect(pruned.stopReason).toBe('pruned');
    expect(pruned.history.map((e) => e.epoch)).toEqual([1, 2]);
    expect(pruned.parameterCount).toBeGreaterThan(0);
    expect(pruned.dataFingerprint).not.toBe('');
    expect(pruned.backend.trainingStep).toBe('lean-dense');
    expect(pruned.splits).toEqual({});
    expect(pruned.blobs).toEqual({});
    expect(pruned.examples).toEqual({});
    expect(pruned.modelInfo).toBeUndefined();

    // The same trial trained to the end is scored and saved as before: its first epochs are the pruned one's.
    const finished = await trainTrial(task, channel(null));
    expect(finished.stopReason).toBe('completed');
    expect(finished.history.slice(0, 2)).toEqual(
      pruned.history.map((e) => ({ ...e, seconds: finished.history[e.epoch - 1].seconds })),
    );
    expect(Object.keys(finished.splits).sort()).toEqual(['test', 'train', 'validation']);
    expect(Object.keys(finished.blobs)).toContain('errors/test/mse');
    expect(Object.keys(finished.blobs)).toContain('model/weights.bin');
    expect(finished.modelInfo?.spec).toMatchObject({ kind: 'dense' });
  });
});
