#!/usr/bin/env node
// Sweep wall time with 1 and with 2 workers on the embedded dataset (the pool's speed-up),
// and a check that both give the same metrics. Needs a build (npm ci does one).
// `mainThreadSeconds`: the time the coordinator's thread was busy (event-loop utilisation:
// receiving results, scoring variants, writing the store), which competes with the
// workers for the machine's 2 cores. `cpuSeconds`: the process's CPU time (every thread).
// Usage: node tools/bench/search-sweep.mjs [--epochs 60] [--repeat 1] [--compare <checkout>]
// --repeat: runs of each worker count (the figures are the best of them, `runs` lists all);
// --compare: another built checkout of aelab (see sweep-vs-peer.mjs), run as "old",
// interleaved with this one (old, new, new, old, ...) in the same process.
import { availableParallelism } from 'node:os';
import { parseExperiment } from '@aelab/search';
import { comparedBuilds } from './lib/compared-builds.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const repeat = Number(arg('repeat', 1));
const compare = arg('compare', null);
const builds = await comparedBuilds(compare, 'InMemoryRunStore');
const epochs = Number(arg('epochs', 60));
const experiment = parseExperiment({
  name: 'bench-sweep',
  seed: 1,
  data: { dataset: 'synthetic-ecg', validationAnomalies: 'keep' },
  model: { kind: 'dense', encoder: [64, 32, 8], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
  training: { epochs, batchSize: 32, learningRate: 0.001, loss: 'mse' },
  scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
  space: {
    'model.encoder': {
      type: 'categorical',
      values: [
        [64, 32, 4],
        [64, 32, 8],
        [64, 32, 12],
        [64, 32, 16],
      ],
    },
    'model.dropout': { type: 'categorical', values: [0, 0.1] },
    'threshold.percentile': { type: 'categorical', values: [90, 95, 99] },
  },
  selection: { metric: 'f1', direction: 'maximize', split: 'validation' },
  executor: { backend: 'wasm' },
});

async function sweep(code, workers) {
  const store = new code.InMemoryRunStore();
  const started = performance.now();
  const loop = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const summary = await code.runStudy({ experiment, experimentPath: 'bench', store, workers });
  const seconds = (performance.now() - started) / 1000;
  const { user, system } = process.cpuUsage(cpu);
  const mainThreadSeconds = Number((performance.eventLoopUtilization(loop).active / 1000).toFixed(2));
  const evaluations = await store.listEvaluations(summary.study.id);
  const trials = await store.listTrials(summary.study.id);
  // Seconds the workers spent training (from each trial's record), summed over trials.
  const trainingSeconds = Number(trials.reduce((sum, t) => sum + (t.trainSeconds ?? 0), 0).toFixed(2));
  // Sorted by config: trials finish in a different order with 2 workers.
  const metrics = Object.fromEntries(
    evaluations.map((e) => [e.configHash, e.metrics.test]).sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  return {
    workers,
    seconds: Number(seconds.toFixed(2)),
    cpuSeconds: Number(((user + system) / 1e6).toFixed(2)),
    mainThreadSeconds,
    trainingSeconds,
    trainings: summary.trained,
    configurations: summary.evaluatedConfigurations,
    metrics: JSON.stringify(metrics),
  };
}

const runs = Object.fromEntries(Object.keys(builds).map((b) => [b, { 1: [], 2: [] }]));
const order = Object.keys(builds);
for (let r = 0; r < repeat; r++) {
  // old, new, new, old, ...: a drift in the machine's speed falls on both alike.
  for (const build of r % 2 === 0 ? [...order].reverse() : order)
    for (const workers of [1, 2]) runs[build][workers].push(await sweep(builds[build], workers));
}
const best = (list) => [...list].sort((a, b) => a.seconds - b.seconds)[0];
const summaryOf = (byWorkers) => {
  const [one, two] = [best(byWorkers[1]), best(byWorkers[2])];
  const figure = (key) => ({ workers1: one[key], workers2: two[key] });
  return {
    seconds: figure('seconds'),
    runs: { workers1: byWorkers[1].map((x) => x.seconds), workers2: byWorkers[2].map((x) => x.seconds) },
    cpuSeconds: figure('cpuSeconds'),
    mainThreadSeconds: figure('mainThreadSeconds'),
    trainingSeconds: figure('trainingSeconds'),
    speedup: Number((one.seconds / two.seconds).toFixed(2)),
    // Each run's 2-worker time over the 1-worker time of the same round (best of rounds: the ratio
    // the load spoils least).
    roundSpeedups: byWorkers[1].map((x, i) => Number((x.seconds / byWorkers[2][i].seconds).toFixed(2))),
    identicalMetrics: [...byWorkers[1], ...byWorkers[2]].every((x) => x.metrics === one.metrics),
  };
};
const first = runs.new[1][0];
console.log(
  JSON.stringify(
    {
      bench: 'search-sweep',
      cpus: availableParallelism(),
      epochs,
      repeat,
      compare,
      trainings: first.trainings,
      configurations: first.configurations,
      ...summaryOf(runs.new),
      ...(compare
        ? {
            old: summaryOf(runs.old),
            sameAsOld: runs.old[1][0].metrics === first.metrics,
          }
        : {}),
    },
    null,
    2,
  ),
);
