import { describe, expect, it } from 'vitest';
import {
  bestPerTraining,
  compareConfigurations,
  describeSelection,
  rankConfigurations,
  summarize,
  winnerOf,
  type SelectionRule,
} from '../src/index.js';

const f1 = (configHash: string, trainingHash: string, value: number | undefined) => ({
  configHash,
  trainingHash,
  metrics: { test: { rows: 10, positives: 5, ...(value === undefined ? {} : { f1: value }) } },
});
const rule: SelectionRule = { metric: 'f1', direction: 'maximize', split: 'test' };

describe('the objective', () => {
  it('ranks by the mean over repeats, not the max', () => {
    const ranked = rankConfigurations(rule, [
      f1('a', 'A', 0.95),
      f1('a', 'A', 0.55),
      f1('b', 'B', 0.8),
      f1('b', 'B', 0.8),
    ]);
    expect(ranked.map((r) => [r.configHash, r.rank, r.score?.mean])).toEqual([
      ['b', 1, 0.8],
      ['a', 2, 0.75],
    ]);
    expect(winnerOf(ranked)?.configHash).toBe('b');
  });

  it('breaks ties by the smaller spread, then by config hash; unscored configurations come last', () => {
    const ranked = rankConfigurations(rule, [
      f1('z', 'Z', undefined),
      f1('c', 'C', 0.7),
      f1('c', 'C', 0.9),
      f1('b', 'B', 0.8),
      f1('b', 'B', 0.8),
      f1('a', 'A', 0.8),
      f1('a', 'A', 0.8),
    ]);
    expect(ranked.map((r) => r.configHash)).toEqual(['a', 'b', 'c', 'z']);
    expect(ranked[3].score).toBeNull();
  });

  it('minimizes when the rule says so', () => {
    const mse = (configHash: string, value: number) => ({
      configHash,
      trainingHash: configHash,
      metrics: { validation: { rows: 1, positives: 0, mse: value } },
    });
    const ranked = rankConfigurations({ metric: 'mse', direction: 'minimize', split: 'validation' }, [
      mse('a', 2),
      mse('b', 1),
    ]);
    expect(ranked[0].configHash).toBe('b');
    expect(
      compareConfigurations({ metric: 'mse', direction: 'minimize', split: 'validation' }, ranked[0], ranked[1]),
    ).toBeLessThan(0);
  });

  it('gives each training configuration its best-ranked scoring variant', () => {
    const ranked = rankConfigurations(rule, [
      f1('a90', 'A', 0.6),
      f1('a99', 'A', 0.7),
      f1('b90', 'B', 0.9),
      f1('b99', 'B', 0.5),
    ]);
    const best = bestPerTraining(ranked);
    expect(best.get('A')?.configHash).toBe('a99');
    expect(best.get('B')?.configHash).toBe('b90');
  });

  it('has no winner while nothing has a score', () => {
    expect(winnerOf(rankConfigurations(rule, [f1('a', 'A', undefined)]))).toBeNull();
    expect(winnerOf([])).toBeNull();
  });

  it('summarizes finite values with the sample standard deviation', () => {
    expect(summarize([1, 3, undefined, NaN, null])).toEqual({ mean: 2, std: Math.SQRT2, n: 2 });
    expect(summarize([5])).toEqual({ mean: 5, std: null, n: 1 });
    expect(summarize([])).toBeNull();
  });

  it('says the rule in words', () => {
    expect(describeSelection(rule, 'F1')).toBe('highest mean F1 on the test split over repeats');
  });
});
