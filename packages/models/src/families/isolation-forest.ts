/**
 * Isolation Forest (Liu, Ting and Zhou, ICDM 2008), a baseline detector: random trees that
 * split a random feature at a random value until each row stands alone; anomalies are
 * isolated in fewer splits. As scikit-learn's IsolationForest: subsamples of
 * min(`sampleSize`, rows) drawn without replacement, trees grown to ceil(log2(subsample)),
 * each split on a feature that is not constant in the node, leaves credited with the
 * average path length c(n) of the rows they still hold, score 2^(-mean path / c(subsample))
 * (scikit-learn's `-score_samples`). Written here because the npm implementations draw
 * from Math.random (not reproducible); seeded from the trial seed.
 */
import { createRng, type Rng } from '@aelab/core';
import { z } from 'zod';
import type { DetectorFamily, DetectorRows, FittedDetector } from './family.js';
import { boundedCount } from './fields.js';

export const isolationForestSpecSchema = z
  .strictObject({
    kind: z.literal('isolation-forest').describe('Isolation Forest (a baseline detector, fitted, not trained).'),
    trees: boundedCount(10_000).describe('Number of isolation trees (scikit-learn default 100).'),
    sampleSize: boundedCount(1_000_000).describe(
      'Rows drawn (without replacement) to grow each tree, at most the training rows (scikit-learn default 256).',
    ),
  })
  .describe('Scores a row by how few random splits isolate it, averaged over the trees.');

/** An Isolation Forest baseline spec. */
export type IsolationForestSpec = z.output<typeof isolationForestSpecSchema>;

const EULER_GAMMA = 0.5772156649015329;

/** Average path length of an unsuccessful search in a binary search tree of n rows (the paper's c(n)). */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

/** One tree as flat arrays; node 0 is the root, a leaf has feature -1 and its row count in `size`. */
interface IsolationTree {
  feature: number[];
  split: number[];
  left: number[];
  right: number[];
  size: number[];
}

function growTree(data: DetectorRows, sample: Uint32Array, heightLimit: number, rng: Rng): IsolationTree {
  const tree: IsolationTree = { feature: [], split: [], left: [], right: [], size: [] };
  const { x, features } = data;
  const grow = (rows: Uint32Array, depth: number): number => {
    const node = tree.feature.length;
    tree.feature.push(-1);
    tree.split.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.size.push(rows.length);
    if (depth >= heightLimit || rows.length <= 1) return node;
    // A random feature among those not constant in this node (scikit-learn draws until it finds one).
    const candidates: { feature: number; min: number; max: number }[] = [];
    for (let f = 0; f < features; f++) {
      let min = Infinity;
      let max = -Infinity;
      for (const r of rows) {
        const v = x[r * features + f];
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (max > min) candidates.push({ feature: f, min, max });
    }
    if (candidates.length === 0) return node;
    const { feature, min, max } = candidates[rng.int(candidates.length)];
    const split = rng.uniform(min, max);
    const goesLeft = (r: number) => x[r * features + feature] <= split;
    const leftRows = rows.filter(goesLeft);
    const rightRows = rows.filter((r) => !goesLeft(r));
    tree.feature[node] = feature;
    tree.split[node] = split;
    tree.left[node] = grow(leftRows, depth + 1);
    tree.right[node] = grow(rightRows, depth + 1);
    return node;
  };
  grow(sample, 0);
  return tree;
}

function pathLength(tree: IsolationTree, x: Float32Array, offset: number): number {
  let node = 0;
  let depth = 0;
  while (tree.feature[node] >= 0) {
    node = x[offset + tree.feature[node]] <= tree.split[node] ? tree.left[node] : tree.right[node];
    depth++;
  }
  return depth + averagePathLength(tree.size[node]);
}

function fit(spec: IsolationForestSpec, train: DetectorRows, seed: number): FittedDetector {
  if (train.rows < 2) throw new Error(`isolation-forest: needs at least 2 training rows, got ${train.rows}`);
  const rng = createRng(seed, 'isolation-forest');
  const sampleSize = Math.min(spec.sampleSize, train.rows);
  const heightLimit = Math.ceil(Math.log2(Math.max(sampleSize, 2)));
  const all = Uint32Array.from({ length: train.rows }, (_, i) => i);
  const trees = Array.from({ length: spec.trees }, () => {
    // A partial Fisher-Yates shuffle: the first sampleSize rows are a sample without replacement.
    for (let i = 0; i < sampleSize; i++) {
      const j = i + rng.int(train.rows - i);
      [all[i], all[j]] = [all[j], all[i]];
    }
    return growTree(train, all.slice(0, sampleSize), heightLimit, rng);
  });
  const normaliser = averagePathLength(sampleSize);
  const score = ({ x, rows, features }: DetectorRows) => {
    const out = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      let total = 0;
      for (const tree of trees) total += pathLength(tree, x, r * features);
      out[r] = 2 ** -(total / trees.length / normaliser);
    }
    return out;
  };
  return {
    trainScores: score(train),
    score,
    toJSON: () => ({
      kind: spec.kind,
      sampleSize,
      trees: trees.map(({ feature, split, left, right, size }) => ({ feature, split, left, right, size })),
    }),
  };
}

export const isolationForestFamily = {
  kind: 'isolation-forest',
  detector: true,
  schema: isolationForestSpecSchema,
  inputIssues: () => [],
  // Each tree holds at most 2 * sampleSize - 1 nodes of five numbers.
  size: (spec) => ({ parameters: spec.trees * (2 * spec.sampleSize - 1) * 5, activationsPerRow: spec.trees }),
  fit,
} satisfies DetectorFamily<IsolationForestSpec>;
