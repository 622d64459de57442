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
    expect(v3.layers.filter((l) => l.getClassName() === 'AelabSeededDropout').map((l) => l.name)).toEqual([
      'encoder_0_dropout',
      'encoder_1_dropout',
    ]);
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
    [
      'rnn sequence',
      { kind: 'rnn', units: [8, 4], layout: 'sequence', outputActivation: 'linear', dropout: 0.1, l2: 0 },
      12,
      [12, 1],
    ],
  ])('build %s with output shape equal to input shape', (_name, spec, features, shape) => {
    const model = buildModel(spec, features, 3);
    expect(modelInputShape(model)).toEqual(shape);
    expect(model.outputs[0].shape).toEqual([null, ...shape]);
    model.dispose();
  });

  it('give the same initial weights for the same seed and different ones for another', () => {
    const weights = (seed: number) =>
      buildModel(PRESETS['lstm-seq2seq'], 10, seed)
        .getWeights()
        .map((w) => Array.from(w.dataSync()));
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
      const trained = await trainAutoencoder({
        spec,
        train: sineSplit(32, 24),
        config: { epochs: 8, batchSize: 16, learningRate: 0.01, loss: 'mae', seed: 1 },
      });
      expect(trained.history[7].loss, spec.kind).toBeLessThan(trained.history[0].loss);
      trained.dispose();
    }
  });
});

describe('weight initialisation (model.init)', () => {
  const weightsOf = (spec: ModelSpec, features: number, seed: number) => {
    const model = buildModel(spec, features, seed);
    const out = model.trainableWeights.map((w) => ({
      name: w.originalName,
      shape: w.shape,
      values: w.read().dataSync() as Float32Array,
    }));
    model.dispose();
    return out;
  };
  const within = (values: Float32Array, bound: number) => values.every((v) => Math.abs(v) <= bound + 1e-7);
  const rms = (values: Float32Array) => Math.sqrt(values.reduce((a, v) => a + v * v, 0) / values.length);

  it("pytorch: Linear and Conv1d weights and biases are U(+-1/sqrt(fan_in)), torch.nn's defaults", () => {
    const dense = weightsOf({ ...PRESETS['ecg-v2'], init: 'pytorch' }, 140, 4);
    for (const w of dense) {
      const fanIn = Number(
        w.name.endsWith('kernel')
          ? w.shape[0]
          : dense.find((k) => k.name === w.name.replace('bias', 'kernel'))!.shape[0],
      );
      const bound = 1 / Math.sqrt(fanIn);
      expect(within(w.values, bound), w.name).toBe(true);
      // A uniform on [-b, b] has rms b / sqrt(3): the bound is used, not just respected.
      if (w.values.length > 100) expect(rms(w.values) / (bound / Math.sqrt(3))).toBeCloseTo(1, 1);
    }
    expect(dense.filter((w) => w.name.endsWith('bias')).every((w) => w.values.some((v) => v !== 0))).toBe(true);
    const conv = weightsOf({ ...PRESETS['conv1d-small'], init: 'pytorch' }, 140, 4);
    const [first] = conv;
    expect(first.shape).toEqual([7, 1, 32]);
    expect(within(first.values, 1 / Math.sqrt(7))).toBe(true);
    expect(within(conv[2].values, 1 / Math.sqrt(7 * 32))).toBe(true);
  });

  it('pytorch: recurrent weights are U(+-1/sqrt(units)) and the bias is the sum of two such draws', () => {
    const lstm = weightsOf({ ...PRESETS['lstm-seq2seq'], init: 'pytorch' }, 20, 4);
    const [kernel, recurrent, bias] = lstm;
    const bound = 1 / Math.sqrt(32);
    expect(within(kernel.values, bound) && within(recurrent.values, bound)).toBe(true);
    expect(within(bias.values, 2 * bound)).toBe(true);
    expect(bias.values.some((v) => Math.abs(v) > bound)).toBe(true);
  });

  it('glorot (Keras) keeps zero biases, and is what an absent init means', () => {
    const absent = weightsOf(PRESETS['ecg-v2'], 140, 4);
    const { init: _init, ...withoutInit } = PRESETS['ecg-v2'];
    expect(weightsOf(withoutInit, 140, 4)).toEqual(absent);
    expect(weightsOf({ ...PRESETS['ecg-v2'], init: 'pytorch' }, 140, 4)).not.toEqual(absent);
    expect(absent.filter((w) => w.name.endsWith('bias')).every((w) => w.values.every((v) => v === 0))).toBe(true);
  });
});
