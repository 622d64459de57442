// Classification metrics with anomaly as the positive class (label 1), matching
// scikit-learn 1.2's definitions. In core because the recorder scores with them and the
// baseline comparison (baseline-comparison.ts) resamples rows with them for the CLI and
// reports. Ranking metrics sort once (O(n log n)) and then walk the distinct scores, so
// 300k rows cost a sort and two linear passes.
import type { Confusion } from './metrics.js';
import { binaryClfCurve, isPositiveLabel as isPositive, type RankedCounts } from './ranked-counts.js';
import { assertBinaryLabels, assertScores, quoteValue as quote } from './score-inputs.js';

/**
 * Threshold metrics of one split. Ratios whose denominator is zero are 0 (sklearn's
 * `zero_division=0`). `rocAuc` and `prAuc` are `undefined` when the split holds only one
 * class: sklearn then returns NaN with a warning for ROC-AUC (or raises), and an average
 * precision of 1.0 or NaN that carries no information either.
 */
export interface BinaryMetrics {
  /** The threshold used: anomaly when score > threshold. */
  threshold: number;
  rows: number;
  /** Number of anomalies (label 1). */
  positives: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  /** True-negative rate tn / (tn + fp). */
  specificity: number;
  /** Area under the ROC curve (ties count one half), threshold-free. */
  rocAuc: number | undefined;
  /** Average precision, sklearn's sum (R_n - R_{n-1}) P_n without interpolation. */
  prAuc: number | undefined;
  confusion: Confusion;
}

/** How many of a curve's points to keep: see {@link rocCurve} and {@link prCurve} for each one's default. */
export interface CurveOptions {
  dropIntermediate?: boolean;
}

/** Points of sklearn's `roc_curve`: fpr, tpr and thresholds, from (0, 0) up to (1, 1). */
export interface RocCurve {
  fpr: number[];
  tpr: number[];
  /**
   * Decreasing; the first is `max(score) + 1`, as in sklearn 1.2 (sklearn >= 1.3 writes
   * `Infinity`, which JSON cannot hold).
   */
  thresholds: number[];
}

/**
 * Points of sklearn 1.2's `precision_recall_curve`: recall decreasing to 0, precision
 * ending with 1, and `thresholds` increasing with one entry fewer than the others
 * (precision[i], recall[i] belong to flagging scores >= thresholds[i]).
 */
export interface PrCurve {
  precision: number[];
  recall: number[];
  thresholds: number[];
}

/**
 * The form of a ranking metric or curve that takes labels and scores: `of` over their
 * ranking counts (made with one sort), which callers computing several reuse instead.
 */
function fromScores<A extends unknown[], R>(of: (counts: RankedCounts, ...rest: A) => R) {
  return (y: ArrayLike<number>, scores: ArrayLike<number>, ...rest: A): R => of(binaryClfCurve(y, scores), ...rest);
}

/**
 * ROC-AUC by the trapezoid rule over the distinct thresholds, which is exactly the
 * Mann-Whitney statistic with ties counted one half. Summed in integer counts (exact
 * below 2^53) and divided once. `undefined` when y holds a single class.
 */
export const rocAuc = fromScores(rocAucOf);

/** {@link rocAuc} from ranking counts already made. */
export function rocAucOf({ tps, fps, positives, negatives }: RankedCounts): number | undefined {
  if (positives === 0 || negatives === 0) return undefined;
  let twiceArea = 0;
  let prevTp = 0;
  let prevFp = 0;
  for (let k = 0; k < tps.length; k++) {
    twiceArea += (fps[k]! - prevFp) * (tps[k]! + prevTp);
    prevTp = tps[k]!;
    prevFp = fps[k]!;
  }
  return twiceArea / (2 * positives * negatives);
}

/**
 * Average precision as sklearn defines it: sum over distinct thresholds of
 * (R_n - R_{n-1}) * P_n, no interpolation. `undefined` when y holds a single class.
 */
