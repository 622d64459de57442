#!/usr/bin/env node
/**
 * Peak memory of a 2-worker sweep on a large CSV, against the parsed dataset's size
 * (issue 12: the peak above a small file's stays under 2x the parsed size). Needs a build
 * (`npx tsc -b`). Prints one JSON object.
 *
 *   node tools/bench/sweep-memory.mjs [--mb 200] [--features 30] [--workers 2] [--epochs 1] [--repeat 3] [--keep]
 * [--report]
 *
 * The bench writes a seeded CSV of about --mb MB (--features numeric columns and a 0/1
 * label, 1% anomalies) into a temp folder, and an experiment of two one-epoch dense
 * trainings on it, then runs `aelab search grid` on it twice in child processes: once on
 * the big file and once on a 5,000-row file of the same shape (the baseline: Node, tfjs and
 * its workers). Each run's peak RSS is the largest sum, over its process tree sampled every
 * 50 ms from /proc, of VmRSS (VmHWM for the CLI process, whose worker threads share its RSS).
 * `overheadRatio` is (peak - baseline) / parsed bytes, parsed bytes rows x features x 4.
 * With --repeat N the two sweeps run in turn N times (a peak moves with when collections
 * happen, by some 20 MiB run to run); each big run is compared with the baseline run
 * before it, and `overheadRatio` is the median of those N ratios (all in `runs`).
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchOptions } from './lib/options.mjs';

const args = benchOptions({ mb: 200, features: 30, workers: 2, epochs: 1, repeat: 3, keep: false, report: false });
const { features } = args;
const cli = fileURLToPath(new URL('../../packages/cli/bin/aelab.js', import.meta.url));

/** Writes `rows` seeded rows (values with 6 decimals, label 1 on 1% of rows); returns the byte count. */
async function writeCsv(path, rows) {
  let state = 12345;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const out = createWriteStream(path);
  out.write([...Array(features).keys()].map((j) => `f${j}`).join(',') + ',label\n');
  for (let r = 0; r < rows; r++) {
    const anomaly = next() < 0.01;
    const cells = [];
    for (let j = 0; j < features; j++) cells.push(((next() - 0.5) * (anomaly ? 8 : 2) + j * 0.1).toFixed(6));
    cells.push(anomaly ? '1' : '0');
    if (!out.write(cells.join(',') + '\n')) await new Promise((resolve) => out.once('drain', resolve));
  }
  await new Promise((resolve, reject) => out.end((error) => (error ? reject(error) : resolve())));
  return statSync(path).size;
}

function experimentFor(csv) {
  return {
    name: 'bench-sweep-memory',
    seed: 1,
    data: { dataset: csv, normalClass: '0', scaler: 'standard', validationFraction: 0.1, validationAnomalies: 'keep' },
    model: { kind: 'dense', encoder: [16, 8], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
    training: { epochs: args.epochs, batchSize: 256, learningRate: 0.001, loss: 'mse' },
    scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
    space: {
      'model.encoder': {
        type: 'categorical',
        values: [
          [16, 8],
          [16, 4],
        ],
      },
    },
    sampler: { type: 'grid' },
    selection: { metric: 'f1', direction: 'maximize', split: 'validation' },
    executor: { backend: 'wasm' },
  };
}

const kib = (status, field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);

/** The pids of `root` and every descendant. */
function processTree(root) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const parent = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]) ?? []));
  return tree;
}

/** Runs the sweep on `csv`; resolves with its peak tree RSS (bytes) and seconds. */
function measureSweep(dir, csv, name) {
  const experiment = join(dir, `${name}.json`);
  writeFileSync(experiment, JSON.stringify(experimentFor(csv)));
  const argv = [
    cli,
    'search',
    'grid',
    '-e',
    experiment,
    '--workers',
    String(args.workers),
    '--store',
    join(dir, `store-${name}`),
    ...(args.report ? [] : ['--no-report']),
    '--fresh',
  ];
  const started = performance.now();
  const child = spawn(process.execPath, argv, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  let peak = 0;
  const sample = () => {
    let total = 0;
    for (const pid of processTree(child.pid)) {
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        total += kib(status, pid === child.pid ? 'VmHWM' : 'VmRSS') * 1024;
      } catch {
        // exited meanwhile
      }
    }
    peak = Math.max(peak, total);
  };
  const timer = setInterval(sample, 50);
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      clearInterval(timer);
      if (code !== 0) reject(new Error(`sweep on ${csv} exited ${code}:\n${stderr}`));
      else resolve({ peakRssBytes: peak, seconds: (performance.now() - started) / 1000 });
    });
  });
}

const mib = (bytes) => Math.round((bytes / 2 ** 20) * 10) / 10;
const dir = mkdtempSync(join(tmpdir(), 'aelab-sweep-memory-'));
try {
  // a cell is about 8.9 bytes (six decimals and a comma)
  const rows = Math.round((args.mb * 1e6) / ((features + 1) * 8.9));
  const bigCsv = join(dir, 'big.csv');
  const fileBytes = await writeCsv(bigCsv, rows);
  const smallCsv = join(dir, 'small.csv');
  await writeCsv(smallCsv, 5000);
  const parsedBytes = rows * features * 4;
  const runs = [];
  for (let i = 0; i < args.repeat; i++) {
    const baseline = await measureSweep(dir, smallCsv, 'small');
    const big = await measureSweep(dir, bigCsv, 'big');
    runs.push({
      peakRssMiB: mib(big.peakRssBytes),
      baselinePeakRssMiB: mib(baseline.peakRssBytes),
      overheadRatio: Number(((big.peakRssBytes - baseline.peakRssBytes) / parsedBytes).toFixed(2)),
      seconds: Number(big.seconds.toFixed(1)),
    });
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
  console.log(
    JSON.stringify(
      {
        bench: 'sweep-memory',
        workers: args.workers,
        epochs: args.epochs,
        report: args.report,
        rows,
        features,
        fileMiB: mib(fileBytes),
        parsedMiB: mib(parsedBytes),
        overheadRatio: median(runs.map((r) => r.overheadRatio)),
        maxOverheadRatio: Math.max(...runs.map((r) => r.overheadRatio)),
        peakRssMiB: median(runs.map((r) => r.peakRssMiB)),
        baselinePeakRssMiB: median(runs.map((r) => r.baselinePeakRssMiB)),
        runs,
        note: 'shared 2-vCPU machine: seconds are noisy; RSS sampled every 50 ms',
      },
      null,
      2,
    ),
  );
} finally {
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
  else console.error(`kept ${dir}`);
}
