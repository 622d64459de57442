#!/usr/bin/env node
// Time to render the static report of one large study: N synthetic trials (100-epoch
// histories, 3 scoring variants each, errors/curves/examples artifacts of realistic size)
// in an InMemoryRunStore, then renderReport into a temporary folder. Prints JSON.
// Build first: npx tsc -b packages/store packages/reporting
//
//   node tools/bench/reporting-render.mjs [--trials 1000] [--runs 3] [--max-trial-pages 20]
//
// Rendering cost is dominated by charts (vega parse + SVG), which the report caps per
// study (see RenderReportOptions), so it grows slowly with the trial count.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARTIFACT } from '@aelab/core';
import { InMemoryRunStore } from '@aelab/store';
import { renderReport } from '@aelab/reporting';
import { benchOptions } from './lib/options.mjs';
import { percentileEvaluation } from './lib/synthetic-records.mjs';

const values = benchOptions({ trials: 1000, runs: 3, 'max-trial-pages': '' });
const { trials: trialCount, runs } = values;

let seed = 42;
const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
let clock = Date.UTC(2025, 0, 1);
const store = new InMemoryRunStore({ now: () => new Date((clock += 1000)) });

const families = ['dense', 'conv1d', 'lstm'];
const versions = ['base', 'regularized', 'tuned'];
const study = await store.createStudy({
  name: `bench ${trialCount} trials`,
  experimentPath: 'experiments/bench.json',
  experiment: {},
  experimentHash: 'bench',
  gitCommit: null,
  dataset: 'synthetic-ecg',
  selection: { metric: 'f1', direction: 'maximize', split: 'test' },
});
const setupStart = performance.now();
for (let n = 0; n < trialCount; n++) {
  const params = {
    'model.kind': families[n % 3],
    'model.version': versions[Math.floor(n / 3) % 3],
    'model.latent': [4, 8, 16, 32][Math.floor(n / 9) % 4],
    'model.dropout': Math.round(random() * 50) / 100,
    'train.learningRate': Number((10 ** (-4 + 2 * random())).toPrecision(3)),
    'train.batchSize': [16, 32, 64][n % 3],
  };
  const repeat = n % 3;
  const configHash = `cfg-${Math.floor(n / 3)}`;
  const trial = await store.startTrial(study.id, {
    configHash,
    params,
    repeat,
    seed: repeat,
    environment: { backend: 'wasm', versions: {}, gitCommit: null },
    dataFingerprint: null,
  });
  const errors = (count, scale) => Array.from({ length: count }, () => Number((scale * random()).toPrecision(6)));
  const train = errors(500, 0.3);
  const test = [...errors(2600, 0.3), ...errors(1900, 1.2)];
  const y = test.map((_, i) => (i < 2600 ? 0 : 1));
  const curve = Array.from({ length: 1000 }, (_, i) => i / 999);
  const artifacts = {
    errors: await store.writeArtifact(
      study.id,
      trial.id,
      ARTIFACT.errors,
      JSON.stringify({
        train: { mse: train, mae: train, y: train.map(() => 0), labels: train.map(() => '1') },
        test: { mse: test, mae: test, y, labels: y.map(String) },
      }),
    ),
    curves: await store.writeArtifact(
      study.id,
      trial.id,
      ARTIFACT.curves,
      JSON.stringify({
        errorMetric: 'mse',
        test: {
          roc: { fpr: curve, tpr: curve.map(Math.sqrt), thresholds: curve },
          pr: { recall: curve, precision: curve.map((c) => 1 - c / 2), thresholds: curve },
          rocAuc: 0.66,
          prAuc: 0.75,
        },
      }),
    ),
    examples: await store.writeArtifact(
      study.id,
      trial.id,
      ARTIFACT.examples,
      JSON.stringify({
        normal: { row: 1, label: '1', error: 0.1, input: errors(140, 1), reconstruction: errors(140, 1) },
        anomalous: { row: 2, label: '2', error: 0.9, input: errors(140, 1), reconstruction: errors(140, 1) },
      }),
    ),
  };
  await store.finishTrial(trial.id, {
    status: 'complete',
    trainSeconds: 20 + 10 * random(),
    history: Array.from({ length: 100 }, (_, e) => ({
      epoch: e + 1,
      loss: 1 / (e + 2) + 0.01 * random(),
      valLoss: 1.1 / (e + 2) + 0.02 * random(),
      seconds: 0.2,
    })),
    bestEpoch: 100,
    parameterCount: 10000,
    artifacts,
  });
  await store.addEvaluations(
    trial.id,
    [85, 90, 95].map((p) => {
      const confusion = { tp: 1500, fp: 300, tn: 2300, fn: 400 };
      const evaluation = percentileEvaluation(configHash, p, 0.5 + 0.4 * random(), { confusion });
      evaluation.metrics.validation = { rows: 50, positives: 0, mse: 0.1 + 0.05 * random() };
      return evaluation;
    }),
  );
}
const setupSeconds = (performance.now() - setupStart) / 1000;

const options = values['max-trial-pages'] ? { maxTrialPages: Number(values['max-trial-pages']) } : {};
const timings = [];
const cpuTimings = [];
let files = 0;
let bytes = 0;
for (let r = 0; r < runs; r++) {
  const outDir = await mkdtemp(join(tmpdir(), 'aelab-report-bench-'));
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const report = await renderReport(store, { outDir, ...options });
  timings.push((performance.now() - start) / 1000);
  const cpu = process.cpuUsage(cpuStart);
  cpuTimings.push((cpu.user + cpu.system) / 1e6);
  files = report.files.length;
  bytes = 0;
  for (const f of report.files) bytes += (await stat(f)).size;
  await rm(outDir, { recursive: true, force: true });
}
const sorted = [...timings].sort((a, b) => a - b);
console.log(
  JSON.stringify(
    {
      bench: 'reporting-render',
      trials: trialCount,
      evaluations: trialCount * 3,
      options,
      setupSeconds: Number(setupSeconds.toFixed(2)),
      renderSeconds: timings.map((t) => Number(t.toFixed(3))),
      medianSeconds: Number(sorted[Math.floor(sorted.length / 2)].toFixed(3)),
      // CPU seconds of this process: less sensitive than wall time to other work on the machine.
      cpuSeconds: cpuTimings.map((t) => Number(t.toFixed(3))),
      files,
      totalBytes: bytes,
      node: process.version,
      cpus: cpus().length,
      note: 'first run includes vega/JIT warm-up; machine shared with other work, timings are noisy',
    },
    null,
    2,
  ),
);
