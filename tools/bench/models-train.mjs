#!/usr/bin/env node
/**
 * Training/scoring speed of @aelab/models (imports the BUILT package: run
 * `npx tsc -b packages/models` first). Prints one JSON object.
 *
 *   node tools/bench/models-train.mjs [--backend wasm] [--only dense,conv1d,lstm,score] [--repeat 1] [--steps
 * lean,layers]
 *
 * Data: seeded sine-like rows of 140 values (ECG5000-shaped); 263 training rows like
 * seed-000's normal training split (plus 29 validation rows), 4,500 rows for scoring. Wall
 * times are noisy when the CPU is shared: the minimum of --repeat runs is reported, with
 * the process CPU seconds (user + system), which contention inflates far less.
 *
 * Each family is trained with each training step of --steps (`lean`: the family's lean step
 * where it has one, else the layers step; `layers`: through the layers model and tfjs'
 * tape), interleaved run by run so both see the same machine, with `kernelsPerStep`:
 * tfjs kernels (tf.profile) of an epoch of 3 batches less one of 2 batches (model
 * building and the epoch's own kernels cancel out). `tools/bench/pytorch-reference.py`
 * does the same trainings in PyTorch.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { PRESETS, initBackend, reconstructionErrors, trainAutoencoder } from '@aelab/models';
import { benchOptions } from './lib/options.mjs';
import { sineRows } from './lib/sine-rows.mjs';

const args = benchOptions({ backend: 'wasm', only: 'dense,conv1d,lstm,score', repeat: 1, steps: 'lean,layers' });

const info = await initBackend(args.backend);
const { repeat } = args;
const only = new Set(args.only.split(','));
const train = sineRows(263, 140, 1);
const validation = sineRows(29, 140, 2);
const config = { batchSize: 32, learningRate: 1e-3, loss: 'mse', seed: 42 };

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function timedRun(spec, epochs, step) {
  const c0 = cpuSeconds();
  const t0 = performance.now();
  const trained = await trainAutoencoder({ spec, train, validation, config: { ...config, epochs }, step });
  const run = {
    seconds: (performance.now() - t0) / 1000,
    cpu: cpuSeconds() - c0,
    finalLoss: trained.history.at(-1).loss,
    parameters: trained.parameterCount,
  };
  trained.dispose();
  return run;
}

async function kernelsPerStep(spec, step) {
  const epochOf = async (batches) => {
    const rows = {
      ...train,
      rows: batches * config.batchSize,
      x: train.x.subarray(0, batches * config.batchSize * train.features),
    };
    const profile = await tf.profile(async () =>
      (await trainAutoencoder({ spec, train: rows, config: { ...config, epochs: 1 }, step })).dispose(),
    );
    return profile.kernels.length;
  };
  return (await epochOf(3)) - (await epochOf(2));
}

/** Per step kind: best-of-`repeat` wall and CPU seconds (runs interleaved across step kinds) and kernels per step. */
async function timeTraining(spec, epochs) {
  const steps = args.steps.split(',');
  const runs = Object.fromEntries(steps.map((s) => [s, []]));
  for (let i = 0; i < repeat; i++) for (const step of steps) runs[step].push(await timedRun(spec, epochs, step));
  const out = { epochs };
  for (const step of steps) {
    const r = runs[step];
    out[step] = {
      seconds: +Math.min(...r.map((x) => x.seconds)).toFixed(3),
      cpuSeconds: +Math.min(...r.map((x) => x.cpu)).toFixed(3),
      runs: r.map((x) => +x.seconds.toFixed(3)),
      kernelsPerStep: await kernelsPerStep(spec, step),
      finalLoss: r.at(-1).finalLoss,
      parameters: r.at(-1).parameters,
    };
  }
  if (steps.includes('lean') && steps.includes('layers'))
    out.speedup = +(out.layers.seconds / out.lean.seconds).toFixed(2);
  return out;
}

const result = { backend: info, cpus: os.cpus().length, loadavg: os.loadavg().map((l) => +l.toFixed(2)), repeat };
if (only.has('dense')) result.denseEcgV3 = await timeTraining(PRESETS['ecg-v3'], 100);
if (only.has('conv1d')) result.conv1d = await timeTraining(PRESETS['conv1d-small'], 20);
if (only.has('lstm')) result.lstm = await timeTraining(PRESETS['lstm-seq2seq'], 5);
if (only.has('score')) {
  const trained = await trainAutoencoder({ spec: PRESETS['ecg-v3'], train, config: { ...config, epochs: 1 } });
  const rows = sineRows(4500, 140, 3);
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
