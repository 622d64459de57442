import type { Json } from '@aelab/core';
import type { TopLevelSpec } from 'vega-lite';
import { chartHead, round } from './common.js';

/** One evaluated configuration's score at its value of the parameter. */
export interface ParamPoint {
  value: Json | undefined;
  score: number;
  /** Colour group, usually the model family. */
  group: string;
}

/**
 * The selection metric against one parameter: quantitative axis (log when the values span
 * two decades or more) for numbers, categories otherwise. Points without the parameter
 * (conditional parameters of other families) are left out.
 */
export function metricVsParamSpec(param: string, points: readonly ParamPoint[], metricLabel: string): TopLevelSpec {
  const present = points.filter((p) => p.value !== undefined && p.value !== null);
  // A single distinct number is drawn as a category: a quantitative axis of one value is unreadable.
  const numeric = present.every((p) => typeof p.value === 'number') && new Set(present.map((p) => p.value)).size > 1;
  const values = present.map((p) => ({
    value: numeric ? (p.value as number) : typeof p.value === 'string' ? p.value : JSON.stringify(p.value),
    score: round(p.score),
    group: p.group,
  }));
  const nums = numeric ? values.map((v) => v.value as number) : [];
  const logScale = numeric && nums.every((v) => v > 0) && Math.max(...nums) / Math.min(...nums) >= 100;
  const categories = numeric ? [] : [...new Set(values.map((v) => v.value as string))].sort();
  return {
    ...chartHead({ title: `${metricLabel} vs ${param}`, width: 240, height: 180 }),
    data: { values },
    mark: { type: 'point', filled: true, opacity: 0.7, size: 36 },
    encoding: {
      x: numeric
        ? {
            field: 'value',
            type: 'quantitative',
            title: param,
            scale: { type: logScale ? 'log' : 'linear', zero: false },
          }
        : { field: 'value', type: 'nominal', title: param, sort: categories, axis: { labelAngle: 0, labelLimit: 90 } },
      y: { field: 'score', type: 'quantitative', title: metricLabel, scale: { zero: false } },
      color: { field: 'group', type: 'nominal', title: 'Family' },
    },
  };
}
