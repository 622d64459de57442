import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backends/init.js';
import { buildModel } from '../src/builders/index.js';
import { reconstructionErrors } from '../src/reconstruction-errors.js';
import type { Conv1dSpec } from '../src/families/conv1d.js';
import type { DenseSpec } from '../src/families/dense.js';
import { loadModel, saveModel } from '../src/persist.js';
import { PRESETS, type ModelSpec } from '../src/registry.js';
import { createTrainingStep, type StepKind } from '../src/steps/index.js';
import { trainAutoencoder, type TrainerConfig } from '../src/train.js';
import { sineSplit } from './helpers.js';

const train = sineSplit(70, 140, 1);
const validation = sineSplit(20, 140, 2);
const config: TrainerConfig = { epochs: 5, batchSize: 16, learningRate: 3e-3, loss: 'mse', seed: 21 };

let dir: string;
beforeAll(async () => {
  await initBackend('wasm');
  dir = await mkdtemp(path.join(os.tmpdir(), 'aelab-steps-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function trainWith(spec: ModelSpec, step: StepKind, overrides: Partial<TrainerConfig> = {}) {
  const trained = await trainAutoencoder({ spec, train, validation, config: { ...config, ...overrides }, step });
  const weights = trained.model.getWeights().map((w) => Float32Array.from(w.dataSync()));
  return { trained, weights };
}

function largestDifference(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((w, i) => w.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - b[i][j])))));
  return worst;
}

const dense = (overrides: Partial<DenseSpec>): DenseSpec => ({ ...PRESETS['ecg-v3'], ...overrides });

