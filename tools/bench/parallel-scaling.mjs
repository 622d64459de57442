#!/usr/bin/env node
/**
 * Why two trainings in two processes do not run at twice the speed of one: the speed-up of
 * 2 processes over 1 (the same fixed work in each, best of --repeat) for workloads that
 * each stress one resource, beside a lean dense training. A workload that reaches 2.0x
 * shares nothing; one that does not, shares what it stresses (the FP/SIMD units of
 * sibling hardware threads, the L3 cache, memory bandwidth).
 *
 *   node tools/bench/parallel-scaling.mjs [--repeat 3] [--only int,fp,simd,stream,matmul,dispatch,train,cold]
 * [--node-flags "--single-threaded-gc"] [--in processes|threads]

 * With `--in threads` each run is a worker thread of this process (as a sweep's Piscina
 * workers are) instead of a process of its own.
 *
 * - int: an integer loop in registers (the "pure JS loop" of docs/tfjs-notes.md);
 * - fp: float32 multiply/divide/sqrt over 64 KiB (L1-resident), the fused Adam's mix;
 * - simd: wasm f32x4 multiplies and adds on 12 registers, no memory at all (the arithmetic
 *   of conv.wat's register tiles without their loads): the vector units alone;
 * - stream: sums over a 256 MiB array (memory bandwidth);
 * - matmul: wasm BatchMatMul 32x140x128 (XNNPACK, 128-bit SIMD), in a loop;
 * - dispatch: tiny tfjs kernels (an add of two [32, 16] tensors) in a loop: the engine's
 *   per-kernel JS, allocation and garbage collection, almost no arithmetic;
 * - train: a lean dense training (ecg-v3, 263 rows, 40 epochs), timed after a 3-epoch
 *   warm-up (V8 tiers wasm and JS up in background threads during the first seconds);
 * - cold: the same without the warm-up, as a sweep's first trainings in a fresh worker.
 * Needs a build (`npx tsc -b packages/models`). Prints one JSON object.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { parentPort, Worker } from 'node:worker_threads';

const { values: args } = parseArgs({
  options: {
    repeat: { type: 'string', default: '3' },
    only: { type: 'string', default: 'int,fp,simd,stream,matmul,dispatch,train,cold' },
    child: { type: 'string' },
    in: { type: 'string', default: 'processes' },
    'node-flags': { type: 'string', default: '' },
  },
});

/** A wasm loop of n rounds of a = a * m + m on 12 f32x4 registers (12 independent chains, enough to fill the pipes). */
async function simdSpin() {
  const { default: wabtInit } = await import('wabt');
  const chains = Array.from({ length: 12 }, (_, i) => i);
  const locals = chains.map((i) => `(local $a${i} v128)`).join(' ');
  const steps = chains
    .map((i) => `(local.set $a${i} (f32x4.add (f32x4.mul (local.get $a${i}) (local.get $m)) (local.get $m)))`)
    .join('\n      ');
  const wat = `(module (func (export "spin") (param $n i32) (result f32) (local $m v128) ${locals}
    (local.set $m (f32x4.splat (f32.const 0.999999)))
    (loop $round
      ${steps}
      (br_if $round (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (f32x4.extract_lane 0 (f32x4.add ${chains
      .map((i) => `(local.get $a${i})`)
      .join(' ')
      .replace(/^(.*)$/, (all) => all.split(' (local.get').slice(0, 2).join(' (local.get'))}))))`;
  const module = (await wabtInit()).parseWat('spin.wat', wat, { simd: true });
  const { instance } = await WebAssembly.instantiate(module.toBinary({}).buffer);
  return instance.exports.spin;
}

