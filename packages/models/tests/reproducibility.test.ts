import { sha256Hex } from '@aelab/core';
import { generateSyntheticEcg, prepareDataset } from '@aelab/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backends/init.js';
import { PRESETS, type ModelSpec } from '../src/registry.js';
import { trainAutoencoder, type TrainedAutoencoder, type TrainerConfig } from '../src/train.js';

// Every number below was produced by the code BEFORE the model-family / backend refactor
// (models' own createRng, builders/{dense,conv1d,recurrent}.ts, the hand-written spec
// validation), on wasm. The refactor must not change a single bit: same seed, same data,
// same losses and same final weights. A deliberate change to training numerics must
// re-record them and say so.
const recorded: Record<string, { spec: ModelSpec; config: TrainerConfig; losses: [number, number][]; weights: string }> = {
  dense: {
    spec: PRESETS['ecg-v3'],
    config: { epochs: 3, batchSize: 16, learningRate: 1e-3, loss: 'mse', seed: 11 },
    losses: [
      [1.228438377380371, 1.2875127792358398],
      [1.2125842571258545, 1.2819859981536865],
      [1.20378839969635, 1.2753335237503052],
    ],
    weights: '75791db6b37e678ca0c544200604780b2e7d65c30b03fda22ae1c5e7c2638780',
  },
  conv1d: {
    spec: { ...PRESETS['conv1d-small'], filters: [8, 4], kernelSize: 5, dropout: 0.1, l2: 0.001 },
    config: { epochs: 3, batchSize: 16, learningRate: 1e-3, loss: 'mae', seed: 12 },
    losses: [
      [0.8532054424285889, 0.8646414279937744],
      [0.8394679427146912, 0.8529343008995056],
      [0.8294249773025513, 0.8433167338371277],
    ],
    weights: 'a48405b298e50a909c1ab2f7cde167ece522e80a6f301ce25615c88c8d3e1831',
  },
  lstm: {
    spec: { ...PRESETS['lstm-seq2seq'], units: [8], dropout: 0.1 },
    config: { epochs: 3, batchSize: 16, learningRate: 1e-3, loss: 'mse', seed: 13 },
    losses: [
      [1.0037223100662231, 1.0821088552474976],
      [1.0026459693908691, 1.0813884735107422],
      [1.002022624015808, 1.080795407295227],
    ],
    weights: '64a7d5a1298bcbb969c157caca50df0f3fa48bbf69ed084f800be452add388b5',
  },
  rnn: {
    spec: { kind: 'rnn', units: [16, 8], layout: 'tabular', outputActivation: 'linear', dropout: 0.1, l2: 0.001 },
    config: { epochs: 3, batchSize: 16, learningRate: 1e-3, loss: 'mse', seed: 14 },
    losses: [
      [1.0257439613342285, 1.0941758155822754],
      [1.014509677886963, 1.0904732942581177],
      [1.0109684467315674, 1.0872375965118408],
    ],
    weights: 'fc0b51b8a089b91f6336cf2804c662e09f13f4c9ac7840b02991a77f0e30e35e',
  },
};

// 37 normal training rows and 9 validation rows of 140 steps.
const data = prepareDataset(generateSyntheticEcg({ seed: 7, trainRows: 80, testRows: 10 }), { dataset: 'synthetic-ecg', validationFraction: 0.2 });

beforeAll(async () => {
  await initBackend('wasm');
});

function weightsHash(trained: TrainedAutoencoder): string {
  const bytes = trained.model.getWeights().map((w) => {
    const values = w.dataSync() as Float32Array;
    return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  });
  return sha256Hex(...bytes);
}

describe('the layers step is bit-identical to the pre-refactor code', () => {
  it('uses the recorded data', () => {
    expect([data.train.rows, data.validation.rows]).toEqual([37, 9]);
  });

  it.each(Object.entries(recorded))('%s: same losses and final weights for the same seed', async (_kind, { spec, config, losses, weights }) => {
    const trained = await trainAutoencoder({ spec, train: data.train, validation: data.validation, config, step: 'layers' });
    expect(trained.history.map((h) => [h.loss, h.valLoss])).toEqual(losses);
    expect(weightsHash(trained)).toBe(weights);
    trained.dispose();
  });
});

// The default (lean) step computes the same functions with fewer, fused kernels (issue 15):
// its losses follow the recorded curves to float rounding, and its own bits are recorded
// here (re-record them, and say so, on a deliberate change to its numerics).
const leanWeights: Record<string, string> = {
  dense: '1363ed14586219251f130b20c72fc72ed9566ddd486d505db2d57a4ce142194b',
  lstm: '58d69f4cbe39e02a9445aa0ec964a11382679659b81725c10a94c964075df980',
  rnn: '2f4a46447ea4bd3f0b4d820751afb4248e665df6927ed36a4066edafc993566e',
};

describe('the default step follows the recorded curves', () => {
  it.each(Object.entries(recorded))('%s: the recorded losses to float rounding, the same bits for the same seed', async (kind, { spec, config, losses }) => {
    const trained = await trainAutoencoder({ spec, train: data.train, validation: data.validation, config });
    trained.history.forEach((h, i) => {
      expect(Math.abs(h.loss - losses[i][0])).toBeLessThan(1e-5 * losses[i][0]);
      expect(Math.abs(h.valLoss! - losses[i][1])).toBeLessThan(1e-5 * losses[i][1]);
    });
    expect(weightsHash(trained)).toBe(leanWeights[kind] ?? recorded[kind].weights);
    trained.dispose();
  });
});
