#!/usr/bin/env node
// Cost of appending trials to one study of the JSON run store, as a sweep does: per trial
// startTrial + finishTrial (100-epoch history) + addEvaluations (3 scoring variants).
// Prints JSON. Build first: npx tsc -b packages/store
//
//   node tools/bench/store-append.mjs [--trials 10000] [--per-shard 100] [--fsync true]
//                                     [--marks 1,1000,5000,10000] [--window 20]
//
// `--per-shard 1000000000` keeps a whole study in one file (rewritten on every write),
// the baseline that sharding replaces.
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_TRIALS_PER_SHARD, openRunStore } from '@aelab/store';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '10000' },
    'per-shard': { type: 'string', default: String(DEFAULT_TRIALS_PER_SHARD) },
    fsync: { type: 'string', default: 'true' },
    marks: { type: 'string', default: '1,1000,5000,10000' },
    window: { type: 'string', default: '20' },
  },
});
const trials = Number(values.trials);
const trialsPerShard = Number(values['per-shard']);
const fsync = values.fsync !== 'false';
const marks = values.marks
  .split(',')
  .map(Number)
  .filter((m) => m <= trials);
const window = Number(values.window);

// Deterministic values with realistic digits, so the JSON has realistic size.
let seed = 42;
const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;

function trialInput(n) {
  return {
    configHash: `sha256-${n.toString(16).padStart(64, '0')}`,
    params: {
      'model.kind': 'dense',
      'model.units': [64, 32, 8, 32, 64],
      'model.activation': 'relu',
      'model.dropout': 0.1,
      'model.l2': 0.0001,
      'train.learningRate': 0.001,
      'train.batchSize': 32,
      'train.epochs': 100,
      'train.loss': 'mse',
      'prep.scaler': 'standard',
    },
    repeat: n % 3,
    seed: Math.floor(random() * 2 ** 31),
    environment: {
      backend: 'wasm',
      versions: { node: process.version, '@tensorflow/tfjs': '4.22.0', aelab: '0.1.0' },
      gitCommit: '16b9f6c0c2d7a1f3e4b5a6978812345678901234',
      hostname: 'bench',
      cpus: cpus().length,
    },
    dataFingerprint: 'sha256-0f3a9c',
  };
}

function metricSet(rows, positives) {
  const tp = Math.floor(positives * random());
  const fp = Math.floor((rows - positives) * random() * 0.1);
  return {
    rows,
    positives,
    accuracy: random(),
    precision: random(),
    recall: random(),
    f1: random(),
    specificity: random(),
    rocAuc: random(),
    prAuc: random(),
    mse: random() * 0.1,
    mae: random() * 0.2,
    rmse: random() * 0.3,
    confusion: { tp, fp, tn: rows - positives - fp, fn: positives - tp },
  };
}

function evaluations(n) {
  return [95, 99, 99.9].map((percentile) => ({
    configHash: `sha256-${n.toString(16)}-${percentile}`,
    scoring: { 'threshold.rule': 'percentile', 'threshold.percentile': percentile, 'score.errorMetric': 'mse' },
    threshold: random() * 0.05,
    usesLabels: false,
    metrics: { train: metricSet(2800, 0), validation: metricSet(700, 0), test: metricSet(1500, 600) },
  }));
}

function history() {
  return Array.from({ length: 100 }, (_, epoch) => ({
    epoch,
    loss: random() / (epoch + 1),
    valLoss: random() / (epoch + 1),
    seconds: 0.02 + random() * 0.01,
  }));
}

async function dirBytes(dir) {
  let total = 0;
  let largest = 0;
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.json')) continue;
    const { size } = await stat(join(dir, name));
    total += size;
    largest = Math.max(largest, size);
  }
  return { total, largest };
}

const scratch = await mkdtemp(join(tmpdir(), 'aelab-bench-store-'));
const root = join(scratch, 'runs');
try {
  const store = await openRunStore(root, { trialsPerShard, fsync });
  const study = await store.createStudy({
    name: 'bench',
    experimentPath: 'experiments/bench.json',
    experiment: { bench: true },
    experimentHash: 'bench',
    gitCommit: null,
    dataset: 'synthetic-ecg',
    selection: { metric: 'f1', direction: 'maximize', split: 'validation' },
  });
  const costs = [];
  const results = [];
  const began = performance.now();
  for (let n = 1; n <= trials; n++) {
    const input = trialInput(n);
    const outcome = {
      status: 'complete',
      trainSeconds: 3.2,
      history: history(),
      bestEpoch: 97,
      parameterCount: 12345,
      artifacts: { errors: `${study.id}/trials/t${String(n - 1).padStart(6, '0')}/errors.json` },
    };
    const scored = evaluations(n);
    const t0 = performance.now();
    const trial = await store.startTrial(study.id, input);
    await store.finishTrial(trial.id, outcome);
    await store.addEvaluations(trial.id, scored);
    costs.push(performance.now() - t0);
    if (marks.includes(n)) {
      const recent = costs.slice(-window).sort((a, b) => a - b);
      const bytes = await dirBytes(join(root, study.id));
      results.push({
        trial: n,
        msAppend: round(costs.at(-1)),
        msAppendMedianLast: { trials: recent.length, ms: round(recent[Math.floor(recent.length / 2)]) },
        msPerWrite: round(recent[Math.floor(recent.length / 2)] / 3),
        studyBytes: bytes.total,
        largestFileBytes: bytes.largest,
      });
    }
  }
  await store.close();
  // What the appends cost the readers: open + every trial and evaluation of the study.
  const loadStarted = performance.now();
  const reader = await openRunStore(root, { readonly: true, trialsPerShard });
  const loaded = (await reader.listTrials(study.id)).length + (await reader.listEvaluations(study.id)).length;
  const msLoadStudy = round(performance.now() - loadStarted);
  await reader.close();
  if (loaded !== trials * 4) throw new Error(`loaded ${loaded} records, expected ${trials * 4}`);
  console.log(
    JSON.stringify(
      {
        bench: 'store-append',
        command: `node tools/bench/store-append.mjs ${process.argv.slice(2).join(' ')}`.trim(),
        node: process.version,
        cpus: cpus().length,
        trialsPerShard,
        fsync,
        writesPerAppend: 3,
        appends: results,
        msLoadStudy,
        studyFiles: (await readdir(join(root, study.id))).filter((n) => n.endsWith('.json')).length,
        bytesPerTrial: Math.round(results.at(-1).studyBytes / results.at(-1).trial),
        totalSeconds: round((performance.now() - began) / 1000),
        note: 'ms are wall time on a shared machine: noisy; the median of the last trials is the figure to read',
      },
      null,
      2,
    ),
  );
} finally {
  await rm(scratch, { recursive: true, force: true });
}

function round(x) {
  return Math.round(x * 100) / 100;
}
