import { describe, expect, it } from 'vitest';
import { binErrors, errorHistogramsSchema, HISTOGRAM_BINS } from '../src/histograms.js';
import { mulberry32 } from '../src/random.js';

const total = (counts: number[] | undefined) => (counts ?? []).reduce((a, b) => a + b, 0);

describe('binErrors', () => {
  it(
    'spans the smallest error to the 99.5th percentile of all errors ' +
      '(numpy: np.percentile(range(1000), 99.5) = 994.005)',
    () => {
      const histograms = binErrors('mse', { train: Array.from({ length: 1000 }, (_, i) => i) }, [], 10);
      expect(histograms).toMatchObject({ errorMetric: 'mse', lo: 0, overflow: 5 });
      expect(histograms.hi).toBeCloseTo(994.005, 9);
      // Bins 99.4005 wide (edges 99.4005, 198.801, ...): 0..99 in the first; the last holds 895..994
      // and the 5 above hi.
      expect(histograms.counts.train).toEqual([100, 99, 100, 99, 100, 99, 99, 100, 99, 105]);
      expect(histograms.counts.testNormal).toBeUndefined();
    },
  );

  it('reaches the highest finite threshold, and splits the test rows by label', () => {
    const test = { errors: [0.1, 0.2, 0.9, 5, NaN], y: [0, 0, 1, 1, 1] };
    const histograms = binErrors('mae', { train: [0.1, 0.3], test }, [0.5, 20, Infinity, NaN], 4);
    expect([histograms.lo, histograms.hi, histograms.overflow]).toEqual([0.1, 20, 0]);
    expect(histograms.counts).toEqual({ train: [2, 0, 0, 0], testNormal: [2, 0, 0, 0], testAnomalous: [2, 0, 0, 0] });
    expect(errorHistogramsSchema.parse(JSON.parse(JSON.stringify(histograms)))).toEqual(histograms);
  });

  it('counts every finite row once, in the bin that holds it (or an end bin), over seeded random errors', () => {
    const random = mulberry32(12);
    for (let run = 0; run < 200; run++) {
      const n = Math.floor(random() * 300);
      const value = () =>
        random() < 0.05
          ? [NaN, Infinity, -Infinity, null as unknown as number][Math.floor(random() * 4)]
          : random() ** 4 * 100;
      const train = Array.from({ length: n }, value);
      const test = {
        errors: Array.from({ length: n }, value),
        y: Array.from({ length: n }, () => (random() < 0.2 ? 1 : 0)),
      };
      const threshold = random() * 150;
      const h = binErrors('mse', { train, test }, [threshold]);
      const finite = (values: number[], keep: (i: number) => boolean = () => true) =>
        values.filter((v, i) => Number.isFinite(v) && keep(i));
      expect(total(h.counts.train)).toBe(finite(train).length);
      expect(total(h.counts.testNormal)).toBe(finite(test.errors, (i) => test.y[i] === 0).length);
      expect(total(h.counts.testAnomalous)).toBe(finite(test.errors, (i) => test.y[i] === 1).length);
      expect(h.hi).toBeGreaterThanOrEqual(threshold);
      const all = [...finite(train), ...finite(test.errors)];
      expect(h.overflow).toBe(all.filter((v) => v > h.hi).length);
      if (all.length > 0) expect(h.lo).toBe(Math.min(...all));
      // Each bin holds exactly the training errors within its edges.
      const width = (h.hi - h.lo) / HISTOGRAM_BINS;
      const inside = (v: number) => v >= h.lo && v <= h.hi;
      h.counts.train!.forEach((count, b) => {
        const expected = finite(train).filter(
          (v) => Math.min(HISTOGRAM_BINS - 1, Math.max(0, Math.floor((v - h.lo) / width))) === b,
        );
        expect(count).toBe(expected.length);
        if (b > 0 && b < HISTOGRAM_BINS - 1) expect(expected.every(inside)).toBe(true);
      });
    }
  });

  it('bins no rows into empty bins over a unit range', () => {
    expect(binErrors('mse', { train: [] }, [])).toEqual({
      errorMetric: 'mse',
      lo: 0,
      hi: 1,
      overflow: 0,
      counts: { train: new Array(HISTOGRAM_BINS).fill(0) },
    });
  });
});