async function child(kind) {
  const t0 = performance.now();
  if (kind === 'int') {
    let x = 0;
    for (let i = 0; i < 6e8; i++) x = (x + i * 7) | 0;
    if (x === 42) console.error('');
  } else if (kind === 'fp') {
    const n = 16384;
    const a = new Float32Array(n).fill(0.5);
    const b = new Float32Array(n).fill(0.25);
    for (let r = 0; r < 8000; r++)
      for (let i = 0; i < n; i++) a[i] = a[i] - (0.001 * b[i]) / (Math.sqrt(1.0001 * a[i] * a[i]) + 1e-7);
  } else if (kind === 'simd') {
    const spin = await simdSpin();
    if (spin(2e8) === 42) console.error('');
  } else if (kind === 'stream') {
    const big = new Float64Array(32 * 1024 * 1024).fill(1);
    let s = 0;
    for (let r = 0; r < 20; r++) for (let i = 0; i < big.length; i++) s += big[i];
    if (s === 42) console.error('');
  } else if (['matmul', 'dispatch', 'train', 'cold'].includes(kind)) {
    const tf = await import('@tensorflow/tfjs');
    const { PRESETS, initBackend, trainAutoencoder } = await import('@aelab/models');
    await initBackend('wasm');
    const x = new Float32Array(263 * 140).map((_, i) => Math.sin(i / 7));
    const training = (epochs) =>
      trainAutoencoder({
        spec: PRESETS['ecg-v3'],
        train: { x, rows: 263, features: 140 },
        config: { epochs, batchSize: 32, learningRate: 1e-3, loss: 'mse', seed: 1 },
      });
    if (kind === 'train') (await training(3)).dispose();
    const start = performance.now();
    if (kind === 'dispatch') {
      const a = tf.randomNormal([32, 16]);
      for (let i = 0; i < 100000; i++) tf.add(a, a).dispose();
    } else if (kind === 'matmul') {
      const a = tf.randomNormal([32, 140]);
      const b = tf.randomNormal([140, 128]);
      for (let i = 0; i < 20000; i++) tf.matMul(a, b).dispose();
    } else {
      (await training(40)).dispose();
    }
    return (performance.now() - start) / 1000;
  }
  return (performance.now() - t0) / 1000;
}

if (args.child) {
  const seconds = await child(args.child);
  if (parentPort) {
    parentPort.postMessage(seconds);
    await new Promise(() => {}); // the parent terminates this thread
  } else {
    process.stdout.write(String(seconds));
    process.exit(0);
  }
}

const self = fileURLToPath(import.meta.url);
const inThread = (kind) =>
  new Promise((resolve, reject) => {
    const worker = new Worker(self, { argv: ['--child', kind] });
    worker.once('message', (seconds) => (resolve(seconds), worker.terminate()));
    worker.once('error', reject);
  });
const runOne = (kind) =>
  args.in === 'threads'
    ? inThread(kind)
    : new Promise((resolve, reject) => {
        const flags = args['node-flags'].split(' ').filter(Boolean);
        const p = spawn(process.execPath, [...flags, self, '--child', kind], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        p.stdout.on('data', (d) => (out += d));
        p.on('exit', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`${kind} exited ${code}`))));
      });

const result = {
  bench: 'parallel-scaling',
  in: args.in,
  nodeFlags: args['node-flags'],
  cpus: os.cpus().length,
  loadavg: os.loadavg().map((l) => +l.toFixed(2)),
  workloads: {},
};
for (const kind of args.only.split(',')) {
  const alone = [];
  const together = [];
  for (let r = 0; r < Number(args.repeat); r++) {
    alone.push(await runOne(kind));
    // Two processes doing the same work: the speed-up is 2 x (time alone) / (time of the slower).
    together.push(Math.max(...(await Promise.all([runOne(kind), runOne(kind)]))));
  }
  const best = Math.min(...alone);
  const bestTwo = Math.min(...together);
  result.workloads[kind] = {
    secondsAlone: +best.toFixed(3),
    secondsTwoAtOnce: +bestTwo.toFixed(3),
    speedupOfTwo: +((2 * best) / bestTwo).toFixed(2),
  };
}
console.log(JSON.stringify(result, null, 2));
