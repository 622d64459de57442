#!/usr/bin/env node
// Issue 13's benchmark table for all six strategies over 5 seeds, and the choice of ASHA's
// and Hyperband's settings, replayed exactly from one real grid run (see
// lib/search-strategies.mjs: replayStudy): every configuration's per-epoch validation
// error and final validation MSE come from the grid study that search-strategies.mjs ran
// for real, and the real samplers and pruners decide in the order the study loop runs them
// with one worker. A configuration trains with the same seed whichever strategy proposes it
// (the trial seed derives from the experiment seed and its config hash), so the epochs and
// the best objective are those of real studies; search-strategies.mjs checks this for the
// runs it makes (`matchesReplay`). Wall time cannot be replayed: it comes from those runs.
//
// Usage: node tools/bench/search-replay.mjs [--store runs/bench-v2-store] [--seeds 5] [--settings]
//   --settings also sweeps ASHA and Hyperband over minEpochs x reductionFactor.
// Needs the grid study: node tools/bench/search-strategies.mjs --only grid --store DIR
import { GRID_STUDY, SEEDLESS, STRATEGIES, gridOutcomes, replayStudy } from './lib/search-strategies.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const storeDir = arg('store', 'runs/bench-v2-store');
const seeds = Number(arg('seeds', 5));
const round = (x, digits = 4) => Number(x.toFixed(digits));
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

const grid = await gridOutcomes(storeDir);
if (!grid) {
  console.log(
    JSON.stringify({
      bench: 'search-replay',
      error:
        `no complete ${GRID_STUDY} study with validation errors in ${storeDir}; ` +
        'run search-strategies.mjs --only grid first',
    }),
  );
  process.exit(0);
}
const outcomes = [...grid.byParams.values()];
const gridBest = Math.min(...outcomes.map((o) => o.objective));
const gridEpochs = outcomes.reduce((s, o) => s + o.curve.length, 0);
const ranked = outcomes.map((o) => o.objective).sort((a, b) => a - b);

/** Means over seeds of one strategy (sampler and pruner settings per seed). */
function row(searchOf, seedCount) {
  const runs = Array.from({ length: seedCount }, (_, i) => replayStudy(grid, searchOf(i + 1)));
  const gaps = runs.map((r) => (r.best.objective - gridBest) / gridBest);
  const share = mean(runs.map((r) => r.epochs)) / gridEpochs;
  return {
    meanEpochs: round(mean(runs.map((r) => r.epochs)), 1),
    meanEpochsShareOfGrid: round(share, 3),
    meanTrials: round(mean(runs.map((r) => r.trials)), 1),
    meanCompleted: round(mean(runs.map((r) => r.completed)), 1),
    bestObjectives: runs.map((r) => round(r.best.objective, 5)),
    gridRankOfBest: runs.map((r) => ranked.indexOf(r.best.objective) + 1),
    meanGapToGridBest: round(mean(gaps)),
    within1PercentOfGridBest: gaps.filter((g) => g <= 0.01).length,
    met: mean(gaps) <= 0.01 && share <= 0.25,
  };
}

const table = Object.entries(STRATEGIES).map(([strategy, searchOf]) => ({
  strategy,
  seeds: SEEDLESS.has(strategy) ? 1 : seeds,
  ...row(searchOf, SEEDLESS.has(strategy) ? 1 : seeds),
}));
const settings = [];
if (process.argv.includes('--settings')) {
  for (const type of ['asha', 'hyperband']) {
    for (const sampler of ['random', 'tpe']) {
      for (const reductionFactor of [2, 3, 4]) {
        for (const minEpochs of [1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20]) {
          const searchOf = (seed) => ({
            sampler: { type: sampler, trials: 108, seed },
            pruner: { type, minEpochs, reductionFactor },
          });
          settings.push({ sampler, pruner: type, minEpochs, reductionFactor, ...row(searchOf, seeds) });
        }
      }
    }
  }
}
console.log(
  JSON.stringify(
    { bench: 'search-replay', gridStudy: grid.study, gridBest, gridEpochs, seeds, table, settings },
    null,
    2,
  ),
);
