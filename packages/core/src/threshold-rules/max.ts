import { z } from 'zod';
import { splitErrorsRule, thresholdSplitField } from './rule.js';

const schema = z
  .object({ rule: z.literal('max'), on: thresholdSplitField })
  .strict()
  .describe('The largest error of the split: none of its samples is flagged.');

/** The largest error of the split: none of its samples is flagged. */
export const maxRule = splitErrorsRule({
  name: 'max',
  schema,
  fit(_rule, values) {
    let max = -Infinity;
    for (let i = 0; i < values.length; i++) if (values[i]! > max) max = values[i]!;
    return { threshold: max, statistic: 'max', interval: null };
  },
  label: () => 'max',
});
