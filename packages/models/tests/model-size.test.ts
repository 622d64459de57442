import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backends/init.js';
import { buildModel } from '../src/builders/index.js';
import { estimateTrainingBytes, familyOf, PRESETS, type ModelSpec } from '../src/registry.js';

const specs: [string, ModelSpec, number][] = [
  ...Object.entries(PRESETS).map(([name, spec]) => [name, spec as ModelSpec, 140] as [string, ModelSpec, number]),
  [
    'dense with explicit decoder',
    {
      kind: 'dense',
      encoder: [32, 8],
      decoder: [16, 48],
      activation: 'relu',
      outputActivation: 'linear',
      dropout: 0.1,
      l2: 0,
    },
    30,
  ],
  [
    'conv1d, odd length, pool 3',
    {
      kind: 'conv1d',
      filters: [8, 4, 2],
      kernelSize: 5,
      poolSize: 3,
      activation: 'relu',
      outputActivation: 'linear',
      dropout: 0,
      l2: 0,
    },
    61,
  ],
  [
    'rnn, two layers',
    { kind: 'rnn', units: [12, 6], layout: 'sequence', outputActivation: 'linear', dropout: 0, l2: 0 },
    20,
  ],
  [
    'lstm tabular',
    { kind: 'lstm', units: [10], layout: 'tabular', outputActivation: 'sigmoid', dropout: 0, l2: 0 },
    31,
  ],
];

describe('model sizes from the spec alone', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  for (const [name, spec, inputSize] of specs) {
    it(`${name}: the parameter count is the built model's`, () => {
      const model = buildModel(spec, inputSize, 1);
      expect(familyOf(spec.kind).size(spec, inputSize).parameters).toBe(model.countParams());
      model.dispose();
    });
  }

  it('an encoder layer of 400,000,000 units needs hundreds of gigabytes, found without building it', () => {
    const spec: ModelSpec = {
      kind: 'dense',
      encoder: [400_000_000, 4],
      activation: 'relu',
      outputActivation: 'linear',
      dropout: 0,
      l2: 0,
    };
    const { bytes, parameters } = estimateTrainingBytes(spec, 140, { batchSize: 32, rows: 1000 });
    expect(parameters).toBeGreaterThan(1e11);
    expect(bytes).toBeGreaterThan(400 * 2 ** 30);
    const small = estimateTrainingBytes(PRESETS['ecg-v3'] as ModelSpec, 140, { batchSize: 32, rows: 1000 });
    expect(small.bytes).toBeLessThan(50 * 2 ** 20);
  });
});
