/**
 * Does the best autoencoder beat the best baseline detector? A paired, stratified bootstrap
 * over the rows of the selection split: each draw resamples that split's anomalies and its
 * normal rows (with replacement, keeping both counts, so every draw has both classes and
 * PR-AUC is defined), and scores BOTH configurations on the same drawn rows, each repeat
 * with its own recorded threshold, the repeats averaged as the objective averages them.
 * Pairing on rows removes the rows' own difficulty from the difference; what is left is how
 * much the difference depends on which rows the split happened to hold. Seeded from the two
 * config hashes, so the CLI and the report give the same interval.
 */
import { binaryMetrics, normalPositiveMetrics } from './classification.js';
import { RECONSTRUCTION_METRICS } from './metrics.js';
import type { SelectionRule } from './objective.js';
import { createRng } from './random.js';
import { CONFIDENCE, type Interval } from './statistics.js';

/** One repeat of a configuration on the compared split: every row's score and the threshold it was scored with. */
export interface ScoredRepeat {
  scores: ArrayLike<number>;
  threshold: number;
}

/** One side of the comparison: a configuration's repeats, all on the same rows. */
export interface ComparedConfiguration {
  configHash: string;
  /** How the sentence names it, e.g. "pca components = 15 · p95". */
  name: string;
  repeats: ScoredRepeat[];
}

/** The paired comparison of the winner with the best baseline. */
export interface BaselineComparison {
  /**
   * Where the 95% interval of (autoencoder - baseline) lies: wholly on the better side of 0 (`beats`), wholly on
   * the worse side (`is beaten by`: the baseline is the better detector), or across 0 (`does not beat`).
   */
  verdict: 'beats' | 'does not beat' | 'is beaten by';
  /** Autoencoder minus baseline on the selection metric over all the split's rows (the objectives' difference). */
  difference: number;
  interval: Interval;
  rows: number;
  draws: number;
  sentence: string;
}

/** Draws of the bootstrap: the interval's ends move by about 0.001 between seeds at this count. */
export const COMPARISON_DRAWS = 2000;

/** A selection metric on some rows, or undefined where the metric is not defined there. */
function metricOn(metric: string, y: Uint8Array, scores: Float64Array, threshold: number): number | undefined {
  if (metric.startsWith('normal')) {
    const m = normalPositiveMetrics(y, scores, threshold);
    const key = metric.slice('normal'.length).toLowerCase() as 'precision' | 'recall' | 'f1';
    return m[key];
  }
  const value = (binaryMetrics(y, scores, threshold) as unknown as Record<string, unknown>)[metric];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function sideValue(metric: string, side: ComparedConfiguration, rows: Uint32Array, y: Uint8Array): number | undefined {
  const scores = new Float64Array(rows.length);
  let total = 0;
  for (const repeat of side.repeats) {
    rows.forEach((row, i) => (scores[i] = repeat.scores[row]));
    const value = metricOn(metric, y, scores, repeat.threshold);
    if (value === undefined) return undefined;
    total += value;
  }
  return total / side.repeats.length;
}

/** Why the two cannot be compared on this rule and these rows, or undefined when they can. */
export function comparisonRefusal(
  rule: SelectionRule,
  labels: ArrayLike<number>,
  sides: ComparedConfiguration[],
): string | undefined {
  if ((RECONSTRUCTION_METRICS as readonly string[]).includes(rule.metric)) {
    return `the selection metric ${rule.metric} is a reconstruction error, on another scale than a baseline's score`;
  }
  for (const side of sides) {
    if (side.repeats.length === 0) return `${side.name} has no scored repeat`;
    if (side.repeats.some((r) => r.scores.length !== labels.length)) {
      return `${side.name} was not scored on the same ${labels.length} ${rule.split} rows`;
    }
  }
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i] === 1 ? 1 : 0;
  if (positives === 0 || positives === labels.length) {
    return `the ${rule.split} split holds one class only: no labelled comparison`;
  }
  return undefined;
}

const fixed = (v: number) => v.toFixed(3);

/**
 * One repeat of a re-drawn split (`resample`): its rows' labels and both configurations'
 * scores on them. Repeat r of one configuration and repeat r of the other saw the same draw.
 */
export interface PairedRepeat {
  labels: ArrayLike<number>;
  autoencoder: ScoredRepeat;
  baseline: ScoredRepeat;
}

/** Rows the bootstrap resamples together, with the repeats of each side scored on them. */
interface Stratum {
  y: Uint8Array;
  anomalies: Uint32Array;
  normals: Uint32Array;
  a: ScoredRepeat[];
  b: ScoredRepeat[];
}

function stratum(labels: ArrayLike<number>, a: ScoredRepeat[], b: ScoredRepeat[]): Stratum {
  const y = Uint8Array.from(labels as ArrayLike<number>);
  const all = Uint32Array.from({ length: y.length }, (_, i) => i);
  return { y, anomalies: all.filter((i) => y[i] === 1), normals: all.filter((i) => y[i] === 0), a, b };
}

/** Each side's value (the mean over strata of the mean over their repeats) on the given rows of each stratum. */
function sideValues(metric: string, strata: Stratum[], rows: Uint32Array[], drawnY: Uint8Array[]) {
  let a = 0;
  let b = 0;
  for (const [k, s] of strata.entries()) {
    const va = sideValue(metric, { configHash: '', name: '', repeats: s.a }, rows[k], drawnY[k]);
    const vb = sideValue(metric, { configHash: '', name: '', repeats: s.b }, rows[k], drawnY[k]);
    if (va === undefined || vb === undefined) return undefined;
    a += va;
    b += vb;
  }
  return a / strata.length - b / strata.length;
}

