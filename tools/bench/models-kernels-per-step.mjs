#!/usr/bin/env node
/**
 * Kernels per training step of a dense autoencoder, per backend: the lean step (where the
 * backend has it: wasm), the layers step with aelab's fused Adam (and, on webgpu, L2
 * folded into it), and the layers step with tf.train.adam. `kernels`: tfjs kernels
 * (tf.profile); on webgpu also `dispatches`: compute-shader dispatches, what a GPU pays
 * host cost for (one kernel may dispatch several shaders, e.g. the fused Adam three).
 * Counted over one epoch of `trainAutoencoder` at 3 and at 2 batches: the difference is
 * one step (model building and the epoch's own kernels cancel out). `msPerStep`: wall
 * and CPU (all threads of the process, lavapipe's included) ms per step; wall time is
 * noisy on a shared machine.
 *
 *   node tools/bench/models-kernels-per-step.mjs [--backends wasm,webgpu]
 *
 * Backends that cannot start here are reported with the reason, not counted.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { PRESETS, initBackend, trainAutoencoder } from '@aelab/models';

const { values: args } = parseArgs({ options: { backends: { type: 'string', default: 'wasm,webgpu' } } });
const batchSize = 32;
/** The training step the counts are taken with (`lean` or `layers`). */
let currentStep = 'lean';
const specs = {
  'ecg-v1 (no L2)': PRESETS['ecg-v1'],
  'ecg-v3 (L2 0.001, dropout 0.2 on two layers)': PRESETS['ecg-v3'],
};

function rows(n) {
  const x = new Float32Array(n * 140).map((_, i) => Math.sin(i / 7));
  return { x, rows: n, features: 140, y: new Uint8Array(n), labels: [], index: [] };
}

/** Counts the active backend's shader dispatches (webgpu), else null. */
function dispatchCounter() {
  const backend = tf.backend();
  if (typeof backend.recordAndSubmit !== 'function') return null;
  const counter = { count: 0 };
  const record = backend.recordAndSubmit.bind(backend);
  backend.recordAndSubmit = (...args) => {
    counter.count += 1;
    return record(...args);
  };
  return counter;
}

async function countsForEpoch(spec, batches, dispatches) {
  const config = { epochs: 1, batchSize, learningRate: 1e-3, loss: 'mse', seed: 42 };
  const before = dispatches?.count ?? 0;
  const profile = await tf.profile(async () => {
    const trained = await trainAutoencoder({ spec, train: rows(batches * batchSize), config, step: currentStep });
    trained.dispose();
  });
  return { kernels: profile.kernels.length, dispatches: dispatches ? dispatches.count - before : undefined };
}

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** Wall and CPU ms per step: 4 epochs less 1 (model building, shader compiling), of 8 batches. */
async function msPerStep(spec) {
  const train = rows(8 * batchSize);
  const timed = async (epochs) => {
    const [wall, cpu] = [performance.now(), cpuMs()];
    const trained = await trainAutoencoder({
      spec,
      train,
      config: { epochs, batchSize, learningRate: 1e-3, loss: 'mse', seed: 42 },
      step: currentStep,
    });
    trained.dispose();
    return { wall: performance.now() - wall, cpu: cpuMs() - cpu };
  };
  const [one, four] = [await timed(1), await timed(4)];
  return { wall: +((four.wall - one.wall) / 24).toFixed(2), cpu: +((four.cpu - one.cpu) / 24).toFixed(2) };
}

async function perStep(spec, dispatches) {
  const [three, two] = [await countsForEpoch(spec, 3, dispatches), await countsForEpoch(spec, 2, dispatches)];
  return {
    kernels: three.kernels - two.kernels,
    ...(dispatches ? { dispatches: three.dispatches - two.dispatches } : {}),
    msPerStep: await msPerStep(spec),
  };
}

const result = { bench: 'models-kernels-per-step', batchSize, backends: {} };
for (const name of args.backends.split(',')) {
  let info;
  try {
    info = await initBackend(name);
  } catch (error) {
    result.backends[name] = { unavailable: error.message };
    continue;
  }
  const dispatches = dispatchCounter();
  const counts = Object.fromEntries(Object.keys(specs).map((label) => [label, {}]));
  // The lean step where the backend has one, the layers step with the fused Adam, then
  // without the fused kernels registered the layers step falls back to tf.train.adam.
  for (const variant of ['leanStep', 'fusedAdam', 'tfTrainAdam']) {
    currentStep = variant === 'leanStep' ? 'lean' : 'layers';
    if (variant === 'tfTrainAdam')
      for (const name of ['AelabAdamUpdate', 'AelabAdamUpdateAll'])
        if (tf.getKernel(name, tf.getBackend())) tf.unregisterKernel(name, tf.getBackend());
    for (const [label, spec] of Object.entries(specs)) {
      counts[label][variant] = await perStep(spec, dispatches);
    }
  }
  result.backends[name] = { adapter: info.adapter, kernelsPerStep: counts };
}
console.log(JSON.stringify(result, null, 2));
