#!/usr/bin/env node
// A whole sweep, aelab against its peer (issue 26): the search benchmark's 108-configuration
// ECG5000 space (docs/search-benchmark.md, lib/search-strategies.mjs) as a grid and as
// TPE + ASHA, with 1 and 2 workers, and the same sweeps run by Optuna driving PyTorch
// (optuna-peer.py), interleaved: aelab, peer, aelab, peer ... so the machine's load falls on
// both alike. Prints JSON: per sweep and worker count, the best of --repeat wall times, the
// epochs trained, the best objective, and where aelab's time goes per trial:
//   build     trainSeconds minus the epochs' own seconds (model build, compile, data setup);
//   warmUp    the first epoch's seconds minus the median epoch's (wasm tier-up, first dispatch);
//   scoring   finishedAt - startedAt - trainSeconds (errors of every split, thresholds, metrics,
//             serialising the model, recording);
//   idle      workers x wall minus every trial's finishedAt - startedAt (the sampler's ask,
//             the coordinator, a worker waiting at the end);
//   fixed     the sum of the four: wall x workers minus the steady epochs, per trial.
//
// Usage: node tools/bench/sweep-vs-peer.mjs [--sweeps grid,tpe+asha] [--workers 1,2]
//   [--repeat 3] [--epochs 100] [--limit 108] [--no-peer]
// Needs a build and AELAB_DATA_DIR with ecg_tensorflow/ecg.csv; the peer needs python3 with
// optuna and torch (Debian: python3-optuna python3-torch) and is skipped, saying so, without.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runStudy } from '@aelab/search';
import { JsonFileRunStore } from '@aelab/store';
import { ASHA, benchExperiment } from './lib/search-strategies.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const sweeps = arg('sweeps', 'grid,tpe+asha').split(',');
const workerCounts = arg('workers', '1,2').split(',').map(Number);
const repeat = Number(arg('repeat', 3));
const epochs = Number(arg('epochs', 100));
const limit = Number(arg('limit', 108));
const peerScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'optuna-peer.py');

const SEARCH = {
  grid: () => ({ sampler: { type: 'grid' } }),
  'tpe+asha': () => ({ sampler: { type: 'tpe', trials: limit, seed: 1 }, pruner: ASHA }),
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const ms = (seconds) => Number((seconds * 1000).toFixed(1));

/** Where the trials' time went (see the header), from the records the study wrote. */
function breakdown(trials, wall, workers) {
  let build = 0;
  let warmUp = 0;
  let scoring = 0;
  let inTrials = 0;
  let steady = 0;
  for (const t of trials) {
    const epochSeconds = t.history.map((e) => e.seconds);
    const typical = median(epochSeconds.slice(1));
    const first = epochSeconds[0] ?? 0;
    const span = (Date.parse(t.finishedAt) - Date.parse(t.startedAt)) / 1000;
    build += (t.trainSeconds ?? 0) - sum(epochSeconds);
    warmUp += Math.max(0, first - typical);
    scoring += span - (t.trainSeconds ?? 0);
    inTrials += span;
    steady += sum(epochSeconds) - Math.max(0, first - typical);
  }
  const n = trials.length || 1;
  const idle = workers * wall - inTrials;
  return {
    perTrialMs: {
      build: ms(build / n),
      warmUp: ms(warmUp / n),
      scoring: ms(scoring / n),
      idle: ms(idle / n),
      fixed: ms((workers * wall - steady) / n),
    },
  };
}

async function aelab(sweep, workers) {
  const dir = await mkdtemp(path.join(tmpdir(), 'aelab-sweep-vs-peer-'));
  const store = await JsonFileRunStore.open(dir);
  try {
    let experiment = benchExperiment(`peer-${sweep.replace('+', '-')}`, SEARCH[sweep](), epochs);
    if (sweep === 'grid' && limit < 108)
      experiment = { ...experiment, sampler: { type: 'random', trials: limit, seed: 1 } };
    const started = performance.now();
    const summary = await runStudy({ experiment, experimentPath: `bench:${sweep}`, store, workers, fresh: true });
    const seconds = (performance.now() - started) / 1000;
    const trials = await store.listTrials(summary.study.id);
    const mse = new Map(
      (await store.listEvaluations(summary.study.id)).map((e) => [e.trialId, e.metrics.validation?.mse]),
    );
    const complete = trials.filter((t) => t.status === 'complete');
    const best = complete.reduce((a, b) => (mse.get(b.id) < mse.get(a.id) ? b : a), complete[0]);
    return {
      seconds: Number(seconds.toFixed(2)),
      trials: trials.length,
      pruned: trials.filter((t) => t.status === 'pruned').length,
      epochs: sum(trials.map((t) => t.history.length)),
      best: best ? { objective: mse.get(best.id), params: best.sampled } : null,
      ...breakdown(trials, seconds, workers),
    };
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function peer(sweep, workers) {
  const args = [
    peerScript,
    '--sweep',
    sweep,
    '--workers',
    String(workers),
    '--epochs',
    String(epochs),
    '--limit',
    String(limit),
  ];
  // Debian's python3 has its python3-optuna and python3-torch; a pyenv shim earlier in PATH would not.
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const child = spawnSync(python, args, { encoding: 'utf8', env: process.env });
  if (child.error || child.status !== 0)
    return { skipped: (child.stderr || String(child.error)).trim().split('\n').pop() };
  return JSON.parse(child.stdout);
}

const results = [];
for (const sweep of sweeps) {
  for (const workers of workerCounts) {
    const runs = { aelab: [], peer: [] };
    for (let r = 0; r < repeat; r++) {
      runs.aelab.push(await aelab(sweep, workers));
      if (!process.argv.includes('--no-peer')) runs.peer.push(peer(sweep, workers));
    }
    const fastest = (list) =>
      list.filter((x) => typeof x.seconds === 'number').sort((a, b) => a.seconds - b.seconds)[0];
    const a = fastest(runs.aelab);
    const p = fastest(runs.peer);
    results.push({
      sweep,
      workers,
      aelab: { ...a, runs: runs.aelab.map((x) => x.seconds) },
      peer: p ? { ...p, runs: runs.peer.map((x) => x.seconds) } : (runs.peer[0] ?? { skipped: '--no-peer' }),
      peerOverAelab: p ? Number((p.seconds / a.seconds).toFixed(2)) : null,
    });
  }
}
const scaling = sweeps.map((sweep) => {
  const one = results.find((r) => r.sweep === sweep && r.workers === 1);
  const two = results.find((r) => r.sweep === sweep && r.workers === 2);
  return { sweep, twoWorkersSpeedup: one && two ? Number((one.aelab.seconds / two.aelab.seconds).toFixed(2)) : null };
});
console.log(JSON.stringify({ epochsPerTraining: epochs, limit, repeat, results, scaling }, null, 2));
