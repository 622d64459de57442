import { z } from 'zod';
import { LOWEST_THRESHOLD, type ThresholdRuleDefinition } from './rule.js';

const schema = z
  .object({
    rule: z.literal('fixed'),
    value: z
      .number()
      .min(LOWEST_THRESHOLD)
      .describe('The threshold itself: errors are >= 0, so a negative one flags every row.'),
  })
  .strict();

/** A threshold given by the experiment: reads no errors. */
export const fixedRule: ThresholdRuleDefinition<typeof schema> = {
  name: 'fixed',
  schema,
  usesLabels: false,
  fitsOn: () => null,
  compute: (rule) => ({
    threshold: rule.value,
    usesLabels: false,
    description: `fixed value ${rule.value}`,
    interval: null,
  }),
  label: () => 'fixed',
};
