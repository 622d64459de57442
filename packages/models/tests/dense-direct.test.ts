import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backends/init.js';
import seedrandom from 'seedrandom';
import { buildModel } from '../src/builders/index.js';
import { aleaState, dropoutMasks, maskDraws } from '../src/builders/dropout-masks.js';
import { convPassesOver } from '../src/wasm/modules.js';
import { dropoutCallSeed } from '../src/builders/layers.js';
import type { DenseSpec } from '../src/families/dense.js';
import type { ReconstructionLoss } from '../src/losses.js';
import { PRESETS } from '../src/registry.js';
import { DenseStep, leanDenseLayers } from '../src/steps/dense.js';
import { batchTensor, trainAutoencoder } from '../src/train.js';
import { sineSplit } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const dense = (overrides: Partial<DenseSpec>): DenseSpec => ({ ...PRESETS['ecg-v3'], ...overrides });

/** A dense step on a fresh model of `spec` (seed 5): direct, or through the step's tfjs kernels. */
function stepOf(spec: DenseSpec, loss: ReconstructionLoss, direct: boolean) {
  const model = buildModel(spec, 140, 5);
  const step = new DenseStep(leanDenseLayers(model)!, loss, 3e-3, direct);
  return { model, step, usesDirect: (step as unknown as { direct: unknown }).direct !== null };
}

const bits = (model: tf.LayersModel) => model.getWeights().map((w) => Array.from(w.dataSync()));

describe('dropout masks', () => {
  it("start from seedrandom's alea state, to the bit, for every kind of seed", () => {
    const seeds = ['', ' ', 'aelab', '\u00e9\u4e2d', '2147483646'];
    for (let i = 0; i < 3000; i++) seeds.push(String(dropoutCallSeed(i * 7_654_321 + (i % 13), 1 + (i % 997))));
    for (const seed of seeds) {
      const reference = (seedrandom.alea(seed, { state: true }) as unknown as { state(): unknown }).state();
      expect(aleaState(seed), seed).toEqual(reference);
    }
  });

  it("are seedrandom's alea draws through tf.dropout's float32 rule, member by member", () => {
    const members = [{ rate: 0.1, seed: 7 }, null, { rate: 0.3, seed: 123456 }, { rate: 0, seed: 1 }];
    const [rows, units] = [5, 12];
    for (const call of [1, 2, 97]) {
      const masks = dropoutMasks(members, rows, units, call);
      const expected = members.flatMap((m) => {
        if (m === null || m.rate === 0) return Array<number>(rows * units).fill(1);
        const uniform = seedrandom.alea(String(dropoutCallSeed(m.seed, call)));
        const keep = Math.fround(1 - m.rate);
        return Array.from({ length: rows * units }, () =>
          Math.fround(Math.floor(Math.fround(Math.fround(uniform()) + keep)) / keep),
        );
      });
      expect(Array.from(masks)).toEqual(expected);
      const into = new Float32Array(masks.length);
      expect(dropoutMasks(members, rows, units, call, into)).toBe(into);
      expect(into).toEqual(masks);
    }
    // 200,000 draws: the generator's rare carry (a draw's integer part moved by the last one's) taken ~200 times
    const many = dropoutMasks([{ rate: 0.5, seed: 3 }], 1000, 200, 1);
    const uniform = seedrandom.alea(String(dropoutCallSeed(3, 1)));
    const keep = Math.fround(0.5);
    const reference = Float32Array.from(many, () => Math.floor(Math.fround(Math.fround(uniform()) + keep)) / keep);
    expect(many.every((v, i) => v === reference[i])).toBe(true);
  });

  it("are drawn by conv.wat's dropout as by dropoutMasks, to the bit", () => {
    const memory = new WebAssembly.Memory({ initial: 16 });
    const conv = convPassesOver(memory);
    for (const dropout of [
      { rate: 0.1, seed: 9 },
      { rate: 0.3, seed: 2024 },
      { rate: 0.5, seed: 3 },
    ]) {
      for (const call of [1, 40]) {
        const n = 200_000;
        const { state, keep } = maskDraws(dropout, call);
        conv.dropout(64, n, state.c, state.s0, state.s1, state.s2, keep, 1 / keep);
        const drawn = new Float32Array(memory.buffer, 64, n);
        const expected = dropoutMasks([dropout], 1000, 200, call);
        expect(drawn.every((v, i) => Object.is(v, expected[i]))).toBe(true);
      }
    }
  });

  it("are drawn two layers at once by conv.wat's dropout2 as by dropout one at a time, to the bit", () => {
    const memory = new WebAssembly.Memory({ initial: 16 });
    const conv = convPassesOver(memory);
    const n = 100_000;
    const [x, y, state] = [64, 64 + 4 * (n + 1000), 64 + 4 * (2 * n + 1000)];
    for (const [a, b, call] of [
      [{ rate: 0.1, seed: 9 }, { rate: 0.3, seed: 2024 }, 1],
      [{ rate: 0.5, seed: 3 }, { rate: 0.5, seed: 4 }, 40],
    ] as const) {
      const [p, q] = [maskDraws(a, call), maskDraws(b, call)];
      const states = new Float64Array(memory.buffer, state, 12);
      states.set([p.state.c, q.state.c, p.state.s0, q.state.s0, p.state.s1, q.state.s1, p.state.s2, q.state.s2]);
      states.set([p.keep, q.keep, 1 / p.keep, 1 / q.keep], 8);
      conv.dropout2(x, y, n, state);
      // the first stream goes on from the state dropout2 left, as dense-direct's drawPair does
      const [c, , s0, , s1, , s2] = new Float64Array(memory.buffer, state, 8);
      conv.dropout(x + 4 * n, 1000, c, s0, s1, s2, p.keep, 1 / p.keep);
      const drawnX = new Float32Array(memory.buffer, x, n + 1000);
      const drawnY = new Float32Array(memory.buffer, y, n);
      const expectedX = dropoutMasks([a], 1, n + 1000, call);
      const expectedY = dropoutMasks([b], 1, n, call);
      expect(drawnX.every((v, i) => Object.is(v, expectedX[i]))).toBe(true);
      expect(drawnY.every((v, i) => Object.is(v, expectedY[i]))).toBe(true);
    }
  });
});

