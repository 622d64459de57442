import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { readFile } from 'node:fs/promises';
import wabtInit from 'wabt';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backends/init.js';
import { normals } from '../src/random.js';
import {
  backpropRelu,
  conv1dFilterGradient,
  conv1dForward,
  conv1dInputGradient,
  convPasses,
} from '../src/wasm/conv.js';
import { CONV_WASM } from '../src/wasm/conv-wasm.js';
import type { WasmHeapBackend } from '../src/wasm/heap.js';
import { rowGeometry } from '../src/wasm/layers-kernels.js';
import { seededUniform } from './helpers.js';

/** One 1-D convolution: x [batch, steps, cin] by a filter [k, cin, cout], stride 1. */
interface Case {
  batch: number;
  steps: number;
  cin: number;
  cout: number;
  k: number;
  pad: 'same' | 'valid';
}

interface Values {
  y: Float32Array;
  yRelu: Float32Array;
  dFilter: Float32Array;
  dx: Float32Array;
}

// Every pairing of channel counts that takes conv.wat's 4 x 8 tiles (8, 16), tiles with
// zero columns (12), its dot products (1, 3) and tfjs' fallbacks, kernels odd and even,
// lengths shorter than the kernel and not a multiple of 4 (the 1-row tails), both paddings.
const cases: Case[] = [];
for (const cin of [1, 3, 8, 12, 16]) {
  for (const cout of [1, 3, 8, 12, 16]) {
    for (const k of [1, 2, 4, 7]) {
      for (const steps of [1, 6, 13]) {
        for (const pad of ['same', 'valid'] as const)
          if (pad === 'same' || steps >= k) cases.push({ batch: 2, steps, cin, cout, k, pad });
      }
    }
  }
}

function inputs(c: Case, seed: number) {
  const rng = seededUniform(seed);
  const outSteps = c.pad === 'same' ? c.steps : c.steps - c.k + 1;
  return {
    x: tf.tensor3d(normals(c.batch * c.steps * c.cin, rng), [c.batch, c.steps, c.cin]),
    filter: tf.tensor3d(normals(c.k * c.cin * c.cout, rng), [c.k, c.cin, c.cout]),
    bias: tf.tensor1d(normals(c.cout, rng)),
    dy: tf.tensor3d(normals(c.batch * outSteps * c.cout, rng), [c.batch, outSteps, c.cout]),
  };
}

/** The forward pass and both gradients by tfjs' own conv1d on the cpu backend. */
function reference(c: Case, seed: number): Values {
  return tf.tidy(() => {
    const { x, filter, bias, dy } = inputs(c, seed);
    const conv = (a: tf.Tensor3D, f: tf.Tensor3D) => tf.conv1d(a, f, 1, c.pad);
    const [dx, dFilter] = tf.grads((a: tf.Tensor, f: tf.Tensor) =>
      tf.sum(tf.mul(conv(a as tf.Tensor3D, f as tf.Tensor3D), dy)),
    )([x, filter]);
    const y = tf.add(conv(x, filter), bias);
    return {
      y: y.dataSync() as Float32Array,
      yRelu: tf.relu(y).dataSync() as Float32Array,
      dFilter: dFilter.dataSync() as Float32Array,
      dx: dx.dataSync() as Float32Array,
    };
  });
}

