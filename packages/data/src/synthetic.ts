import type { Dataset } from './dataset.js';
import { schemaIssues, sha256Hex } from '@aelab/core';
import { syntheticEcgOptionsSchema } from './loader-options.js';
import { createRng, type Rng } from '@aelab/core';

/**
 * `synthetic-ecg`: an embedded, seeded stand-in for ECG5000 so that every part of aelab
 * can run and be tested without downloading anything.
 *
 * Each row is one heartbeat of {@link SYNTHETIC_ECG_LENGTH} points, built from a P-QRS-T
 * template (a sum of Gaussians) with physiological jitter: per-wave amplitude (~8 %) and
 * width (~7 %), whole-beat timing (~0.6 % of the beat), PR and QT interval jitter, baseline
 * wander (offset + slope + slow sinusoid) and white noise (`noise`, default 0.03 of the R
 * amplitude). Like the UCR archive, every beat is then z-normalised.
 *
 * Labels: `normal`, or one of six anomaly kinds, each with a random severity in
 * [0.1, 1] so that some anomalies are subtle:
 * - `premature`    the complex arrives 2-10 % of the beat early with a weak/absent P wave;
 * - `wide-qrs`     QRS 1.3-3x wider, smaller R, T wave flattened or inverted (PVC-like);
 * - `st-elevation` an ST segment raised by 0.04-0.24 (R = 1.2) between S and T;
 * - `st-depression` an ST segment lowered by 0.04-0.24 and a flatter T wave;
 * - `missing-p`    P wave reduced to 0-50 % of its amplitude;
 * - `noise-burst`  a 15-45 point burst of extra noise (sd 0.04-0.29) at a random place.
 *
 * Difficulty: a linear autoencoder (PCA, 8 components) fitted on the normal training beats
 * reaches ROC-AUC ~0.975 on the default test rows (seed 11), so dense autoencoders have
 * room to differ but not to reach 1.0 trivially.
 *
 * Default class mix (exact counts, largest-remainder rounding, order shuffled by seed):
 * - train: 500 rows, 42 % anomalous (like ECG5000 TRAIN: 292 normal / 208 abnormal);
 * - test: 1000 rows, 40 % anomalous;
 * - anomalies split across kinds by {@link SYNTHETIC_ECG_ANOMALY_MIX}: premature 25 %,
 *   wide-qrs 20 %, st-elevation 15 %, st-depression 15 %, missing-p 15 %, noise-burst 10 %.
 * Rows are train first, then test, marked in `predefinedSplit`.
 */
export interface SyntheticEcgOptions {
  /** Default 42. Same seed and options give identical bytes. */
  seed?: number;
  /** Default 500. */
  trainRows?: number;
  /** Default 1000. */
  testRows?: number;
  /** Anomalous share of the test rows, default 0.4. */
  anomalyFraction?: number;
  /** Anomalous share of the training rows, default 0.42 (ECG5000 TRAIN). */
  trainAnomalyFraction?: number;
  /** White-noise sd relative to the R amplitude before normalisation, default 0.03. */
  noise?: number;
}

export type SyntheticAnomalyKind =
  'premature' | 'wide-qrs' | 'st-elevation' | 'st-depression' | 'missing-p' | 'noise-burst';

/** Share of each anomaly kind among the anomalous rows (sums to 1). */
export const SYNTHETIC_ECG_ANOMALY_MIX: Readonly<Record<SyntheticAnomalyKind, number>> = Object.freeze({
  premature: 0.25,
  'wide-qrs': 0.2,
  'st-elevation': 0.15,
  'st-depression': 0.15,
  'missing-p': 0.15,
  'noise-burst': 0.1,
});

export const SYNTHETIC_ECG_LENGTH = 140;
export const SYNTHETIC_ECG_NORMAL_CLASS = 'normal';

const DEFAULTS: Required<SyntheticEcgOptions> = {
  seed: 42,
  trainRows: 500,
  testRows: 1000,
  anomalyFraction: 0.4,
  trainAnomalyFraction: 0.42,
  noise: 0.03,
};

/** One Gaussian bump of the template: centre and width as fractions of the beat. */
interface Wave {
  centre: number;
  amplitude: number;
  width: number;
}

