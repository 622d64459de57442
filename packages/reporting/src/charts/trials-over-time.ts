import type { TopLevelSpec } from 'vega-lite';
import { chartHead, round } from './common.js';

/** A trial's score: the selection value of the evaluation its study features for it. */
export interface TrialScore {
  number: number;
  score: number;
  /**
   * The study's best objective once this trial was recorded: core's mean over repeats of the
   * leading configuration (not the best single repeat), so it may fall when a repeat lowers it.
   */
  best: number;
  /** Epochs trained by the study up to the end of this trial, pruned and failed trials included. */
  epochsSoFar?: number;
}

/**
 * Each trial's score in creation order with the best-so-far line (each trial's `best`): how
 * fast the search converged, per trial or (`by: 'epochs'`, the search-efficiency view) per
 * epoch trained.
 */
export function trialsOverTimeSpec(
  trials: readonly TrialScore[],
  options: { metricLabel: string; by?: 'trial' | 'epochs' },
): TopLevelSpec {
  const sorted = [...trials].sort((a, b) => a.number - b.number);
  const values = sorted.map((t) => ({
    number: t.number,
    epochs: t.epochsSoFar ?? null,
    score: round(t.score),
    best: round(t.best),
  }));
  const byEpochs = options.by === 'epochs';
  return {
    ...chartHead({
      title: byEpochs
        ? `Best ${options.metricLabel} so far against epochs trained`
        : `${options.metricLabel} by trial, with best so far`,
      width: 520,
      height: 220,
    }),
    data: { values },
    encoding: {
      x: byEpochs
        ? { field: 'epochs', type: 'quantitative', title: 'Epochs trained (all trials)' }
        : { field: 'number', type: 'quantitative', title: 'Trial number' },
    },
    layer: [
      {
        mark: { type: 'point', filled: true, size: 20, opacity: 0.55, color: '#7f8c99' },
        encoding: { y: { field: 'score', type: 'quantitative', title: options.metricLabel, scale: { zero: false } } },
      },
      {
        mark: { type: 'line', interpolate: 'step-after', color: '#d62728', strokeWidth: 2 },
        encoding: { y: { field: 'best', type: 'quantitative' } },
      },
    ],
  };
}
