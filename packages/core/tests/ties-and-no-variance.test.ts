import { describe, expect, it } from 'vitest';
import {
  compareRepeatMeans,
  meanInterval,
  metricRange,
  rankConfigurations,
  selectionSchema,
  summarize,
  tieBreakMetrics,
  welchPValue,
  winnerOf,
  type SelectionRule,
} from '../src/index.js';

type Split = Record<string, number>;
const evaluation = (configHash: string, validation: Split) => ({
  configHash,
  trainingHash: configHash,
  metrics: { validation: { rows: 10, positives: 5, ...validation } },
});
const prAuc: SelectionRule = { metric: 'prAuc', direction: 'maximize', split: 'validation' };

describe('ties and tie-breaks', () => {
  it('breaks a tie of a threshold-free metric on F1 by default, and none extra for F1 itself', () => {
    expect(tieBreakMetrics(prAuc)).toEqual(['f1']);
    expect(tieBreakMetrics({ metric: 'mse' })).toEqual(['f1']);
    expect(tieBreakMetrics({ metric: 'f1' })).toEqual([]);
    // p95 ("a...") and p99 ("b...") of one training: same PR-AUC; p99 has the better F1 and wins, not the smaller hash.
    const ranked = rankConfigurations(prAuc, [
      evaluation('a95', { prAuc: 0.9, f1: 0.8 }),
      evaluation('b99', { prAuc: 0.9, f1: 0.87 }),
    ]);
    expect(ranked.map((r) => r.configHash)).toEqual(['b99', 'a95']);
    expect(ranked.every((r) => r.tiedWith.length === 0)).toBe(true);
  });

  it('honours the order of selection.tieBreak, each metric in its own direction', () => {
    const rows = [
      evaluation('a', { prAuc: 0.9, recall: 0.7, precision: 0.9, mse: 2 }),
      evaluation('b', { prAuc: 0.9, recall: 0.8, precision: 0.6, mse: 1 }),
    ];
    const rank = (tieBreak: string[]) => rankConfigurations({ ...prAuc, tieBreak }, rows).map((r) => r.configHash);
    expect(rank(['recall', 'precision'])).toEqual(['b', 'a']);
    expect(rank(['precision', 'recall'])).toEqual(['a', 'b']);
    expect(rank(['mse'])).toEqual(['b', 'a']); // lower error is better
    expect(selectionSchema.safeParse({ ...prAuc, tieBreak: ['f2'] }).success).toBe(false);
  });

  it('marks an exact tie after the tie-breaks: the hash orders the rows but the result says tie', () => {
    const ranked = rankConfigurations({ metric: 'f1', direction: 'maximize', split: 'validation' }, [
      evaluation('b', { f1: 0.9375 }),
      evaluation('b', { f1: 0.9375 }),
      evaluation('a', { f1: 0.9375 }),
      evaluation('a', { f1: 0.9375 }),
      evaluation('c', { f1: 0.5 }),
      evaluation('c', { f1: 0.5 }),
    ]);
    expect(ranked.map((r) => [r.configHash, r.rank, r.tiedWith])).toEqual([
      ['a', 1, ['b']],
      ['b', 2, ['a']],
      ['c', 3, []],
    ]);
    expect(winnerOf(ranked)?.tiedWith).toEqual(['b']);
  });

  it('ranks the same repeat values as a tie whatever order the repeats were recorded in', () => {
    // Summed in these two orders, the five F1s give means one unit in the last place apart: with two workers
    // the repeats of one configuration are recorded in the order they end, so the order must not matter.
    const f1s = [0.8823529411764706, 0.9090909090909091, 0.8571428571428571, 0.8333333333333334, 0.9411764705882353];
    const reordered = [
      0.9090909090909091, 0.8571428571428571, 0.8333333333333334, 0.9411764705882353, 0.8823529411764706,
    ];
    expect(f1s.reduce((a, b) => a + b, 0)).not.toBe(reordered.reduce((a, b) => a + b, 0));
    const rule = { metric: 'f1', direction: 'maximize', split: 'validation' } as const;
    const ranked = rankConfigurations(rule, [
      ...f1s.map((f1) => evaluation('b', { f1, precision: 0.5, recall: 0.5 })),
      ...reordered.map((f1) => evaluation('a', { f1, precision: 0.5, recall: 0.5 })),
    ]);
    expect(ranked.map((r) => [r.configHash, r.tiedWith])).toEqual([
      ['a', ['b']],
      ['b', ['a']],
    ]);
    expect(summarize(f1s)).toEqual(summarize(reordered));
  });

  it('does not call configurations without a score a tie', () => {
    const ranked = rankConfigurations(prAuc, [evaluation('a', {}), evaluation('b', {})]);
    expect(ranked.map((r) => r.tiedWith)).toEqual([[], []]);
  });
});

describe('no variance', () => {
  it('counts five copies of 15/17 (0.88235) as no spread (the float mean leaves a variance of 1.5e-32)', () => {
    const copies = Array<number>(5).fill(15 / 17);
    const mean = copies.reduce((a, b) => a + b, 0) / copies.length;
    expect(copies.reduce((a, b) => a + (b - mean) ** 2, 0) / 4).toBeCloseTo(1.5407439555097887e-32, 40); // the noise
    expect(summarize(copies)!.std).toBe(0);
  });

  it('counts values one rounding apart as no spread, and a real spread as one', () => {
    expect(summarize([0.1 + 0.2, 0.3, 0.3])!.std).toBe(0);
    expect(summarize([0.3, 0.3000001, 0.3])!.std).toBeGreaterThan(0);
  });

  it('gives a stated, defined result when neither side varies', () => {
    const constant = summarize(Array<number>(5).fill(15 / 17))!;
    const noisyCopy = summarize([0.1 + 0.2, 0.3, 0.3])!;
    expect(compareRepeatMeans(constant, constant)).toEqual({ pValue: 1, noVariance: true });
    expect(compareRepeatMeans(noisyCopy, summarize([0.3, 0.3])!)).toEqual({ pValue: 1, noVariance: true });
    expect(compareRepeatMeans(constant, summarize([0.5, 0.5, 0.5])!)).toEqual({ pValue: 0, noVariance: true });
    // One side varies: Welch's test is defined (scipy ttest_ind([0.5]*3, [0.4, 0.5, 0.6], equal_var=False) = 1.0).
    const oneSide = compareRepeatMeans(summarize([0.5, 0.5, 0.5])!, summarize([0.4, 0.5, 0.6])!);
    expect(oneSide.noVariance).toBe(false);
    expect(oneSide.pValue).toBeCloseTo(welchPValue(summarize([0.5, 0.5, 0.5])!, summarize([0.4, 0.5, 0.6])!)!, 12);
    expect(compareRepeatMeans(summarize([0.5])!, constant)).toEqual({ pValue: null, noVariance: false });
  });
});

describe('intervals of bounded metrics', () => {
  it('stay within the metric range: an F1 near 0 does not go below 0, near 1 not above 1', () => {
    const low = summarize([0, 0, 0.1, 0.08, 0.0])!;
    expect(meanInterval(low)!.low).toBeLessThan(0); // the plain t interval
    const clipped = meanInterval(low, metricRange('f1'))!;
    expect(clipped.low).toBe(0);
    expect(clipped.high).toBe(meanInterval(low)!.high);
    const high = meanInterval(summarize([1, 1, 0.9]), metricRange('prAuc'))!;
    expect(high.high).toBe(1);
    expect(meanInterval(summarize([0.001, 0.002, 0.0001]), metricRange('mse'))!.low).toBe(0);
    expect(metricRange('mse').high).toBe(Infinity);
  });
});