export const averagePrecision = fromScores(averagePrecisionOf);

/** {@link averagePrecision} from ranking counts already made. */
export function averagePrecisionOf({ tps, fps, positives, negatives }: RankedCounts): number | undefined {
  if (positives === 0 || negatives === 0) return undefined;
  let sum = 0;
  let prevTp = 0;
  for (let k = 0; k < tps.length; k++) {
    const tp = tps[k]!;
    if (tp !== prevTp) sum += ((tp - prevTp) / positives) * (tp / (tp + fps[k]!));
    prevTp = tp;
  }
  return sum;
}

/**
 * sklearn's `roc_curve`. With `dropIntermediate` (default true, as in sklearn) collinear
 * points that cannot show on a plot are dropped with sklearn's exact rule, so the points
 * match sklearn's one for one. `undefined` when y holds a single class (sklearn returns
 * NaN rates and warns).
 */
export const rocCurve = fromScores(rocCurveOf);

/** {@link rocCurve} from ranking counts already made (one sort for several curves and AUCs). */
export function rocCurveOf(counts: RankedCounts, options: CurveOptions = {}): RocCurve | undefined {
  return arraysOf(rocPointsOf(counts, options));
}

/** A {@link RocCurve} in typed arrays. */
export type RocPoints = { [K in keyof RocCurve]: Float64Array };

/**
 * {@link rocCurveOf}'s points in typed arrays: no array of numbers (a heap object the size
 * of every point, kept as garbage until a full collection) for a caller that only writes them.
 */
export function rocPointsOf(counts: RankedCounts, options: CurveOptions = {}): RocPoints | undefined {
  if (counts.positives === 0 || counts.negatives === 0) return undefined;
  // Keep a point when either count bends there (non-zero second difference).
  const bends = ({ tps, fps }: RankedCounts, k: number) =>
    fps[k + 1]! - 2 * fps[k]! + fps[k - 1]! !== 0 || tps[k + 1]! - 2 * tps[k]! + tps[k - 1]! !== 0;
  const { tps, fps, thresholds } =
    (options.dropIntermediate ?? true) ? keptPoints(counts, (k) => bends(counts, k)) : counts;
  const n = tps.length;
  const fpr = new Float64Array(n + 1);
  const tpr = new Float64Array(n + 1);
  const curveThresholds = new Float64Array(n + 1);
  curveThresholds[0] = thresholds[0]! + 1;
  for (let k = 0; k < n; k++) {
    fpr[k + 1] = fps[k]! / counts.negatives;
    tpr[k + 1] = tps[k]! / counts.positives;
    curveThresholds[k + 1] = thresholds[k]!;
  }
  return { fpr, tpr, thresholds: curveThresholds };
}

/**
 * sklearn's `precision_recall_curve`, point for point (all distinct thresholds, no
 * truncation at full recall). With `dropIntermediate` (default false, as in sklearn 1.3+)
 * only the first and last point of each run of equal recall are kept, with sklearn's exact
 * rule: the points a plot can show, at most two per anomaly instead of one per distinct
 * score. `undefined` when y holds no anomaly (sklearn sets recall to 1 everywhere and warns).
 */
export const prCurve = fromScores(prCurveOf);

/** {@link prCurve} from ranking counts already made (one sort for several curves and AUCs). */
export function prCurveOf(counts: RankedCounts, options: CurveOptions = {}): PrCurve | undefined {
  return arraysOf(prPointsOf(counts, options));
}

/** A curve's typed arrays as arrays of numbers, field for field (in their order). */
function arraysOf<K extends string>(points: Record<K, Float64Array> | undefined): Record<K, number[]> | undefined {
  if (points === undefined) return undefined;
  const entries = Object.entries<Float64Array>(points).map(([k, v]) => [k, Array.from(v)]);
  return Object.fromEntries(entries) as Record<K, number[]>;
}