const backend = () => tf.backend() as unknown as WasmHeapBackend;
const info = (t: tf.Tensor): TensorInfo => ({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
const read = (t: TensorInfo | null): Float32Array | null => {
  if (!t) return null;
  const tensor = tf.engine().makeTensorFromTensorInfo(t);
  const values = tensor.dataSync() as Float32Array;
  tensor.dispose();
  return values;
};

/** The same through wasm/conv.ts on wasm: null for each part conv.wat declines. */
function direct(c: Case, seed: number): { [K in keyof Values]: Float32Array | null } {
  const { x, filter, bias, dy } = inputs(c, seed);
  const shape4 = [c.batch, 1, c.steps, c.cin] as [number, number, number, number];
  const g = rowGeometry(
    tf.backend_util.computeConv2DInfo(shape4, [1, c.k, c.cin, c.cout], 1, 1, c.pad, undefined, false, 'channelsLast'),
  )!;
  const b = backend();
  const values = {
    y: read(conv1dForward(b, info(x), info(filter), info(bias), g, false)),
    yRelu: read(conv1dForward(b, info(x), info(filter), info(bias), g, true)),
    dFilter: read(conv1dFilterGradient(b, info(x), info(dy), g)),
    dx: read(conv1dInputGradient(b, info(dy), info(filter), g)),
  };
  tf.dispose([x, filter, bias, dy]);
  return values;
}

function worstRelative(a: Float32Array, b: Float32Array): number {
  const scale = Math.max(1, ...Array.from(b, Math.abs));
  return a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i]) / scale), 0);
}

describe('1-D convolutions by conv.wat', () => {
  const expected = new Map<Case, Values>();
  beforeAll(async () => {
    await initBackend('cpu');
    cases.forEach((c, i) => expected.set(c, reference(c, i)));
    await initBackend('wasm');
  });

  it(`equal tfjs' conv1d and its gradients on the cpu backend to 1e-5 over ${cases.length} geometries`, () => {
    let declined = 0;
    cases.forEach((c, i) => {
      const got = direct(c, i);
      const want = expected.get(c)!;
      for (const part of ['y', 'yRelu', 'dFilter', 'dx'] as const) {
        const values = got[part];
        if (!values) {
          declined += 1;
          continue;
        }
        expect(values.length, `${part} of ${JSON.stringify(c)}`).toBe(want[part].length);
        expect(worstRelative(values, want[part]), `${part} of ${JSON.stringify(c)}`).toBeLessThan(1e-5);
      }
    });
    // only input gradients with fewer than 8 input channels (1 and 3) fall back
    expect(declined).toBe(cases.filter((c) => c.cin < 8).length);
  });

  it('leaves no tensor behind', () => {
    const before = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    direct(cases[cases.length - 1], 1);
    expect([tf.memory().numTensors, tf.memory().numBytes]).toEqual([before, bytes]);
  });

  it('derives relu and linear layers and sums the bias gradient in row order', () => {
    const rows = 37;
    const channels = 12;
    const rng = seededUniform(9);
    const [dy, y] = [
      tf.tensor2d(normals(rows * channels, rng), [rows, channels]),
      tf.tensor2d(normals(rows * channels, rng), [rows, channels]),
    ];
    for (const relu of [true, false]) {
      const b = backend();
      const dz = b.makeOutput([rows, channels], 'float32');
      const dBias = b.makeOutput([channels], 'float32');
      expect(backpropRelu(b, info(dy), info(y), dz, dBias, relu)).toBe(true);
      const [DY, Y] = [dy.dataSync(), y.dataSync()];
      const DZ = Float32Array.from(DY, (d, i) => (relu && !(Y[i] > 0) ? 0 : d));
      const DB = new Float32Array(channels);
      for (let o = 0; o < DZ.length; o += channels) for (let c = 0; c < channels; c++) DB[c] += DZ[o + c];
      expect(read(dz)).toEqual(DZ);
      expect(read(dBias)).toEqual(DB);
    }
    tf.dispose([dy, y]);
  });

  it('is the assembled conv.wat (regenerate with tools/gen-wasm.mjs)', async () => {
    const wabt = await wabtInit();
    const source = await readFile(new URL('../src/wasm/conv.wat', import.meta.url), 'utf8');
    const module = wabt.parseWat('conv.wat', source, { simd: true });
    const bytes = Buffer.from(module.toBinary({}).buffer);
    module.destroy();
    expect(bytes.toString('base64')).toBe(CONV_WASM);
    expect(convPasses(backend())).not.toBeNull();
  });
});
