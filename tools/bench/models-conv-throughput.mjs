#!/usr/bin/env node
/**
 * Arithmetic throughput of `conv.wat`'s products on the search benchmark's dense layers, in
 * GFLOP/s, best of --repeat: `gemm` (a layer's forward pass, bias and relu included) and
 * `outer` (its kernel's gradient) for 32 rows (a batch) through each layer shape of the
 * grid's encoders, on warm caches in a memory of their own. How close an epoch, once it runs
 * no tfjs kernel (the direct dense step), is to its arithmetic (docs/speed.md, issue 26).
 * Run `npx tsc -b` first: it imports the built module.
 *
 *   node tools/bench/models-conv-throughput.mjs [--repeat 5]
 */
import os from 'node:os';
import { convPassesOver } from '../../packages/models/dist/wasm/modules.js';
import { benchOptions } from './lib/options.mjs';

const args = benchOptions({ repeat: 5 });
const memory = new WebAssembly.Memory({ initial: 200 });
const conv = convPassesOver(memory);
const values = new Float32Array(memory.buffer);
for (let i = 0, s = 1; i < 3_000_000; i++) {
  s = (s * 16807) % 2147483647;
  values[i] = s / 2147483647 - 0.5;
}
const [X, PACKED, Y, OUT] = [0, 4_000_000, 8_000_000, 10_000_000];
/** [rows, inputs, units] of each distinct layer of the grid's four encoders (decoders mirror them). */
const SHAPES = [
  [32, 140, 128],
  [32, 128, 140],
  [32, 128, 64],
  [32, 64, 32],
  [32, 32, 16],
  [32, 140, 32],
  [32, 32, 8],
];

function gflops([rows, depth, cols], calls) {
  const tiles = Math.ceil(cols / 8);
  const flops = (2 * rows * depth * cols * calls) / 1e6;
  let t0 = performance.now();
  for (let i = 0; i < calls; i++)
    conv.gemm(X, 4 * depth, 4 * rows * depth, 1, rows, depth, PACKED, tiles, Y, PACKED, 1, 1);
  const gemm = flops / (performance.now() - t0);
  t0 = performance.now();
  for (let i = 0; i < calls; i++) conv.outer(X, 4 * depth, 4 * rows * depth, 1, rows, depth, Y, 8 * tiles, OUT);
  return { gemm, outer: flops / (performance.now() - t0) };
}

for (const shape of SHAPES) gflops(shape, 200); // warm-up: tier-up of the module
const result = { bench: 'models-conv-throughput', loadavg: os.loadavg().map((l) => +l.toFixed(2)), gflops: {} };
for (const shape of SHAPES) {
  const runs = Array.from({ length: args.repeat }, () => gflops(shape, 300));
  result.gflops[shape.join('x')] = {
    gemm: +Math.max(...runs.map((r) => r.gemm)).toFixed(1),
    outer: +Math.max(...runs.map((r) => r.outer)).toFixed(1),
  };
}
console.log(JSON.stringify(result, null, 2));
