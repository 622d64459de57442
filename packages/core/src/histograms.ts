/**
 * The error histograms of a trial page, binned where the errors are: the recorder bins
 * them as it records a trial, so a report reads a few hundred counts per trial instead of
 * every row's errors (tens of MiB of JSON on a large dataset). A report of a store recorded
 * before reads the errors artifact and bins it with the same function.
 */
import { z } from 'zod';
import { ERROR_METRICS, type ErrorMetric } from './vocabulary.js';

/**
 * Errors are heavy-tailed (anomalies can be orders of magnitude above normal rows), so
 * the x range ends at this quantile of all errors (or at the highest threshold, if above),
 * and the last bin also counts everything beyond.
 */
export const HISTOGRAM_RANGE_QUANTILE = 0.995;
export const HISTOGRAM_BINS = 40;

const counts = z.array(z.number().int().nonnegative()).min(1);

/**
 * What `histograms.json` holds (ARTIFACT.histograms): one error metric's rows, binned. A
 * report checks a file against it before drawing from it.
 */
export const errorHistogramsSchema = z.object({
  errorMetric: z.enum(ERROR_METRICS),
  /** The x range: the smallest finite error up to the range quantile or the highest threshold. */
  lo: z.number(),
  hi: z.number(),
  /** Finite errors above `hi`, counted in the last bin. */
  overflow: z.number().int().nonnegative(),
  /**
   * Row counts of equal-width bins over [lo, hi] per group (values outside go to the end bins; non-finite ones are left
   * out).
   */
  counts: z.object({ train: counts.optional(), testNormal: counts.optional(), testAnomalous: counts.optional() }),
});
export type ErrorHistograms = z.output<typeof errorHistogramsSchema>;

/** The rows to bin: training errors, and the test errors with their 0/1 labels (1 = anomaly). */
export interface ErrorsToBin {
  train?: ArrayLike<number>;
  test?: { errors: ArrayLike<number>; y: ArrayLike<number> };
}

/** The finite values of every group in one sorted typed array (the range needs quantiles of all of them). */
function sortedFinite(rows: ErrorsToBin): Float64Array {
  const sources = [rows.train, rows.test?.errors].filter((s): s is ArrayLike<number> => s !== undefined);
  let n = 0;
  for (const s of sources) for (let i = 0; i < s.length; i++) if (Number.isFinite(s[i])) n++;
  const all = new Float64Array(n);
  let k = 0;
  for (const s of sources) for (let i = 0; i < s.length; i++) if (Number.isFinite(s[i])) all[k++] = s[i]!;
  return all.sort();
}

/** Linear-interpolation quantile (numpy's default) of sorted values. */
function sortedQuantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const i = Math.floor(pos);
  return i + 1 < sorted.length ? sorted[i]! + (sorted[i + 1]! - sorted[i]!) * (pos - i) : sorted[i]!;
}

/**
 * Bins a trial's errors for its page: one x range for all groups, from the smallest error to
 * the {@link HISTOGRAM_RANGE_QUANTILE} of all errors or the highest finite threshold, so the
 * separation a threshold achieves can be read off every panel.
 */
export function binErrors(
  errorMetric: ErrorMetric,
  rows: ErrorsToBin,
  thresholds: readonly number[],
  bins = HISTOGRAM_BINS,
): ErrorHistograms {
  const all = sortedFinite(rows);
  const lo = all.length ? all[0]! : 0;
  const top = all.length ? sortedQuantile(all, HISTOGRAM_RANGE_QUANTILE) : 1;
  const hi = Math.max(top, ...thresholds.filter(Number.isFinite), lo + 1e-12);
  let above = all.length;
  while (above > 0 && all[above - 1]! > hi) above--;
  const width = (hi - lo) / bins;
  const bin = (v: number) => Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)));
  const counts: ErrorHistograms['counts'] = {};
  if (rows.train) {
    const train = (counts.train = new Array<number>(bins).fill(0));
    for (let i = 0; i < rows.train.length; i++) if (Number.isFinite(rows.train[i])) train[bin(rows.train[i]!)]!++;
  }
  if (rows.test) {
    const { errors, y } = rows.test;
    const normal = (counts.testNormal = new Array<number>(bins).fill(0));
    const anomalous = (counts.testAnomalous = new Array<number>(bins).fill(0));
    for (let i = 0; i < errors.length; i++)
      if (Number.isFinite(errors[i])) (y[i] === 1 ? anomalous : normal)[bin(errors[i]!)]!++;
  }
  return { errorMetric, lo, hi, overflow: all.length - above, counts };
}
