import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  binaryMetrics,
  classificationReport,
  confusionMatrix,
  formatClassificationReport,
  normalPositiveMetrics,
  prCurve,
  reconstructionSummary,
  rocAuc,
  rocCurve,
} from '../src/evaluation/index.js';

// Expected curves below come from scikit-learn 1.2.1 (Debian python3-sklearn, numpy 1.24.2):
//   from sklearn.metrics import roc_curve, precision_recall_curve, roc_auc_score, average_precision_score
//   roc_curve(y, s); roc_curve(y, s, drop_intermediate=False); precision_recall_curve(y, s)
//   roc_auc_score(y, s); average_precision_score(y, s)

function expectClose(actual: readonly number[] | undefined, expected: readonly number[], digits = 12): void {
  expect(actual).toBeDefined();
  expect(actual!.length).toBe(expected.length);
  actual!.forEach((v, i) => expect(v, `index ${i}`).toBeCloseTo(expected[i]!, digits));
}

describe('sklearn docstring fixture: y = [0, 0, 1, 1], s = [0.1, 0.4, 0.35, 0.8]', () => {
  const y = [0, 0, 1, 1];
  const s = [0.1, 0.4, 0.35, 0.8];

  it('roc_curve', () => {
    const roc = rocCurve(y, s)!;
    expectClose(roc.fpr, [0, 0, 0.5, 0.5, 1]);
    expectClose(roc.tpr, [0, 0.5, 0.5, 1, 1]);
    expectClose(roc.thresholds, [1.8, 0.8, 0.4, 0.35, 0.1]);
  });

  it('precision_recall_curve', () => {
    const pr = prCurve(y, s)!;
    expectClose(pr.precision, [0.5, 2 / 3, 0.5, 1, 1]);
    expectClose(pr.recall, [1, 1, 0.5, 0.5, 0]);
    expectClose(pr.thresholds, [0.1, 0.35, 0.4, 0.8]);
  });

  it('roc_auc_score 0.75 and average_precision_score 0.8333', () => {
    expect(rocAuc(y, s)).toBeCloseTo(0.75, 15);
    expect(averagePrecision(y, s)).toBeCloseTo(0.8333333333333333, 15);
  });
});

describe('ties: y = [0, 1, 0, 1, 1, 0], s = [0.5, 0.5, 0.2, 0.9, 0.5, 0.1]', () => {
  const y = [0, 1, 0, 1, 1, 0];
  const s = [0.5, 0.5, 0.2, 0.9, 0.5, 0.1];

  it('ROC-AUC counts a tied positive/negative pair as one half (hand-computed 8/9)', () => {
    // Pairs (anomaly, normal): 0.9 beats all three normals (3); each 0.5 anomaly ties the
    // 0.5 normal (0.5) and beats 0.2 and 0.1 (2), twice: 3 + 2 * 2.5 = 8 of 9 pairs.
    expect(rocAuc(y, s)).toBeCloseTo(8 / 9, 15);
    // sklearn: roc_auc_score(y, s) = 0.888888888888889
    expect(rocAuc(y, s)).toBeCloseTo(0.888888888888889, 14);
  });

  it('roc_curve with and without drop_intermediate', () => {
    const dropped = rocCurve(y, s)!;
    expectClose(dropped.fpr, [0, 0, 1 / 3, 1]);
    expectClose(dropped.tpr, [0, 1 / 3, 1, 1]);
    expectClose(dropped.thresholds, [1.9, 0.9, 0.5, 0.1]);
    const full = rocCurve(y, s, { dropIntermediate: false })!;
    expectClose(full.fpr, [0, 0, 1 / 3, 2 / 3, 1]);
    expectClose(full.tpr, [0, 1 / 3, 1, 1, 1]);
    expectClose(full.thresholds, [1.9, 0.9, 0.5, 0.2, 0.1]);
  });

  it('precision_recall_curve and average precision', () => {
    const pr = prCurve(y, s)!;
    expectClose(pr.precision, [0.5, 0.6, 0.75, 1, 1]);
    expectClose(pr.recall, [1, 1, 1, 1 / 3, 0]);
    expectClose(pr.thresholds, [0.1, 0.2, 0.5, 0.9]);
    expect(averagePrecision(y, s)).toBeCloseTo(0.8333333333333333, 15);
  });
});

