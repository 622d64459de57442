#!/usr/bin/env node
// Search strategies against the grid on a real dataset (issue 13): ECG5000 (ecg.csv, the
// UCR TRAIN rows 0-499 for training, normal beats only), dense autoencoders, a space of
// 4 encoder shapes x 3 dropout x 3 L2 x 3 learning rates = 108 configurations, 100 epochs,
// objective = the lowest mean reconstruction MSE on the validation split (normal TRAIN
// beats held out from training; no test label is read by any sampler or pruner).
//
// Every strategy runs the real study machinery (runStudy, the Piscina pool, the JSON run
// store) with real trainings. The experiment seed is the same for every strategy and
// only the sampler's seed varies, so a configuration trains with the same trial seed
// (derived from the experiment seed and its config hash) whichever strategy proposes it:
// the output checks that every completed trial's validation MSE equals the grid's for the
// same configuration (`sameAsGrid`), and that each run's epochs and best equal the exact
// replay of search-replay.mjs (`matchesReplay`). Strategies and budgets: lib/search-strategies.mjs.
//
// Usage: node tools/bench/search-strategies.mjs [--seeds 1,2,3,4,5] [--only grid,tpe+asha]
//   [--out runs/bench-v2.json] [--store runs/bench-v2-store] [--epochs 100]
// Each (strategy, seed) run is appended to --out (JSON) as soon as it ends; a run already
// there is not repeated, so a killed benchmark resumes. Prints the summary as JSON.
// Needs a build (npm ci does one) and AELAB_DATA_DIR with ecg_tensorflow/ecg.csv.
import { availableParallelism, cpus } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { runStudy } from '@aelab/search';
import { JsonFileRunStore } from '@aelab/store';
import {
  ASHA,
  HYPERBAND,
  PRUNED_TRIALS,
  SEEDLESS,
  STRATEGIES,
  UNPRUNED_TRIALS,
  benchExperiment,
  gridOutcomes,
  replayStudy,
} from './lib/search-strategies.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
/** The sampler seeds to run for real, e.g. "1" or "1,2,3,4,5" (search-replay.mjs gives all five exactly). */
const seedList = arg('seeds', '1,2,3,4,5').split(',').map(Number);
const epochs = Number(arg('epochs', 100));
const out = arg('out', 'runs/bench-v2.json');
const storeDir = arg('store', 'runs/bench-v2-store');
const only = arg('only', '').split(',').filter(Boolean);

function experimentOf(strategy, seed) {
  return benchExperiment(`bench-${strategy.replace('+', '-')}`, STRATEGIES[strategy](seed), epochs);
}

