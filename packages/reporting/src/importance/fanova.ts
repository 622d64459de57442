/**
 * Functional ANOVA of a regression forest (Hutter, Hoos and Leyton-Brown, "An Efficient
 * Approach for Assessing Hyperparameter Importance", ICML 2014). Each tree is a piecewise
 * constant function on the unit cube [0, 1]^D (every parameter in its distribution's unit
 * interval, so "uniform over [0, 1]" is uniform over what the sampler could draw). Over
 * that uniform measure the tree's variance V splits into the variance of its main effects
 * and of its interactions; the main effect of parameter d is the tree's prediction
 * averaged over every other parameter, a function of x_d alone, and its importance is
 * the fraction of V it explains, V_d / V. Computed exactly from the leaves' boxes (no
 * sampling), tree by tree; the forest's importance is the mean over trees and its spread
 * the standard deviation over trees, as the reference `fanova` package reports them.
 */
import { summarize, type Summary } from '@aelab/core';
import type { RegressionTree } from './regression-forest.js';

interface Leaf {
  value: number;
  lower: number[];
  upper: number[];
  volume: number;
}

/** The leaves of a tree over [0, 1]^features, each with its box and the box's volume. */
export function leavesOf(tree: RegressionTree, features: number): Leaf[] {
  const leaves: Leaf[] = [];
  const visit = (node: RegressionTree, lower: number[], upper: number[]) => {
    if ('value' in node) {
      const volume = lower.reduce((v, lo, d) => v * Math.max(0, upper[d] - lo), 1);
      leaves.push({ value: node.value, lower, upper, volume });
      return;
    }
    const cut = Math.min(upper[node.feature], Math.max(lower[node.feature], node.threshold));
    visit(
      node.left,
      lower,
      upper.map((u, d) => (d === node.feature ? cut : u)),
    );
    visit(
      node.right,
      lower.map((l, d) => (d === node.feature ? cut : l)),
      upper,
    );
  };
  visit(tree, Array<number>(features).fill(0), Array<number>(features).fill(1));
  return leaves;
}

/** One tree's variance and each feature's main-effect share of it; null when the tree is constant. */
export function treeMainEffects(tree: RegressionTree, features: number): { variance: number; shares: number[] } | null {
  const leaves = leavesOf(tree, features).filter((l) => l.volume > 0);
  const mean = leaves.reduce((s, l) => s + l.volume * l.value, 0);
  const variance = leaves.reduce((s, l) => s + l.volume * (l.value - mean) ** 2, 0);
  // Relative to the mean's size, so a constant tree's float dust does not count as variance.
  if (!(variance > 1e-24 * Math.max(1, mean * mean))) return null;
  const shares = Array.from({ length: features }, (_, d) => mainEffectVariance(leaves, d, mean) / variance);
  return { variance, shares };
}

/**
 * The variance of feature d's main effect: the cut points of the leaves along d split
 * [0, 1] into intervals on which the marginal prediction is constant; a leaf adds
 * value x (its volume / its width along d) to every interval it spans.
 */
function mainEffectVariance(leaves: readonly Leaf[], d: number, mean: number): number {
  const cuts = [...new Set(leaves.flatMap((l) => [l.lower[d], l.upper[d]]))].sort((a, b) => a - b);
  const index = new Map(cuts.map((c, i) => [c, i]));
  const step = Array<number>(cuts.length).fill(0);
  for (const leaf of leaves) {
    const contribution = (leaf.value * leaf.volume) / (leaf.upper[d] - leaf.lower[d]);
    step[index.get(leaf.lower[d])!] += contribution;
    step[index.get(leaf.upper[d])!] -= contribution;
  }
  let marginal = 0;
  let variance = 0;
  for (let i = 0; i + 1 < cuts.length; i++) {
    marginal += step[i];
    variance += (cuts[i + 1] - cuts[i]) * (marginal - mean) ** 2;
  }
  return variance;
}

/** Per feature, its importance over the forest: the mean and spread of its share over non-constant trees. */
export function forestMainEffects(
  trees: readonly RegressionTree[],
  features: number,
): { importance: Summary[]; trees: number } | null {
  const perTree = trees.map((t) => treeMainEffects(t, features)).filter((e) => e !== null);
  if (perTree.length === 0) return null;
  const importance = Array.from({ length: features }, (_, d) => summarize(perTree.map((e) => e.shares[d]))!);
  return { importance, trees: perTree.length };
}
