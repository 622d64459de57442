/**
 * The uncertainty aelab reports beside its point figures: a 95% interval of a mean over
 * repeats, whether two configurations' repeat means differ significantly, and how far a
 * percentile threshold could move with other rows of the same distribution.
 */
import { createRequire } from 'node:module';
import type BinomialQuantile from '@stdlib/stats-base-dists-binomial-quantile';
import type TCdf from '@stdlib/stats-base-dists-t-cdf';
import type TQuantile from '@stdlib/stats-base-dists-t-quantile';
import { NO_SPREAD_TOLERANCE, type Summary } from './objective.js';

/*
 * The three distributions are loaded on first use, through require (they are CommonJS):
 * imported, their module trees took ~130 ms (more under load) of every thread that loads
 * @aelab/core, training threads included, which never compute an interval.
 */
const load = createRequire(import.meta.url);
let distributions:
  { binomialQuantile: typeof BinomialQuantile; tCdf: typeof TCdf; tQuantile: typeof TQuantile } | undefined;
const stdlib = () =>
  (distributions ??= {
    binomialQuantile: load('@stdlib/stats-base-dists-binomial-quantile') as typeof BinomialQuantile,
    tCdf: load('@stdlib/stats-base-dists-t-cdf') as typeof TCdf,
    tQuantile: load('@stdlib/stats-base-dists-t-quantile') as typeof TQuantile,
  });

/**
 * Loads the distributions now instead of at the first interval (~150 ms of require): a
 * study calls it once its first trainings are handed over, so the load falls while they
 * train, not between the first training's end and the start of the one its worker takes next.
 */
export function preloadDistributions(): void {
  stdlib();
}

/** The confidence level of every interval aelab reports. */
export const CONFIDENCE = 0.95;

/** A closed interval [low, high]. */
export interface Interval {
  low: number;
  high: number;
}

/**
 * The Student-t 95% confidence interval of a mean over repeats (mean +- t(0.975, n-1) *
 * std / sqrt(n)), intersected with `range`, the values the metric can take (`metricRange`:
 * [0, 1] for F1, PR-AUC, ...); null with fewer than two repeats, where no interval exists.
 * The clip keeps the coverage: the true mean lies in the range, so it lies in the clipped
 * interval whenever it lies in the t interval; an F1 interval of [-0.006, 0.102] reads
 * [0, 0.102]. (A bootstrap over three to five repeats would be narrower than the t interval
 * and cover less; a Wilson interval needs counts, and a mean of F1s over repeats has none.)
 */
export function meanInterval(summary: Pick<Summary, 'mean' | 'std' | 'n'> | null, range?: Interval): Interval | null {
  if (!summary || summary.std === null || summary.n < 2) return null;
  const half = stdlib().tQuantile(1 - (1 - CONFIDENCE) / 2, summary.n - 1) * (summary.std / Math.sqrt(summary.n));
  const low = summary.mean - half;
  const high = summary.mean + half;
  return range ? { low: Math.max(range.low, low), high: Math.min(range.high, high) } : { low, high };
}

/**
 * Welch's two-sided t-test of two means over independent repeats (different configurations
 * train with different seeds, so repeats are not paired). Returns the p-value; null when
 * either side has fewer than two repeats, or when neither side varies over its repeats
 * (the test is undefined there: a discrete metric on a small split often repeats exactly).
 */
export function welchPValue(
  a: Pick<Summary, 'mean' | 'std' | 'n'>,
  b: Pick<Summary, 'mean' | 'std' | 'n'>,
): number | null {
  if (a.std === null || b.std === null || a.n < 2 || b.n < 2) return null;
  const va = a.std ** 2 / a.n;
  const vb = b.std ** 2 / b.n;
  const diff = a.mean - b.mean;
  if (va + vb === 0) return null;
  const t = diff / Math.sqrt(va + vb);
  const df = (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1));
  return Math.min(1, 2 * (1 - stdlib().tCdf(Math.abs(t), df)));
}

/**
 * Whether two configurations' repeat means differ: Welch's test ({@link welchPValue}), with
 * the case it leaves undefined stated instead of left to float noise. `noVariance`: neither
 * side varies over its repeats (`summarize` counts rounding as no spread), so the repeats
 * show no noise to test against: p is 1 when the means are equal and 0 when they differ
 * (Welch's limit as both spreads go to 0), and reports print "no variance". `pValue` is null
 * only where either side has fewer than two repeats.
 */
export interface MeanComparison {
  pValue: number | null;
  noVariance: boolean;
}

/** Compares two repeat means (see {@link MeanComparison}). */
export function compareRepeatMeans(
  a: Pick<Summary, 'mean' | 'std' | 'n'>,
  b: Pick<Summary, 'mean' | 'std' | 'n'>,
): MeanComparison {
  if (a.std === null || b.std === null || a.n < 2 || b.n < 2) return { pValue: null, noVariance: false };
  if (a.std === 0 && b.std === 0) {
    const equal = Math.abs(a.mean - b.mean) <= NO_SPREAD_TOLERANCE * Math.max(Math.abs(a.mean), Math.abs(b.mean));
    return { pValue: equal ? 1 : 0, noVariance: true };
  }
  return { pValue: welchPValue(a, b), noVariance: false };
}

/**
 * The distribution-free 95% interval of the q-quantile (0..1) of the population the sorted
 * `values` were drawn from: the order statistics x(l), x(u) with l and u from the
 * Binomial(n, q) quantiles (Conover, Practical Nonparametric Statistics, 3.2). It says how
 * much a percentile threshold rests on the particular rows it was fit on; null with fewer
 * than two values.
 */
export function quantileInterval(sorted: ArrayLike<number>, q: number): Interval | null {
  const n = sorted.length;
  if (n < 2) return null;
  const tail = (1 - CONFIDENCE) / 2;
  const { binomialQuantile } = stdlib();
  const l = Math.max(0, binomialQuantile(tail, n, q) - 1);
  const u = Math.min(n - 1, binomialQuantile(1 - tail, n, q));
  return { low: sorted[l], high: sorted[u] };
}

/**
 * What an experiment's repeats draw anew besides their training seed (its `resample`):
 * "none" (the default) keeps one split, "validation" draws a new validation carve per
 * repeat, "all" also a new random train/test split.
 */
export const RESAMPLE_SCOPES = ['none', 'validation', 'all'] as const;
export type ResampleScope = (typeof RESAMPLE_SCOPES)[number];

/** Which variance an interval over repeats includes under a `resample` scope, in words (CLI and report say it). */
export function intervalVariance(scope: ResampleScope | undefined): string {
  if (scope === 'validation') return 'training + validation carve (each repeat draws a new validation carve)';
  if (scope === 'all') return 'training + split (each repeat draws a new train/test split and validation carve)';
  return 'training only (every repeat uses the same split; set "resample" to include the split\'s variance)';
}
