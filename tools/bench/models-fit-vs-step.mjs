#!/usr/bin/env node
/**
 * Is our custom training step faster than `model.fit`? Trains dense ecg-v3 (263 x 140 rows,
 * batch 32) both ways, alternating, and prints wall and CPU seconds per epoch. CPU time is
 * reported because the machine is shared and wall time is noisy.
 *
 *   node tools/bench/models-fit-vs-step.mjs [--epochs 20] [--rounds 3]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { mulberry32 as createRng } from '@aelab/core';
import { PRESETS, buildModel, initBackend, trainAutoencoder } from '@aelab/models';

const { values: args } = parseArgs({
  options: { epochs: { type: 'string', default: '20' }, rounds: { type: 'string', default: '3' } },
});
const epochs = Number(args.epochs);
await initBackend('wasm');
const rng = createRng(1);
const x = new Float32Array(263 * 140).map(() => rng() * 2 - 1);
const train = { x, rows: 263, features: 140, y: new Uint8Array(263), labels: [], index: [] };
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function viaFit() {
  const model = buildModel(PRESETS['ecg-v3'], 140, 42);
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
  const xs = tf.tensor2d(x, [263, 140]);
  await model.fit(xs, xs, { epochs, batchSize: 32, shuffle: true, verbose: 0 });
  xs.dispose();
  model.dispose();
}
async function viaStep() {
  const trained = await trainAutoencoder({
    spec: PRESETS['ecg-v3'],
    train,
    config: { epochs, batchSize: 32, learningRate: 1e-3, loss: 'mse', seed: 42 },
  });
  trained.dispose();
}

const result = { epochs, fit: [], customStep: [] };
for (let round = 0; round < Number(args.rounds); round++) {
  for (const [name, f] of [
    ['fit', viaFit],
    ['customStep', viaStep],
  ]) {
    const c0 = cpu();
    const t0 = performance.now();
    await f();
    result[name].push({
      wallPerEpoch: +((performance.now() - t0) / 1000 / epochs).toFixed(4),
      cpuPerEpoch: +((cpu() - c0) / epochs).toFixed(4),
    });
  }
}
console.log(JSON.stringify(result));
