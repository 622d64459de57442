import {
  averagePrecisionOf,
  binaryClfCurve,
  binaryMetrics,
  computeThreshold,
  normalPositiveMetrics,
  prPointsOf,
  reconstructionSummary,
  rocAucOf,
  rocPointsOf,
  type PrPoints,
  type RocPoints,
} from '@aelab/models/evaluation';
import {
  definitionOfRule,
  SPLIT_NAMES,
  type Interval,
  type ErrorMetric,
  type MetricSet,
  type SplitName,
} from '@aelab/core';
import type { ScoringConfig } from './resolve.js';
import { errorsBlob, float32FromBytes, type RowLabels, type SplitLabels, type TrialResult } from './trial-task.js';

/** One split's per-sample errors and labels, decoded on the coordinator. */
export interface SplitErrorsResult {
  mse: Float32Array;
  mae: Float32Array;
  y: Uint8Array;
  labels: RowLabels;
}

export type TrialErrors = { train: SplitErrorsResult; validation?: SplitErrorsResult; test: SplitErrorsResult };

export interface ScoredVariant {
  threshold: number;
  /** The threshold's 95% interval over resamples of the rows it was fit on (see computeThreshold). */
  thresholdInterval: Interval | null;
  usesLabels: boolean;
  metrics: Partial<Record<SplitName, MetricSet>>;
}

/** A result's errors, decoded from its blobs, with the labels of each split it carries. */
export function errorsOf(result: TrialResult): TrialErrors {
  const out: Partial<Record<SplitName, SplitErrorsResult>> = {};
  for (const name of SPLIT_NAMES) {
    const labels = result.splits[name];
    if (!labels) continue;
    const decode = (metric: ErrorMetric) => {
      const blob = result.blobs[errorsBlob(name, metric)];
      if (!blob) throw new Error(`trial result: blob ${errorsBlob(name, metric)} is missing`);
      return float32FromBytes(blob, errorsBlob(name, metric));
    };
    out[name] = { mse: decode('mse'), mae: decode('mae'), ...labelsOf(name, labels) };
  }
  if (!out.train || !out.test) throw new Error('trial result: the train and test splits are required');
  return out as TrialErrors;
}

/** A split's labels as the result carries them: shared arrays are read in place, JSON arrays copied once. */
function labelsOf(name: SplitName, labels: SplitLabels): { y: Uint8Array; labels: RowLabels } {
  const classes = labels.labels && 'codes' in labels.labels ? labels.labels.codes : labels.labels;
  if (labels.y?.length !== labels.rows || classes?.length !== labels.rows) {
    throw new Error(
      `trial result: the ${name} split of ${labels.rows} rows does not carry a 0/1 label and a class label per row`,
    );
  }
  return { y: labels.y instanceof Uint8Array ? labels.y : Uint8Array.from(labels.y), labels: labels.labels };
}

function metricSet(split: SplitErrorsResult, scores: Float32Array, threshold: number): MetricSet {
  const m = binaryMetrics(split.y, scores, threshold);
  const recon = reconstructionSummary({ mse: split.mse, mae: split.mae });
  // The TensorFlow tutorial reports precision/recall with *normal* as the positive class;
  // keeping both conventions lets a report compare with published figures honestly.
  const normal = normalPositiveMetrics(split.y, scores, threshold);
  return {
    ...m,
    mse: recon.mse,
    mae: recon.mae,
    rmse: recon.rmse,
    normalPrecision: normal.precision,
    normalRecall: normal.recall,
    normalF1: normal.f1,
  } as MetricSet;
}

/**
 * Scores a trained model's saved errors under one scoring variant, on every split.
 * Pure and cheap: this is why threshold choices never retrain.
 */
export function scoreVariant(errors: TrialErrors, scoring: ScoringConfig): ScoredVariant {
  const metric = scoring.errorMetric;
  const rule = scoring.threshold;
  const definition = definitionOfRule(rule);
  const fit = definition.usesLabels ? definition.fitsOn(rule) : null;
  // Never fall back to test labels: without a validation split the rule says it has no
  // labelled scores (preflight refuses it first).
  const labelledSplit = fit === 'validation' || fit === 'test' ? errors[fit] : undefined;
  const { threshold, usesLabels, interval } = computeThreshold(rule, {
    train: errors.train[metric],
    // Rules over "validation errors" describe normal behaviour: a labelled validation split
    // (validationAnomalies: keep) contributes its normal rows only.
    validation: errors.validation ? normalRows(errors.validation, metric) : undefined,
    labelled: labelledSplit ? { scores: labelledSplit[metric], y: labelledSplit.y } : undefined,
  });
  const metrics: Partial<Record<SplitName, MetricSet>> = {};
  for (const name of SPLIT_NAMES) {
    const split = errors[name];
    if (split && split.y.length > 0) metrics[name] = metricSet(split, split[metric], threshold);
  }
  return { threshold, thresholdInterval: interval, usesLabels, metrics };
}

function normalRows(split: SplitErrorsResult, metric: ErrorMetric): Float32Array {
  return split[metric].filter((_, i) => split.y[i] === 0);
}

/** ROC and PR curve points of one split in typed arrays (written to curves.json as {@link CurvePoints}). */
export interface CurveArrays {
  roc: RocPoints;
  pr: PrPoints;
  rocAuc: number | null;
  prAuc: number | null;
}

/** ROC and PR curve points of one split, for the report; undefined when the split has one class only. */
export function curvesOf(split: SplitErrorsResult, metric: ErrorMetric): CurveArrays | undefined {
  // One ranking (a sorted copy of every score and three arrays as long) for both curves and both areas.
  const counts = binaryClfCurve(split.y, split[metric]);
  const roc = rocPointsOf(counts);
  // A point per recall step, not per distinct score: at most two per anomaly (the curve a plot shows, and prAuc is
  // unchanged).
  const pr = prPointsOf(counts, { dropIntermediate: true });
  if (!roc || !pr) return undefined;
  return { roc, pr, rocAuc: rocAucOf(counts) ?? null, prAuc: averagePrecisionOf(counts) ?? null };
}
