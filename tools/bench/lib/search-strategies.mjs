// The fixed search problem of issue 13's benchmark, shared by search-strategies.mjs (real
// studies) and search-replay.mjs (the grid's curves replayed through the real samplers and
// pruners). Not a benchmark itself: run.mjs runs only the .mjs files directly in tools/bench.
import { intermediateValue, oriented, stableStringify } from '@aelab/core';
import { createPruner, createSampler, parseExperiment } from '@aelab/search';
import { JsonFileRunStore, trainingKey } from '@aelab/store';

/**
 * ASHA as recommended in docs/search-benchmark.md (chosen there with search-replay.mjs --settings: r = round(100 /
 * 16)).
 */
export const ASHA = { type: 'asha', minEpochs: 6, reductionFactor: 3 };
/** Hyperband with the same r and eta; R = the experiment's 100 epochs. */
export const HYPERBAND = { type: 'hyperband', minEpochs: 6, reductionFactor: 3 };
/** Trials of the unpruned random and TPE samplers: 27 of 108 full trainings = 25% of the grid's epochs. */
export const UNPRUNED_TRIALS = 27;
/** Configurations the pruned strategies may propose: all 108 (their epochs are the budget that counts). */
export const PRUNED_TRIALS = 108;

/** Each strategy's sampler and pruner for a seed (the sampler's seed; the experiment seed stays 2024). */
export const STRATEGIES = {
  grid: () => ({ sampler: { type: 'grid' } }),
  random: (seed) => ({ sampler: { type: 'random', trials: UNPRUNED_TRIALS, seed } }),
  tpe: (seed) => ({ sampler: { type: 'tpe', trials: UNPRUNED_TRIALS, seed } }),
  'random+asha': (seed) => ({ sampler: { type: 'random', trials: PRUNED_TRIALS, seed }, pruner: ASHA }),
  'tpe+asha': (seed) => ({ sampler: { type: 'tpe', trials: PRUNED_TRIALS, seed }, pruner: ASHA }),
  'tpe+hyperband': (seed) => ({ sampler: { type: 'tpe', trials: PRUNED_TRIALS, seed }, pruner: HYPERBAND }),
};
/** The grid's order depends on no seed: it runs once. */
export const SEEDLESS = new Set(['grid']);

/** The grid study's name in the benchmark's store. */
export const GRID_STUDY = 'bench-grid';

/**
 * ECG5000 via ecg.csv: the UCR TRAIN rows 0-499 train (normal beats only, 20% of them held
 * out as validation), rows 500- are the test split, which no sampler or pruner reads: the
 * objective is the mean reconstruction MSE of the validation beats (minimised), and the
 * pruners read the per-epoch validation error. 4 encoders x 3 dropout x 3 L2 x 3 learning
 * rates = 108 dense autoencoders of `epochs` epochs. `search` is the sampler and pruner part.
 */
export function benchExperiment(name, search, epochs = 100) {
  return parseExperiment({
    name,
    seed: 2024,
    data: {
      dataset: 'ecg',
      split: { kind: 'rows', train: [0, 500], test: [500, null] },
      scaler: 'standard',
      trainOn: 'normal',
      validationFraction: 0.2,
    },
    model: { kind: 'dense', encoder: [64, 32, 16], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
    training: { epochs, batchSize: 32, learningRate: 0.001, loss: 'mse', earlyStopping: null },
    scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
    space: {
      'model.encoder': {
        type: 'categorical',
        values: [
          [32, 8],
          [64, 32, 8],
          [128, 64, 32, 16],
          [128, 32],
        ],
      },
      'model.dropout': { type: 'categorical', values: [0, 0.1, 0.3] },
      'model.l2': { type: 'categorical', values: [0, 0.0001, 0.001] },
      'training.learningRate': { type: 'categorical', values: [0.0003, 0.001, 0.003] },
    },
    ...search,
    selection: { metric: 'mse', direction: 'minimize', split: 'validation' },
    executor: { backend: 'wasm' },
  });
}

/**
 * The latest complete grid study of a store: per configuration (by its sampled params), its
 * config hash, the values it reported to the pruning channel each epoch, and its objective.
 * Null when there is none, or when its curves predate the validation error (valError).
 */
export async function gridOutcomes(storeDir) {
  const store = await JsonFileRunStore.open(storeDir, { readonly: true });
  try {
    const studies = (await store.listStudies()).filter((s) => s.name === GRID_STUDY).reverse();
    for (const study of studies) {
      const trials = (await store.listTrials(study.id)).filter((t) => t.status === 'complete');
      if (trials.length !== 108 || trials.some((t) => t.history.some((e) => e.valError === undefined))) continue;
      const mse = new Map((await store.listEvaluations(study.id)).map((e) => [e.trialId, e.metrics.validation?.mse]));
      const byParams = new Map(
        trials.map((t) => [
          stableStringify(t.sampled),
          { configHash: t.configHash, curve: t.history.map(intermediateValue), objective: mse.get(t.id) },
        ]),
      );
      return { study: study.id, byParams };
    }
    return null;
  } finally {
    await store.close();
  }
}

/**
 * One study of `search` (sampler and pruner settings) replayed over the grid's outcomes
 * with the real sampler and pruner, in the order the study loop runs them with one worker:
 * it asks the next configuration while the previous trial trains, and each trial reports
 * its epochs to the pruner with every earlier trial's curve. Exact because a configuration
 * trains with the same seed, so the same curve, whichever strategy proposes it.
 */
export function replayStudy(grid, search, epochs = 100) {
  const experiment = benchExperiment('replay', search, epochs);
  const sampler = createSampler(experiment.sampler, { seed: experiment.seed });
  const pruner = createPruner(experiment.pruner, { epochs });
  const history = [];
  const curves = [];
  let trained = 0;
  const finish = (entry) => {
    const outcome = grid.byParams.get(stableStringify(entry.params));
    const curve = {
      trialId: `t${curves.length}`,
      training: trainingKey(outcome.configHash, 0),
      values: [],
      state: 'running',
    };
    const others = [...curves];
    curves.push(curve);
    for (const value of outcome.curve) {
      curve.values.push(value);
      trained++;
      if (pruner.shouldPrune(curve, others)) {
        curve.state = 'pruned';
        break;
      }
    }
    if (curve.state !== 'pruned') curve.state = 'complete';
    entry.state = curve.state;
    entry.objective = curve.state === 'complete' ? oriented(outcome.objective, 'minimize') : null;
    entry.mse = curve.state === 'complete' ? outcome.objective : null;
    entry.configHash = outcome.configHash;
  };
  let running = null;
  for (;;) {
    const decision = sampler.ask(experiment.space, history);
    if (decision.status !== 'run') break;
    const entry = { params: decision.params, objective: null, state: 'running' };
    history.push(entry);
    if (running) finish(running);
    running = entry;
  }
  if (running) finish(running);
  const completed = history.filter((h) => h.state === 'complete');
  const best = completed.reduce((a, b) => (b.mse < a.mse ? b : a), completed[0]);
  return {
    epochs: trained,
    trials: history.length,
    completed: completed.length,
    pruned: history.length - completed.length,
    best: best ? { objective: best.mse, configHash: best.configHash, params: best.params } : null,
  };
}
