#!/usr/bin/env node
/**
 * The cost of one epoch of the search benchmark's dense trainings (issue 26), in one thread,
 * on wasm: each of the grid's four encoders (relu, linear output, dropout 0.1, L2 1e-4,
 * learning rate 1e-3) trained for --epochs epochs on 233 training rows (batch 32: 8 steps)
 * with 58 validation rows, as one grid trial is, after an untimed warm-up (30 epochs of each).
 * Prints one JSON object: per build and encoder, the median epoch in ms (best and all of its
 * runs), the process CPU seconds and the final validation loss (which must be the same bits in
 * every build).
 *
 *   node tools/bench/models-epoch.mjs [--epochs 100] [--repeat 3] [--compare /work/base]
 *
 * With --compare, the other checkout's built @aelab/models trains the same models in child
 * processes interleaved with this one's (old, new, new, old, ...), so both see the same
 * machine. Run `npx tsc -b` first: it imports the built packages.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchOptions } from './lib/options.mjs';
import { sineRows } from './lib/sine-rows.mjs';

const args = benchOptions({ epochs: 100, repeat: 3, compare: undefined, child: undefined });
const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ENCODERS = [
  [32, 8],
  [64, 32, 8],
  [128, 64, 32, 16],
  [128, 32],
];

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One run in this process of the checkout at `root`: per encoder its median epoch ms, CPU seconds and last losses. */
async function childRun(root) {
  const models = await import(pathToFileURL(path.join(root, 'packages/models/dist/index.js')).href);
  await models.initBackend('wasm');
  const train = sineRows(233, 140, 1);
  const validation = sineRows(58, 140, 2);
  const config = { epochs: args.epochs, batchSize: 32, learningRate: 1e-3, loss: 'mse', seed: 7, earlyStopping: null };
  // warm-up, untimed: a worker of a sweep has compiled and tiered up its code after its first trial
  for (const encoder of ENCODERS) {
    const spec = { kind: 'dense', encoder, activation: 'relu', outputActivation: 'linear', dropout: 0.1, l2: 1e-4 };
    (await models.trainAutoencoder({ spec, train, validation, config: { ...config, epochs: 30 } })).dispose();
  }
  const out = {};
  for (const encoder of ENCODERS) {
    const spec = { kind: 'dense', encoder, activation: 'relu', outputActivation: 'linear', dropout: 0.1, l2: 1e-4 };
    const c0 = cpuSeconds();
    const trained = await models.trainAutoencoder({ spec, train, validation, config });
    const last = trained.history.at(-1);
    out[JSON.stringify(encoder)] = {
      epochMs: median(trained.history.map((h) => h.seconds * 1000)),
      cpuSeconds: cpuSeconds() - c0,
      valLoss: last.valLoss,
      loss: last.loss,
      step: trained.trainingStep,
    };
    trained.dispose();
  }
  return out;
}

function spawnRun(root) {
  const script = fileURLToPath(import.meta.url);
  const text = execFileSync(process.execPath, [script, '--child', root, '--epochs', String(args.epochs)], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  return JSON.parse(text);
}

if (args.child) {
  console.log(JSON.stringify(await childRun(args.child)));
} else {
  const builds = args.compare ? { old: path.resolve(args.compare), new: here } : { new: here };
  const runs = Object.fromEntries(Object.keys(builds).map((b) => [b, []]));
  const loadavg = [os.loadavg()[0]];
  for (let r = 0; r < args.repeat; r++) {
    // old, new, new, old, ...: each build as often first as second
    const order = args.compare ? (r % 2 === 0 ? ['old', 'new'] : ['new', 'old']) : ['new'];
    for (const build of order) {
      runs[build].push(spawnRun(builds[build]));
      loadavg.push(os.loadavg()[0]);
    }
  }
  const result = {
    bench: 'models-epoch',
    epochs: args.epochs,
    repeat: args.repeat,
    loadavg: loadavg.map((l) => +l.toFixed(2)),
    builds,
  };
  for (const [build, list] of Object.entries(runs)) {
    result[build] = {};
    for (const encoder of ENCODERS.map((e) => JSON.stringify(e))) {
      const ms = list.map((run) => run[encoder].epochMs);
      result[build][encoder] = {
        epochMsBest: +Math.min(...ms).toFixed(3),
        epochMs: ms.map((m) => +m.toFixed(3)),
        cpuSecondsBest: +Math.min(...list.map((run) => run[encoder].cpuSeconds)).toFixed(3),
        valLoss: list[0][encoder].valLoss,
        step: list[0][encoder].step,
      };
    }
  }
  if (runs.old) {
    result.ratio = {};
    result.sameValLoss = {};
    for (const encoder of Object.keys(result.new)) {
      result.ratio[encoder] = +(result.new[encoder].epochMsBest / result.old[encoder].epochMsBest).toFixed(3);
      result.sameValLoss[encoder] = runs.new.every((n) =>
        runs.old.every((o) => o[encoder].valLoss === n[encoder].valLoss),
      );
    }
  }
  console.log(JSON.stringify(result, null, 2));
}