interface BeatShape {
  p: Wave;
  q: Wave;
  r: Wave;
  s: Wave;
  t: Wave;
  /** Added to every wave centre (negative = early beat). */
  shift: number;
  /** ST segment offset (elevation > 0, depression < 0). */
  st: number;
  burst?: { start: number; length: number; sd: number };
}

function normalShape(rng: Rng): BeatShape {
  const jitter = (sd: number) => 1 + rng.normal(0, sd);
  const shift = rng.normal(0, 0.006);
  return {
    p: { centre: 0.22 + rng.normal(0, 0.008), amplitude: 0.18 * jitter(0.08), width: 0.028 * jitter(0.07) },
    q: { centre: 0.335, amplitude: -0.12 * jitter(0.08), width: 0.009 * jitter(0.07) },
    r: { centre: 0.36, amplitude: 1.2 * jitter(0.08), width: 0.011 * jitter(0.07) },
    s: { centre: 0.385, amplitude: -0.35 * jitter(0.08), width: 0.011 * jitter(0.07) },
    t: { centre: 0.62 + rng.normal(0, 0.012), amplitude: 0.35 * jitter(0.08), width: 0.045 * jitter(0.07) },
    shift,
    st: 0,
  };
}

function applyAnomaly(shape: BeatShape, kind: SyntheticAnomalyKind, rng: Rng): void {
  const severity = rng.uniform(0.1, 1);
  switch (kind) {
    case 'premature':
      shape.shift -= 0.02 + 0.08 * severity;
      shape.p.amplitude *= rng.uniform(0, 0.6);
      break;
    case 'wide-qrs': {
      const widen = 1.3 + 1.7 * severity;
      shape.q.width *= widen;
      shape.r.width *= widen;
      shape.s.width *= widen;
      shape.r.amplitude *= 0.8;
      shape.t.amplitude *= 1 - 1.2 * severity;
      break;
    }
    case 'st-elevation':
      shape.st = 0.04 + 0.2 * severity;
      break;
    case 'st-depression':
      shape.st = -(0.04 + 0.2 * severity);
      shape.t.amplitude *= 1 - 0.5 * severity;
      break;
    case 'missing-p':
      shape.p.amplitude *= rng.uniform(0, 0.5);
      break;
    case 'noise-burst': {
      const length = 15 + rng.int(31);
      shape.burst = { start: rng.int(SYNTHETIC_ECG_LENGTH - length), length, sd: 0.04 + 0.25 * severity };
      break;
    }
  }
}

const smoothStep = (x: number) => 1 / (1 + Math.exp(-x));

function renderBeat(shape: BeatShape, noise: number, rng: Rng, out: Float32Array, offset: number): void {
  const wander = {
    offset: rng.normal(0, 0.03),
    slope: rng.normal(0, 0.05),
    amplitude: rng.uniform(0, 0.04),
    frequency: rng.uniform(0.3, 1.2),
    phase: rng.uniform(0, 2 * Math.PI),
  };
  const waves = [shape.p, shape.q, shape.r, shape.s, shape.t];
  const stStart = shape.s.centre + shape.shift + 0.02;
  const stEnd = shape.t.centre + shape.shift - 0.04;
  let sum = 0;
  for (let i = 0; i < SYNTHETIC_ECG_LENGTH; i++) {
    const t = i / (SYNTHETIC_ECG_LENGTH - 1);
    let v =
      wander.offset +
      wander.slope * (t - 0.5) +
      wander.amplitude * Math.sin(2 * Math.PI * wander.frequency * t + wander.phase);
    for (const wave of waves) {
      const z = (t - wave.centre - shape.shift) / wave.width;
      v += wave.amplitude * Math.exp(-0.5 * z * z);
    }
    if (shape.st !== 0) v += shape.st * smoothStep((t - stStart) / 0.01) * smoothStep((stEnd - t) / 0.02);
    v += rng.normal(0, noise);
    if (shape.burst && i >= shape.burst.start && i < shape.burst.start + shape.burst.length)
      v += rng.normal(0, shape.burst.sd);
    out[offset + i] = v;
    sum += v;
  }
  // z-normalise the beat, as the UCR archive does for ECG5000
  const mean = sum / SYNTHETIC_ECG_LENGTH;
  let squares = 0;
  for (let i = 0; i < SYNTHETIC_ECG_LENGTH; i++) squares += (out[offset + i] - mean) ** 2;
  const sd = Math.sqrt(squares / SYNTHETIC_ECG_LENGTH) || 1;
  for (let i = 0; i < SYNTHETIC_ECG_LENGTH; i++) out[offset + i] = (out[offset + i] - mean) / sd;
}

