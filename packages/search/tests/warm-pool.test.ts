import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InMemoryRunStore } from '@aelab/store';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PiscinaExecutor } from '../src/executors/piscina.js';
import { parseExperiment } from '../src/experiment.js';
import { runStudy } from '../src/study.js';

const experiment = parseExperiment({
  name: 'warm-pool',
  seed: 5,
  data: { dataset: 'ecg', scaler: 'standard', validationFraction: 0.2 },
  model: { kind: 'dense', encoder: [8, 4], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
  training: { epochs: 2, batchSize: 32, learningRate: 0.003, loss: 'mse' },
  scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
  space: { 'model.dropout': { type: 'categorical', values: [0, 0.1] } },
  selection: { metric: 'f1', direction: 'maximize', split: 'test', allowTest: true },
  executor: { backend: 'wasm', workers: 2 },
});

afterEach(() => vi.restoreAllMocks());

describe('the pool is started before the data is prepared', () => {
  it('starts its threads before the study opens, and closes them when it cannot open', async () => {
    const created = vi.fn();
    const closed = vi.spyOn(PiscinaExecutor.prototype, 'close');
    const run = vi.spyOn(PiscinaExecutor.prototype, 'run');
    const empty = await mkdtemp(path.join(tmpdir(), 'aelab-warm-pool-'));
    try {
      // The dataset is missing from this data directory: preparing it (opening the study) fails.
      const study = runStudy({
        experiment,
        experimentPath: 'warm-pool.json',
        store: new InMemoryRunStore(),
        dataDir: empty,
        onEvent: created,
      });
      await expect(study).rejects.toThrow(/ecg/i);
      // The pool existed before the failure (it was started while the data was prepared) and is gone.
      expect(closed).toHaveBeenCalledTimes(1);
      expect(run).not.toHaveBeenCalled();
      expect(created).not.toHaveBeenCalled();
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
