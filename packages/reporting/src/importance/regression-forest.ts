/**
 * A seeded random forest of regression trees (Breiman 2001), as scikit-learn's
 * `RandomForestRegressor` with its defaults: bootstrap samples, every feature considered
 * at each split, splits chosen by the largest decrease of the squared error, grown until
 * leaves are pure or hold `minSamplesLeaf` rows. It is what fANOVA ({@link ./fanova.ts})
 * decomposes, so the trees are plain data: axis-aligned splits `x[feature] < threshold`.
 *
 * Written here rather than taken from npm: the one maintained JavaScript forest,
 * ml-random-forest 2.1 (on ml-cart), stops splitting when a split is perfect (its regression
 * "gain" is the children's error, and a split must have gain > 0), so on a noiseless
 * objective of one parameter it predicts a constant (checked on 27 rows, y = [a = 2]).
 */
import { createRng, type Rng } from '@aelab/core';

export type RegressionTree =
  { value: number } | { feature: number; threshold: number; left: RegressionTree; right: RegressionTree };

export interface ForestOptions {
  trees: number;
  seed: number;
  /** The fewest rows a leaf keeps (default 1). */
  minSamplesLeaf?: number;
  /** The deepest a tree grows (default 64, as Optuna's fANOVA evaluator). */
  maxDepth?: number;
}

/** Fits `options.trees` trees to rows `x` (features) and targets `y`. */
export function fitForest(
  x: readonly (readonly number[])[],
  y: readonly number[],
  options: ForestOptions,
): RegressionTree[] {
  if (x.length !== y.length) throw new Error(`forest: ${x.length} rows but ${y.length} targets`);
  if (x.length === 0) throw new Error('forest: no rows to fit');
  if (!y.every(Number.isFinite)) throw new Error('forest: targets must be finite numbers');
  const settings = { minSamplesLeaf: options.minSamplesLeaf ?? 1, maxDepth: options.maxDepth ?? 64 };
  return Array.from({ length: options.trees }, (_, t) => {
    const rng = createRng(options.seed, `forest-tree:${t}`);
    const sample = Array.from({ length: x.length }, () => rng.int(x.length));
    return grow(x, y, sample, 0, settings, rng);
  });
}

/** The tree's prediction for one row. */
export function predictTree(tree: RegressionTree, row: readonly number[]): number {
  let node = tree;
  while (!('value' in node)) node = row[node.feature] < node.threshold ? node.left : node.right;
  return node.value;
}

/** The forest's prediction: the mean of its trees'. */
export function predictForest(trees: readonly RegressionTree[], row: readonly number[]): number {
  return trees.reduce((sum, tree) => sum + predictTree(tree, row), 0) / trees.length;
}

interface Split {
  feature: number;
  threshold: number;
  /** The squared error left in the two children. */
  error: number;
}

function grow(
  x: readonly (readonly number[])[],
  y: readonly number[],
  rows: number[],
  depth: number,
  settings: { minSamplesLeaf: number; maxDepth: number },
  rng: Rng,
): RegressionTree {
  const mean = rows.reduce((sum, r) => sum + y[r], 0) / rows.length;
  const pure = rows.every((r) => y[r] === y[rows[0]]);
  if (pure || depth >= settings.maxDepth || rows.length < 2 * settings.minSamplesLeaf) return { value: mean };
  const split = bestSplit(x, y, rows, settings.minSamplesLeaf, rng);
  if (!split) return { value: mean };
  const left = rows.filter((r) => x[r][split.feature] < split.threshold);
  const right = rows.filter((r) => x[r][split.feature] >= split.threshold);
  return {
    feature: split.feature,
    threshold: split.threshold,
    left: grow(x, y, left, depth + 1, settings, rng),
    right: grow(x, y, right, depth + 1, settings, rng),
  };
}

/**
 * The split with the least squared error left, over every feature (visited in a random
 * order, so ties go to a random feature as in scikit-learn) and every midpoint between
 * consecutive distinct values; null when no split leaves `minSamplesLeaf` rows each side.
 */
function bestSplit(
  x: readonly (readonly number[])[],
  y: readonly number[],
  rows: readonly number[],
  minSamplesLeaf: number,
  rng: Rng,
): Split | null {
  const features = rng.shuffle(Array.from({ length: x[rows[0]].length }, (_, f) => f));
  let best: Split | null = null;
  for (const feature of features) {
    const sorted = [...rows].sort((a, b) => x[a][feature] - x[b][feature]);
    const total = sorted.reduce((s, r) => s + y[r], 0);
    const totalSq = sorted.reduce((s, r) => s + y[r] * y[r], 0);
    let leftSum = 0;
    let leftSq = 0;
    for (let i = 1; i < sorted.length; i++) {
      const v = y[sorted[i - 1]];
      leftSum += v;
      leftSq += v * v;
      const lo = x[sorted[i - 1]][feature];
      const hi = x[sorted[i]][feature];
      if (lo === hi || i < minSamplesLeaf || sorted.length - i < minSamplesLeaf) continue;
      const n = sorted.length;
      const error =
        leftSq - (leftSum * leftSum) / i + (totalSq - leftSq) - ((total - leftSum) * (total - leftSum)) / (n - i);
      // A relative tolerance keeps float noise from deciding between equally good splits.
      if (!best || error < best.error - 1e-12 * Math.max(1, Math.abs(best.error)))
        best = { feature, threshold: (lo + hi) / 2, error };
    }
  }
  return best;
}
