import { z } from 'zod';

/** The split whose reconstruction errors an unsupervised threshold rule is computed on. */
export const THRESHOLD_SPLITS = ['train', 'validation'] as const;
export type ThresholdSplit = (typeof THRESHOLD_SPLITS)[number];

const on = z.enum(THRESHOLD_SPLITS).optional().describe('Errors the rule is computed on (default train); validation uses its normal rows only.');

/** The largest k of a meanStd rule: mean + 100 std flags nothing on any data seen; a larger k is a typo. */
export const MAX_STD_MULTIPLE = 100;

/**
 * How reconstruction errors become an anomaly threshold. A sample is an anomaly when its
 * error is strictly greater than the threshold. Only `bestF1` looks at labels, and it
 * says so (`usesLabels`), so reports keep it apart from the honest rules.
 */
export const thresholdRuleSchema = z.discriminatedUnion('rule', [
  z
    .object({ rule: z.literal('percentile'), percentile: z.number().min(0).max(100).describe('np.percentile of the errors (linear interpolation).'), on })
    .strict(),
  z
    .object({
      rule: z.literal('meanStd'),
      k: z.number().min(0).max(MAX_STD_MULTIPLE).describe(`mean + k * std (population std), k in [0, ${MAX_STD_MULTIPLE}].`),
      on,
    })
    .strict(),
  z.object({ rule: z.literal('max'), on }).strict().describe('The largest error of the split: none of its samples is flagged.'),
  z
    .object({
      rule: z.literal('fixed'),
      value: z.number().min(0).describe('The threshold itself: errors are >= 0, so a negative one flags every row.'),
    })
    .strict(),
  z
    .object({ rule: z.literal('bestF1'), on: z.enum(['validation', 'test']).optional() })
    .strict()
    .describe('The threshold with the best F1 on labelled errors: uses labels, so its score is optimistic.'),
]);

export type ThresholdRule = z.output<typeof thresholdRuleSchema>;
export type ThresholdRuleName = ThresholdRule['rule'];

/** The rule names, in schema order. */
export const THRESHOLD_RULES: readonly ThresholdRuleName[] = thresholdRuleSchema.options.map((o) => o.shape.rule.value);

/** The fields a rule may carry besides `rule` (so a swept `threshold.rule` drops the others). */
export function thresholdRuleFields(rule: ThresholdRuleName): string[] {
  const option = thresholdRuleSchema.options.find((o) => o.shape.rule.value === rule);
  return option ? Object.keys(option.shape).filter((k) => k !== 'rule') : [];
}