/** A {@link PrCurve} in typed arrays. */
export type PrPoints = { [K in keyof PrCurve]: Float64Array };

/** {@link prCurveOf}'s points in typed arrays (see {@link rocPointsOf}). */
export function prPointsOf(counts: RankedCounts, options: CurveOptions = {}): PrPoints | undefined {
  if (counts.positives === 0) return undefined;
  const { positives } = counts;
  // Only the first and last threshold of each run of equal true positives (equal recall).
  const { tps, fps, thresholds } = options.dropIntermediate
    ? keptPoints(counts, (k) => counts.tps[k] !== counts.tps[k - 1] || counts.tps[k + 1] !== counts.tps[k])
    : counts;
  const m = tps.length;
  const precision = new Float64Array(m + 1);
  const recall = new Float64Array(m + 1);
  const increasing = new Float64Array(m);
  for (let k = m - 1, j = 0; k >= 0; k--, j++) {
    const flagged = tps[k]! + fps[k]!;
    precision[j] = flagged === 0 ? 0 : tps[k]! / flagged;
    recall[j] = tps[k]! / positives;
    increasing[j] = thresholds[k]!;
  }
  precision[m] = 1;
  recall[m] = 0;
  return { precision, recall, thresholds: increasing };
}

type Points = Pick<RankedCounts, 'tps' | 'fps' | 'thresholds'>;

/**
 * The ranking's first and last thresholds and those between where `keep(k)` holds (sklearn's drop_intermediate rules).
 */
function keptPoints({ tps, fps, thresholds }: Points, keep: (k: number) => boolean): Points {
  const m = tps.length;
  if (m <= 2) return { tps, fps, thresholds };
  const rows = new Int32Array(m);
  let kept = 0;
  for (let k = 0; k < m; k++) if (k === 0 || k === m - 1 || keep(k)) rows[kept++] = k;
  const pick = (values: Float64Array) => Float64Array.from(rows.subarray(0, kept), (k) => values[k]!);
  return { tps: pick(tps), fps: pick(fps), thresholds: pick(thresholds) };
}

/** Confusion counts of 0/1 (or boolean) predictions against 0/1 labels, anomaly positive. */
export function confusionMatrix(y: ArrayLike<number | boolean>, predicted: ArrayLike<number | boolean>): Confusion {
  assertBinaryLabels('y', y, { name: 'predicted', length: predicted.length });
  assertBinaryLabels('predicted', predicted);
  const c: Confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < y.length; i++) {
    const actual = isPositive(y[i]);
    const flagged = isPositive(predicted[i]);
    if (flagged) {
      if (actual) c.tp++;
      else c.fp++;
    } else if (actual) c.fn++;
    else c.tn++;
  }
  return c;
}

function confusionAt(y: ArrayLike<number>, scores: ArrayLike<number>, threshold: number): Confusion {
  const c: Confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < y.length; i++) {
    const actual = isPositive(y[i]);
    if (scores[i]! > threshold) {
      if (actual) c.tp++;
      else c.fp++;
    } else if (actual) c.fn++;
    else c.tn++;
  }
  return c;
}

/** numerator / denominator, or 0 when the denominator is 0 (sklearn's zero_division=0). */
function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

/** Harmonic mean as sklearn computes F1 from precision and recall, 0 when both are 0. */
function f1Of(precision: number, recall: number): number {
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
}

/**
 * All threshold and ranking metrics of one split: a sample is an anomaly (positive) when
 * its score is strictly greater than `threshold`.
 */