describe('the lean steps', () => {
  it.each([
    ['ecg-v3: relu, dropout and L2 on two layers', PRESETS['ecg-v3'], 'mse'],
    ['tf-tutorial: sigmoid output, mae', PRESETS['tf-tutorial'], 'mae'],
    ['tanh, dropout and L2 everywhere', dense({ activation: 'tanh', dropout: 0.1, l2: 0.01 }), 'mse'],
    ['elu', dense({ activation: 'elu', dropout: 0, l2: 0 }), 'mse'],
    ['selu', dense({ activation: 'selu', dropout: 0.3, l2: 0 }), 'mse'],
    [
      'sigmoid hidden, explicit decoder',
      dense({ activation: 'sigmoid', encoder: [50, 10], decoder: [30], dropout: [0, 0.2, 0.1], l2: [0, 0.001] }),
      'mse',
    ],
  ] as const)('trains %s as the layers step does, to float rounding', async (_name, spec, loss) => {
    const lean = await trainWith(spec, 'lean', { loss });
    const layers = await trainWith(spec, 'layers', { loss });
    lean.trained.history.forEach((h, i) => {
      const reference = layers.trained.history[i];
      expect(Math.abs(h.loss - reference.loss)).toBeLessThan(2e-5 * reference.loss);
      expect(Math.abs(h.valLoss! - reference.valLoss!)).toBeLessThan(2e-5 * reference.valLoss!);
      expect(Math.abs(h.valError! - reference.valError!)).toBeLessThan(2e-5 * reference.valError!);
    });
    expect(largestDifference(lean.weights, layers.weights)).toBeLessThan(1e-4);
    lean.trained.dispose();
    layers.trained.dispose();
  });

  const conv = (overrides: Partial<Conv1dSpec>): Conv1dSpec => ({
    ...PRESETS['conv1d-small'],
    filters: [32, 16],
    ...overrides,
  });
  it.each([
    ['conv1d-small', conv({}), 'mse'],
    ['dropout, L2, mae', conv({ filters: [8, 4], kernelSize: 5, dropout: 0.1, l2: 0.001 }), 'mae'],
    [
      'tanh, pool 3, cropped back to 140 steps',
      conv({ filters: [6], kernelSize: 3, poolSize: 3, activation: 'tanh' }),
      'mse',
    ],
  ] as const)('trains a Conv1D AE (%s) as the layers step does, to float rounding', async (_name, spec, loss) => {
    const lean = await trainWith(spec, 'lean', { loss, epochs: 3 });
    const layers = await trainWith(spec, 'layers', { loss, epochs: 3 });
    lean.trained.history.forEach((h, i) => {
      const reference = layers.trained.history[i];
      expect(Math.abs(h.loss - reference.loss)).toBeLessThan(5e-5 * reference.loss);
      expect(Math.abs(h.valLoss! - reference.valLoss!)).toBeLessThan(5e-5 * reference.valLoss!);
    });
    expect(largestDifference(lean.weights, layers.weights)).toBeLessThan(1e-3);
    lean.trained.dispose();
    layers.trained.dispose();
  });

  it('is deterministic: the same bits for the same seed, others for another seed', async () => {
    const a = await trainWith(PRESETS['ecg-v3'], 'lean');
    const b = await trainWith(PRESETS['ecg-v3'], 'lean');
    const c = await trainWith(PRESETS['ecg-v3'], 'lean', { seed: 22 });
    expect(b.trained.history.map((h) => h.loss)).toEqual(a.trained.history.map((h) => h.loss));
    expect(largestDifference(a.weights, b.weights)).toBe(0);
    expect(largestDifference(a.weights, c.weights)).toBeGreaterThan(0);
    [a, b, c].forEach((r) => r.trained.dispose());
  });

  it('runs no kernel per step for ecg-v3 (the direct step), 18 for tanh layers, leaving no tensor', async () => {
    const epochOf = async (spec: ModelSpec, rows: number) => {
      const split = sineSplit(rows, 140, 3);
      const profile = await tf.profile(async () =>
        (
          await trainAutoencoder({
            spec,
            train: split,
            config: { ...config, epochs: 1, batchSize: 16 },
          })
        ).dispose(),
      );
      return profile.kernels.length;
    };
    const before = tf.memory().numTensors;
    const perStep = async (spec: ModelSpec) => (await epochOf(spec, 48)) - (await epochOf(spec, 32));
    expect(await perStep(PRESETS['ecg-v3'])).toBe(0);
    expect(await perStep(dense({ activation: 'tanh' }))).toBe(8 + 1 + 8 + 1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it(
    'is chosen for dense models on wasm, the recurrent one for lstm and rnn, the Conv1D one for conv1d; ' +
      'swish trains through the layers step',
    () => {
      const choose = (spec: ModelSpec, kind?: StepKind) => {
        const model = buildModel(spec, 140, 1);
        const step = createTrainingStep({ model, spec, loss: 'mse', learningRate: 1e-3, kind });
        const name = step.name;
        step.dispose();
        model.dispose();
        return name;
      };
      expect(choose(PRESETS['ecg-v3'])).toBe('lean-dense');
      expect(choose(PRESETS['ecg-v3'], 'layers')).toBe('layers');
      expect(choose(dense({ activation: 'swish' }))).toBe('layers');
      expect(choose(PRESETS['conv1d-small'])).toBe('lean-conv1d');
      expect(choose(PRESETS['conv1d-small'], 'layers')).toBe('layers');
      expect(choose(PRESETS['lstm-seq2seq'])).toBe('lean-recurrent');
      expect(choose({ ...PRESETS['lstm-tabular'], kind: 'rnn' })).toBe('lean-recurrent');
      expect(choose(PRESETS['lstm-seq2seq'], 'layers')).toBe('layers');
    },
  );

  it('trains a model that saves, loads and scores identically', async () => {
    const { trained } = await trainWith(PRESETS['ecg-v3'], 'lean');
    const rows = sineSplit(30, 140, 9);
    const before = await reconstructionErrors(trained.model, rows);
    await saveModel(path.join(dir, 'lean'), { model: trained.model, spec: PRESETS['ecg-v3'], preparation: null });
    const loaded = await loadModel(path.join(dir, 'lean'));
    expect(await reconstructionErrors(loaded.model, rows)).toEqual(before);
    loaded.model.dispose();
    trained.dispose();
  });
});

describe('evaluating a split a chunk of rows at a time (evaluateRows)', () => {
  const conv = (overrides: Partial<Conv1dSpec>): Conv1dSpec => ({
    ...PRESETS['conv1d-small'],
    filters: [8, 4],
    ...overrides,
  });
  it.each([
    ['ecg-v3: relu, dropout, L2', PRESETS['ecg-v3'], 'mse'],
    ['tf-tutorial: sigmoid output, mae', PRESETS['tf-tutorial'], 'mae'],
    ['tanh, L2 everywhere', dense({ activation: 'tanh', dropout: 0.1, l2: 0.01 }), 'mse'],
    ['conv1d, dropout, L2, mae', conv({ kernelSize: 5, dropout: 0.1, l2: 0.001 }), 'mae'],
    ['conv1d, tanh, pool 3', conv({ filters: [6], kernelSize: 3, poolSize: 3, activation: 'tanh' }), 'mse'],
  ] as const)('gives the bits of evaluate over the whole split (%s)', async (_name, spec, loss) => {
    const { trained } = await trainWith(spec, 'lean', { loss, epochs: 2 });
    const step = createTrainingStep({ model: trained.model, spec, loss, learningRate: 1e-3 });
    expect(step.evaluateRows).toBeDefined();
    const rows = sineSplit(45, 140, 5);
    const inputShape = trained.model.inputs[0].shape.slice(1) as number[];
    const whole = tf.tensor(rows.x, [rows.rows, ...inputShape]);
    const losses = step.evaluate(whole);
    const expected = { total: (await losses.total.data())[0], reconstruction: (await losses.reconstruction.data())[0] };
    tf.dispose([whole, losses.total, losses.reconstruction]);
    const evaluateRows = step.evaluateRows!.bind(step) as (
      r: typeof rows,
      s: number[],
      chunk?: number,
    ) => { total: number; reconstruction: number };
    for (const chunk of [1, 7, 16, 45, 4096]) expect(evaluateRows(rows, inputShape, chunk)).toEqual(expected);
    step.dispose();
    trained.dispose();
  });

  it('leaves the validation losses of a training as they were with the split uploaded whole', async () => {
    const spec = PRESETS['ecg-v3'];
    const chunked = await trainWith(spec, 'lean');
    const step = createTrainingStep({ model: chunked.trained.model, spec, loss: 'mse', learningRate: 1e-3 });
    // the step's own class (DenseStep) defines it: without it, training uploads the split whole
    const prototype = Object.getPrototypeOf(step) as { evaluateRows?: unknown };
    const evaluateRows = prototype.evaluateRows;
    step.dispose();
    try {
      prototype.evaluateRows = undefined;
      const whole = await trainWith(spec, 'lean');
      expect(chunked.trained.history.map(({ seconds: _s, ...h }) => h)).toEqual(
        whole.trained.history.map(({ seconds: _s, ...h }) => h),
      );
      expect(chunked.weights).toEqual(whole.weights);
      whole.trained.dispose();
    } finally {
      prototype.evaluateRows = evaluateRows;
      chunked.trained.dispose();
    }
  });
});

describe('scoring on wasm (reconstructionErrors)', () => {
  it('reads each chunk in place: the errors tfjs reads back, whatever the chunk size', async () => {
    const { trained } = await trainWith(PRESETS['ecg-v3'], 'lean', { epochs: 1 });
    const rows = sineSplit(37, 140, 11);
    const expected = tf.tidy(() => {
      const x = tf.tensor2d(rows.x, [rows.rows, rows.features]);
      const diff = tf.sub(x, (trained.model.predict(x) as tf.Tensor).reshape([rows.rows, rows.features]));
      return [tf.mean(tf.square(diff), 1).dataSync(), tf.mean(tf.abs(diff), 1).dataSync()];
    });
    for (const batchSize of [1, 5, 37, 4096]) {
      const { mse, mae } = await reconstructionErrors(trained.model, rows, { batchSize });
      expect(mse).toEqual(expected[0]);
      expect(mae).toEqual(expected[1]);
    }
    trained.dispose();
  });
});
