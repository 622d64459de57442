import { z } from 'zod';
import type { Interval } from '../statistics.js';
import { assertScores } from '../score-inputs.js';

/** The split whose reconstruction errors an unsupervised threshold rule is computed on. */
export const THRESHOLD_SPLITS = ['train', 'validation'] as const;
export type ThresholdSplit = (typeof THRESHOLD_SPLITS)[number];

/** The `on` field of the rules computed on one split's errors. */
export const thresholdSplitField = z
  .enum(THRESHOLD_SPLITS)
  .optional()
  .describe('Errors the rule is computed on (default train); validation uses its normal rows only.');

/**
 * The lowest threshold there is: reconstruction errors (and detector scores) are never
 * negative, so a negative threshold flags every row. The fixed rule's `value`, a saved
 * model's threshold and `aelab score --threshold` are all held to it.
 */
export const LOWEST_THRESHOLD = 0;

/** The reconstruction errors a rule may draw on. */
export interface ThresholdInputs {
  /** Per-sample errors of the (normal-only) training split. */
  train: ArrayLike<number>;
  /** Per-sample errors of the validation split's normal rows, for rules with `on: 'validation'`. */
  validation?: ArrayLike<number>;
  /** Scores with labels (1 = anomaly) of the split the rule fits on (its `fitsOn`), for rules that use labels. */
  labelled?: { scores: ArrayLike<number>; y: ArrayLike<number> };
}

export interface ComputedThreshold {
  threshold: number;
  /** True when the threshold was chosen by looking at labels (`bestF1`). */
  usesLabels: boolean;
  /** One line for reports, e.g. `percentile 95 of train errors (n=263)`. */
  description: string;
  /**
   * Where the threshold could lie had other rows of the same distribution been drawn: the
   * 95% interval of the population percentile (order statistics) or of mean + k * std
   * (normal theory); null for rules without one (max, fixed, bestF1).
   */
  interval: Interval | null;
}

/** The split a rule is fit on: `train` and `validation` (normal rows), or `validation` and `test` (labelled rows). */
export type ThresholdFitSplit = 'train' | 'validation' | 'test';

/** A rule's fields, strict, with `rule` naming it. */
export type ThresholdRuleSchema = z.ZodObject<{ rule: z.ZodLiteral<string> } & z.ZodRawShape>;

/**
 * One way to turn reconstruction errors into an anomaly threshold: the seam of threshold
 * rules. A sample is an anomaly when its error is strictly greater than the threshold.
 * Everything a rule is lives in its one file (`threshold-rules/<rule>.ts`), listed in
 * `THRESHOLD_RULES` (`threshold-rules/index.ts`); the experiment schema, preflight, the
 * recorder's scoring and the reports' labels all read it from there. Pure TypeScript: the
 * coordinator, `aelab score` and reports compute and name thresholds without tfjs.
 */
export interface ThresholdRuleDefinition<S extends ThresholdRuleSchema = ThresholdRuleSchema> {
  /** The `rule` value that names it in an experiment file. */
  name: z.output<S>['rule'];
  /** Its fields (`rule` included), strict and documented: the experiment schema embeds it. */
  schema: S;
  /**
   * Whether it looks at labels: its scores are then optimistic, and reports keep it apart
   * from the honest rules (`bestF1`).
   */
  usesLabels: boolean;
  /**
   * The split whose rows it is fit on (normal rows, or labelled ones when `usesLabels`), or
   * null when it reads no errors (`fixed`). Preflight checks the data gives those rows, and
   * refuses a labelled fit on `test` unless `selection.allowTest`.
   */
  fitsOn(rule: z.output<S>): ThresholdFitSplit | null;
  /** The threshold it gives on the errors; `rule` has been checked against `schema`. */
  compute(rule: z.output<S>, inputs: ThresholdInputs): ComputedThreshold;
  /**
   * Short name for reports (`p95`, `meanStd k=3`), from a rule's fields as recorded: any
   * field but `rule` may be absent (records of older stores keep only what was sampled).
   */
  label(rule: Partial<z.output<S>>): string;
}

/** An unsupervised rule's fields as {@link errorsOn} reads them. */
type SplitRuleFields = { rule: string; on?: ThresholdSplit };

/** The split an unsupervised rule reads: `on`, default train. */
const splitOf = (rule: SplitRuleFields): ThresholdSplit => rule.on ?? 'train';

/** The errors of the split an unsupervised rule reads (`on`, default train), checked finite. */
export function errorsOn(
  rule: SplitRuleFields,
  inputs: ThresholdInputs,
): { values: ArrayLike<number>; split: ThresholdSplit } {
  const split = splitOf(rule);
  const values = split === 'train' ? inputs.train : inputs.validation;
  if (values === undefined) {
    throw new RangeError(`threshold rule ${rule.rule} on ${split} needs ${split} errors, got none`);
  }
  assertFiniteScores(`${split} errors`, values);
  return { values, split };
}

/** Throws unless `values` is non-empty and every value is finite, naming the first that is not. */
export function assertFiniteScores(name: string, values: ArrayLike<number>): void {
  assertScores(name, values);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new RangeError(`${name}[${i}] must be finite, got ${values[i]}`);
  }
}

/** What an unsupervised rule makes of its split's errors; `statistic` heads the description (`percentile 95`). */
export interface SplitThreshold {
  threshold: number;
  statistic: string;
  interval: Interval | null;
}

/** The fields of a rule computed on one split's errors: `rule`, `on` and its own. */
export type SplitRuleSchema = z.ZodObject<
  { rule: z.ZodLiteral<string>; on: typeof thresholdSplitField } & z.ZodRawShape
>;

/**
 * A rule computed on one split's normal errors (`on`, default train), which it never labels:
 * its file states only its name, fields, label and how the checked errors give its threshold;
 * the split, the checks and the description's form (`max of train errors (n=263)`) are the same for all.
 */
export function splitErrorsRule<S extends SplitRuleSchema>(rule: {
  name: z.output<S>['rule'];
  schema: S;
  fit(rule: z.output<S>, values: ArrayLike<number>): SplitThreshold;
  label: ThresholdRuleDefinition<S>['label'];
}): ThresholdRuleDefinition<S> {
  return {
    name: rule.name,
    schema: rule.schema,
    usesLabels: false,
    fitsOn: (fields) => splitOf(fields as SplitRuleFields),
    compute(fields, inputs) {
      const { values, split } = errorsOn(fields as SplitRuleFields, inputs);
      const { threshold, statistic, interval } = rule.fit(fields, values);
      return {
        threshold,
        usesLabels: false,
        description: `${statistic} of ${split} errors (n=${values.length})`,
        interval,
      };
    },
    label: rule.label,
  };
}
