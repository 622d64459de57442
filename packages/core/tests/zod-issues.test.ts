import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import {
  schemaIssues,
  schemaProblems,
  thresholdRuleFields,
  thresholdRuleSchema,
  THRESHOLD_RULE_NAMES,
  trainingSchema,
} from '../src/index.js';

describe('validation messages', () => {
  it('name the field and the value, and each unknown field', () => {
    expect(
      schemaIssues(trainingSchema, { epochs: 0, batchSize: 32, learningRate: 0.1, loss: 'l1', epochz: 3 }),
    ).toEqual([
      'epochs must be > 0, got 0',
      'loss must be one of mse, mae, got "l1"',
      'epochz is not a known field; did you mean "epochs"?',
    ]);
  });

  it('report the closest option of a union without a message of its own, with full paths', () => {
    const schema = z.object({
      model: z.union([
        z.object({ kind: z.literal('a'), width: z.number() }).strict(),
        z.object({ kind: z.literal('a'), preset: z.string() }).strict(),
      ]),
    });
    expect(schemaProblems(schema, { model: { kind: 'a', widht: 3 } })).toEqual(
      expect.arrayContaining([{ path: 'model.widht', message: 'is not a known field; did you mean "width"?' }]),
    );
  });

  it("keep a union's own message", () => {
    const schema = z.union([z.number(), z.array(z.number())], { error: 'must be a number or an array of numbers' });
    expect(schemaIssues(schema, 'x')).toEqual(['must be a number or an array of numbers']);
  });
});

describe('threshold rules', () => {
  it('list their names and fields from the one schema', () => {
    expect(THRESHOLD_RULE_NAMES).toEqual(['percentile', 'meanStd', 'max', 'fixed', 'bestF1']);
    expect(thresholdRuleFields('percentile')).toEqual(['percentile', 'on']);
    expect(thresholdRuleFields('fixed')).toEqual(['value']);
    expect(thresholdRuleSchema.safeParse({ rule: 'percentile', percentile: 95, on: 'train' }).success).toBe(true);
  });
});
