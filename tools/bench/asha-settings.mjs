#!/usr/bin/env node
// Chooses ASHA's (and Hyperband's) minEpochs and reductionFactor for issue 13 by replaying
// the grid run of search-strategies.mjs: every configuration's per-epoch validation loss and
// final validation MSE come from that real grid study, and the real samplers (random, TPE)
// and pruners (ASHA, Hyperband) decide, in the order the study loop with one worker asks and
// reports (the next configuration is asked while the previous trial trains). A configuration
// trains with the same seed whichever strategy proposes it (the trial seed derives from the
// experiment seed and the config hash), so with --workers 1 this gives the same decisions,
// epochs and best objective as real studies; search-strategies.mjs checks that for the
// settings it runs (`sameAsGrid`). Wall time is not replayed.
//
// Usage: node tools/bench/asha-settings.mjs [--store runs/bench-search-strategies] [--seeds 5]
// Needs the grid study in the store: node tools/bench/search-strategies.mjs --only grid
import { intermediateValue, oriented, stableStringify } from '@aelab/core';
import { AshaPruner, HyperbandPruner, RandomSampler, TpeSampler } from '@aelab/search';
import { JsonFileRunStore, trainingKey } from '@aelab/store';
import { GRID_STUDY, benchExperiment } from './lib/search-strategies.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const storeDir = arg('store', 'runs/bench-search-strategies');
const seeds = Number(arg('seeds', 5));
const TRIALS = 108;

/** The grid's outcome per configuration: its curve (what the pruner reads) and its objective. */
async function gridOutcomes() {
  const store = await JsonFileRunStore.open(storeDir, { readonly: true });
  try {
    const studies = (await store.listStudies()).filter((s) => s.name === GRID_STUDY);
    for (const study of studies.reverse()) {
      const trials = (await store.listTrials(study.id)).filter((t) => t.status === 'complete');
      if (trials.length !== 108) continue;
      const mse = new Map((await store.listEvaluations(study.id)).map((e) => [e.trialId, e.metrics.validation?.mse]));
      const byParams = new Map(
        trials.map((t) => [stableStringify(t.sampled), { configHash: t.configHash, curve: t.history.map(intermediateValue), objective: mse.get(t.id) }]),
      );
      return { study: study.id, byParams };
    }
    return null;
  } finally {
    await store.close();
  }
}

/** One study of `sampler` and `pruner` over the grid's outcomes, as the study loop runs it with one worker. */
function replay(space, outcomes, sampler, pruner) {
  const history = [];
  const curves = [];
  let epochs = 0;
  let pending = null;
  const finish = (entry) => {
    const outcome = outcomes.get(stableStringify(entry.params));
    const curve = { trialId: `t${curves.length}`, training: trainingKey(outcome.configHash, 0), values: [], state: 'running' };
    const others = [...curves];
    curves.push(curve);
    let pruned = false;
    for (const value of outcome.curve) {
      curve.values.push(value);
      epochs++;
      if (pruner.shouldPrune(curve, others)) {
        pruned = true;
        break;
      }
    }
    curve.state = entry.state = pruned ? 'pruned' : 'complete';
    entry.objective = pruned ? null : oriented(outcome.objective, 'minimize');
    entry.mse = pruned ? null : outcome.objective;
  };
  for (;;) {
    const decision = sampler.ask(space, history);
    if (decision.status !== 'run') break;
    const entry = { params: decision.params, objective: null, state: 'running' };
    history.push(entry);
    // The study asks the next configuration while this one trains, then waits for the worker.
    if (pending) finish(pending);
    pending = entry;
  }
  if (pending) finish(pending);
  const completed = history.filter((h) => h.state === 'complete');
  return { epochs, trials: history.length, completed: completed.length, best: Math.min(...completed.map((h) => h.mse)) };
}

const grid = await gridOutcomes();
if (!grid) {
  console.log(JSON.stringify({ bench: 'asha-settings', error: `no complete ${GRID_STUDY} study in ${storeDir}; run search-strategies.mjs --only grid first` }));
  process.exit(0);
}
const space = benchExperiment(GRID_STUDY, {}).space;
const gridBest = Math.min(...[...grid.byParams.values()].map((o) => o.objective));
const gridEpochs = [...grid.byParams.values()].reduce((s, o) => s + o.curve.length, 0);
const samplers = {
  random: (seed) => new RandomSampler(TRIALS, seed),
  tpe: (seed) => new TpeSampler({ trials: TRIALS, seed }),
};
const pruners = {
  asha: (minEpochs, reductionFactor) => new AshaPruner({ minEpochs, reductionFactor }),
  hyperband: (minEpochs, reductionFactor) => new HyperbandPruner({ minEpochs, reductionFactor, maxEpochs: 100 }),
};
const rows = [];
for (const [samplerName, makeSampler] of Object.entries(samplers)) {
  for (const [prunerName, makePruner] of Object.entries(pruners)) {
    for (const reductionFactor of [2, 3, 4]) {
      for (const minEpochs of [1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20]) {
        const runs = Array.from({ length: seeds }, (_, i) => replay(space, grid.byParams, makeSampler(i + 1), makePruner(minEpochs, reductionFactor)));
        const gaps = runs.map((r) => (r.best - gridBest) / gridBest);
        const meanGap = gaps.reduce((a, b) => a + b, 0) / seeds;
        const meanShare = runs.reduce((s, r) => s + r.epochs, 0) / seeds / gridEpochs;
        rows.push({
          sampler: samplerName,
          pruner: prunerName,
          minEpochs,
          reductionFactor,
          meanEpochsShareOfGrid: Number(meanShare.toFixed(3)),
          meanGapToGridBest: Number(meanGap.toFixed(4)),
          worstGap: Number(Math.max(...gaps).toFixed(4)),
          meanCompleted: runs.reduce((s, r) => s + r.completed, 0) / seeds,
          met: meanGap <= 0.01 && meanShare <= 0.25,
        });
      }
    }
  }
}
console.log(JSON.stringify({ bench: 'asha-settings', gridStudy: grid.study, gridBest, gridEpochs, seeds, trialsPerStudy: TRIALS, rows }, null, 2));