describe('binaryMetrics (anomaly positive, score > threshold)', () => {
  it('hand-computed confusion and ratios', () => {
    // threshold 0.5: flagged = [0, 0, 0, 1, 0, 0] (0.5 is not > 0.5).
    const m = binaryMetrics([0, 1, 0, 1, 1, 0], [0.5, 0.5, 0.2, 0.9, 0.5, 0.1], 0.5);
    expect(m.confusion).toEqual({ tp: 1, fp: 0, tn: 3, fn: 2 });
    expect(m.rows).toBe(6);
    expect(m.positives).toBe(3);
    expect(m.accuracy).toBeCloseTo(4 / 6, 15);
    expect(m.precision).toBe(1);
    expect(m.recall).toBeCloseTo(1 / 3, 15);
    expect(m.f1).toBeCloseTo(0.5, 15);
    expect(m.specificity).toBe(1);
    expect(m.rocAuc).toBeCloseTo(8 / 9, 15);
    expect(m.prAuc).toBeCloseTo(5 / 6, 15);
    expect(m.threshold).toBe(0.5);
  });

  it('zero division gives 0 and one-class splits give undefined AUCs', () => {
    const none = binaryMetrics([0, 0, 0], [0.1, 0.2, 0.3], 1);
    expect(none).toMatchObject({ precision: 0, recall: 0, f1: 0, specificity: 1, accuracy: 1 });
    expect(none.rocAuc).toBeUndefined();
    expect(none.prAuc).toBeUndefined();
    const all = binaryMetrics([1, 1], [0.1, 0.2], 0.15);
    expect(all).toMatchObject({ precision: 1, recall: 0.5, specificity: 0, rocAuc: undefined, prAuc: undefined });
    expect(rocCurve([1, 1], [0.1, 0.2])).toBeUndefined();
    expect(prCurve([0, 0], [0.1, 0.2])).toBeUndefined();
    expect(prCurve([1, 1], [0.1, 0.2])!.precision).toEqual([1, 1, 1]);
  });

  it('rejects mismatched lengths, bad labels and NaN scores', () => {
    expect(() => binaryMetrics([0, 1], [0.1], 0)).toThrow(
      'y has 2 entries but scores has 1: they must be the same length',
    );
    expect(() => binaryMetrics([0, 2], [0.1, 0.2], 0)).toThrow('y[1] must be 0 (normal) or 1 (anomaly), got 2');
    expect(() => binaryMetrics([0, 1], [0.1, Number.NaN], 0)).toThrow('scores[1] must be a number, got NaN');
    // A one-class split skips the ranking, not the checks.
    expect(() => binaryMetrics([0, 0], [0.1, Number.NaN], 0)).toThrow('scores[1] must be a number, got NaN');
    expect(() => binaryMetrics([1, 1], [0.1], 0)).toThrow('y has 2 entries but scores has 1');
    expect(() => binaryMetrics([], [], 0)).toThrow('y is empty');
  });

  it('normalPositiveMetrics uses the TensorFlow tutorial convention (normal positive)', () => {
    // tn 3 (normals kept), fn 2 (anomalies missed), fp 0, tp 1.
    const m = normalPositiveMetrics([0, 1, 0, 1, 1, 0], [0.5, 0.5, 0.2, 0.9, 0.5, 0.1], 0.5);
    expect(m.precision).toBeCloseTo(3 / 5, 15);
    expect(m.recall).toBe(1);
    expect(m.f1).toBeCloseTo(0.75, 15);
    expect(m.accuracy).toBeCloseTo(4 / 6, 15);
    expect(m.support).toBe(3);
  });

  it('confusionMatrix accepts 0/1 or boolean predictions', () => {
    expect(confusionMatrix([1, 0, 1, 0], [true, true, false, false])).toEqual({ tp: 1, fp: 1, tn: 1, fn: 1 });
  });
});

describe('classificationReport', () => {
  it('per-class scores and averages (hand-computed)', () => {
    const r = classificationReport([0, 0, 1, 1, 1], [0, 1, 1, 1, 0], { 0: 'normal', 1: 'anomaly' });
    expect(r.classes.map((c) => c.name)).toEqual(['normal', 'anomaly']);
    expect(r.classes[0]).toMatchObject({ label: 0, precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(r.classes[1]!.precision).toBeCloseTo(2 / 3, 15);
    expect(r.classes[1]!.recall).toBeCloseTo(2 / 3, 15);
    expect(r.accuracy).toBeCloseTo(0.6, 15);
    expect(r.macroAvg.f1).toBeCloseTo((0.5 + 2 / 3) / 2, 15);
    expect(r.weightedAvg.f1).toBeCloseTo((0.5 * 2 + (2 / 3) * 3) / 5, 15);
    expect(r.weightedAvg.support).toBe(5);
    expect(formatClassificationReport(r)).toContain('accuracy');
  });
});

describe('reconstructionSummary', () => {
  it('averages per-sample errors and takes the root of the mean MSE', () => {
    expect(reconstructionSummary({ mse: [1, 3], mae: [0.5, 1.5] })).toEqual({
      rows: 2,
      mse: 2,
      mae: 1,
      rmse: Math.SQRT2,
    });
    expect(() => reconstructionSummary({ mse: [1], mae: [1, 2] })).toThrow(
      'mse has 1 entries but mae has 2: they must be the same length',
    );
  });
});
