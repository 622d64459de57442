import { deriveSeed } from '@aelab/core';
import { rungSettings, settingsObject, SHARED_SETTINGS } from '../settings-registry.js';
import { AshaPruner } from './asha.js';
import { definePruner, type Pruner, type TrialCurve } from './pruner.js';

export interface HyperbandOptions {
  /** r: the most aggressive bracket's first rung (default 1). */
  minEpochs?: number;
  /** R: the epochs a trial trains at most; sets the number of brackets. */
  maxEpochs: number;
  /** eta (default 3). */
  reductionFactor?: number;
}

/** The one check of a Hyperband setting that its fields alone cannot make (used by the schema and the constructor). */
function hyperbandIssue(options: { minEpochs?: number; maxEpochs?: number }): string | undefined {
  if (options.maxEpochs === undefined) return undefined;
  const minEpochs = options.minEpochs ?? 1;
  if (options.maxEpochs < minEpochs) return `maxEpochs (${options.maxEpochs}) must be >= minEpochs (${minEpochs})`;
  return undefined;
}

/**
 * Hyperband (Li et al. 2018) as Optuna's `HyperbandPruner`: floor(log_eta(R / r)) + 1
 * brackets, bracket i being successive halving ({@link AshaPruner}) whose rungs start at
 * r * eta^i epochs, so bracket 0 prunes hardest and the last hardly at all. Each trial
 * belongs to one bracket, chosen by a hash of its training (`TrialCurve.training`: its
 * configuration and repeat, so a training re-run after an interruption, or in a fresh study
 * of the same experiment, lands in the same bracket), with Optuna's weights: bracket i gets
 * ceil(n * eta^(n-1-i) / (n-i)) shares of the hash range, more trials where pruning is
 * harder. A trial is compared only with the trials of its own bracket.
 */
export class HyperbandPruner implements Pruner {
  readonly name = 'hyperband';
  private readonly brackets: AshaPruner[] = [];
  private readonly shares: number[] = [];

  constructor(options: HyperbandOptions) {
    const minEpochs = options.minEpochs ?? 1;
    const reductionFactor = options.reductionFactor ?? 3;
    if (!Number.isInteger(options.maxEpochs) || options.maxEpochs < 1)
      throw new Error(`maxEpochs must be a positive integer, got ${options.maxEpochs}`);
    const issue = hyperbandIssue(options);
    if (issue) throw new Error(issue);
    // floor(log_eta(R / r)) + 1, counted in integers so exact powers are not lost to rounding.
    let count = 0;
    for (let epochs = minEpochs; epochs <= options.maxEpochs; epochs *= reductionFactor) count++;
    for (let i = 0; i < count; i++) {
      this.brackets.push(new AshaPruner({ minEpochs, reductionFactor, minEarlyStoppingRate: i }));
      const s = count - 1 - i;
      this.shares.push(Math.ceil((count * reductionFactor ** s) / (s + 1)));
    }
  }

  /** The bracket (0 = most aggressive) of a training (`TrialCurve.training`). */
  bracketOf(training: string): number {
    const total = this.shares.reduce((a, b) => a + b, 0);
    let n = deriveSeed(0, `hyperband:${training}`) % total;
    for (let i = 0; i < this.shares.length; i++) {
      n -= this.shares[i];
      if (n < 0) return i;
    }
    return this.shares.length - 1;
  }

  get bracketCount(): number {
    return this.brackets.length;
  }

  /** Decides at the rungs of the training's bracket only. */
  decidesAt(training: string, epoch: number): boolean {
    return this.brackets[this.bracketOf(training)].isRung(epoch);
  }

  shouldPrune(trial: TrialCurve, others: readonly TrialCurve[]): boolean {
    const bracket = this.bracketOf(trial.training);
    return this.brackets[bracket].shouldPrune(
      trial,
      others.filter((o) => this.bracketOf(o.training) === bracket),
    );
  }
}

export const hyperbandPruner = definePruner({
  type: 'hyperband',
  schema: settingsObject(
    'hyperband',
    {
      ...rungSettings(
        'r: the most aggressive bracket prunes first at this epoch (default 1).',
        'eta: rungs eta times apart; the top 1/eta at each rung trains on (default 3).',
      ),
      maxEpochs: SHARED_SETTINGS.epoch.describe(
        'R: the most epochs a trial trains (default: training.epochs); brackets = floor(log_eta(R / r)) + 1.',
      ),
    },
    "Hyperband (Optuna's HyperbandPruner): successive halving in brackets with different first rungs; " +
      'each trial is hashed to one bracket.',
  ).superRefine((settings, ctx) => {
    const issue = hyperbandIssue(settings);
    if (issue) ctx.addIssue({ code: 'custom', path: ['maxEpochs'], message: issue });
  }),
  create: (settings, context) =>
    new HyperbandPruner({
      minEpochs: settings.minEpochs,
      maxEpochs: settings.maxEpochs ?? context.epochs,
      reductionFactor: settings.reductionFactor,
    }),
});
