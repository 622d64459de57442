#!/usr/bin/env node
// The redis executor against the local pool, printed as JSON:
// - throughput: trainings per minute of one sweep with 1, 2 and 4 `aelab worker` processes
//   (one training at a time each), and with the pool (1 and 2 threads) for reference;
// - queue overhead: a sweep of 1-epoch tiny trainings run one at a time, through one worker
//   process and through the pool; the difference per trial is what the queue costs.
// Each figure is the best of --repeats runs (the machine may be shared). Needs a build
// (npm ci does one) and Debian's redis-server (started here on a random loopback port).
// Usage: node tools/bench/search-redis.mjs [--repeats 3] [--epochs 20] [--trials 16]
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseExperiment, runStudy } from '@aelab/search';
import { InMemoryRunStore } from '@aelab/store';
import { benchOptions } from './lib/options.mjs';

const { repeats, epochs, trials } = benchOptions({ repeats: 3, epochs: 20, trials: 16 });
const bin = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));

if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.log(
    JSON.stringify({ bench: 'search-redis', error: 'redis-server is not installed (apt-get install -y redis-server)' }),
  );
  process.exit(0);
}

const port = await new Promise((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
});
const redis = spawn(
  'redis-server',
  ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
await new Promise((resolve) => redis.stdout.on('data', (c) => /Ready to accept/.test(c.toString()) && resolve()));
const url = `redis://127.0.0.1:${port}`;

/** A sweep of `count` trainings of a small dense model on the embedded data, `epochs` each. */
const experimentOf = (count, epochsEach, encoder) =>
  parseExperiment({
    name: 'bench-redis',
    seed: 1,
    data: { dataset: 'synthetic-ecg', options: { trainRows: 400, testRows: 200 } },
    model: { kind: 'dense', encoder, activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
    training: { epochs: epochsEach, batchSize: 32, learningRate: 0.001, loss: 'mse' },
    scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
    space: { 'data.seed': { type: 'categorical', values: Array.from({ length: count }, (_, i) => i + 1) } },
    selection: { metric: 'f1', direction: 'maximize', split: 'test' },
    executor: { backend: 'wasm' },
  });

async function startWorkers(count) {
  const workers = Array.from({ length: count }, () =>
    spawn(process.execPath, [bin, 'worker', '--redis', url, '--concurrency', '1'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  await Promise.all(
    workers.map(
      (w) => new Promise((resolve) => w.stdout.on('data', (c) => /^worker /m.test(c.toString()) && resolve())),
    ),
  );
  return workers;
}

async function stopWorkers(workers) {
  await Promise.all(workers.map((w) => new Promise((resolve) => (w.once('exit', resolve), w.kill('SIGKILL')))));
}

/** Seconds of one sweep (workers already running for redis), and its metrics by configuration. */
async function sweep(experiment, options) {
  const store = new InMemoryRunStore();
  const ends = [];
  const onEvent = (event) => {
    if (event.type !== 'trial-end') return;
    ends.push(performance.now());
    if (event.trial.status === 'failed') process.stderr.write(`failed: ${event.trial.reason}\n`);
  };
  const started = performance.now();
  const summary = await runStudy({ experiment, experimentPath: 'bench', store, onEvent, ...options });
  const seconds = (performance.now() - started) / 1000;
  if (summary.trained !== summary.completedTrainings || summary.failed > 0)
    throw new Error(`sweep failed: ${JSON.stringify(summary)}`);
  const evaluations = await store.listEvaluations(summary.study.id);
  const metrics = Object.fromEntries(
    evaluations.map((e) => [e.configHash, e.metrics.test]).sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  // Steady state, one training at a time: the median time from one trial's end to the next's.
  const gaps = ends
    .slice(1)
    .map((t, i) => t - ends[i])
    .sort((a, b) => a - b);
  return {
    seconds,
    trained: summary.trained,
    metrics,
    perTrialSeconds: gaps.length ? gaps[Math.floor(gaps.length / 2)] / 1000 : NaN,
  };
}

/** Best of `repeats` runs; redis runs get fresh worker processes each time. */
async function best(experiment, { workerProcesses, ...options }) {
  const runs = [];
  for (let i = 0; i < repeats; i++) {
    const workers = workerProcesses ? await startWorkers(workerProcesses) : [];
    try {
      runs.push(await sweep(experiment, workerProcesses ? { ...options, executorAddress: url } : options));
    } finally {
      await stopWorkers(workers);
    }
  }
  const fastest = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const perTrialSeconds = Math.min(...runs.map((r) => r.perTrialSeconds));
  return { ...fastest, perTrialSeconds, allSeconds: runs.map((r) => Number(r.seconds.toFixed(2))) };
}

const perMinute = (run) => Number(((run.trained / run.seconds) * 60).toFixed(1));
try {
  const throughputExperiment = experimentOf(trials, epochs, [64, 32, 8]);
  const throughput = {};
  let reference;
  for (const [name, options] of [
    ['pool, 1 thread', { workers: 1 }],
    ['pool, 2 threads', { workers: 2 }],
    ['redis, 1 worker process', { workerProcesses: 1, workers: 8 }],
    ['redis, 2 worker processes', { workerProcesses: 2, workers: 8 }],
    ['redis, 4 worker processes', { workerProcesses: 4, workers: 8 }],
  ]) {
    const run = await best(throughputExperiment, options);
    reference ??= JSON.stringify(run.metrics);
    throughput[name] = {
      trainingsPerMinute: perMinute(run),
      seconds: run.allSeconds,
      sameMetricsAsPool: JSON.stringify(run.metrics) === reference,
    };
  }

  const tinyExperiment = experimentOf(trials, 1, [8, 2]);
  const pool = await best(tinyExperiment, { workers: 1 });
  const queued = await best(tinyExperiment, { workerProcesses: 1, workers: 1 });
  console.log(
    JSON.stringify(
      {
        bench: 'search-redis',
        cpus: availableParallelism(),
        note:
          'best of repeats on a shared machine; redis worker processes start before the timer, ' +
          'the pool starts its threads inside it',
        throughput: { trainings: trials, epochs, ...throughput },
        queueOverhead: {
          trainings: trials,
          epochs: 1,
          oneAtATime: true,
          // Median time between consecutive trial ends (steady state, startup excluded).
          poolSecondsPerTrial: Number(pool.perTrialSeconds.toFixed(3)),
          redisSecondsPerTrial: Number(queued.perTrialSeconds.toFixed(3)),
          overheadSecondsPerTrial: Number((queued.perTrialSeconds - pool.perTrialSeconds).toFixed(3)),
          sweepSeconds: { pool: pool.allSeconds, redis: queued.allSeconds },
        },
      },
      null,
      2,
    ),
  );
} finally {
  redis.kill('SIGKILL');
}
