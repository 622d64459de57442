#!/usr/bin/env node
/**
 * Where a training's time goes, kernel by kernel: tf.profile over 2 epochs (263 rows of 140
 * values, batch 32) after a 1-epoch warm-up, each kernel's count and summed time, largest
 * first. Needs a build (`npx tsc -b packages/models`). Prints one JSON object.
 *
 *   node tools/bench/models-kernel-times.mjs [--preset conv1d-small] [--step lean|layers]
 *
 * Kernel times on wasm are wall times of synchronous calls (profiling adds its own cost);
 * read them as shares, not as a training's duration.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { PRESETS, initBackend, trainAutoencoder } from '@aelab/models';

const { values: args } = parseArgs({
  options: { preset: { type: 'string', default: 'conv1d-small' }, step: { type: 'string', default: 'lean' } },
});
await initBackend('wasm');
const spec = PRESETS[args.preset];
const x = new Float32Array(263 * 140).map((_, i) => Math.sin(i / 7));
const train = (epochs) =>
  trainAutoencoder({
    spec,
    train: { x, rows: 263, features: 140 },
    config: { epochs, batchSize: 32, learningRate: 1e-3, loss: 'mse', seed: 1 },
    step: args.step,
  });
(await train(1)).dispose();
const profile = await tf.profile(async () => (await train(2)).dispose());
const byName = {};
for (const k of profile.kernels) {
  const time = await k.kernelTimeMs;
  const entry = (byName[k.name] ??= { count: 0, ms: 0 });
  entry.count += 1;
  entry.ms += typeof time === 'number' ? time : 0;
}
const total = Object.values(byName).reduce((s, e) => s + e.ms, 0);
const kernels = Object.entries(byName)
  .sort((a, b) => b[1].ms - a[1].ms)
  .map(([name, e]) => ({ name, count: e.count, ms: +e.ms.toFixed(1), share: +(e.ms / total).toFixed(3) }));
console.log(
  JSON.stringify(
    {
      bench: 'models-kernel-times',
      preset: args.preset,
      step: args.step,
      epochs: 2,
      kernels: profile.kernels.length,
      kernelMs: +total.toFixed(1),
      byKernel: kernels,
    },
    null,
    2,
  ),
);
