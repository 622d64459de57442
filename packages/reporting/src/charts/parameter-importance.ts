import type { TopLevelSpec } from 'vega-lite';
import { chartHead, round } from './common.js';

/** One parameter's importance: mean and spread over the forest's trees. */
export interface ImportanceBar {
  name: string;
  mean: number;
  std: number;
}

/**
 * Horizontal bars of each parameter's share of the objective's variance, most important on top, ± one std over trees.
 */
export function parameterImportanceSpec(bars: readonly ImportanceBar[]): TopLevelSpec {
  const values = bars.map((b) => ({
    name: b.name,
    mean: round(b.mean, 4),
    low: round(Math.max(0, b.mean - b.std), 4),
    high: round(Math.min(1, b.mean + b.std), 4),
    std: round(b.std, 4),
  }));
  const y = { field: 'name', type: 'nominal', title: null, sort: values.map((v) => v.name) } as const;
  return {
    ...chartHead({ width: 420, height: { step: 22 } }),
    data: { values },
    layer: [
      {
        mark: { type: 'bar', color: '#1f77b4' },
        encoding: {
          y,
          x: {
            field: 'mean',
            type: 'quantitative',
            title: "Share of the objective's variance (main effect)",
            scale: { domain: [0, 1] },
          },
          tooltip: [
            { field: 'name', type: 'nominal', title: 'Parameter' },
            { field: 'mean', type: 'quantitative', title: 'Importance (mean over trees)' },
            { field: 'std', type: 'quantitative', title: 'Std over trees' },
          ],
        },
      },
      {
        mark: { type: 'rule', color: '#333' },
        encoding: { y, x: { field: 'low', type: 'quantitative' }, x2: { field: 'high' } },
      },
    ],
  } as TopLevelSpec;
}
