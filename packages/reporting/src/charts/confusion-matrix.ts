import type { Confusion } from '@aelab/core';
import type { TopLevelSpec } from 'vega-lite';
import { chartHead } from './common.js';

/** Actual x predicted counts as a heatmap with the counts written in the cells. */
export function confusionMatrixSpec(confusion: Confusion, options: { title?: string } = {}): TopLevelSpec {
  const values = [
    { actual: 'normal', predicted: 'normal', count: confusion.tn },
    { actual: 'normal', predicted: 'anomaly', count: confusion.fp },
    { actual: 'anomaly', predicted: 'normal', count: confusion.fn },
    { actual: 'anomaly', predicted: 'anomaly', count: confusion.tp },
  ];
  const max = Math.max(...values.map((v) => v.count), 1);
  const order = ['normal', 'anomaly'];
  return {
    ...chartHead({ title: options.title ?? 'Confusion matrix (test)', width: 180, height: 180 }),
    data: { values },
    encoding: {
      x: { field: 'predicted', type: 'nominal', sort: order, title: 'Predicted', axis: { labelAngle: 0 } },
      y: { field: 'actual', type: 'nominal', sort: order, title: 'Actual' },
    },
    layer: [
      {
        mark: { type: 'rect' },
        encoding: {
          color: { field: 'count', type: 'quantitative', scale: { scheme: 'blues', domain: [0, max] }, legend: null },
        },
      },
      {
        mark: { type: 'text', fontSize: 16 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: `datum.count > ${max / 2}`, value: 'white' }, value: '#111' },
        },
      },
    ],
  };
}
