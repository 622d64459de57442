import { describe, expect, it } from 'vitest';
import { summarize } from '../src/objective.js';
import { meanInterval, quantileInterval, welchPValue } from '../src/statistics.js';

describe('statistics', () => {
  it('meanInterval is the Student-t 95% interval over repeats (scipy: t.ppf(0.975, 4) = 2.7764451051977934)', () => {
    const s = summarize([1, 2, 3, 4, 5])!;
    const half = (2.7764451051977934 * Math.sqrt(2.5)) / Math.sqrt(5);
    expect(meanInterval(s)!.low).toBeCloseTo(3 - half, 12);
    expect(meanInterval(s)!.high).toBeCloseTo(3 + half, 12);
    expect(meanInterval(summarize([0.9]))).toBeNull();
  });

  it("welchPValue matches scipy's ttest_ind(equal_var=False), and is undefined without repeats or spread", () => {
    // scipy.stats.ttest_ind([1,2,3,4,5], [2,4,6,8,10], equal_var=False).pvalue
    expect(welchPValue(summarize([1, 2, 3, 4, 5])!, summarize([2, 4, 6, 8, 10])!)).toBeCloseTo(0.10753119493062728, 10);
    expect(welchPValue(summarize([1])!, summarize([2, 3])!)).toBeNull();
    expect(welchPValue(summarize([0.5, 0.5, 0.5])!, summarize([0.4, 0.4])!)).toBeNull();
  });

  it('quantileInterval uses the order statistics given by Binomial(n, q)', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantileInterval(sorted, 0.5)).toEqual({ low: 40, high: 61 });
    expect(quantileInterval([1], 0.5)).toBeNull();
  });
});