/** One study, run for real; returns what the table needs and each trial's outcome. */
async function runOne(store, strategy, seed) {
  const experiment = experimentOf(strategy, seed);
  const started = performance.now();
  const summary = await runStudy({ experiment, experimentPath: `bench:${strategy}`, store, workers: 1, fresh: true });
  const seconds = (performance.now() - started) / 1000;
  const trialRecords = await store.listTrials(summary.study.id);
  const evaluations = await store.listEvaluations(summary.study.id);
  const objectiveOf = new Map(evaluations.map((e) => [e.trialId, e.metrics.validation?.mse ?? null]));
  const outcome = trialRecords.map((t) => ({
    configHash: t.configHash,
    params: t.sampled,
    status: t.status,
    epochs: t.history.length,
    objective: t.status === 'complete' ? objectiveOf.get(t.id) : null,
  }));
  const completed = outcome.filter((t) => t.status === 'complete' && typeof t.objective === 'number');
  const best = completed.reduce((a, b) => (b.objective < a.objective ? b : a), completed[0]);
  return {
    strategy,
    seed: SEEDLESS.has(strategy) ? null : seed,
    seconds: Number(seconds.toFixed(1)),
    trials: outcome.length,
    completed: completed.length,
    pruned: outcome.filter((t) => t.status === 'pruned').length,
    failed: outcome.filter((t) => t.status === 'failed').length,
    epochs: outcome.reduce((sum, t) => sum + t.epochs, 0),
    best: best ? { objective: best.objective, configHash: best.configHash, params: best.params } : null,
    outcome,
  };
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const round = (x, digits = 4) => Number(x.toFixed(digits));

/**
 * Per strategy: means over the seeds run, against the grid's best, epochs and time; each
 * run's epochs and best also against the exact replay of the same strategy and seed.
 */
function summarise(runs, replayGrid) {
  const grid = runs.find((r) => r.strategy === 'grid');
  if (!grid) return { note: 'no grid run yet' };
  const gridObjective = new Map(grid.outcome.map((t) => [t.configHash, t.objective]));
  const ranked = [...gridObjective.values()].filter((v) => typeof v === 'number').sort((a, b) => a - b);
  const table = Object.keys(STRATEGIES).flatMap((strategy) => {
    const mine = runs.filter((r) => r.strategy === strategy);
    if (mine.length === 0) return [];
    const gap = mine.map((r) => (r.best ? (r.best.objective - grid.best.objective) / grid.best.objective : Infinity));
    const completedTrials = mine.flatMap((r) => r.outcome.filter((t) => t.status === 'complete'));
    const replays = replayGrid && mine.map((r) => replayStudy(replayGrid, STRATEGIES[strategy](r.seed ?? 1), epochs));
    return [
      {
        strategy,
        seeds: mine.map((r) => r.seed),
        meanEpochs: round(mean(mine.map((r) => r.epochs)), 1),
        meanEpochsShareOfGrid: round(mean(mine.map((r) => r.epochs)) / grid.epochs, 3),
        meanSeconds: round(mean(mine.map((r) => r.seconds)), 1),
        meanSecondsShareOfGrid: round(mean(mine.map((r) => r.seconds)) / grid.seconds, 3),
        meanTrials: round(mean(mine.map((r) => r.trials)), 1),
        meanPruned: round(mean(mine.map((r) => r.pruned)), 1),
        bestObjectives: mine.map((r) => r.best?.objective ?? null),
        /** (best found - grid's best) / grid's best, mean over seeds: 0 = the grid's winner. */
        meanGapToGridBest: round(mean(gap), 4),
        within1PercentOfGridBest: gap.filter((g) => g <= 0.01).length,
        /** The grid rank (1 = the grid's winner) of each seed's best. */
        gridRankOfBest: mine.map((r) => (r.best ? ranked.indexOf(gridObjective.get(r.best.configHash)) + 1 : null)),
        /** Completed trials whose validation MSE equals the grid's for the same configuration. */
        sameAsGrid:
          `${completedTrials.filter((t) => t.objective === gridObjective.get(t.configHash)).length}/` +
          `${completedTrials.length}`,
        /** Runs whose epochs, trials and best equal search-replay.mjs's for the same strategy and seed. */
        matchesReplay: replays
          ? mine.filter(
              (r, i) =>
                r.epochs === replays[i].epochs &&
                r.trials === replays[i].trials &&
                r.best?.objective === replays[i].best?.objective,
            ).length + `/${mine.length}`
          : 'no grid with validation errors to replay',
      },
    ];
  });
  return { gridBest: grid.best, gridEpochs: grid.epochs, gridSeconds: grid.seconds, table };
}

const saved = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : { runs: [] };
const store = await JsonFileRunStore.open(storeDir);
try {
  for (const strategy of Object.keys(STRATEGIES)) {
    if (only.length > 0 && !only.includes(strategy)) continue;
    for (const seed of SEEDLESS.has(strategy) ? [null] : seedList) {
      if (saved.runs.some((r) => r.strategy === strategy && r.seed === seed)) continue;
      process.stderr.write(`${strategy} seed ${seed}...\n`);
      const result = await runOne(store, strategy, seed);
      process.stderr.write(`  ${result.epochs} epochs, ${result.seconds} s, best ${result.best?.objective}\n`);
      saved.runs.push(result);
      writeFileSync(out, JSON.stringify(saved));
    }
  }
} finally {
  await store.close();
}
console.log(
  JSON.stringify(
    {
      bench: 'search-strategies',
      cpus: availableParallelism(),
      cpu: cpus()[0]?.model,
      node: process.versions.node,
      epochs,
      configurations: 108,
      budgets: {
        grid: 108,
        random: UNPRUNED_TRIALS,
        tpe: UNPRUNED_TRIALS,
        pruned: PRUNED_TRIALS,
        asha: ASHA,
        hyperband: HYPERBAND,
      },
      ...summarise(saved.runs, await gridOutcomes(storeDir)),
    },
    null,
    2,
  ),
);
