import { z } from 'zod';
import { schemaIssues } from '../zod-issues.js';
import { quoteValue } from '../score-inputs.js';
import { bestF1Rule } from './best-f1.js';
import { fixedRule } from './fixed.js';
import { maxRule } from './max.js';
import { meanStdRule } from './mean-std.js';
import { percentileRule } from './percentile.js';
import type { ComputedThreshold, ThresholdFitSplit, ThresholdInputs, ThresholdRuleDefinition } from './rule.js';

/** The threshold-rule registry: adding a rule is one file plus one entry here (schema order). */
export const THRESHOLD_RULES = [percentileRule, meanStdRule, maxRule, fixedRule, bestF1Rule] as const;

type Registered = (typeof THRESHOLD_RULES)[number];
type Schema = Registered['schema'];

/**
 * How reconstruction errors become an anomaly threshold: one option per registered rule,
 * discriminated by `rule` (the experiment file's `scoring.threshold`, the records, `aelab score`).
 */
export const thresholdRuleSchema = z.discriminatedUnion(
  'rule',
  // map() loses the tuple type discriminatedUnion needs; every option is a strict object with a literal `rule`.
  THRESHOLD_RULES.map((r) => r.schema) as unknown as [Schema, ...Schema[]],
);

export type ThresholdRule = z.output<typeof thresholdRuleSchema>;
export type ThresholdRuleName = ThresholdRule['rule'];

/** The rule names, in registry order. */
export const THRESHOLD_RULE_NAMES: readonly ThresholdRuleName[] = THRESHOLD_RULES.map((r) => r.name);

/** The registered rule named `name`, if any. */
export function thresholdRuleNamed(name: unknown): ThresholdRuleDefinition | undefined {
  return (THRESHOLD_RULES as readonly Registered[]).find((r) => r.name === name) as ThresholdRuleDefinition | undefined;
}

/** The fields a rule may carry besides `rule` (so a swept `threshold.rule` drops the others). */
export function thresholdRuleFields(rule: ThresholdRuleName): string[] {
  const schema = thresholdRuleNamed(rule)?.schema;
  return schema ? Object.keys(schema.shape).filter((k) => k !== 'rule') : [];
}

/** The registered definition of a checked rule. */
export function definitionOfRule(rule: ThresholdRule): ThresholdRuleDefinition {
  const definition = thresholdRuleNamed(rule.rule);
  if (!definition) throw new RangeError(`threshold rule ${quoteValue(rule.rule)} is not registered`);
  return definition;
}

/**
 * Checks a rule read from JSON (an experiment file, a stored record) against
 * `thresholdRuleSchema` and returns it typed (the same object). Errors name the field and
 * the value, e.g. `percentile must be <= 100, got 120`.
 * @throws TypeError for a non-object, RangeError listing every problem otherwise.
 */
export function validateThresholdRule(rule: unknown): ThresholdRule {
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) {
    throw new TypeError(`threshold rule must be an object, got ${quoteValue(rule)}`);
  }
  const issues = schemaIssues(thresholdRuleSchema, rule);
  if (issues.length > 0) throw new RangeError(issues.join('; '));
  return rule as ThresholdRule;
}

/** Computes the threshold a rule gives on the supplied errors (after checking the rule). */
export function computeThreshold(rule: ThresholdRule, inputs: ThresholdInputs): ComputedThreshold {
  validateThresholdRule(rule);
  return definitionOfRule(rule).compute(rule, inputs);
}

/**
 * A recorded rule's short name (`p95`, `meanStd k=3`) from its fields; undefined for a rule
 * that is not registered. A rule without `rule` but with a `percentile` is the percentile rule
 * (the default rule's field, as older records keep it).
 */
export function thresholdRuleLabel(fields: Readonly<Record<string, unknown>>): string | undefined {
  return recordedRule(fields)?.label(fields as never);
}

/**
 * The split a recorded rule's threshold is fit on (its `fitsOn`), from its fields as for
 * {@link thresholdRuleLabel}; null for a rule fit on no split (`fixed`) or not registered.
 */
export function thresholdRuleFitSplit(fields: Readonly<Record<string, unknown>>): ThresholdFitSplit | null {
  return recordedRule(fields)?.fitsOn(fields as never) ?? null;
}

function recordedRule(fields: Readonly<Record<string, unknown>>): ThresholdRuleDefinition | undefined {
  return thresholdRuleNamed(fields.rule ?? (fields.percentile !== undefined ? percentileRule.name : undefined));
}

export * from './rule.js';
export { percentile } from './percentile.js';
export { meanAndStd, MAX_STD_MULTIPLE } from './mean-std.js';
export { bestF1Threshold } from './best-f1.js';
export { percentileRule, meanStdRule, maxRule, fixedRule, bestF1Rule };
