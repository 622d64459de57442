#!/usr/bin/env node
/**
 * Population training throughput (imports the BUILT packages: run `npx tsc -b` first).
 * Prints one JSON object: trainings per second for populations of P = 1, 8, 64, 256
 * same-architecture trainings (`trainPopulation`) on each backend asked for, beside
 * single trainings one after another (`trainAutoencoder`) and, on wasm, a pool of N
 * worker threads each training alone (the pool executor's way).
 *
 *   node tools/bench/population.mjs [--backends wasm,cpu,webgpu] [--sizes 1,8,64,256]
 *        [--epochs 3] [--pool 0] [--max-seconds 150]
 *
 * A training: the ecg-v3 dense autoencoder (140-128-64-32-16-32-64-128-140, dropout and L2)
 * for --epochs epochs over 263 seeded sine-like rows of 140 values (ECG5000-shaped; 29
 * validation rows), batch 32; members differ in dropout, L2, learning rate and seed as a
 * sweep's would. A population's time includes building its members and handing back their
 * models. Sizes whose time, projected from the size before, exceeds --max-seconds are
 * skipped and say so. Each backend runs in a child process of its own.
 *
 * webgpu is optional: it is measured when `webgpu` (Dawn's Node bindings) and
 * `@tensorflow/tfjs-backend-webgpu` are installed and an adapter is found; the adapter is
 * named (vendor, architecture, description, fallback = software). Otherwise its entry says
 * why it was skipped.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { benchOptions } from './lib/options.mjs';
import { sineRows } from './lib/sine-rows.mjs';

const args = benchOptions({
  backends: 'wasm,cpu,webgpu',
  sizes: '1,8,64,256',
  epochs: 3,
  pool: 0,
  'max-seconds': 150,
  child: undefined,
  'pool-worker': undefined,
});
const EPOCHS = args.epochs;
const here = fileURLToPath(import.meta.url);

/** Member k of a sweep over dropout, L2 and learning rate, each with its own seed. */
function memberOf(k, PRESETS) {
  const base = PRESETS['ecg-v3'];
  return {
    spec: { ...base, dropout: [0, 0.1, 0.2][k % 3], l2: [0, 0.001][Math.floor(k / 3) % 2] },
    config: {
      epochs: EPOCHS,
      batchSize: 32,
      learningRate: [0.001, 0.003][Math.floor(k / 6) % 2],
      loss: 'mse',
      seed: 1000 + k,
    },
  };
}

/**
 * Makes webgpu a tfjs backend by hand (as docs/tfjs-notes.md describes) when aelab has no `webgpu` backend; returns the
 * adapter's description.
 */
