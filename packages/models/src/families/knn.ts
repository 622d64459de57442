/**
 * k-nearest-neighbour distance, a baseline detector: a row's Euclidean distance to its k-th
 * nearest normal training row (`kth`, PyOD's `largest`), or the mean distance to its k
 * nearest (`mean`). A training row is left out of its own neighbours. Brute force over
 * every neighbour row, exact: npm's kNN libraries (ml-knn) classify by labels and do not
 * return distances. On a large training split (credit card: 227,000 rows) `sampleSize`
 * keeps a seeded sample of the rows as the neighbours, so scoring stays linear in the rows.
 */
import { createRng } from '@aelab/core';
import { z } from 'zod';
import type { DetectorFamily, DetectorRows, FittedDetector } from './family.js';
import { boundedCount, oneOf } from './fields.js';

/** How the k nearest distances become one score. */
export const KNN_AGGREGATES = ['kth', 'mean'] as const;

export const knnSpecSchema = z
  .strictObject({
    kind: z.literal('knn').describe('k-nearest-neighbour distance (a baseline detector, fitted, not trained).'),
    k: boundedCount(100_000).describe('Neighbours among the normal training rows.'),
    aggregate: oneOf(KNN_AGGREGATES).describe(
      'kth: the distance to the k-th nearest; mean: the mean distance to the k nearest.',
    ),
    sampleSize: boundedCount(1_000_000)
      .optional()
      .describe('Neighbours are a seeded sample of at most this many training rows (absent: every training row).'),
  })
  .describe('Scores a row by its distance to the normal training rows.');

/** A kNN baseline spec. */
export type KnnSpec = z.output<typeof knnSpecSchema>;

/**
 * The k smallest squared distances from row `r` of `rows` to the training rows, ascending;
 * `skip` is a training row left out (the row itself), -1 for none.
 */
function nearest(train: DetectorRows, rows: DetectorRows, r: number, k: number, skip: number): Float64Array {
  const best = new Float64Array(k).fill(Infinity);
  const { features } = train;
  const offset = r * features;
  for (let t = 0; t < train.rows; t++) {
    if (t === skip) continue;
    let d = 0;
    const base = t * features;
    for (let f = 0; f < features; f++) {
      const diff = rows.x[offset + f] - train.x[base + f];
      d += diff * diff;
    }
    if (d >= best[k - 1]) continue;
    let i = k - 1;
    while (i > 0 && best[i - 1] > d) {
      best[i] = best[i - 1];
      i--;
    }
    best[i] = d;
  }
  return best;
}

/**
 * The neighbour rows: every training row, or a seeded sample of `size` of them (in row order); `at` maps a training row
 * to its place, -1 if left out.
 */
function neighbourRows(
  train: DetectorRows,
  size: number | undefined,
  seed: number,
): { rows: DetectorRows; at: Int32Array } {
  const at = new Int32Array(train.rows).fill(-1);
  if (size === undefined || size >= train.rows) {
    at.forEach((_, i) => (at[i] = i));
    return { rows: train, at };
  }
  const chosen = createRng(seed, 'knn')
    .shuffle(Uint32Array.from({ length: train.rows }, (_, i) => i))
    .subarray(0, size)
    .sort();
  const x = new Float32Array(size * train.features);
  chosen.forEach((row, i) => {
    x.set(train.x.subarray(row * train.features, (row + 1) * train.features), i * train.features);
    at[row] = i;
  });
  return { rows: { x, rows: size, features: train.features }, at };
}

function fit(spec: KnnSpec, train: DetectorRows, seed: number): FittedDetector {
  const neighbours = neighbourRows(train, spec.sampleSize, seed);
  if (spec.k >= neighbours.rows.rows) {
    throw new Error(
      `k: ${spec.k} needs more than ${spec.k} neighbour rows (each leaves itself out), got ${neighbours.rows.rows}`,
    );
  }
  const aggregate = (squared: Float64Array) =>
    spec.aggregate === 'kth'
      ? Math.sqrt(squared[spec.k - 1])
      : squared.reduce((sum, d) => sum + Math.sqrt(d), 0) / spec.k;
  const scoreRows = (rows: DetectorRows, self: boolean) =>
    Float32Array.from({ length: rows.rows }, (_, r) =>
      aggregate(nearest(neighbours.rows, rows, r, spec.k, self ? neighbours.at[r] : -1)),
    );
  return {
    trainScores: scoreRows(train, true),
    score: (rows) => scoreRows(rows, false),
    toJSON: () => ({ kind: spec.kind, k: spec.k, aggregate: spec.aggregate, neighbourRows: neighbours.rows.rows }),
  };
}

export const knnFamily = {
  kind: 'knn',
  detector: true,
  schema: knnSpecSchema,
  inputIssues: () => [],
  // It keeps the training rows themselves, counted by the caller with the data.
  size: (spec) => ({ parameters: 0, activationsPerRow: spec.k }),
  fit,
} satisfies DetectorFamily<KnnSpec>;