describe("conv.wat's pack", () => {
  it('lays out a transposed source (the input gradient kernel^T) as its rule says, every shape', () => {
    const memory = new WebAssembly.Memory({ initial: 4 });
    const conv = convPassesOver(memory);
    for (let rows = 1; rows <= 13; rows++)
      for (let cols = 1; cols <= 26; cols++) {
        // src: a [cols][rows] matrix read as [rows][cols] (rowStride 1, colStride rows)
        const src = new Float32Array(memory.buffer, 0, rows * cols);
        src.forEach((_, i) => (src[i] = i + 0.5));
        const tiles = Math.ceil(cols / 8);
        const outAt = 4 * rows * cols + 64;
        const out = new Float32Array(memory.buffer, outAt, tiles * rows * 8);
        out.fill(-1);
        conv.pack(0, rows, cols, 1, rows, outAt, rows);
        const expected = new Float32Array(out.length);
        for (let t = 0; t < tiles; t++)
          for (let r = 0; r < rows; r++)
            for (let j = 0; j < 8; j++) {
              const c = 8 * t + j;
              expected[(t * rows + r) * 8 + j] = c < cols ? src[r + c * rows] : 0;
            }
        expect(Array.from(out)).toEqual(Array.from(expected));
      }
  });
});

describe('the direct dense step (no tfjs kernel per step)', () => {
  it.each([
    ['ecg-v3: relu, dropout and L2 on two layers', PRESETS['ecg-v3'], 'mse'],
    ['mae, dropout and L2 everywhere', dense({ dropout: 0.3, l2: 0.01 }), 'mae'],
    ['hidden widths off the tiles (12, 20: padded to 16, 24)', dense({ encoder: [20, 12], dropout: 0.1 }), 'mse'],
    ['a bottleneck of 4 (dot products)', dense({ encoder: [64, 32, 4], dropout: 0.2, l2: 1e-4 }), 'mse'],
    ['four units in every hidden layer', dense({ encoder: [4, 4], dropout: 0.1 }), 'mae'],
    ['a linear hidden layer', dense({ encoder: [64, 8], activation: 'linear', l2: 0.001 }), 'mse'],
  ] as const)('gives the bits of the kernels, step by step (%s)', (_name, spec, loss) => {
    const direct = stepOf(spec, loss, true);
    const kernels = stepOf(spec, loss, false);
    expect(direct.usesDirect).toBe(true);
    expect(kernels.usesDirect).toBe(false);
    const data = sineSplit(100, 140, 3);
    const validation = sineSplit(23, 140, 4);
    // batches of 32, then smaller, then larger again (the direct step's buffers grow)
    for (const [start, rows] of [
      [0, 32],
      [32, 32],
      [64, 9],
      [0, 48],
      [48, 52],
      [10, 1],
    ]) {
      const batch = tf.tensor2d(data.x.subarray(start * 140, (start + rows) * 140), [rows, 140]);
      const [a, b] = [direct.step.step(batch), kernels.step.step(batch)];
      expect(a.dataSync()[0]).toBe(b.dataSync()[0]);
      tf.dispose([a, b, batch]);
      expect(bits(direct.model)).toEqual(bits(kernels.model));
      for (const chunk of [5, 4096])
        expect(direct.step.evaluateRows(validation, [140], chunk)).toEqual(
          kernels.step.evaluateRows(validation, [140], chunk),
        );
    }
    for (const { model, step } of [direct, kernels]) {
      step.dispose();
      model.dispose();
    }
  });

  it("leaves a tensor that shares a weight's values (a reshape of it) as it was", () => {
    const { model, step } = stepOf(PRESETS['ecg-v3'], 'mse', true);
    // on wasm a reshape shares its input's values (a clone copies them)
    const saved = model.getWeights().map((w) => tf.reshape(w, [-1]));
    const before = saved.map((w) => Array.from(w.dataSync()));
    const batch = tf.tensor2d(sineSplit(16, 140, 3).x, [16, 140]);
    tf.dispose([step.step(batch), step.step(batch), batch]);
    const same = (a: number[][], b: number[][]) => a.every((w, i) => w.every((v, j) => Object.is(v, b[i][j])));
    expect(
      same(
        saved.map((w) => Array.from(w.dataSync())),
        before,
      ),
    ).toBe(true);
    expect(same(bits(model), before)).toBe(false);
    tf.dispose(saved);
    step.dispose();
    model.dispose();
  });

  it('trains the search benchmark models with restored best weights as before, leaking no tensor', async () => {
    const numTensors = tf.memory().numTensors;
    const train = sineSplit(75, 140, 1);
    const validation = sineSplit(20, 140, 2);
    const spec = dense({ encoder: [32, 8], dropout: 0.1, l2: 1e-4 });
    const config = {
      epochs: 6,
      batchSize: 32,
      learningRate: 3e-3,
      loss: 'mse' as const,
      seed: 3,
      earlyStopping: { patience: 10, minDelta: 0, restoreBestWeights: true },
    };
    const run = async () => {
      const trained = await trainAutoencoder({ spec, train, validation, config });
      const out = { history: trained.history.map(({ seconds: _s, ...h }) => h), weights: bits(trained.model) };
      trained.dispose();
      return out;
    };
    const direct = await run();
    const prototype = DenseStep.prototype as unknown as { step: unknown; evaluateRows: unknown };
    const [step, evaluateRows] = [prototype.step, prototype.evaluateRows];
    try {
      // the kernels' step and evaluation (ManualStep's), on uploaded batches
      delete prototype.step;
      delete prototype.evaluateRows;
      expect(await withoutStepRows(run)).toEqual(direct);
    } finally {
      Object.assign(prototype, { step, evaluateRows });
    }
    expect(tf.memory().numTensors).toBe(numTensors);
  });
});

