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
  /** `beats`: the 95% interval of (autoencoder - baseline) lies wholly on the better side of 0. */
  verdict: 'beats' | 'does not beat';
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
 * Compares the winner with the best baseline on the rule's split (see the module comment).
 * @throws Error naming the reason when {@link comparisonRefusal} has one.
 */
export function compareWithBaseline(
  rule: SelectionRule,
  labels: ArrayLike<number>,
  autoencoder: ComparedConfiguration,
  baseline: ComparedConfiguration,
  { draws = COMPARISON_DRAWS, metricLabel = rule.metric }: { draws?: number; metricLabel?: string } = {},
): BaselineComparison {
  const refusal = comparisonRefusal(rule, labels, [autoencoder, baseline]);
  if (refusal) throw new Error(`cannot compare with the baseline: ${refusal}`);
  const y = Uint8Array.from(labels as ArrayLike<number>);
  const all = Uint32Array.from({ length: y.length }, (_, i) => i);
  const difference = sideValue(rule.metric, autoencoder, all, y)! - sideValue(rule.metric, baseline, all, y)!;
  const anomalies = all.filter((i) => y[i] === 1);
  const normals = all.filter((i) => y[i] === 0);
  // Drawn rows are ordered anomalies first: their labels are the same for every draw.
  const drawnY = Uint8Array.from({ length: y.length }, (_, i) => (i < anomalies.length ? 1 : 0));
  const rng = createRng(0, `baseline-comparison:${autoencoder.configHash}:${baseline.configHash}`);
  const differences: number[] = [];
  const rows = new Uint32Array(y.length);
  for (let d = 0; d < draws; d++) {
    for (let i = 0; i < anomalies.length; i++) rows[i] = anomalies[rng.int(anomalies.length)];
    for (let i = 0; i < normals.length; i++) rows[anomalies.length + i] = normals[rng.int(normals.length)];
    const a = sideValue(rule.metric, autoencoder, rows, drawnY);
    const b = sideValue(rule.metric, baseline, rows, drawnY);
    if (a !== undefined && b !== undefined) differences.push(a - b);
  }
  differences.sort((p, q) => p - q);
  const tail = (1 - CONFIDENCE) / 2;
  const last = differences.length - 1;
  const at = (q: number) => differences[Math.min(last, Math.max(0, Math.round(q * last)))];
  const interval = { low: at(tail), high: at(1 - tail) };
  const better = rule.direction === 'maximize' ? interval.low > 0 : interval.high < 0;
  const verdict = better ? 'beats' : 'does not beat';
  const sentence =
    `the best autoencoder (${autoencoder.name}) ${verdict} the best baseline (${baseline.name}) ` +
    `on ${rule.split} ${metricLabel}: difference ${fixed(difference)}, ` +
    `${Math.round(CONFIDENCE * 100)}% CI [${fixed(interval.low)}, ${fixed(interval.high)}] ` +
    `(paired bootstrap over the ${y.length} ${rule.split} rows, ${draws} draws)`;
  return { verdict, difference, interval, rows: y.length, draws, sentence };
}
