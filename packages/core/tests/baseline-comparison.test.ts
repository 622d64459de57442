import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  bestBaselineOf,
  compareWithBaseline,
  createRng,
  rankConfigurations,
  winnerOf,
  type ComparedConfiguration,
  type SelectionRule,
} from '../src/index.js';

const prAuc: SelectionRule = { metric: 'prAuc', direction: 'maximize', split: 'validation' };

/** 40 anomalies and 160 normal rows; `noise` blurs how well a score separates them. */
function scored(seed: number, noise: number, n = 200): { y: number[]; scores: number[] } {
  const rng = createRng(seed);
  const y = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 1 : 0));
  return { y, scores: y.map((label) => label + noise * rng.normal()) };
}

const side = (configHash: string, ...repeats: number[][]): ComparedConfiguration => ({
  configHash,
  name: configHash,
  repeats: repeats.map((scores) => ({ scores, threshold: 0.5 })),
});

describe('compareWithBaseline', () => {
  it(
    'says "beats" when the autoencoder separates the same rows much better, ' +
      "with a difference equal to the objectives' difference",
    () => {
      const good = scored(1, 0.2);
      const poor = scored(1, 1.5);
      const result = compareWithBaseline(prAuc, good.y, side('ae', good.scores), side('pca', poor.scores));
      expect(result.difference).toBeCloseTo(
        averagePrecision(good.y, good.scores)! - averagePrecision(good.y, poor.scores)!,
        12,
      );
      expect(result.verdict).toBe('beats');
      expect(result.interval.low).toBeGreaterThan(0);
      expect(result.interval.low).toBeLessThanOrEqual(result.difference);
      expect(result.interval.high).toBeGreaterThanOrEqual(result.difference);
      expect(result.sentence).toMatch(
        new RegExp(
          /^the best autoencoder \(ae\) beats the best baseline \(pca\) /.source +
            /on validation prAuc: difference 0\.\d{3}, 95% CI \[/.source,
        ),
      );
    },
  );

  it('says "is beaten by" when the baseline is clearly the better one, "does not beat" when both score alike', () => {
    const good = scored(2, 0.2);
    const poor = scored(2, 1.5);
    const beaten = compareWithBaseline(prAuc, good.y, side('ae', poor.scores), side('pca', good.scores));
    expect(beaten.verdict).toBe('is beaten by');
    expect(beaten.interval.high).toBeLessThan(0);
    expect(beaten.sentence).toMatch(/^the best autoencoder \(ae\) is beaten by the best baseline \(pca\) /);
    const same = compareWithBaseline(prAuc, good.y, side('ae', good.scores), side('pca', good.scores));
    expect(same).toMatchObject({ verdict: 'does not beat', difference: 0, interval: { low: 0, high: 0 } });
  });

  it('pairs on rows: a baseline equal to the autoencoder plus a constant shift of every score is no different', () => {
    // Unpaired, two noisy detectors' intervals overlap widely; paired, a shift changes no ranking at all.
    const a = scored(3, 1);
    const shifted = a.scores.map((s) => s + 10);
    expect(compareWithBaseline(prAuc, a.y, side('ae', a.scores), side('pca', shifted)).interval).toEqual({
      low: 0,
      high: 0,
    });
  });

  it('averages the repeats as the objective does, and is reproducible (seeded from the two config hashes)', () => {
    const r1 = scored(4, 0.5);
    const r2 = scored(5, 0.5);
    const base = scored(6, 0.8);
    const result = compareWithBaseline(prAuc, r1.y, side('ae', r1.scores, r2.scores), side('pca', base.scores));
    const mean = (averagePrecision(r1.y, r1.scores)! + averagePrecision(r1.y, r2.scores)!) / 2;
    expect(result.difference).toBeCloseTo(mean - averagePrecision(r1.y, base.scores)!, 12);
    expect(compareWithBaseline(prAuc, r1.y, side('ae', r1.scores, r2.scores), side('pca', base.scores))).toEqual(
      result,
    );
  });

  it("uses each repeat's own threshold for a threshold metric, and the direction for a minimised one", () => {
    const a = scored(7, 0.3);
    const f1: SelectionRule = { metric: 'f1', direction: 'maximize', split: 'validation' };
    const atHalf = compareWithBaseline(
      f1,
      a.y,
      side('ae', a.scores),
      side(
        'pca',
        a.scores.map(() => 0),
      ),
    );
    expect(atHalf.verdict).toBe('beats');
    const specificity: SelectionRule = { metric: 'specificity', direction: 'minimize', split: 'validation' };
    // Flagging nothing keeps specificity at 1: under "minimize" that is the worse side.
    const flagsNothing = a.scores.map(() => 0);
    expect(compareWithBaseline(specificity, a.y, side('ae', a.scores), side('pca', flagsNothing)).verdict).toBe(
      'beats',
    );
    expect(compareWithBaseline(specificity, a.y, side('ae', flagsNothing), side('pca', a.scores)).verdict).toBe(
      'is beaten by',
    );
  });

  it('refuses, naming why: a reconstruction metric, rows that differ, a split of one class', () => {
    const a = scored(8, 0.3);
    const mse: SelectionRule = { metric: 'mse', direction: 'minimize', split: 'validation' };
    expect(() => compareWithBaseline(mse, a.y, side('ae', a.scores), side('pca', a.scores))).toThrow(
      'mse is a reconstruction error',
    );
    expect(() => compareWithBaseline(prAuc, a.y, side('ae', a.scores), side('pca', a.scores.slice(1)))).toThrow(
      'pca was not scored on the same 200 validation rows',
    );
    expect(() =>
      compareWithBaseline(
        prAuc,
        a.y.map(() => 0),
        side('ae', a.scores),
        side('pca', a.scores),
      ),
    ).toThrow('one class only');
  });
});

describe('the one rule with baselines', () => {
  it('ranks baselines with the autoencoders but never makes one the winner; the best baseline is found apart', () => {
    const e = (configHash: string, f1: number, baseline = false) => ({
      configHash,
      trainingHash: configHash,
      metrics: { validation: { rows: 1, positives: 1, f1 } },
      baseline,
    });
    const rule: SelectionRule = { metric: 'f1', direction: 'maximize', split: 'validation' };
    const ranked = rankConfigurations(rule, [e('ae1', 0.8), e('pca', 0.95, true), e('ae2', 0.7), e('knn', 0.9, true)]);
    expect(ranked.map((r) => [r.configHash, r.rank, r.baseline])).toEqual([
      ['pca', 1, true],
      ['knn', 2, true],
      ['ae1', 3, false],
      ['ae2', 4, false],
    ]);
    expect(winnerOf(ranked)?.configHash).toBe('ae1');
    expect(bestBaselineOf(ranked)?.configHash).toBe('pca');
    expect(bestBaselineOf(rankConfigurations(rule, [e('ae1', 0.8)]))).toBeNull();
  });
});
