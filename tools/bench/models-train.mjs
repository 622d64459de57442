#!/usr/bin/env node
/**
 * Training/scoring speed of @aelab/models (imports the BUILT package: run
 * `npx tsc -b packages/models` first). Prints one JSON object.
 *
 *   node tools/bench/models-train.mjs [--backend wasm] [--only dense,conv1d,lstm,score] [--repeat 1]
 *
 * Data: seeded sine-like rows of 140 values (ECG5000-shaped); 263 training rows like
 * seed-000's normal training split (plus 29 validation rows), 4,500 rows for scoring. Wall
 * times are noisy when the CPU is shared: the minimum of --repeat runs is reported, with
 * the process CPU seconds (user + system), which contention inflates far less.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { mulberry32 as createRng } from '@aelab/core';
import { PRESETS, initBackend, reconstructionErrors, trainAutoencoder } from '@aelab/models';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    only: { type: 'string', default: 'dense,conv1d,lstm,score' },
    repeat: { type: 'string', default: '1' },
  },
});

function rowsOf(rows, features, seed) {
  const rng = createRng(seed);
  const x = new Float32Array(rows * features);
  for (let r = 0; r < rows; r++) {
    const phase = rng() * Math.PI * 2;
    for (let f = 0; f < features; f++) x[r * features + f] = Math.sin(phase + (f / features) * 4 * Math.PI) + 0.1 * (rng() - 0.5);
  }
  return { x, rows, features, y: new Uint8Array(rows), labels: new Array(rows).fill('1'), index: [...Array(rows).keys()] };
}

const info = await initBackend(args.backend);
const repeat = Number(args.repeat);
const only = new Set(args.only.split(','));
const train = rowsOf(263, 140, 1);
const validation = rowsOf(29, 140, 2);
const config = { batchSize: 32, learningRate: 1e-3, loss: 'mse', seed: 42 };

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function timeTraining(spec, epochs) {
  const seconds = [];
  const cpu = [];
  let last;
  for (let i = 0; i < repeat; i++) {
    const c0 = cpuSeconds();
    const t0 = performance.now();
    const trained = await trainAutoencoder({ spec, train, validation, config: { ...config, epochs } });
    seconds.push((performance.now() - t0) / 1000);
    cpu.push(cpuSeconds() - c0);
    last = { finalLoss: trained.history.at(-1).loss, parameters: trained.parameterCount };
    trained.dispose();
  }
  return { seconds: +Math.min(...seconds).toFixed(3), cpuSeconds: +Math.min(...cpu).toFixed(3), runs: seconds.map((s) => +s.toFixed(3)), epochs, ...last };
}

const result = { backend: info, cpus: os.cpus().length, loadavg: os.loadavg().map((l) => +l.toFixed(2)), repeat };
if (only.has('dense')) result.denseEcgV3 = await timeTraining(PRESETS['ecg-v3'], 100);
if (only.has('conv1d')) result.conv1d = await timeTraining(PRESETS['conv1d-small'], 20);
if (only.has('lstm')) result.lstm = await timeTraining(PRESETS['lstm-seq2seq'], 5);
if (only.has('score')) {
  const trained = await trainAutoencoder({ spec: PRESETS['ecg-v3'], train, config: { ...config, epochs: 1 } });
  const rows = rowsOf(4500, 140, 3);
  await reconstructionErrors(trained.model, rows); // warm-up: first call compiles/allocates
  const times = [];
  for (let i = 0; i < Math.max(3, repeat); i++) {
    const t0 = performance.now();
    await reconstructionErrors(trained.model, rows, { batchSize: 4500 });
    times.push((performance.now() - t0) / 1000);
  }
  result.scoringDense = { rows: rows.rows, rowsPerSecond: Math.round(rows.rows / Math.min(...times)) };
  trained.dispose();
}
console.log(JSON.stringify(result, null, 2));
