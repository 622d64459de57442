// Rules are core's (`thresholdRuleSchema`, one definition for the experiment file, the
// records and this module); what a rule computes is defined here.
import { type Interval, quantileInterval, schemaIssues, type ThresholdRule, thresholdRuleSchema, type ThresholdSplit } from '@aelab/core';
import { binaryClfCurve } from './metrics.js';
import { assertBinaryLabels, assertFinite, assertScores, quote } from './inputs.js';

/** The reconstruction errors a rule may draw on. */
export interface ThresholdInputs {
  /** Per-sample errors of the (normal-only) training split. */
  train: ArrayLike<number>;
  /** Per-sample errors of the validation split, for rules with `on: 'validation'`. */
  validation?: ArrayLike<number>;
  /** Scores with labels (1 = anomaly), needed by `bestF1` only. */
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

/**
 * Checks a rule read from JSON (an experiment file, a stored record) against core's
 * `thresholdRuleSchema` and returns it typed (the same object). Errors name the field and
 * the value, e.g. `percentile must be <= 100, got 120`.
 * @throws TypeError for a non-object, RangeError listing every problem otherwise.
 */
export function validateThresholdRule(rule: unknown): ThresholdRule {
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) {
    throw new TypeError(`threshold rule must be an object, got ${quote(rule)}`);
  }
  const issues = schemaIssues(thresholdRuleSchema, rule);
  if (issues.length > 0) throw new RangeError(issues.join('; '));
  return rule as ThresholdRule;
}

/** Computes the threshold a rule gives on the supplied errors. */
export function computeThreshold(rule: ThresholdRule, errors: ThresholdInputs): ComputedThreshold {
  validateThresholdRule(rule);
  switch (rule.rule) {
    case 'percentile': {
      const { values, split } = pickSplit(rule, errors);
      const sorted = Float64Array.from(values).sort();
      return {
        threshold: percentileOfSorted(sorted, rule.percentile),
        usesLabels: false,
        description: `percentile ${rule.percentile} of ${split} errors (n=${values.length})`,
        interval: quantileInterval(sorted, rule.percentile / 100),
      };
    }
    case 'meanStd': {
      const { values, split } = pickSplit(rule, errors);
      const { mean, std } = meanAndStd(values);
      return {
        threshold: mean + rule.k * std,
        usesLabels: false,
        description: `mean + ${rule.k} * std of ${split} errors (n=${values.length})`,
        interval: meanStdInterval(mean, std, rule.k, values.length),
      };
    }
    case 'max': {
      const { values, split } = pickSplit(rule, errors);
      let max = -Infinity;
      for (let i = 0; i < values.length; i++) if (values[i]! > max) max = values[i]!;
      return {
        threshold: max,
        usesLabels: false,
        description: `max of ${split} errors (n=${values.length})`,
        interval: null,
      };
    }
    case 'fixed':
      return { threshold: rule.value, usesLabels: false, description: `fixed value ${rule.value}`, interval: null };
    case 'bestF1': {
      const on = rule.on ?? 'validation';
      if (errors.labelled === undefined) {
        throw new RangeError(`bestF1 on ${on} needs labelled scores (errors.labelled), got none`);
      }
      const { threshold, f1 } = bestF1Threshold(errors.labelled.y, errors.labelled.scores);
      return {
        threshold,
        usesLabels: true,
        description:
          `best F1 (${f1.toFixed(4)}) on ${on} labels (n=${errors.labelled.scores.length}); ` +
          'uses labels, so optimistic',
        interval: null,
      };
    }
  }
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

function pickSplit(
  rule: { rule: string; on?: ThresholdSplit },
  errors: ThresholdInputs,
): { values: ArrayLike<number>; split: ThresholdSplit } {
  const split = rule.on ?? 'train';
  const values = split === 'train' ? errors.train : errors.validation;
  if (values === undefined) {
    throw new RangeError(`threshold rule ${rule.rule} on ${split} needs ${split} errors, got none`);
  }
  assertFiniteErrors(`${split} errors`, values);
  return { values, split };
}

function assertFiniteErrors(name: string, values: ArrayLike<number>): void {
  assertScores(name, values);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new RangeError(`${name}[${i}] must be finite, got ${values[i]}`);
  }
}

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
 * The F1-maximising threshold on labelled scores. Candidates are the distinct scores
 * (flag everything scoring at least that much); since a sample is anomalous when its
 * score is strictly greater than the threshold, the returned threshold sits halfway
 * between the chosen score and the next lower distinct score. Ties in F1 keep the higher
 * threshold (fewer alarms).
 */
export function bestF1Threshold(
  y: ArrayLike<number>,
  scores: ArrayLike<number>,
): { threshold: number; f1: number } {
  const positives = assertBinaryLabels('y', y, { name: 'scores', length: scores.length });
  assertFiniteErrors('scores', scores);
  if (positives === 0) {
    throw new RangeError('bestF1 needs at least one anomaly (label 1) in the labelled scores, got none');
  }
  const { tps, fps, thresholds } = binaryClfCurve(y, scores);
  let best = 0;
  let bestF1 = -1;
  for (let k = 0; k < thresholds.length; k++) {
    const tp = tps[k]!;
    const precision = tp / (tp + fps[k]!);
    const recall = tp / positives;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    if (f1 > bestF1) {
      bestF1 = f1;
      best = k;
    }
  }
  const chosen = thresholds[best]!;
  let threshold: number;
  if (best + 1 < thresholds.length) {
    const lower = thresholds[best + 1]!;
    threshold = lower + (chosen - lower) / 2;
    // Adjacent doubles: the midpoint may round up to `chosen`, which would unflag it.
    if (!(threshold < chosen)) threshold = lower;
  } else {
    // Flag everything: go below the lowest score by half the nearest gap (or 1).
    const gap = best > 0 ? thresholds[best - 1]! - chosen : Math.max(1, Math.abs(chosen));
    threshold = chosen - gap / 2;
  }
  return { threshold, f1: bestF1 };
}

/**
 * 1 where the error is strictly greater than the threshold (an anomaly), else 0. Strict, so
 * the `max` rule flags no sample of its own split. (The TensorFlow tutorial's
 * `tf.math.less(loss, threshold)` calls a sample normal only below the threshold, i.e.
 * anomalous at equality; the two differ only for errors exactly equal to the threshold.)
 */
export function flagAnomalies(errors: ArrayLike<number>, threshold: number): Uint8Array {
  const flags = new Uint8Array(errors.length);
  for (let i = 0; i < errors.length; i++) flags[i] = errors[i]! > threshold ? 1 : 0;
  return flags;
}