export function binaryMetrics(y: ArrayLike<number>, scores: ArrayLike<number>, threshold: number): BinaryMetrics {
  if (typeof threshold !== 'number' || Number.isNaN(threshold)) {
    throw new RangeError(`threshold must be a number, got ${quote(threshold)}`);
  }
  const positives = assertBinaryLabels('y', y, { name: 'scores', length: scores.length });
  assertScores('scores', scores);
  // With one class only (a training split of normal rows) the ranking metrics are
  // undefined: the ranking, a sorted copy of every score and three arrays as long, is skipped.
  const counts = positives === 0 || positives === scores.length ? undefined : binaryClfCurve(y, scores);
  const confusion = confusionAt(y, scores, threshold);
  const { tp, fp, tn, fn } = confusion;
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  return {
    threshold,
    rows: scores.length,
    positives,
    accuracy: (tp + tn) / scores.length,
    precision,
    recall,
    f1: f1Of(precision, recall),
    specificity: ratio(tn, tn + fp),
    rocAuc: counts ? rocAucOf(counts) : undefined,
    prAuc: counts ? averagePrecisionOf(counts) : undefined,
    confusion,
  };
}

/**
 * Accuracy, precision, recall and F1 with NORMAL (label 0) as the positive class: the
 * TensorFlow autoencoder tutorial's convention (`predict` returns "normal"), so reports can
 * show figures comparable to it beside the anomaly-positive ones. Normal means
 * score <= threshold.
 */
export function normalPositiveMetrics(
  y: ArrayLike<number>,
  scores: ArrayLike<number>,
  threshold: number,
): { accuracy: number; precision: number; recall: number; f1: number; support: number } {
  assertBinaryLabels('y', y, { name: 'scores', length: scores.length });
  assertScores('scores', scores);
  const { tp, fp, tn, fn } = confusionAt(y, scores, threshold);
  // With normal positive, the anomaly-positive tn is its tp, fn its fp and fp its fn.
  const precision = ratio(tn, tn + fn);
  const recall = ratio(tn, tn + fp);
  return {
    accuracy: (tp + tn) / scores.length,
    precision,
    recall,
    f1: f1Of(precision, recall),
    support: tn + fp,
  };
}

/** One row of a classification report. */
export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  /** Number of true samples of the class (summed for averages). */
  support: number;
}

/** sklearn's `classification_report(..., output_dict=True)`, typed. */
export interface ClassificationReport {
  /** One row per label found in either argument, sorted as `np.unique` sorts. */
  classes: Array<ClassScores & { label: string | number; name: string }>;
  accuracy: number;
  macroAvg: ClassScores;
  weightedAvg: ClassScores;
}

/**
 * Per-class precision, recall, F1 and support, with accuracy and macro/weighted averages,
 * as sklearn's `classification_report` (zero_division=0). Labels may be numbers or
 * strings (not mixed); `names` maps a label to the name shown (e.g. {0: 'normal',
 * 1: 'anomaly'}).
 */
export function classificationReport(
  yTrue: ArrayLike<number | string>,
  yPred: ArrayLike<number | string>,
  names: Readonly<Record<string, string>> = {},
): ClassificationReport {
  if (yTrue.length !== yPred.length) {
    throw new RangeError(
      `yTrue has ${yTrue.length} entries but yPred has ${yPred.length}: they must be the same length`,
    );
  }
  if (yTrue.length === 0) throw new RangeError('yTrue is empty: need at least one label');
  const labels = new Set<string | number>();
  for (let i = 0; i < yTrue.length; i++) {
    labels.add(checkLabel('yTrue', i, yTrue[i]));
    labels.add(checkLabel('yPred', i, yPred[i]));
  }
  const sorted = [...labels];
  const kinds = new Set(sorted.map((l) => typeof l));
  if (kinds.size > 1) throw new TypeError('yTrue and yPred mix number and string labels: use one kind');
  sorted.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  const indexOf = new Map(sorted.map((label, i) => [label, i] as const));
  const truePositives = new Float64Array(sorted.length);
  const support = new Float64Array(sorted.length);
  const predicted = new Float64Array(sorted.length);
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const t = indexOf.get(yTrue[i]!)!;
    const p = indexOf.get(yPred[i]!)!;
    support[t]++;
    predicted[p]++;
    if (t === p) {
      truePositives[t]++;
      correct++;
    }
  }
  const classes = sorted.map((label, i) => {
    const precision = ratio(truePositives[i]!, predicted[i]!);
    const recall = ratio(truePositives[i]!, support[i]!);
    return {
      label,
      name: names[String(label)] ?? String(label),
      precision,
      recall,
      f1: f1Of(precision, recall),
      support: support[i]!,
    };
  });
  const total = yTrue.length;
  const average = (weight: (c: ClassScores) => number, denominator: number): ClassScores => ({
    precision: classes.reduce((s, c) => s + c.precision * weight(c), 0) / denominator,
    recall: classes.reduce((s, c) => s + c.recall * weight(c), 0) / denominator,
    f1: classes.reduce((s, c) => s + c.f1 * weight(c), 0) / denominator,
    support: total,
  });
  return {
    classes,
    accuracy: correct / total,
    macroAvg: average(() => 1, classes.length),
    weightedAvg: average((c) => c.support, total),
  };
}

