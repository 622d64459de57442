// The fixed search problem of issue 13's benchmark, shared by search-strategies.mjs (real
// studies) and asha-settings.mjs (replays of the grid's curves). Not a benchmark itself:
// run.mjs runs only the .mjs files directly in tools/bench.
import { parseExperiment } from '@aelab/search';

/** ASHA as recommended in docs/search-benchmark.md (chosen there from asha-settings.mjs). */
export const ASHA = { type: 'asha', minEpochs: 4, reductionFactor: 3 };
/** Hyperband with the same r and eta; R = the experiment's 100 epochs. */
export const HYPERBAND = { type: 'hyperband', minEpochs: 4, reductionFactor: 3 };

/**
 * ECG5000 via ecg.csv: the UCR TRAIN rows 0-499 train (normal beats only, 20% of them held
 * out as validation), rows 500- are the test split, which no sampler or pruner reads: the
 * objective is the mean reconstruction MSE of the validation beats (minimised), and the
 * pruners read the per-epoch validation loss. 4 encoders x 3 dropout x 3 L2 x 3 learning
 * rates = 108 dense autoencoders of `epochs` epochs. `search` is the sampler and pruner part.
 */
export function benchExperiment(name, search, epochs = 100) {
  return parseExperiment({
    name,
    seed: 2024,
    data: { dataset: 'ecg', split: { kind: 'rows', train: [0, 500], test: [500, null] }, scaler: 'standard', trainOn: 'normal', validationFraction: 0.2 },
    model: { kind: 'dense', encoder: [64, 32, 16], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
    training: { epochs, batchSize: 32, learningRate: 0.001, loss: 'mse', earlyStopping: null },
    scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
    space: {
      'model.encoder': { type: 'categorical', values: [[32, 8], [64, 32, 8], [128, 64, 32, 16], [128, 32]] },
      'model.dropout': { type: 'categorical', values: [0, 0.1, 0.3] },
      'model.l2': { type: 'categorical', values: [0, 0.0001, 0.001] },
      'training.learningRate': { type: 'categorical', values: [0.0003, 0.001, 0.003] },
    },
    ...search,
    selection: { metric: 'mse', direction: 'minimize', split: 'validation' },
    executor: { backend: 'wasm' },
  });
}

/** The grid study's name in the benchmark's store. */
export const GRID_STUDY = 'bench-grid';
