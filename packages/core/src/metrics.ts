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
export const RECONSTRUCTION_METRICS = ['mse', 'mae', 'rmse'] as const;

/** True when the metric needs labelled rows (anomalies and normal rows) to be computed. */
export function metricUsesLabels(metric: string): boolean {
  return !(RECONSTRUCTION_METRICS as readonly string[]).includes(metric);
}
