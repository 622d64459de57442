import type { TopLevelSpec } from 'vega-lite';
import { chartHead, round } from './common.js';

/** One scoring variant (e.g. "p90") and its precision, recall and F1. */
export interface SweepVariant {
  label: string;
  precision?: number;
  recall?: number;
  f1?: number;
}

/**
 * Precision, recall and F1 per threshold variant as grouped bars, as in the seed
 * notebook's percentile comparison. Variants keep the given order.
 */
export function thresholdSweepSpec(variants: readonly SweepVariant[], options: { title?: string } = {}): TopLevelSpec {
  const metrics = [
    ['precision', 'Precision'],
    ['recall', 'Recall'],
    ['f1', 'F1'],
  ] as const;
  const values = variants.flatMap((v) =>
    metrics
      .filter(([key]) => v[key] !== undefined)
      .map(([key, name]) => ({ variant: v.label, metric: name, value: round(v[key]!, 4) })),
  );
  return {
    ...chartHead({
      title: options.title ?? 'Threshold sweep (test split)',
      width: Math.max(240, 90 * variants.length),
      height: 220,
    }),
    data: { values },
    layer: [
      { mark: { type: 'bar' } },
      {
        mark: { type: 'text', dy: -5, fontSize: 9 },
        encoding: { text: { field: 'value', type: 'quantitative', format: '.2f' } },
      },
    ],
    encoding: {
      x: {
        field: 'variant',
        type: 'nominal',
        title: 'Threshold',
        sort: variants.map((v) => v.label),
        axis: { labelAngle: 0 },
      },
      xOffset: { field: 'metric', type: 'nominal', sort: metrics.map(([, n]) => n) },
      y: { field: 'value', type: 'quantitative', title: 'Score', scale: { domain: [0, 1.05] } },
      color: { field: 'metric', type: 'nominal', title: 'Metric', sort: metrics.map(([, n]) => n) },
    },
  };
}