/** `run`'s result with the dense step's `stepRows` taken away: trainAutoencoder uploads each batch and calls `step`. */
async function withoutStepRows<T>(run: () => Promise<T>): Promise<T> {
  const descriptor = Object.getOwnPropertyDescriptor(DenseStep.prototype, 'stepRows')!;
  delete (DenseStep.prototype as { stepRows?: unknown }).stepRows;
  try {
    return await run();
  } finally {
    Object.defineProperty(DenseStep.prototype, 'stepRows', descriptor);
  }
}

describe("the direct dense step's own gather (stepRows)", () => {
  it('gives the bits of step() on the gathered batch tensor, step by step, in any row order', () => {
    const spec = dense({ encoder: [20, 12], dropout: 0.2, l2: 0.01 });
    const [gathering, uploading] = [stepOf(spec, 'mse', true), stepOf(spec, 'mse', true)];
    const data = sineSplit(100, 140, 3);
    const order = Int32Array.from({ length: 100 }, (_, i) => (i * 37) % 100);
    // batches of 32, then smaller, then larger again (the block grows)
    for (const [start, rows] of [
      [0, 32],
      [32, 32],
      [64, 9],
      [0, 48],
      [48, 52],
      [10, 1],
    ]) {
      const loss = gathering.step.stepRows!(data, order, start, rows);
      const batch = batchTensor(data, order, start, rows, [140]);
      const expected = uploading.step.step(batch);
      expect(loss).toBe(expected.dataSync()[0]);
      tf.dispose([expected, batch]);
      expect(bits(gathering.model)).toEqual(bits(uploading.model));
    }
    expect(() => gathering.step.stepRows!({ x: data.x, features: 70 }, order, 0, 4)).toThrow(
      'the model takes 140 values per row, the rows have 70',
    );
    for (const { model, step } of [gathering, uploading]) {
      step.dispose();
      model.dispose();
    }
  });

  it('has none where the step is not direct (the kernels train the model)', () => {
    const { step, model } = stepOf(PRESETS['ecg-v3'], 'mse', false);
    expect(step.stepRows).toBeUndefined();
    step.dispose();
    model.dispose();
  });

  it.each([
    ['the grid models', dense({ encoder: [64, 32, 8], dropout: 0.1, l2: 1e-4 }), 'mse', 32],
    ['mae, batches leaving a remainder', dense({ encoder: [20, 12], dropout: 0.3, l2: 0.01 }), 'mae', 7],
  ] as const)('records the epoch losses of the uploaded batches, to the bit (%s)', async (_name, spec, loss, batch) => {
    const train = sineSplit(75, 140, 1);
    const validation = sineSplit(20, 140, 2);
    const config = {
      ...{ epochs: 12, batchSize: batch, learningRate: 3e-3, loss, seed: 9 },
      earlyStopping: { patience: 3, minDelta: 0, restoreBestWeights: true },
    };
    const run = async () => {
      const trained = await trainAutoencoder({ spec, train, validation, config });
      const out = { history: trained.history.map(({ seconds: _s, ...h }) => h), weights: bits(trained.model) };
      trained.dispose();
      return out;
    };
    const gathered = await run();
    expect(await withoutStepRows(run)).toEqual(gathered);
  });

  it('rejects with the abort reason when aborted, leaving no tensor', async () => {
    const numTensors = tf.memory().numTensors;
    const controller = new AbortController();
    const run = trainAutoencoder({
      spec: dense({ encoder: [32, 8] }),
      train: sineSplit(75, 140, 1),
      config: { epochs: 50, batchSize: 32, learningRate: 1e-3, loss: 'mse', seed: 3 },
      signal: controller.signal,
      onEpoch: (e) => e.epoch === 2 && controller.abort(new Error('trial cancelled')),
    });
    await expect(run).rejects.toThrow('trial cancelled');
    expect(tf.memory().numTensors).toBe(numTensors);
  });

  it('trains an epoch with no tfjs kernel and no tensor', async () => {
    const train = sineSplit(75, 140, 1);
    const validation = sineSplit(20, 140, 2);
    const spec = dense({ encoder: [32, 8], dropout: 0.1, l2: 1e-4 });
    const config = { batchSize: 32, learningRate: 1e-3, loss: 'mse' as const, seed: 3, earlyStopping: null };
    const profile = async (epochs: number) => {
      const info = await tf.profile(async () => {
        const trained = await trainAutoencoder({ spec, train, validation, config: { ...config, epochs } });
        expect(trained.trainingStep).toBe('lean-dense');
        trained.dispose();
        return [];
      });
      return { kernels: info.kernels.length, newTensors: info.newTensors };
    };
    // the kernels and tensors of building the model and its step, the same however many epochs follow
    expect(await profile(6)).toEqual(await profile(1));
  });
});
