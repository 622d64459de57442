import type { DenseSpec } from './dense.js';
import type { ModelSpec } from './index.js';

/** seed-000's dense network: 140-128-64-32-16-32-64-128-140, relu, linear output, Keras' initialisers. */
const ECG_DENSE = {
  kind: 'dense',
  encoder: [128, 64, 32, 16],
  activation: 'relu',
  outputActivation: 'linear',
  dropout: 0,
  l2: 0,
  init: 'glorot',
} as const satisfies DenseSpec;

/**
 * The seed work's architectures, by name. Each says the initialisation its source used:
 * the seed notebooks and the TensorFlow tutorial are Keras models (`glorot`); set
 * `model.init: "pytorch"` to train them as a PyTorch re-implementation would.
 */
export const PRESETS = {
  /** seed-000 V1: the dense network (V1 trains it on all classes). */
  'ecg-v1': ECG_DENSE,
  /** seed-000 V2: the same network as V1 (V2 changed training, not the architecture). */
  'ecg-v2': ECG_DENSE,
  /** seed-000 V3: V1 plus L2 0.001 and dropout 0.2 on the first two layers. */
  'ecg-v3': { ...ECG_DENSE, dropout: [0.2, 0.2], l2: [0.001, 0.001] },
  /** The TensorFlow anomaly-detection tutorial: 32-16-8 / 16-32-input, relu, sigmoid output. */
  'tf-tutorial': {
    kind: 'dense',
    encoder: [32, 16, 8],
    activation: 'relu',
    outputActivation: 'sigmoid',
    dropout: 0,
    l2: 0,
    init: 'glorot',
  },
  /** Conv1D AE used by the benchmarks: 32/16 filters, kernel 7, pool 2. */
  'conv1d-small': {
    kind: 'conv1d',
    filters: [32, 16],
    kernelSize: 7,
    poolSize: 2,
    activation: 'relu',
    outputActivation: 'linear',
    dropout: 0,
    l2: 0,
    init: 'glorot',
  },
  /** LSTM(32) sequence-to-sequence over the sequence. */
  'lstm-seq2seq': {
    kind: 'lstm',
    units: [32],
    layout: 'sequence',
    outputActivation: 'linear',
    dropout: 0,
    l2: 0,
    init: 'glorot',
  },
  /** seed-004 tabular LSTM: the features as one time step. */
  'lstm-tabular': {
    kind: 'lstm',
    units: [64, 32],
    layout: 'tabular',
    outputActivation: 'linear',
    dropout: 0,
    l2: 0,
    init: 'glorot',
  },
} as const satisfies Record<string, ModelSpec>;
export type PresetName = keyof typeof PRESETS;
