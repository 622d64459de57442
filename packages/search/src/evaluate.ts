import {
  averagePrecision,
  binaryMetrics,
  computeThreshold,
  normalPositiveMetrics,
  prCurve,
  reconstructionSummary,
  rocAuc,
  rocCurve,
  type ThresholdRule,
} from '@aelab/models/evaluation';
import type { CurvePoints, MetricSet } from '@aelab/store';
import type { ScoringConfig } from './resolve.js';
import type { SplitErrorsResult, TrialResult } from './trial-worker.js';

type SplitName = 'train' | 'validation' | 'test';

export interface ScoredVariant {
  threshold: number;
  usesLabels: boolean;
  description: string;
  metrics: Partial<Record<SplitName, MetricSet>>;
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
export function scoreVariant(errors: TrialResult['errors'], scoring: ScoringConfig): ScoredVariant {
  const metric = scoring.errorMetric;
  const rule = scoring.threshold as ThresholdRule;
  const labelledSplit = rule.rule === 'bestF1' ? (rule.on === 'test' ? errors.test : errors.validation ?? errors.test) : undefined;
  const { threshold, usesLabels, description } = computeThreshold(rule, {
    train: errors.train[metric],
    // Rules over "validation errors" describe normal behaviour: a labelled validation split
    // (validationAnomalies: keep) contributes its normal rows only.
    validation: errors.validation ? normalRows(errors.validation, metric) : undefined,
    labelled: labelledSplit ? { scores: labelledSplit[metric], y: labelledSplit.y } : undefined,
  });
  const metrics: Partial<Record<SplitName, MetricSet>> = {};
  for (const name of ['train', 'validation', 'test'] as const) {
    const split = errors[name];
    if (split && split.y.length > 0) metrics[name] = metricSet(split, split[metric], threshold);
  }
  return { threshold, usesLabels, description, metrics };
}

function normalRows(split: SplitErrorsResult, metric: 'mse' | 'mae'): Float32Array {
  return split[metric].filter((_, i) => split.y[i] === 0);
}

/** ROC and PR curve points of one split, for the report; undefined when the split has one class only. */
export function curvesOf(split: SplitErrorsResult, metric: 'mse' | 'mae'): CurvePoints | undefined {
  const roc = rocCurve(split.y, split[metric]);
  const pr = prCurve(split.y, split[metric]);
  if (!roc || !pr) return undefined;
  return {
    roc: { fpr: Array.from(roc.fpr), tpr: Array.from(roc.tpr), thresholds: Array.from(roc.thresholds) },
    pr: { recall: Array.from(pr.recall), precision: Array.from(pr.precision), thresholds: Array.from(pr.thresholds) },
    rocAuc: rocAuc(split.y, split[metric]) ?? null,
    prAuc: averagePrecision(split.y, split[metric]) ?? null,
  };
}