/** Exact per-class counts for `rows` rows: largest-remainder rounding of the documented mix. */
export function syntheticEcgClassCounts(rows: number, anomalyFraction: number): Record<string, number> {
  const anomalies = Math.round(rows * anomalyFraction);
  const kinds = Object.keys(SYNTHETIC_ECG_ANOMALY_MIX) as SyntheticAnomalyKind[];
  const exact = kinds.map((kind) => anomalies * SYNTHETIC_ECG_ANOMALY_MIX[kind]);
  const counts = exact.map(Math.floor);
  let left = anomalies - counts.reduce((a, b) => a + b, 0);
  const byRemainder = kinds.map((_, i) => i).sort((a, b) => exact[b] - counts[b] - (exact[a] - counts[a]) || a - b);
  for (const i of byRemainder) {
    if (left <= 0) break;
    counts[i]++;
    left--;
  }
  const result: Record<string, number> = { [SYNTHETIC_ECG_NORMAL_CLASS]: rows - anomalies };
  kinds.forEach((kind, i) => (result[kind] = counts[i]));
  return result;
}

function checkOptions(o: Required<SyntheticEcgOptions>): void {
  const problems = schemaIssues(syntheticEcgOptionsSchema, o);
  if (problems.length) throw new RangeError(`synthetic-ecg: ${problems.join('; ')}`);
}

/** The label and split of every row (train rows first), each split's labels in seeded order. */
export function syntheticEcgRowPlan(
  o: Pick<
    Required<SyntheticEcgOptions>,
    'seed' | 'trainRows' | 'testRows' | 'anomalyFraction' | 'trainAnomalyFraction'
  >,
) {
  const splitPlan: [split: 'train' | 'test', rows: number, fraction: number][] = [
    ['train', o.trainRows, o.trainAnomalyFraction],
    ['test', o.testRows, o.anomalyFraction],
  ];
  const labels: string[] = [];
  const predefinedSplit: ('train' | 'test')[] = [];
  const orderRng = createRng(o.seed, 'synthetic-ecg/order');
  for (const [split, rows, fraction] of splitPlan) {
    const block: string[] = [];
    for (const [label, count] of Object.entries(syntheticEcgClassCounts(rows, fraction)))
      for (let i = 0; i < count; i++) block.push(label);
    orderRng.shuffle(block);
    // a loop, not labels.push(...block): spreading 100k+ arguments overflows the stack
    for (const label of block) labels.push(label);
    for (let i = 0; i < rows; i++) predefinedSplit.push(split);
  }
  return { labels, predefinedSplit };
}

/** Generates the `synthetic-ecg` dataset (see {@link SyntheticEcgOptions} for what it holds). */
export function generateSyntheticEcg(options: SyntheticEcgOptions = {}): Dataset {
  const o: Required<SyntheticEcgOptions> = { ...DEFAULTS };
  for (const [key, value] of Object.entries(options))
    if (value !== undefined) (o as Record<string, number>)[key] = Number(value);
  checkOptions(o);
  const { labels, predefinedSplit } = syntheticEcgRowPlan(o);
  const rows = labels.length;
  const values = new Float32Array(rows * SYNTHETIC_ECG_LENGTH);
  const beatRng = createRng(o.seed, 'synthetic-ecg/beats');
  labels.forEach((label, row) => {
    const shape = normalShape(beatRng);
    if (label !== SYNTHETIC_ECG_NORMAL_CLASS) applyAnomaly(shape, label as SyntheticAnomalyKind, beatRng);
    renderBeat(shape, o.noise, beatRng, values, row * SYNTHETIC_ECG_LENGTH);
  });
  const featureNames = Array.from({ length: SYNTHETIC_ECG_LENGTH }, (_, i) => `t${i}`);
  return {
    name: 'synthetic-ecg',
    values,
    rows,
    features: SYNTHETIC_ECG_LENGTH,
    labels,
    featureNames,
    predefinedSplit,
    source: {
      paths: ['embedded:synthetic-ecg'],
      sha256: sha256Hex(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), labels.join('\n')),
      format: 'synthetic',
    },
  };
}
