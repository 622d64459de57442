import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../src/backends/init.js';
import { buildModel } from '../src/builders/index.js';
import { PRESETS, type ModelSpec } from '../src/registry.js';
import { normals } from '../src/random.js';
import { seededUniform } from './helpers.js';

/** Gradients of the reconstruction MSE w.r.t. every weight, on the active backend. */
function gradients(spec: Parameters<typeof buildModel>[0], x: Float32Array, shape: number[]): Float32Array[] {
  const model = buildModel(spec, shape[1], 11);
  const input = tf.tensor(x, shape);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { grads, value } = tf.variableGrads(
    () => tf.mean(tf.squaredDifference(model.apply(input, { training: true }) as tf.Tensor, input)) as tf.Scalar,
    variables,
  );
  const out = variables.map((v) => grads[v.name].dataSync() as Float32Array);
  tf.dispose([grads, value, input]);
  model.dispose();
  return out;
}

function maxRelativeError(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((ga, i) => {
    const scale = Math.max(...Array.from(ga, Math.abs), 1e-6);
    ga.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - b[i][j]) / scale)));
  });
  return worst;
}

describe('Conv1D gradients on wasm (im2col Conv2DBackpropFilter)', () => {
  it.each<[string, ModelSpec, [number, number, number]]>([
    ['the benchmark model (k7, same padding, batch 5)', PRESETS['conv1d-small'], [5, 140, 1]],
    [
      'an odd length with cropping (k4, pool 3)',
      { ...PRESETS['conv1d-small'], filters: [3, 5], kernelSize: 4, poolSize: 3 },
      [3, 31, 1],
    ],
  ])('equal the cpu backend to 1e-4 for %s', async (_name, spec, shape) => {
    const x = normals(shape[0] * shape[1], seededUniform(2));
    await initBackend('cpu');
    const cpu = gradients(spec, x, [...shape]);
    await initBackend('wasm');
    const wasm = gradients(spec, x, [...shape]);
    expect(wasm.map((g) => g.length)).toEqual(cpu.map((g) => g.length));
    expect(maxRelativeError(wasm, cpu)).toBeLessThan(1e-4);
  });

  it('handles strided convolutions (stride 3, valid padding) like the cpu backend', async () => {
    const x = tf.tensor(normals(2 * 1 * 17 * 3, seededUniform(4)), [2, 1, 17, 3]) as tf.Tensor4D;
    const dy = tf.tensor(normals(2 * 1 * 5 * 4, seededUniform(5)), [2, 1, 5, 4]) as tf.Tensor4D;
    const run = async (backend: 'cpu' | 'wasm') => {
      await initBackend(backend);
      const attrs = { strides: [1, 3], pad: 'valid', dataFormat: 'NHWC', filterShape: [1, 5, 3, 4] };
      const dw = tf
        .engine()
        .runKernel('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
      const values = dw.dataSync() as Float32Array;
      dw.dispose();
      return values;
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    expect(maxRelativeError([wasm], [cpu])).toBeLessThan(1e-4);
    tf.dispose([x, dy]);
  });
});

describe('transposed matrix products on wasm (routed through an explicit transpose)', () => {
  it.each([
    [false, true],
    [true, false],
    [true, true],
  ])('equal the cpu backend for transposeA=%s transposeB=%s, batched and not', async (ta, tb) => {
    const a = tf.tensor(normals(3 * 7 * 5, seededUniform(1)), ta ? [3, 5, 7] : [3, 7, 5]);
    const b = tf.tensor(normals(3 * 5 * 4, seededUniform(2)), tb ? [3, 4, 5] : [3, 5, 4]);
    const product = async (backend: 'cpu' | 'wasm') => {
      await initBackend(backend);
      const batched = tf.matMul(a, b, ta, tb);
      const single = tf.matMul(
        a.slice([1, 0, 0], [1, -1, -1]).squeeze([0]) as tf.Tensor2D,
        b.slice([1, 0, 0], [1, -1, -1]).squeeze([0]) as tf.Tensor2D,
        ta,
        tb,
      );
      const out = [batched.dataSync() as Float32Array, single.dataSync() as Float32Array];
      expect(batched.shape).toEqual([3, 7, 4]);
      tf.dispose([batched, single]);
      return out;
    };
    const cpu = await product('cpu');
    const wasm = await product('wasm');
    expect(maxRelativeError(wasm, cpu)).toBeLessThan(1e-5);
    tf.dispose([a, b]);
  });
});
