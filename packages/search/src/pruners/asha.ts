import { z } from 'zod';
import { rungSettings, SETTING_BOUNDS, settingsObject } from '../settings-registry.js';
import { definePruner, type Pruner, type TrialCurve } from './pruner.js';

export interface AshaOptions {
  /** r: the first rung's epoch (with s = 0); default 1 (an experiment's default is {@link recommendedMinEpochs}). */
  minEpochs?: number;
  /** eta: rungs are eta times apart, and the top 1/eta of a rung goes on. */
  reductionFactor?: number;
  /** s: skips the first s rungs (Hyperband's brackets differ only in it). */
  minEarlyStoppingRate?: number;
}
type FilledAshaOptions = Required<AshaOptions>;

const kDefaultOptions: FilledAshaOptions = { minEpochs: 1, reductionFactor: 3, minEarlyStoppingRate: 0 };

/**
 * The first rung an experiment gets when its `asha` pruner names no `minEpochs`: a
 * sixteenth of its epochs (6 of 100), at least 1. On the ECG5000 benchmark
 * (docs/search-benchmark.md) the grid's best configuration is only 20th of 108 after one
 * epoch (11th after 6, 1st after 100), so rungs from r = 1 or 2 pruned it on most seeds;
 * with eta = 3, r = 4, 6 and 8 kept it on every seed for random and TPE sampling alike
 * (r = 5 lost it twice with TPE), at 11-23% of the grid's epochs.
 */
export function recommendedMinEpochs(epochs: number): number {
  return Math.max(1, Math.round(epochs / 16));
}

/**
 * Asynchronous successive halving (Li et al. 2018), as Optuna's `SuccessiveHalvingPruner`:
 * rungs sit at epochs r * eta^(k + s), k = 0, 1, ... When a trial reports the value of a
 * rung's epoch, that value is compared with every value recorded at the same epoch so far
 * (its own included, and those of trials that finished, were pruned there or failed
 * later): the trial goes on only if it is among the best floor(n / eta) of those n
 * values, or, while fewer than eta are there, if it is the best. A rung never waits to
 * fill, and between rungs nothing is pruned. A non-finite value at a rung is pruned.
 *
 * A pure function of the curves: a trial's value at a rung is its curve's value at that
 * epoch, so the study's curves rebuilt on resume give the same decisions.
 */
export class AshaPruner implements Pruner {
  readonly name = 'asha';
  private readonly options: FilledAshaOptions;

  constructor(options: AshaOptions = {}) {
    this.options = {
      ...kDefaultOptions,
      ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    };
    const { minEpochs, reductionFactor, minEarlyStoppingRate } = this.options;
    if (!Number.isInteger(minEpochs) || minEpochs < 1)
      throw new Error(`minEpochs must be a positive integer, got ${minEpochs}`);
    if (!Number.isInteger(reductionFactor) || reductionFactor < 2)
      throw new Error(`reductionFactor must be an integer >= 2, got ${reductionFactor}`);
    if (!Number.isInteger(minEarlyStoppingRate) || minEarlyStoppingRate < 0) {
      throw new Error(`minEarlyStoppingRate must be a non-negative integer, got ${minEarlyStoppingRate}`);
    }
  }

  /** Whether `epoch` is one of this pruner's rungs. */
  isRung(epoch: number): boolean {
    const { minEpochs, reductionFactor, minEarlyStoppingRate } = this.options;
    let rung = minEpochs * reductionFactor ** minEarlyStoppingRate;
    while (rung < epoch) rung *= reductionFactor;
    return rung === epoch;
  }

  /** Decides at its rungs only, whatever the training. */
  decidesAt(_training: string, epoch: number): boolean {
    return this.isRung(epoch);
  }

  shouldPrune(trial: TrialCurve, others: readonly TrialCurve[]): boolean {
    const epoch = trial.values.length;
    if (!this.isRung(epoch)) return false;
    const value = trial.values[epoch - 1];
    if (!Number.isFinite(value)) return true;
    const atRung = others.map((o) => o.values[epoch - 1]).filter((v) => Number.isFinite(v));
    return !promotable(value, [...atRung, value], this.options.reductionFactor);
  }
}

/**
 * Optuna's rule: among `competing` (lower is better, `value` included) the best
 * floor(n / eta) go on; while n < eta, only the best does, since a trial is never paused
 * to wait for the rung to fill.
 */
function promotable(value: number, competing: number[], reductionFactor: number): boolean {
  const kept = Math.max(1, Math.floor(competing.length / reductionFactor));
  return value <= competing.sort((a, b) => a - b)[kept - 1];
}

export const ashaPruner = definePruner({
  type: 'asha',
  schema: settingsObject(
    'asha',
    {
      ...rungSettings(
        'r: the first rung is at this epoch (default: training.epochs / 16, rounded, at least 1; 6 of 100 epochs).',
        'eta: rungs at r * eta^k epochs; the top 1/eta at each rung trains on (default 3).',
      ),
      minEarlyStoppingRate: z
        .number()
        .int()
        .nonnegative()
        .max(SETTING_BOUNDS.earlyStoppingRate)
        .optional()
        .describe('s: rungs start at r * eta^s epochs (default 0).'),
    },
    "Asynchronous successive halving (Optuna's SuccessiveHalvingPruner): at each rung epoch, " +
      'keep a trial only if it is in the top 1/eta of the values seen there.',
  ),
  create: (settings, context) =>
    new AshaPruner({
      minEpochs: settings.minEpochs ?? recommendedMinEpochs(context.epochs),
      reductionFactor: settings.reductionFactor,
      minEarlyStoppingRate: settings.minEarlyStoppingRate,
    }),
});
