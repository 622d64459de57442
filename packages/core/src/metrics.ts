import { ERROR_METRICS } from './vocabulary.js';

/** Confusion counts at one threshold, anomaly = positive class. */
export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/** Metrics of one split, anomaly = positive class. Absent values mean "not defined". */
export interface MetricSet {
  rows: number;
  positives: number;
  accuracy?: number;
  precision?: number;
  recall?: number;
  f1?: number;
  specificity?: number;
  rocAuc?: number;
  prAuc?: number;
  /** Mean reconstruction error (MSE per sample, averaged) of the split. */
  mse?: number;
  mae?: number;
  rmse?: number;
  confusion?: Confusion;
  [extra: string]: number | undefined | Confusion;
}

/** A metric of a split as a finite number, or undefined where it is absent or not numeric. */
export function metricValue(set: MetricSet | undefined, metric: string): number | undefined {
  const v = set?.[metric];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Metrics computed from reconstruction errors alone; every other metric needs labels. */
export const RECONSTRUCTION_METRICS = [...ERROR_METRICS, 'rmse'] as const;

/**
 * Every metric a scored split has (the numeric fields of a {@link MetricSet} that scoring
 * fills), so a selection rule naming any other is refused before training: it would find
 * no value in any trial. `normal*` take normal rows as the positive class (the TensorFlow
 * tutorial's convention).
 */
export const METRIC_NAMES = [
  'f1',
  'rocAuc',
  'prAuc',
  'accuracy',
  'precision',
  'recall',
  'specificity',
  ...RECONSTRUCTION_METRICS,
  'normalPrecision',
  'normalRecall',
  'normalF1',
] as const;

/**
 * Metrics that do not depend on the threshold: they rank rows by error, or are errors. Two
 * scoring variants of one training (p95 and p99, say) always tie on them, which is why a
 * selection on one of them breaks ties on F1 by default (see `tieBreakMetrics`).
 */
export const THRESHOLD_FREE_METRICS: readonly string[] = ['rocAuc', 'prAuc', ...RECONSTRUCTION_METRICS];

/** Which way a metric improves: reconstruction errors fall, every labelled metric rises. */
export function metricDirection(metric: string): 'maximize' | 'minimize' {
  return (RECONSTRUCTION_METRICS as readonly string[]).includes(metric) ? 'minimize' : 'maximize';
}

/**
 * The values a metric can take: [0, 1] for every labelled metric (rates, F1, areas), [0, inf)
 * for reconstruction errors. Intervals of a metric's mean are clipped to it (`meanInterval`).
 */
export function metricRange(metric: string): { low: number; high: number } {
  return metricUsesLabels(metric) ? { low: 0, high: 1 } : { low: 0, high: Infinity };
}

/** True when the metric needs labelled rows (anomalies and normal rows) to be computed. */
export function metricUsesLabels(metric: string): boolean {
  return !(RECONSTRUCTION_METRICS as readonly string[]).includes(metric);
}
