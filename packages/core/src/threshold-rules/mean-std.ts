import { z } from 'zod';
import type { Interval } from '../statistics.js';
import { assertScores } from '../score-inputs.js';
import { splitErrorsRule, thresholdSplitField } from './rule.js';

/** The largest k of a meanStd rule: mean + 100 std flags nothing on any data seen; a larger k is a typo. */
export const MAX_STD_MULTIPLE = 100;

const schema = z
  .object({
    rule: z.literal('meanStd'),
    k: z
      .number()
      .min(0)
      .max(MAX_STD_MULTIPLE)
      .describe(`mean + k * std (population std), k in [0, ${MAX_STD_MULTIPLE}].`),
    on: thresholdSplitField,
  })
  .strict();

/** mean + k * std of the errors. */
export const meanStdRule = splitErrorsRule({
  name: 'meanStd',
  schema,
  fit(rule, values) {
    const { mean, std } = meanAndStd(values);
    return {
      threshold: mean + rule.k * std,
      statistic: `mean + ${rule.k} * std`,
      interval: meanStdInterval(mean, std, rule.k, values.length),
    };
  },
  label: (rule) => (rule.k === undefined ? 'meanStd' : `meanStd k=${JSON.stringify(rule.k)}`),
});

/** Mean and population standard deviation (ddof = 0, as `np.std`), two-pass for accuracy. */
export function meanAndStd(values: ArrayLike<number>): { mean: number; std: number } {
  assertScores('values', values);
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i]! - mean;
    squares += d * d;
  }
  return { mean, std: Math.sqrt(squares / n) };
}

/**
 * The 95% interval of mean + k * std from n rows: its standard error is
 * std * sqrt(1/n + k^2 / (2(n - 1))) (the sample mean's variance plus the sample std's,
 * which are independent for normal rows); null below two rows.
 */
function meanStdInterval(mean: number, std: number, k: number, n: number): Interval | null {
  if (n < 2) return null;
  const half = 1.959963984540054 * std * Math.sqrt(1 / n + (k * k) / (2 * (n - 1)));
  return { low: mean + k * std - half, high: mean + k * std + half };
}
