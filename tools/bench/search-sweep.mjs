#!/usr/bin/env node
// Sweep wall time with 1 and with 2 workers on the embedded dataset (the pool's speed-up),
// and a check that both give the same metrics. Needs a build (npm ci does one).
// `mainThreadSeconds`: the time the coordinator's thread was busy (event-loop utilisation:
// receiving results, scoring variants, writing the store), which competes with the
// workers for the machine's 2 cores.
// Usage: node tools/bench/search-sweep.mjs [--epochs 60]
import { availableParallelism } from 'node:os';
import { parseExperiment, runStudy } from '@aelab/search';
import { InMemoryRunStore } from '@aelab/store';

const epochs = Number(process.argv[process.argv.indexOf('--epochs') + 1]) || 60;
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

async function sweep(workers) {
  const store = new InMemoryRunStore();
  const started = performance.now();
  const loop = performance.eventLoopUtilization();
  const summary = await runStudy({ experiment, experimentPath: 'bench', store, workers });
  const seconds = (performance.now() - started) / 1000;
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
    mainThreadSeconds,
    trainingSeconds,
    trainings: summary.trained,
    configurations: summary.evaluatedConfigurations,
    metrics,
  };
}

const one = await sweep(1);
const two = await sweep(2);
console.log(
  JSON.stringify(
    {
      bench: 'search-sweep',
      cpus: availableParallelism(),
      epochs,
      trainings: one.trainings,
      configurations: one.configurations,
      seconds: { workers1: one.seconds, workers2: two.seconds },
      mainThreadSeconds: { workers1: one.mainThreadSeconds, workers2: two.mainThreadSeconds },
      trainingSeconds: { workers1: one.trainingSeconds, workers2: two.trainingSeconds },
      speedup: Number((one.seconds / two.seconds).toFixed(2)),
      identicalMetrics: JSON.stringify(one.metrics) === JSON.stringify(two.metrics),
    },
    null,
    2,
  ),
);
