import { fileURLToPath } from 'node:url';

/** The built command: these tests drive it as a user would (`npm ci` builds; nx builds before testing). */
export const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** A sweep of four short trainings on the embedded data: long enough to interrupt, short enough to finish. */
export const fourTrainings = {
  name: 'kill-me',
  seed: 5,
  data: { dataset: 'synthetic-ecg', options: { trainRows: 200, testRows: 100 }, validationAnomalies: 'keep' },
  model: { kind: 'dense', encoder: [32, 8], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
  training: { epochs: 15, batchSize: 16, learningRate: 0.003, loss: 'mse' },
  scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
  space: { 'model.encoder': { type: 'categorical', values: [[32, 4], [32, 8], [32, 12], [32, 16]] } },
  selection: { metric: 'f1', direction: 'maximize', split: 'validation' },
  executor: { backend: 'wasm' },
};
