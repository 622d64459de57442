import { describe, expect, it } from 'vitest';
import {
  bestF1Threshold,
  computeThreshold,
  flagAnomalies,
  meanAndStd,
  percentile,
  validateThresholdRule,
} from '../src/evaluation/index.js';

// Expected values from numpy 1.24.2 (Debian /usr/bin/python3):
//   e = np.array([0.3, 0.1, 0.7, 0.2, 0.5, 0.05, 0.9, 0.4])
//   [repr(float(np.percentile(e, p))) for p in (0, 10, 25, 50, 90, 95, 99, 100, 33.3)]
//   repr(float(np.mean(e) + np.std(e))), repr(float(np.mean(e) + 2.5 * np.std(e)))
const trainErrors = [0.3, 0.1, 0.7, 0.2, 0.5, 0.05, 0.9, 0.4];

describe('percentile matches np.percentile (linear) to the last bit', () => {
  const expected: Array<[number, number]> = [
    [0, 0.05],
    [10, 0.085],
    [25, 0.17500000000000002],
    [50, 0.35],
    [90, 0.7599999999999999],
    [95, 0.8299999999999998],
    [99, 0.886],
    [100, 0.9],
    [33.3, 0.23309999999999995],
  ];
  it.each(expected)('percentile %d', (p, value) => {
    expect(percentile(trainErrors, p)).toBe(value);
  });

  it('accepts typed arrays and a single value', () => {
    expect(percentile(Float32Array.from([2]), 95)).toBe(2);
    expect(percentile(Float64Array.from([1, 2, 3, 4]), 50)).toBe(2.5);
  });
});

describe('computeThreshold', () => {
  it('percentile rule on the training split by default', () => {
    const t = computeThreshold({ rule: 'percentile', percentile: 95 }, { train: trainErrors });
    expect(t).toEqual({
      threshold: 0.8299999999999998,
      usesLabels: false,
      description: 'percentile 95 of train errors (n=8)',
      // Binomial(8, 0.95): P(Y <= 5) < 0.025 <= P(Y <= 6), so the interval runs from the 6th smallest to the largest.
      interval: { low: [...trainErrors].sort((a, b) => a - b)[5], high: Math.max(...trainErrors) },
    });
  });

  it(
    'gives a percentile threshold the distribution-free interval of its order statistics ' +
      "(Conover's median example)",
    () => {
      // n = 100, the median: the 95% interval is x(40)..x(61), 1-based (Conover, table A3).
      const values = Array.from({ length: 100 }, (_, i) => 100 - i);
      expect(computeThreshold({ rule: 'percentile', percentile: 50 }, { train: values }).interval).toEqual({
        low: 40,
        high: 61,
      });
      expect(computeThreshold({ rule: 'max' }, { train: values }).interval).toBeNull();
      const meanStd = computeThreshold({ rule: 'meanStd', k: 0 }, { train: values });
      // k = 0: the interval of a mean, +- 1.96 std / sqrt(n) (population std of 1..100 is 28.866).
      expect(meanStd.interval!.high - meanStd.threshold).toBeCloseTo((1.959963984540054 * 28.86607004772212) / 10, 10);
    },
  );

  it('meanStd uses the population std (ddof = 0) like the TensorFlow tutorial', () => {
    const t = computeThreshold({ rule: 'meanStd', k: 1 }, { train: trainErrors });
    expect(t.threshold).toBeCloseTo(0.6703786997041341, 14);
    expect(t.usesLabels).toBe(false);
    expect(computeThreshold({ rule: 'meanStd', k: 2.5 }, { train: trainErrors }).threshold).toBeCloseTo(
      1.0853217492603353,
      14,
    );
    // Hand check: [1, 3] has mean 2 and population std 1 (sample std would be sqrt 2).
    expect(meanAndStd([1, 3])).toEqual({ mean: 2, std: 1 });
  });

  it('max and fixed', () => {
    expect(computeThreshold({ rule: 'max' }, { train: trainErrors }).threshold).toBe(0.9);
    expect(computeThreshold({ rule: 'fixed', value: 0.25 }, { train: [] }).threshold).toBe(0.25);
  });

  it('rules on the validation split read the validation errors', () => {
    const t = computeThreshold({ rule: 'max', on: 'validation' }, { train: trainErrors, validation: [1, 4, 2] });
    expect(t.threshold).toBe(4);
    expect(t.description).toBe('max of validation errors (n=3)');
    expect(() => computeThreshold({ rule: 'max', on: 'validation' }, { train: trainErrors })).toThrow(
      'threshold rule max on validation needs validation errors, got none',
    );
  });

  it('bestF1 is marked as using labels and separates perfectly separable scores', () => {
    const t = computeThreshold(
      { rule: 'bestF1', on: 'test' },
      { train: trainErrors, labelled: { scores: [0.1, 0.2, 0.3, 0.8, 0.9], y: [0, 0, 0, 1, 1] } },
    );
    expect(t.usesLabels).toBe(true);
    // Halfway between 0.3 (last normal) and 0.8 (first anomaly).
    expect(t.threshold).toBeCloseTo(0.55, 15);
    expect(t.description).toBe('best F1 (1.0000) on test labels (n=5); uses labels, so optimistic');
    expect(() => computeThreshold({ rule: 'bestF1' }, { train: trainErrors })).toThrow(
      'bestF1 on validation needs labelled scores (errors.labelled), got none',
    );
  });

  it('bestF1 with interleaved scores picks the F1 maximum (hand-computed)', () => {
    // Descending: 0.9(1) 0.8(0) 0.7(1) 0.6(1) 0.5(0) 0.4(0) 0.3(1) 0.2(0); 4 anomalies.
    // Flag >= 0.6: tp 3, fp 1 -> P 3/4, R 3/4, F1 0.75; >= 0.3: tp 4, fp 3 -> F1 8/11 ~ 0.727.
    const { threshold, f1 } = bestF1Threshold([1, 0, 1, 1, 0, 0, 1, 0], [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2]);
    expect(f1).toBeCloseTo(0.75, 15);
    expect(threshold).toBeCloseTo(0.55, 15);
  });

  it('bestF1 that flags everything goes below the lowest score', () => {
    const { threshold, f1 } = bestF1Threshold([1, 1, 0, 1], [0.4, 0.3, 0.35, 0.1]);
    expect(f1).toBeCloseTo((2 * 0.75 * 1) / 1.75, 15);
    expect(threshold).toBeLessThan(0.1);
    expect([...flagAnomalies([0.4, 0.3, 0.35, 0.1], threshold)]).toEqual([1, 1, 1, 1]);
  });
});