function checkLabel(name: string, i: number, label: unknown): string | number {
  if (typeof label === 'string' || (typeof label === 'number' && Number.isFinite(label))) return label;
  throw new TypeError(`${name}[${i}] must be a finite number or a string label, got ${quote(label)}`);
}

/**
 * The report as sklearn's `classification_report` prints it (`digits` decimals), for logs
 * and plain-text reports. Rounding is `toFixed`'s (ties away from zero on the exact binary
 * value) where Python rounds exact binary ties to even, so a figure like 0.125 can differ
 * in its last digit.
 */
export function formatClassificationReport(report: ClassificationReport, digits = 2): string {
  const width = Math.max('weighted avg'.length, digits, ...report.classes.map((c) => c.name.length));
  // sklearn's format: the row name right-aligned, then " " + a 9-wide column per figure.
  const line = (name: string, cells: string[]): string =>
    name.padStart(width) + ' ' + cells.map((c) => ' ' + c.padStart(9)).join('') + '\n';
  const row = (name: string, c: ClassScores): string =>
    line(name, [...[c.precision, c.recall, c.f1].map((v) => v.toFixed(digits)), String(c.support)]);
  let text = line('', ['precision', 'recall', 'f1-score', 'support']) + '\n';
  for (const c of report.classes) text += row(c.name, c);
  text += '\n';
  text += line('accuracy', ['', '', report.accuracy.toFixed(digits), String(report.macroAvg.support)]);
  text += row('macro avg', report.macroAvg);
  text += row('weighted avg', report.weightedAvg);
  return text;
}

/** Reconstruction error of a split, averaged over its samples. */
export interface ReconstructionSummary {
  rows: number;
  /** Mean of the per-sample mean squared errors. */
  mse: number;
  /** Mean of the per-sample mean absolute errors. */
  mae: number;
  /**
   * sqrt(mse): the RMSE over every value of the split, since each sample has the same
   * number of values.
   */
  rmse: number;
}

/** Summarises per-sample MSE and MAE arrays (same length) of one split. */
export function reconstructionSummary(errors: {
  mse: ArrayLike<number>;
  mae: ArrayLike<number>;
}): ReconstructionSummary {
  assertScores('mse', errors.mse);
  assertScores('mae', errors.mae);
  if (errors.mse.length !== errors.mae.length) {
    throw new RangeError(
      `mse has ${errors.mse.length} entries but mae has ${errors.mae.length}: they must be the same length`,
    );
  }
  const rows = errors.mse.length;
  let mse = 0;
  let mae = 0;
  for (let i = 0; i < rows; i++) {
    mse += errors.mse[i]!;
    mae += errors.mae[i]!;
  }
  mse /= rows;
  mae /= rows;
  return { rows, mse, mae, rmse: Math.sqrt(mse) };
}
