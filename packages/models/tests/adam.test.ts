import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADAM_KERNEL, createAdam } from '../src/adam.js';
import { adamPass } from '../src/wasm/adam-kernel.js';
import { adamPassOver } from '../src/wasm/modules.js';
import { ADAM_WASM } from '../src/wasm/adam-wasm.js';
import { initBackend } from '../src/backends/init.js';
import { buildModel } from '../src/builders/index.js';
import { PRESETS } from '../src/registry.js';
import { seededUniform, sineSplit } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('fused Adam on wasm', () => {
  it('follows tf.train.adam step for step (float32 rounding only) and leaks nothing', async () => {
    const rows = sineSplit(16, 140, 3);
    const x = tf.tensor2d(rows.x, [16, 140]);
    const run = (fused: boolean) => {
      const model = buildModel(PRESETS['ecg-v1'], 140, 9);
      const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const optimizer = createAdam(variables, 0.01, { fused });
      const losses: number[] = [];
      for (let step = 0; step < 6; step++) {
        const loss = optimizer.minimize(
          () => tf.mean(tf.squaredDifference(model.apply(x) as tf.Tensor, x)) as tf.Scalar,
        );
        losses.push(loss.dataSync()[0]);
        loss.dispose();
      }
      const weights = variables.map((v) => Float32Array.from(v.dataSync()));
      optimizer.dispose();
      model.dispose();
      return { losses, weights };
    };
    const before = tf.memory().numTensors;
    const fused = run(true);
    expect(tf.memory().numTensors).toBe(before);
    const reference = run(false);
    fused.losses.forEach((l, i) => expect(l).toBeCloseTo(reference.losses[i], 4));
    let worst = 0;
    fused.weights.forEach((w, i) =>
      w.forEach((value, j) => (worst = Math.max(worst, Math.abs(value - reference.weights[i][j])))),
    );
    expect(worst).toBeLessThan(1e-4);
    x.dispose();
  });
});

describe('adam.wat', () => {
  it('is the assembled adam.wat (regenerate with tools/gen-wasm.mjs)', async () => {
    const wabt = await (await import('wabt')).default();
    const source = await readFile(new URL('../src/wasm/adam.wat', import.meta.url), 'utf8');
    const module = wabt.parseWat('adam.wat', source, { simd: true });
    const bytes = Buffer.from(module.toBinary({}).buffer).toString('base64');
    module.destroy();
    expect(bytes).toBe(ADAM_WASM);
  });

  it('gives the bits of the float32 JS loop, for every length mod 4, with and without L2', () => {
    for (const [size, l2] of [
      [1, 0],
      [6, 0.01],
      [1027, 0],
      [4096, 0.001],
    ] as const) {
      const rng = seededUniform(size);
      const values = (scale: number) => Float32Array.from({ length: size }, () => (rng() - 0.5) * scale);
      const [x, m, g] = [values(2), values(0.1), values(1)];
      const v = Float32Array.from(values(0.01), Math.abs);
      const attrs = { c1: 0.0031, c2: 1.0001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, l2 };
      const tensors = [x, m, v, g].map((a) => tf.tensor1d(a));
      const outs = tf
        .engine()
        .runKernel(
          ADAM_KERNEL,
          { x: tensors[0], m: tensors[1], v: tensors[2], g: tensors[3] },
          attrs as unknown as tf.NamedAttrMap,
        ) as tf.Tensor[];
      const expected = [new Float32Array(size), new Float32Array(size), new Float32Array(size)];
      adamPass([x, m, v, g, ...expected], [attrs.c1], attrs, l2);
      outs.forEach((t, i) =>
        expect(Buffer.from((t.dataSync() as Float32Array).buffer).equals(Buffer.from(expected[i].buffer))).toBe(true),
      );
      tf.dispose([...tensors, ...outs]);
    }
  });

  it('returns the sum of squares of x before the update as a JS loop adds it, also updating in place', () => {
    const memory = new WebAssembly.Memory({ initial: 4 });
    const adam = adamPassOver(memory);
    for (const size of [1, 6, 1027, 4096]) {
      const rng = seededUniform(size + 1);
      const heap = new Float32Array(memory.buffer, 0, 4 * size);
      heap.forEach((_, i) => (heap[i] = (rng() - 0.5) * (i < 3 * size ? 2 : 0.01)));
      heap.subarray(3 * size, 4 * size).forEach((v, i, a) => (a[i] = Math.abs(v)));
      const x = Float32Array.from(heap.subarray(0, size));
      const [at, m, v, g] = [0, 1, 3, 2].map((k) => 4 * k * size);
      let expected = 0;
      for (let j = 0; j < size; j++) expected += x[j] * x[j];
      expect(adam(at, m, v, g, at, m, v, size, 0.003, 1.0001, 0.1, 0.001, 1e-7, 0.002, 1)).toBe(expected);
      expect(heap.subarray(0, size)).not.toEqual(x);
      expect(adam(at, m, v, g, at, m, v, size, 0.003, 1.0001, 0.1, 0.001, 1e-7, 0.002, 0)).toBe(0);
    }
  });
});