describe('anomaly means strictly greater than the threshold', () => {
  it('a sample equal to the threshold is normal, so max flags no training sample', () => {
    const { threshold } = computeThreshold({ rule: 'max' }, { train: trainErrors });
    expect([...flagAnomalies(trainErrors, threshold)].every((f) => f === 0)).toBe(true);
    expect([...flagAnomalies([0.5, 0.5000001, 0.4], 0.5)]).toEqual([0, 1, 0]);
  });
});

describe('rule validation names the field and the value', () => {
  it.each([
    [{ rule: 'percentile', percentile: 120 }, 'percentile must be <= 100, got 120'],
    [{ rule: 'percentile', percentile: -1 }, 'percentile must be >= 0, got -1'],
    [{ rule: 'percentile' }, 'percentile must be a finite number, got undefined'],
    [{ rule: 'meanStd', k: Number.NaN }, 'k must be a finite number, got NaN'],
    [{ rule: 'fixed', value: Infinity }, 'value must be a finite number, got Infinity'],
    [{ rule: 'max', on: 'test' }, 'on must be one of train, validation, got "test"'],
    [{ rule: 'bestF1', on: 'train' }, 'on must be one of validation, test, got "train"'],
    [{ rule: 'median' }, 'rule must be one of percentile, meanStd, max, fixed, bestF1, got "median"'],
    [null, 'threshold rule must be an object, got null'],
  ])('%j', (rule, message) => {
    expect(() => validateThresholdRule(rule)).toThrow(message);
  });

  it('rejects empty and non-finite errors with the index', () => {
    expect(() => computeThreshold({ rule: 'max' }, { train: [] })).toThrow('train errors is empty');
    expect(() => computeThreshold({ rule: 'max' }, { train: [1, Number.NaN] })).toThrow(
      'train errors[1] must be a number, got NaN',
    );
    expect(() => computeThreshold({ rule: 'max' }, { train: [1, Infinity] })).toThrow(
      'train errors[1] must be finite, got Infinity',
    );
  });

  it('returns a valid rule unchanged', () => {
    const rule = { rule: 'meanStd', k: 1, on: 'validation' };
    expect(validateThresholdRule(rule)).toBe(rule);
  });
});