/** The bootstrap's differences, sorted: each draw resamples every stratum's anomalies and normals. */
function bootstrapDifferences(metric: string, strata: Stratum[], seed: string, draws: number): number[] {
  // Drawn rows are ordered anomalies first: their labels are the same for every draw.
  const drawnY = strata.map((s) => Uint8Array.from({ length: s.y.length }, (_, i) => (i < s.anomalies.length ? 1 : 0)));
  const rows = strata.map((s) => new Uint32Array(s.y.length));
  const rng = createRng(0, seed);
  const differences: number[] = [];
  for (let d = 0; d < draws; d++) {
    for (const [k, s] of strata.entries()) {
      for (let i = 0; i < s.anomalies.length; i++) rows[k][i] = s.anomalies[rng.int(s.anomalies.length)];
      for (let i = 0; i < s.normals.length; i++) rows[k][s.anomalies.length + i] = s.normals[rng.int(s.normals.length)];
    }
    const difference = sideValues(metric, strata, rows, drawnY);
    if (difference !== undefined) differences.push(difference);
  }
  return differences.sort((p, q) => p - q);
}

/**
 * Compares the winner with the best baseline on the rule's split (see the module comment).
 * @throws Error naming the reason when {@link comparisonRefusal} has one.
 */
export function compareWithBaseline(
  rule: SelectionRule,
  labels: ArrayLike<number>,
  autoencoder: ComparedConfiguration,
  baseline: ComparedConfiguration,
  options: { draws?: number; metricLabel?: string } = {},
): BaselineComparison {
  const refusal = comparisonRefusal(rule, labels, [autoencoder, baseline]);
  if (refusal) throw new Error(`cannot compare with the baseline: ${refusal}`);
  const strata = [stratum(labels, autoencoder.repeats, baseline.repeats)];
  return compared(rule, strata, autoencoder, baseline, `the ${labels.length} ${rule.split} rows`, options);
}

/**
 * {@link compareWithBaseline} for re-drawn splits: repeat r of each side is scored on repeat r's
 * own rows, so each pair is resampled on its rows and the differences averaged over repeats.
 * @throws Error naming the reason when {@link comparisonRefusal} has one for some repeat.
 */
export function compareWithBaselineByRepeat(
  rule: SelectionRule,
  pairs: PairedRepeat[],
  names: { autoencoder: Omit<ComparedConfiguration, 'repeats'>; baseline: Omit<ComparedConfiguration, 'repeats'> },
  options: { draws?: number; metricLabel?: string } = {},
): BaselineComparison {
  if (pairs.length === 0) throw new Error('cannot compare with the baseline: no repeat scored on both sides');
  for (const [r, pair] of pairs.entries()) {
    const sides = [
      { ...names.autoencoder, repeats: [pair.autoencoder] },
      { ...names.baseline, repeats: [pair.baseline] },
    ];
    const refusal = comparisonRefusal(rule, pair.labels, sides);
    if (refusal) throw new Error(`cannot compare with the baseline: repeat ${r}: ${refusal}`);
  }
  const strata = pairs.map((pair) => stratum(pair.labels, [pair.autoencoder], [pair.baseline]));
  const rows = `the ${rule.split} rows of each of the ${pairs.length} repeats, paired by repeat`;
  return compared(rule, strata, names.autoencoder, names.baseline, rows, options);
}

function compared(
  rule: SelectionRule,
  strata: Stratum[],
  autoencoder: Omit<ComparedConfiguration, 'repeats'>,
  baseline: Omit<ComparedConfiguration, 'repeats'>,
  rowsText: string,
  { draws = COMPARISON_DRAWS, metricLabel = rule.metric }: { draws?: number; metricLabel?: string },
): BaselineComparison {
  const all = strata.map((s) => Uint32Array.from({ length: s.y.length }, (_, i) => i));
  const difference = sideValues(
    rule.metric,
    strata,
    all,
    strata.map((s) => s.y),
  )!;
  const seed = `baseline-comparison:${autoencoder.configHash}:${baseline.configHash}`;
  const differences = bootstrapDifferences(rule.metric, strata, seed, draws);
  const tail = (1 - CONFIDENCE) / 2;
  const last = differences.length - 1;
  const at = (q: number) => differences[Math.min(last, Math.max(0, Math.round(q * last)))];
  const interval = { low: at(tail), high: at(1 - tail) };
  const [betterEnd, worseEnd] =
    rule.direction === 'maximize' ? [interval.low, -interval.high] : [-interval.high, interval.low];
  const verdict = betterEnd > 0 ? 'beats' : worseEnd > 0 ? 'is beaten by' : 'does not beat';
  const sentence =
    `the best autoencoder (${autoencoder.name}) ${verdict} the best baseline (${baseline.name}) on ` +
    `${rule.split} ${metricLabel}: difference ${fixed(difference)}, ${Math.round(CONFIDENCE * 100)}% CI ` +
    `[${fixed(interval.low)}, ${fixed(interval.high)}] (paired bootstrap over ${rowsText}, ${draws} draws)`;
  const rows = strata.reduce((n, s) => n + s.y.length, 0);
  return { verdict, difference, interval, rows, draws, sentence };
}
