import type { TopLevelSpec } from 'vega-lite';
import { chartHead, round } from './common.js';

/** The values one trial reported to the study's pruner, one per epoch. */
export interface IntermediateCurve {
  /** The trial's number in its study. */
  trial: number;
  status: string;
  points: readonly { epoch: number; value: number }[];
}

/**
 * Every trial's intermediate value per epoch (as optuna-dashboard's chart), coloured by
 * status; a dot marks the epoch where a pruned trial was stopped.
 */
export function intermediateValuesSpec(
  curves: readonly IntermediateCurve[],
  options: { valueLabel: string },
): TopLevelSpec {
  const values = curves.flatMap((c) =>
    c.points
      .filter((p) => Number.isFinite(p.value))
      .map((p) => ({ trial: c.trial, status: c.status, epoch: p.epoch, value: round(p.value) })),
  );
  const stops = curves
    .filter((c) => c.status === 'pruned' && c.points.length > 0)
    .map((c) => ({
      trial: c.trial,
      epoch: c.points[c.points.length - 1].epoch,
      value: round(c.points[c.points.length - 1].value),
    }));
  const color = {
    field: 'status',
    type: 'nominal',
    title: 'Status',
    sort: ['complete', 'pruned', 'failed', 'interrupted'],
  } as const;
  return {
    ...chartHead({ width: 520, height: 260 }),
    layer: [
      {
        data: { values },
        mark: { type: 'line', strokeWidth: 1.2, opacity: 0.7 },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', title: 'Epoch' },
          y: { field: 'value', type: 'quantitative', title: options.valueLabel, scale: { zero: false } },
          color,
          detail: { field: 'trial', type: 'nominal' },
        },
      },
      {
        data: { values: stops },
        mark: { type: 'point', filled: true, size: 40, color: '#c0392b' },
        encoding: {
          x: { field: 'epoch', type: 'quantitative' },
          y: { field: 'value', type: 'quantitative' },
          tooltip: [
            { field: 'trial', type: 'nominal', title: 'Trial #' },
            { field: 'epoch', type: 'quantitative', title: 'Pruned after epoch' },
          ],
        },
      },
    ],
  } as TopLevelSpec;
}
