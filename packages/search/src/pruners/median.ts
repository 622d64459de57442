import { TRAINING_BOUNDS } from '@aelab/core';
import { z } from 'zod';
import { settingsObject, SHARED_SETTINGS } from '../settings-registry.js';
import { definePruner, type Pruner, type TrialCurve } from './pruner.js';

export interface MedianPrunerSettings {
  type: 'median';
  startupTrials?: number;
  warmupSteps?: number;
}

/**
 * Optuna's `MedianPruner`: stops a trial whose best value so far is worse than the median
 * of the other trials' values at the same step. Nothing is pruned until `startupTrials`
 * trials have finished, nor before step `warmupSteps + 1`.
 */
export class MedianPruner implements Pruner {
  readonly name = 'median';
  constructor(
    private readonly startupTrials = 5,
    private readonly warmupSteps = 0,
  ) {}

  shouldPrune(trial: TrialCurve, others: readonly TrialCurve[]): boolean {
    const step = trial.values.length;
    if (step <= this.warmupSteps) return false;
    const finished = others.filter((o) => o.state === 'complete' || o.state === 'pruned');
    if (finished.length < this.startupTrials) return false;
    const atStep = others.map((o) => o.values[step - 1]).filter((v): v is number => Number.isFinite(v));
    if (atStep.length === 0) return false;
    const best = Math.min(...trial.values.filter(Number.isFinite));
    return best > median(atStep);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export const medianPruner = definePruner({
  type: 'median',
  schema: settingsObject(
    'median',
    {
      startupTrials: SHARED_SETTINGS.startupTrials.describe('Finished trials before any pruning (default 5).'),
      warmupSteps: z
        .number()
        .int()
        .nonnegative()
        .max(TRAINING_BOUNDS.epochs)
        .optional()
        .describe('Epochs a trial always trains before it can be pruned (default 0).'),
    },
    "Optuna's MedianPruner: stop a trial whose best value is worse than the median of the others at the same epoch.",
  ),
  create: (settings: MedianPrunerSettings) => new MedianPruner(settings.startupTrials, settings.warmupSteps),
});
