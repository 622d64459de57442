import { createRng } from '@aelab/core';
import { describe, expect, it } from 'vitest';
import { forestMainEffects, leavesOf, treeMainEffects } from '../src/importance/fanova.js';
import { fitForest, predictForest, type RegressionTree } from '../src/importance/regression-forest.js';

const leaf = (value: number): RegressionTree => ({ value });
const split = (feature: number, threshold: number, left: RegressionTree, right: RegressionTree): RegressionTree => ({
  feature,
  threshold,
  left,
  right,
});

describe('fANOVA of one tree (worked by hand)', () => {
  it('a tree of one parameter: that parameter explains all the variance', () => {
    const effects = treeMainEffects(split(0, 0.5, leaf(0), leaf(1)), 3)!;
    expect(effects.variance).toBeCloseTo(0.25, 12);
    expect(effects.shares).toEqual([1, 0, 0]);
  });

  it("an additive tree: y = [x0 >= 0.25] + 2 [x1 >= 0.5]; each share is its term's variance over the total", () => {
    // Var of [x0 >= 0.25] over U(0,1): 0.75 * 0.25 = 0.1875; of 2 [x1 >= 0.5]: 4 * 0.25 = 1; no interaction.
    const right = (base: number) => split(1, 0.5, leaf(base), leaf(base + 2));
    const effects = treeMainEffects(split(0, 0.25, right(0), right(1)), 2)!;
    expect(effects.variance).toBeCloseTo(1.1875, 12);
    expect(effects.shares[0]).toBeCloseTo(0.1875 / 1.1875, 12);
    expect(effects.shares[1]).toBeCloseTo(1 / 1.1875, 12);
  });

  it('a pure interaction (XOR) has no main effects', () => {
    const tree = split(0, 0.5, split(1, 0.5, leaf(0), leaf(1)), split(1, 0.5, leaf(1), leaf(0)));
    const effects = treeMainEffects(tree, 2)!;
    expect(effects.variance).toBeCloseTo(0.25, 12);
    expect(effects.shares[0]).toBeCloseTo(0, 12);
    expect(effects.shares[1]).toBeCloseTo(0, 12);
  });

  it('leaves tile the unit cube; a constant tree has no variance to split', () => {
    const tree = split(0, 0.3, leaf(1), split(1, 0.6, leaf(2), leaf(3)));
    const leaves = leavesOf(tree, 2);
    expect(leaves.map((l) => l.volume).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(leaves.map((l) => [l.lower, l.upper])).toEqual([
      [
        [0, 0],
        [0.3, 1],
      ],
      [
        [0.3, 0],
        [1, 0.6],
      ],
      [
        [0.3, 0.6],
        [1, 1],
      ],
    ]);
    expect(treeMainEffects(split(0, 0.5, leaf(2), leaf(2)), 1)).toBeNull();
  });
});

/** Every combination of `levels[d]` unit-interval bin centres, as toUnit encodes categoricals. */
function fullGrid(levels: number[]): number[][] {
  let rows: number[][] = [[]];
  for (const n of levels) rows = rows.flatMap((r) => Array.from({ length: n }, (_, i) => [...r, (i + 0.5) / n]));
  return rows;
}

describe('random forest + fANOVA on known objectives', () => {
  it('an objective of one parameter only: that parameter gets ~all the importance, the others ~none', () => {
    const x = fullGrid([4, 3, 3, 3]);
    const y = x.map(([a]) => [0.3, 0.1, 0.7, 0.2][Math.floor(a * 4)]);
    const effects = forestMainEffects(fitForest(x, y, { trees: 64, seed: 1 }), 4)!;
    expect(effects.importance[0].mean).toBeGreaterThan(0.97);
    for (const d of [1, 2, 3]) expect(effects.importance[d].mean).toBeLessThan(0.02);
  });

  it('an additive objective with noise: shares close to the true variance fractions, with a spread over trees', () => {
    const rng = createRng(3);
    const x = Array.from({ length: 400 }, () => [rng.next(), rng.next(), rng.next()]);
    // Var(2a) = 4/12, Var(b) = 1/12, c unused: true shares 0.8 and 0.2.
    const y = x.map(([a, b]) => 2 * a + b + rng.normal(0, 0.05));
    const effects = forestMainEffects(fitForest(x, y, { trees: 32, seed: 2 }), 3)!;
    expect(effects.importance[0].mean).toBeGreaterThan(0.7);
    expect(effects.importance[0].mean).toBeLessThan(0.85);
    expect(effects.importance[1].mean).toBeGreaterThan(0.14);
    expect(effects.importance[1].mean).toBeLessThan(0.25);
    expect(effects.importance[2].mean).toBeLessThan(0.03);
    expect(effects.importance[0].std).toBeGreaterThan(0);
  });

  it('the forest fits what it was given, and the same seed gives the same trees', () => {
    // Each grid point ten times, so every bootstrap sample holds every point (but with p ~ 1e-5).
    const x = fullGrid([3, 3]).flatMap((row) => Array.from({ length: 10 }, () => row));
    const y = x.map(([a, b]) => (a > 0.5 ? 1 : 0) + b);
    const trees = fitForest(x, y, { trees: 16, seed: 5 });
    // A perfectly separable objective is learnt exactly (the npm forest predicts a constant here).
    for (const [i, row] of x.entries()) expect(predictForest(trees, row)).toBeCloseTo(y[i], 12);
    expect(fitForest(x, y, { trees: 16, seed: 5 })).toEqual(trees);
    expect(fitForest(x, y, { trees: 16, seed: 6 })).not.toEqual(trees);
    expect(() => fitForest([[1]], [1, 2], { trees: 1, seed: 0 })).toThrow('forest: 1 rows but 2 targets');
    expect(() => fitForest([[1]], [Number.NaN], { trees: 1, seed: 0 })).toThrow(
      'forest: targets must be finite numbers',
    );
  });
});