async function activateWebgpu(models, tf) {
  const named = models.backendNamed?.('webgpu');
  let adapter;
  try {
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    process.env.XDG_RUNTIME_DIR ??= os.tmpdir();
    globalThis.navigator = { gpu: create([]) };
    adapter = await globalThis.navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (error) {
    return { skipped: `the npm package "webgpu" is not installed or does not load here: ${error.message}` };
  }
  if (!adapter) return { skipped: 'no WebGPU adapter found (no GPU, and no software Vulkan such as Mesa 25 lavapipe)' };
  const info = adapter.info ?? {};
  const described = {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    fallback: Boolean(adapter.isFallbackAdapter ?? info.isFallbackAdapter),
  };
  if (named) {
    await models.initBackend('webgpu');
    return { adapter: described };
  }
  let WebGPUBackend;
  try {
    ({ WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu'));
  } catch (error) {
    return { skipped: `@tensorflow/tfjs-backend-webgpu is not installed: ${error.message}` };
  }
  const limits = {};
  for (const key of [
    'maxComputeWorkgroupStorageSize',
    'maxComputeWorkgroupsPerDimension',
    'maxStorageBufferBindingSize',
    'maxBufferSize',
    'maxComputeWorkgroupSizeX',
    'maxComputeInvocationsPerWorkgroup',
  ])
    limits[key] = adapter.limits[key];
  const device = await adapter.requestDevice({ requiredLimits: limits });
  tf.registerBackend('webgpu', () => new WebGPUBackend(device, adapter.info), 3);
  await tf.setBackend('webgpu');
  await tf.ready();
  return { adapter: described };
}

/** Kernel compilation and first allocations, for one training and one population: not timed. */
async function warmUp({ PRESETS, trainAutoencoder, trainPopulation }, train, validation) {
  (
    await trainAutoencoder({
      ...memberOf(0, PRESETS),
      train,
      validation,
      config: { ...memberOf(0, PRESETS).config, epochs: 1 },
    })
  ).dispose();
  (
    await Promise.all(
      trainPopulation({
        members: [0, 1].map((k) => ({
          ...memberOf(k, PRESETS),
          config: { ...memberOf(k, PRESETS).config, epochs: 1 },
        })),
        train,
        validation,
      }),
    )
  ).forEach((t) => t.dispose());
}

async function measureBackend(backend) {
  const [models, tf] = await Promise.all([import('@aelab/models'), import('@tensorflow/tfjs')]);
  const { PRESETS, initBackend, trainAutoencoder, trainPopulation } = models;
  let adapter;
  if (backend === 'webgpu') {
    const made = await activateWebgpu(models, tf);
    if (made.skipped) return { backend, skipped: made.skipped };
    adapter = made.adapter;
  } else {
    await initBackend(backend);
  }
  const train = sineRows(263, 140, 1);
  const validation = sineRows(29, 140, 2);
  const result = {
    backend: tf.getBackend(),
    adapter,
    tfjs: tf.version.tfjs,
    epochs: EPOCHS,
    single: null,
    populations: [],
  };
  await warmUp(models, train, validation);
  // Single trainings one after another: the baseline a population must beat.
  const singles = 3;
  const t0 = performance.now();
  for (let k = 0; k < singles; k++) (await trainAutoencoder({ ...memberOf(k, PRESETS), train, validation })).dispose();
  const singleSeconds = (performance.now() - t0) / 1000;
  result.single = {
    trainings: singles,
    seconds: +singleSeconds.toFixed(3),
    trainingsPerSecond: +(singles / singleSeconds).toFixed(3),
  };
  let previous = null;
  for (const size of args.sizes.split(',').map(Number)) {
    const projected = previous ? (previous.seconds * size) / previous.size : 0;
    if (projected > args['max-seconds']) {
      result.populations.push({
        size,
        skipped:
          `projected ${projected.toFixed(0)} s from P=${previous.size} ` +
          `(over --max-seconds ${args['max-seconds']})`,
      });
      continue;
    }
    const members = Array.from({ length: size }, (_, k) => memberOf(k, PRESETS));
    const t1 = performance.now();
    const trained = await Promise.all(trainPopulation({ members, train, validation }));
    const seconds = (performance.now() - t1) / 1000;
    const finalLoss = trained[0].history.at(-1).loss;
    trained.forEach((t) => t.dispose());
    previous = { size, seconds };
    result.populations.push({
      size,
      seconds: +seconds.toFixed(3),
      trainingsPerSecond: +(size / seconds).toFixed(3),
      speedupOverSingle: +(size / seconds / result.single.trainingsPerSecond).toFixed(2),
      finalLossOfMember0: +finalLoss.toFixed(5),
    });
  }
  return result;
}

/**
 * N worker threads, each training `per` trainings alone on wasm: the pool executor's throughput (timed after every
 * worker has warmed up).
 */
async function measurePool(threads) {
  const per = 4;
  const workers = Array.from(
    { length: threads },
    (_, w) => new Worker(here, { argv: ['--pool-worker', `${w}:${per}`] }),
  );
  const next = (worker) =>
    new Promise((resolve, reject) => (worker.once('message', resolve), worker.once('error', reject)));
  await Promise.all(workers.map(next)); // warmed up
  const t0 = performance.now();
  const done = workers.map(next);
  workers.forEach((worker) => worker.postMessage('go'));
  await Promise.all(done);
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(workers.map((worker) => worker.terminate()));
  return {
    backend: 'wasm',
    threads,
    trainings: threads * per,
    seconds: +seconds.toFixed(3),
    trainingsPerSecond: +((threads * per) / seconds).toFixed(3),
  };
}

if (args['pool-worker']) {
  const { parentPort } = await import('node:worker_threads');
  const [w, per] = args['pool-worker'].split(':').map(Number);
  const { PRESETS, initBackend, trainAutoencoder } = await import('@aelab/models');
  await initBackend('wasm');
  const train = sineRows(263, 140, 1);
  const validation = sineRows(29, 140, 2);
  (
    await trainAutoencoder({
      ...memberOf(w, PRESETS),
      train,
      validation,
      config: { ...memberOf(w, PRESETS).config, epochs: 1 },
    })
  ).dispose();
  parentPort.postMessage('ready');
  await new Promise((resolve) => parentPort.once('message', resolve));
  for (let k = 0; k < per; k++)
    (await trainAutoencoder({ ...memberOf(w * per + k, PRESETS), train, validation })).dispose();
  parentPort.postMessage('done');
} else if (args.child) {
  console.log(JSON.stringify(await measureBackend(args.child)));
} else {
  const backends = args.backends.split(',').filter(Boolean);
  const out = {
    bench: 'population',
    command: `node tools/bench/population.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    machine: {
      cpu: os.cpus()[0]?.model,
      cpus: os.availableParallelism(),
      memoryGb: +(os.totalmem() / 2 ** 30).toFixed(1),
      node: process.versions.node,
      loadavg: os.loadavg().map((l) => +l.toFixed(2)),
    },
    backends: [],
  };
  for (const backend of backends) {
    process.stderr.write(`population bench: ${backend}...\n`);
    const run = spawnSync(
      process.execPath,
      [
        ...process.execArgv,
        here,
        '--child',
        backend,
        '--sizes',
        args.sizes,
        '--epochs',
        String(args.epochs),
        '--max-seconds',
        String(args['max-seconds']),
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      out.backends.push(JSON.parse(run.stdout.trim().split('\n').at(-1)));
    } catch {
      out.backends.push({ backend, error: `exit ${run.status}`, output: run.stdout.slice(-2000) });
    }
  }
  if (args.pool > 0) out.pool = await measurePool(args.pool);
  console.log(JSON.stringify(out, null, 2));
}
