import { z } from 'zod';
import { errorsOn, thresholdSplitField, type ThresholdRuleDefinition } from './rule.js';

const schema = z
  .object({ rule: z.literal('max'), on: thresholdSplitField })
  .strict()
  .describe('The largest error of the split: none of its samples is flagged.');

/** The largest error of the split: none of its samples is flagged. */
export const maxRule: ThresholdRuleDefinition<typeof schema> = {
  name: 'max',
  schema,
  usesLabels: false,
  fitsOn: (rule) => rule.on ?? 'train',
  compute(rule, inputs) {
    const { values, split } = errorsOn(rule, inputs);
    let max = -Infinity;
    for (let i = 0; i < values.length; i++) if (values[i]! > max) max = values[i]!;
    return {
      threshold: max,
      usesLabels: false,
      description: `max of ${split} errors (n=${values.length})`,
      interval: null,
    };
  },
  label: () => 'max',
};
