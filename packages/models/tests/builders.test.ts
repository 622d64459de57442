import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backends/init.js';
import { buildModel, modelInputShape } from '../src/builders/index.js';
import { PRESETS, type ModelSpec } from '../src/registry.js';
import { trainAutoencoder } from '../src/train.js';
import { sineSplit } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const denseParams = (widths: number[]) => widths.slice(1).reduce((sum, w, i) => sum + widths[i] * w + w, 0);

describe('builders', () => {
  it('build the seed-000 and tutorial dense presets with the published layer sizes', () => {
    const v1 = buildModel(PRESETS['ecg-v1'], 140, 1);
    expect(v1.countParams()).toBe(denseParams([140, 128, 64, 32, 16, 32, 64, 128, 140]));
    const v3 = buildModel(PRESETS['ecg-v3'], 140, 1);
    expect(v3.layers.filter((l) => l.getClassName() === 'AelabSeededDropout').map((l) => l.name)).toEqual(['encoder_0_dropout', 'encoder_1_dropout']);
    expect(v3.losses.length + v3.calculateLosses().length).toBeGreaterThan(0);
    const tutorial = buildModel(PRESETS['tf-tutorial'], 140, 1);
    expect(tutorial.countParams()).toBe(denseParams([140, 32, 16, 8, 16, 32, 140]));
    expect(tutorial.layers.at(-1)!.getConfig().activation).toBe('sigmoid');
    tf.dispose([v1, v3, tutorial].flatMap((m) => m.getWeights()));
  });

  it.each<[string, ModelSpec, number, number[]]>([
    ['conv1d', PRESETS['conv1d-small'], 140, [140, 1]],
    ['conv1d, odd length', { ...PRESETS['conv1d-small'], poolSize: 3 }, 50, [50, 1]],
    ['lstm sequence', PRESETS['lstm-seq2seq'], 20, [20, 1]],
    ['lstm tabular (seed-004)', PRESETS['lstm-tabular'], 29, [1, 29]],
    ['rnn sequence', { kind: 'rnn', units: [8, 4], layout: 'sequence', outputActivation: 'linear', dropout: 0.1, l2: 0 }, 12, [12, 1]],
  ])('build %s with output shape equal to input shape', (_name, spec, features, shape) => {
    const model = buildModel(spec, features, 3);
    expect(modelInputShape(model)).toEqual(shape);
    expect(model.outputs[0].shape).toEqual([null, ...shape]);
    model.dispose();
  });

  it('give the same initial weights for the same seed and different ones for another', () => {
    const weights = (seed: number) => buildModel(PRESETS['lstm-seq2seq'], 10, seed).getWeights().map((w) => Array.from(w.dataSync()));
    expect(weights(7)).toEqual(weights(7));
    expect(weights(7)).not.toEqual(weights(8));
  });

  it('initialise recurrent kernels orthogonally (rows orthonormal)', () => {
    const model = buildModel({ ...PRESETS['lstm-seq2seq'], units: [6] }, 10, 1);
    const recurrent = model.getLayer('bottleneck').getWeights()[1] as tf.Tensor2D; // [6, 24]
    const gram = tf.matMul(recurrent, recurrent, false, true).arraySync() as number[][];
    gram.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(i === j ? 1 : 0, 5)));
    model.dispose();
  });

  it('train every kind on wasm (loss falls)', async () => {
    const specs: ModelSpec[] = [
      { ...PRESETS['conv1d-small'], filters: [8, 4], kernelSize: 5 },
      { ...PRESETS['lstm-seq2seq'], units: [8] },
      { kind: 'rnn', units: [8], layout: 'tabular', outputActivation: 'linear', dropout: 0, l2: 0 },
    ];
    for (const spec of specs) {
      const trained = await trainAutoencoder({ spec, train: sineSplit(32, 24), config: { epochs: 8, batchSize: 16, learningRate: 0.01, loss: 'mae', seed: 1 } });
      expect(trained.history[7].loss, spec.kind).toBeLessThan(trained.history[0].loss);
      trained.dispose();
    }
  });
});
