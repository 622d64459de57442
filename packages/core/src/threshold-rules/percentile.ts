import { z } from 'zod';
import { quantileInterval } from '../statistics.js';
import { assertFinite, assertScores } from '../score-inputs.js';
import { splitErrorsRule, thresholdSplitField } from './rule.js';

const schema = z
  .object({
    rule: z.literal('percentile'),
    percentile: z.number().min(0).max(100).describe('np.percentile of the errors (linear interpolation).'),
    on: thresholdSplitField,
  })
  .strict();

/** The p-th percentile of the errors (numpy's default linear interpolation). */
export const percentileRule = splitErrorsRule({
  name: 'percentile',
  schema,
  fit(rule, values) {
    const sorted = Float64Array.from(values).sort();
    return {
      threshold: percentileOfSorted(sorted, rule.percentile),
      statistic: `percentile ${rule.percentile}`,
      interval: quantileInterval(sorted, rule.percentile / 100),
    };
  },
  label: (rule) => (rule.percentile === undefined ? 'percentile' : `p${JSON.stringify(rule.percentile)}`),
});

/**
 * `np.percentile(values, p)` with numpy's default `method='linear'`: the value at virtual
 * index (n - 1) * p / 100 of the sorted values, interpolated with numpy's `_lerp` (which
 * interpolates from the upper neighbour when the fraction is >= 0.5, so results agree to
 * the last bit).
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  assertScores('values', values);
  assertFinite('percentile', p);
  if (p < 0 || p > 100) throw new RangeError(`percentile must be in [0, 100], got ${p}`);
  return percentileOfSorted(Float64Array.from(values).sort(), p);
}

/** {@link percentile} of values already sorted ascending (one sort serves the threshold and its interval). */
function percentileOfSorted(sorted: Float64Array, p: number): number {
  const n = sorted.length;
  const virtualIndex = (n - 1) * (p / 100);
  const below = Math.floor(virtualIndex);
  const above = Math.min(below + 1, n - 1);
  const t = virtualIndex - below;
  const a = sorted[below]!;
  const b = sorted[above]!;
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}
