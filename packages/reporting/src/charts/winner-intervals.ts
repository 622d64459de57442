import type { TopLevelSpec } from 'vega-lite';
import { chartHead, round } from './common.js';

/** A configuration's selection value: its mean over repeats and 95% interval (null without one). */
export interface IntervalRow {
  label: string;
  mean: number;
  low: number | null;
  high: number | null;
}

/** Each row's mean as a dot and its 95% interval as a bar, one line per row: do the intervals overlap? */
export function winnerIntervalsSpec(rows: readonly IntervalRow[], options: { metricLabel: string }): TopLevelSpec {
  const values = rows.map((r) => ({
    label: r.label,
    mean: round(r.mean),
    low: r.low === null ? null : round(r.low),
    high: r.high === null ? null : round(r.high),
  }));
  const y = { field: 'label', type: 'nominal', title: null, sort: null } as const;
  return {
    ...chartHead({ width: 520 }),
    data: { values },
    layer: [
      {
        transform: [{ filter: 'datum.low !== null' }],
        mark: { type: 'rule', strokeWidth: 3, color: '#7f8c99' },
        encoding: {
          y,
          x: {
            field: 'low',
            type: 'quantitative',
            title: `${options.metricLabel}: mean and 95% interval`,
            scale: { zero: false },
          },
          x2: { field: 'high' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 70, color: '#d62728' },
        encoding: {
          y,
          x: { field: 'mean', type: 'quantitative' },
          tooltip: [
            { field: 'label', title: 'Study' },
            { field: 'mean', title: 'Mean' },
            { field: 'low', title: '95% low' },
            { field: 'high', title: '95% high' },
          ],
        },
      },
    ],
  } as TopLevelSpec;
}
