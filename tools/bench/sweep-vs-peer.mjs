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
// Also per run: cpuSeconds, the process's CPU time (every thread), which a shared machine's
// load disturbs less than wall time.
// Checks: `sameAsGrid`, per sweep, the completed configurations whose validation MSE equals
// the grid's in this invocation (when the grid ran); with --compare, `sameAsOld`: every
// configuration's validation MSE equal in both builds.
//
// Usage: node tools/bench/sweep-vs-peer.mjs [--sweeps grid,tpe+asha] [--workers 1,2]
//   [--repeat 3] [--epochs 100] [--limit 108] [--no-peer] [--compare <checkout>]
// --compare: another checkout of aelab, built (e.g. an earlier commit: `git archive <commit> |
// tar -x -C <dir>`, node_modules linked, `npx tsc -b`), run as "old", interleaved with this
// one (old, new, new, old, ...) in the same process.
// Needs a build and AELAB_DATA_DIR with ecg_tensorflow/ecg.csv; the peer needs python3 with
// optuna and torch (Debian: python3-optuna python3-torch) and is skipped, saying so, without.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stableStringify } from '@aelab/core';
import { comparedBuilds } from './lib/compared-builds.mjs';
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
const compare = arg('compare', null);
const builds = await comparedBuilds(compare, 'JsonFileRunStore');

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

async function aelab(build, sweep, workers) {
  const code = builds[build];
  const dir = await mkdtemp(path.join(tmpdir(), 'aelab-sweep-vs-peer-'));
  const store = await code.JsonFileRunStore.open(dir);
  try {
    let experiment = benchExperiment(`peer-${sweep.replace('+', '-')}`, SEARCH[sweep](), epochs);
    if (sweep === 'grid' && limit < 108)
      experiment = { ...experiment, sampler: { type: 'random', trials: limit, seed: 1 } };
    const started = performance.now();
    const cpu = process.cpuUsage();
    const summary = await code.runStudy({ experiment, experimentPath: `bench:${sweep}`, store, workers, fresh: true });
    const seconds = (performance.now() - started) / 1000;
    const { user, system } = process.cpuUsage(cpu);
    const trials = await store.listTrials(summary.study.id);
    const mse = new Map(
      (await store.listEvaluations(summary.study.id)).map((e) => [e.trialId, e.metrics.validation?.mse]),
    );
    const complete = trials.filter((t) => t.status === 'complete');
    const best = complete.reduce((a, b) => (mse.get(b.id) < mse.get(a.id) ? b : a), complete[0]);
    // Validation MSE by configuration (its sampled params), for the checks; not printed.
    const objectives = new Map(complete.map((t) => [stableStringify(t.sampled), mse.get(t.id)]));
    return {
      build,
      seconds: Number(seconds.toFixed(2)),
      cpuSeconds: Number(((user + system) / 1e6).toFixed(2)),
      objectives,
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

/** Of `runs`' completed configurations, those whose validation MSE equals `reference`'s: "equal/compared". */
function sameAs(runs, reference) {
  let equal = 0;
  let compared = 0;
  for (const run of runs) {
    for (const [config, mse] of run.objectives) {
      if (!reference.has(config)) continue;
      compared++;
      if (reference.get(config) === mse) equal++;
    }
  }
  return `${equal}/${compared}`;
}

const fastest = (list) => list.filter((x) => typeof x.seconds === 'number').sort((a, b) => a.seconds - b.seconds)[0];
const shown = (run, runs) => {
  const { objectives: _, ...rest } = run;
  return { ...rest, runs: runs.map((x) => x.seconds), cpuRuns: runs.map((x) => x.cpuSeconds) };
};
const order = Object.keys(builds);
const results = [];
const everyRun = [];
for (const sweep of sweeps) {
  for (const workers of workerCounts) {
    const runs = { new: [], old: [], peer: [] };
    for (let r = 0; r < repeat; r++) {
      // old, new, new, old, ...: a drift in the machine's speed falls on both alike.
      for (const build of r % 2 === 0 ? [...order].reverse() : order)
        runs[build].push(await aelab(build, sweep, workers));
      if (!process.argv.includes('--no-peer')) runs.peer.push(peer(sweep, workers));
    }
    everyRun.push(...[...runs.new, ...runs.old].map((run) => ({ sweep, run })));
    const a = fastest(runs.new);
    const o = fastest(runs.old);
    const p = fastest(runs.peer);
    results.push({
      sweep,
      workers,
      aelab: shown(a, runs.new),
      ...(o
        ? {
            old: shown(o, runs.old),
            newOverOld: Number((a.seconds / o.seconds).toFixed(2)),
            sameAsOld: sameAs([...runs.new, ...runs.old], o.objectives),
          }
        : {}),
      peer: p ? { ...p, runs: runs.peer.map((x) => x.seconds) } : (runs.peer[0] ?? { skipped: '--no-peer' }),
      peerOverAelab: p ? Number((p.seconds / a.seconds).toFixed(2)) : null,
    });
  }
}
const grid = everyRun.find((r) => r.sweep === 'grid')?.run.objectives;
for (const result of results) {
  if (grid && result.sweep !== 'grid')
    result.sameAsGrid = sameAs(
      everyRun.filter((r) => r.sweep === result.sweep).map((r) => r.run),
      grid,
    );
}
const scaling = sweeps.map((sweep) => {
  const one = results.find((r) => r.sweep === sweep && r.workers === 1);
  const two = results.find((r) => r.sweep === sweep && r.workers === 2);
  return { sweep, twoWorkersSpeedup: one && two ? Number((one.aelab.seconds / two.aelab.seconds).toFixed(2)) : null };
});
console.log(JSON.stringify({ epochsPerTraining: epochs, limit, repeat, compare, results, scaling }, null, 2));
