#!/usr/bin/env node
/**
 * Arithmetic throughput of tfjs-wasm (XNNPACK, 128-bit wasm SIMD) on the products the
 * models train with, in GFLOP/s, best of --repeat: a Conv1D layer of the Conv1D AE
 * ([32, 140, 16] -> 32 filters, kernel 7), the first dense product of ecg-v3
 * (32x140 . 140x128) and a large 512x512 product. `pytorch-reference.py --only throughput`
 * measures the same in PyTorch; their ratio bounds how close an arithmetic-bound
 * training (Conv1D) can come to PyTorch on this CPU, whatever the kernel count.
 *
 *   node tools/bench/matmul-throughput.mjs [--repeat 3]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@aelab/models';

const { values: args } = parseArgs({ options: { repeat: { type: 'string', default: '3' } } });
await initBackend('wasm');
const x = tf.randomNormal([32, 1, 140, 16]);
const w = tf.randomNormal([1, 7, 16, 32]);
const a = tf.randomNormal([32, 140]);
const b = tf.randomNormal([140, 128]);
const big = tf.randomNormal([512, 512]);
const msPerCall = (f, n) => {
  f().dispose();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) f().dispose();
  return (performance.now() - t0) / n;
};
const gflops = (flops, f, n) => {
  let best = Infinity;
  for (let r = 0; r < Number(args.repeat); r++) best = Math.min(best, msPerCall(f, n));
  return +(flops / best / 1e6).toFixed(1);
};
console.log(
  JSON.stringify(
    {
      bench: 'matmul-throughput',
      backend: 'wasm',
      gflops: {
        conv1d: gflops(2 * 32 * 140 * 7 * 16 * 32, () => tf.conv2d(x, w, 1, 'same'), 200),
        dense32x140x128: gflops(2 * 32 * 140 * 128, () => tf.matMul(a, b), 2000),
        matmul512: gflops(2 * 512 ** 3, () => tf.matMul(big, big), 50),
      },
    },
    null,
    2,
  ),
);
