import type { EpochRecord } from '@aelab/core';
import type { NewEvaluation, NewStudy, NewTrial, TrialOutcome } from '../src/index.js';

/** Records shaped like the ones a sweep writes, sized like them (see tools/bench/store-append.mjs). */

export function newStudy(overrides: Partial<NewStudy> = {}): NewStudy {
  return {
    name: 'dense-grid',
    experimentPath: 'experiments/dense-grid.json',
    experiment: { dataset: 'synthetic-ecg', sampler: { kind: 'grid' } },
    experimentHash: 'hash-dense-grid',
    gitCommit: null,
    dataset: 'synthetic-ecg',
    selection: { metric: 'f1', direction: 'maximize', split: 'validation' },
    ...overrides,
  };
}

export function newTrial(configHash = 'cfg-a', repeat = 0): NewTrial {
  return {
    configHash,
    params: { 'model.kind': 'dense', 'model.units': [32, 8, 32], 'train.learningRate': 0.001 },
    sampled: { 'model.units': [32, 8, 32] },
    distributions: {
      'model.units': {
        type: 'categorical',
        values: [
          [32, 8, 32],
          [64, 16, 64],
        ],
      },
    },
    repeat,
    seed: 1234 + repeat,
    environment: { backend: 'wasm', versions: { tfjs: '4.22.0' }, gitCommit: null },
    dataFingerprint: 'fp-1',
  };
}

export function history(epochs: number): EpochRecord[] {
  return Array.from({ length: epochs }, (_, epoch) => ({
    epoch,
    loss: 1 / (epoch + 1),
    valLoss: 1.1 / (epoch + 1),
    seconds: 0.05,
  }));
}

export function completeOutcome(artifacts: Record<string, string> = {}): TrialOutcome {
  return { status: 'complete', trainSeconds: 2.5, history: history(3), bestEpoch: 2, parameterCount: 1234, artifacts };
}

export function evaluation(percentile: number): NewEvaluation {
  return {
    configHash: `eval-${percentile}`,
    scoring: { 'threshold.rule': 'percentile', 'threshold.percentile': percentile },
    threshold: percentile / 100,
    usesLabels: false,
    metrics: {
      validation: { rows: 100, positives: 10, f1: 0.8, precision: 0.75, recall: 0.86 },
      test: { rows: 200, positives: 20, f1: 0.7, confusion: { tp: 14, fp: 6, tn: 174, fn: 6 } },
    },
  };
}
