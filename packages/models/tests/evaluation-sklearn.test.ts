import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  binaryMetrics,
  classificationReport,
  formatClassificationReport,
  meanAndStd,
  normalPositiveMetrics,
  percentile,
  prCurve,
  rocAuc,
  rocCurve,
} from '../src/evaluation/index.js';

/*
 * Expected values computed with scikit-learn 1.2.1 and numpy 1.24.2 (Debian's
 * python3-sklearn, /usr/bin/python3) on fixtures that this file regenerates with the
 * same seeded generator (mulberry32, ported bit for bit). The Python that produced them:
 *
 *   def mulberry32(seed):
 *       a = seed & 0xffffffff
 *       def nxt():
 *           nonlocal a
 *           a = (a + 0x6D2B79F5) & 0xffffffff
 *           t = ((a ^ (a >> 15)) * (1 | a)) & 0xffffffff
 *           t = ((t + (((t ^ (t >> 7)) * (61 | t)) & 0xffffffff)) & 0xffffffff) ^ t
 *           return ((t ^ (t >> 14)) & 0xffffffff) / 4294967296
 *       return nxt
 *   def fixture(seed, n, levels):            # levels > 0 quantises scores: many ties
 *       r = mulberry32(seed); y = []; s = []
 *       for _ in range(n):
 *           u = r(); v = r()
 *           score = np.floor(u * levels) / levels if levels else u
 *           y.append(1 if v < 0.15 + 0.6 * u else 0); s.append(score)
 *       return np.array(y), np.array(s)
 *   # continuous: fixture(42, 1000, 0); tied: fixture(7, 1000, 20); then
 *   fpr, tpr, th = roc_curve(y, s); roc_curve(y, s, drop_intermediate=False)
 *   p, r, pth = precision_recall_curve(y, s)
 *   thr = float(np.percentile(s[y == 0], 90)); pred = (s > thr).astype(int)
 *   roc_auc_score(y, s), average_precision_score(y, s), accuracy_score(y, pred),
 *   precision_score / recall_score / f1_score(y, pred) (and pos_label=0 for the normal-
 *   positive figures), confusion_matrix(y, pred).ravel()  # tn, fp, fn, tp
 *   classification_report(y, pred, target_names=['normal', 'anomaly'], digits=4)
 *   classification_report(y, pred, output_dict=True)
 *   roc: [len(fpr), fpr.sum(), tpr.sum(), th[1:].sum(), fpr[[1, 5, len//2]], tpr[[1, 5, len//2]]]
 *   pr: [len(p), p.sum(), r.sum(), pth.sum(), p[[0, 5, len//2]], r[[0, 5, len//2]]]
 *   prDropped: the same of precision_recall_curve(y, s, drop_intermediate=True), computed
 *   with scikit-learn 1.9.1 (pip; 1.2 has no drop_intermediate for this curve)
 *   e = fixture(3, 1000, 0)[1]: np.percentile(e, p) for p in (0, 1, 50, 90, 95, 99, 99.9, 100),
 *   np.mean(e) + np.std(e)
 */
const SKLEARN = {
  continuous: {
    sumY: 454,
    sumS: 497.0963870114647,
    first: [0.6011037519201636, 0.8524657934904099, 0.17481389874592423],
    auc: 0.6741136983427732,
    ap: 0.6215158958482969,
    thr: 0.8362505889963359,
    acc: 0.607,
    prec: 0.6783625730994152,
    rec: 0.2555066079295154,
    f1: 0.37120000000000003,
    spec: 0.8992673992673993,
    nprec: 0.5922798552472859,
    nf1: 0.7141818181818181,
    cm: [491, 55, 338, 116],
    roc: [
      445,
      183.05128205128204,
      263.88105726872243,
      222.94185754982755,
      [0.0, 0.003663003663003663, 0.36446886446886445],
      [0.0022026431718061676, 0.02643171806167401, 0.6145374449339207],
    ],
    rocFull: [1001, 421.452380952381, 595.5660792951542],
    pr: [
      1001,
      591.4796074842052,
      595.5660792951542,
      497.0963870114647,
      [0.454, 0.4562814070351759, 0.58],
      [1.0, 1.0, 0.6387665198237885],
    ],
    prDropped: [
      677,
      413.5626131102882,
      359.44052863436127,
      380.15320649696514,
      [0.454, 0.4606741573033708, 0.6109725685785536],
      [1.0, 0.9933920704845814, 0.539647577092511],
    ],
    report:
      '              precision    recall  f1-score   support\n\n' +
      '      normal     0.5923    0.8993    0.7142       546\n' +
      '     anomaly     0.6784    0.2555    0.3712       454\n\n' +
      '    accuracy                         0.6070      1000\n' +
      '   macro avg     0.6353    0.5774    0.5427      1000\n' +
      'weighted avg     0.6314    0.6070    0.5585      1000\n',
    reportDict: {
      '0': {
        precision: 0.5922798552472859,
        recall: 0.8992673992673993,
        'f1-score': 0.7141818181818181,
        support: 546,
      },
      '1': {
        precision: 0.6783625730994152,
        recall: 0.2555066079295154,
        'f1-score': 0.37120000000000003,
        support: 454,
      },
      accuracy: 0.607,
      'macro avg': {
        precision: 0.6353212141733505,
        recall: 0.5773870035984574,
        'f1-score': 0.5426909090909091,
        support: 1000,
      },
      'weighted avg': {
        precision: 0.6313614091521527,
        recall: 0.607,
        'f1-score': 0.5584680727272728,
        support: 1000,
      },
    },
  },
  tied: {
    sumY: 423,
    sumS: 465.0,
    first: [0.0, 0.95, 0.5],
    auc: 0.7072286342908416,
    ap: 0.6194089771458354,
    thr: 0.75,
    acc: 0.649,
    prec: 0.711764705882353,
    rec: 0.2860520094562648,
    f1: 0.4080944350758854,
    spec: 0.9150779896013865,
    nprec: 0.636144578313253,
    nf1: 0.7505330490405118,
    cm: [528, 49, 302, 121],
    roc: [
      21,
      8.601386481802427,
      12.617021276595743,
      9.500000000000002,
      [0.01386481802426343, 0.1265164644714038, 0.36915077989601386],
      [0.07328605200945626, 0.3664302600472813, 0.6784869976359338],
    ],
    rocFull: [21, 8.601386481802427, 12.617021276595743],
    pr: [
      21,
      12.600469323545912,
      12.617021276595745,
      9.499999999999998,
      [0.423, 0.48933333333333334, 0.574],
      [1.0, 0.8676122931442081, 0.6784869976359338],
    ],
    prDropped: [
      21,
      12.600469323545912,
      12.617021276595745,
      9.499999999999998,
      [0.423, 0.48933333333333334, 0.574],
      [1.0, 0.8676122931442081, 0.6784869976359338],
    ],
    report:
      '              precision    recall  f1-score   support\n\n' +
      '      normal     0.6361    0.9151    0.7505       577\n' +
      '     anomaly     0.7118    0.2861    0.4081       423\n\n' +
      '    accuracy                         0.6490      1000\n' +
      '   macro avg     0.6740    0.6006    0.5793      1000\n' +
      'weighted avg     0.6681    0.6490    0.6057      1000\n',
    reportDict: {
      '0': {
        precision: 0.636144578313253,
        recall: 0.9150779896013865,
        'f1-score': 0.7505330490405118,
        support: 577,
      },
      '1': {
        precision: 0.711764705882353,
        recall: 0.2860520094562648,
        'f1-score': 0.4080944350758854,
        support: 423,
      },
      accuracy: 0.649,
      'macro avg': {
        precision: 0.673954642097803,
        recall: 0.6005649995288257,
        'f1-score': 0.5793137420581986,
        support: 1000,
      },
      'weighted avg': {
        precision: 0.6681318922749822,
        recall: 0.649,
        'f1-score': 0.6056815153334749,
        support: 1000,
      },
    },
    rocFullArrays: [
      [
        0.0, 0.01386481802426343, 0.036395147313691506, 0.06239168110918544, 0.08492201039861352, 0.1265164644714038,
        0.16984402079722705, 0.19410745233968804, 0.23743500866551126, 0.30155979202772965, 0.36915077989601386,
        0.4246100519930676, 0.4783362218370884, 0.5251299826689775, 0.5909878682842288, 0.6637781629116117,
        0.7175043327556326, 0.7972270363951474, 0.8648180242634316, 0.9428076256499134, 1.0,
      ],
      [
        0.0, 0.07328605200945626, 0.1347517730496454, 0.20094562647754138, 0.2860520094562648, 0.3664302600472813,
        0.4373522458628842, 0.4988179669030733, 0.557919621749409, 0.6122931442080378, 0.6784869976359338,
        0.7281323877068558, 0.7659574468085106, 0.817966903073286, 0.8416075650118203, 0.8676122931442081,
        0.8983451536643026, 0.9219858156028369, 0.9527186761229315, 0.9763593380614657, 1.0,
      ],
      [
        1.95, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.5, 0.45, 0.4, 0.35, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05,
        0.0,
      ],
    ],
    rocArrays: [
      [
        0.0, 0.01386481802426343, 0.036395147313691506, 0.06239168110918544, 0.08492201039861352, 0.1265164644714038,
        0.16984402079722705, 0.19410745233968804, 0.23743500866551126, 0.30155979202772965, 0.36915077989601386,
        0.4246100519930676, 0.4783362218370884, 0.5251299826689775, 0.5909878682842288, 0.6637781629116117,
        0.7175043327556326, 0.7972270363951474, 0.8648180242634316, 0.9428076256499134, 1.0,
      ],
      [
        0.0, 0.07328605200945626, 0.1347517730496454, 0.20094562647754138, 0.2860520094562648, 0.3664302600472813,
        0.4373522458628842, 0.4988179669030733, 0.557919621749409, 0.6122931442080378, 0.6784869976359338,
        0.7281323877068558, 0.7659574468085106, 0.817966903073286, 0.8416075650118203, 0.8676122931442081,
        0.8983451536643026, 0.9219858156028369, 0.9527186761229315, 0.9763593380614657, 1.0,
      ],
      [
        1.95, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.5, 0.45, 0.4, 0.35, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05,
        0.0,
      ],
    ],
    prArrays: [
      [
        0.423, 0.4315569487983281, 0.4467849223946785, 0.4588235294117647, 0.47858942065491183, 0.48933333333333334,
        0.5107604017216643, 0.5331278890600925, 0.54, 0.5569620253164557, 0.574, 0.5981524249422633, 0.6327077747989276,
        0.653250773993808, 0.6537102473498233, 0.6798245614035088, 0.711764705882353, 0.7024793388429752,
        0.7307692307692307, 0.7948717948717948, 1.0,
      ],
      [
        1.0, 0.9763593380614657, 0.9527186761229315, 0.9219858156028369, 0.8983451536643026, 0.8676122931442081,
        0.8416075650118203, 0.817966903073286, 0.7659574468085106, 0.7281323877068558, 0.6784869976359338,
        0.6122931442080378, 0.557919621749409, 0.4988179669030733, 0.4373522458628842, 0.3664302600472813,
        0.2860520094562648, 0.20094562647754138, 0.1347517730496454, 0.07328605200945626, 0.0,
      ],
      [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95],
    ],
  },
  percentiles: {
    '0': 0.0018461968284100294,
    '1': 0.011987025546841324,
    '50': 0.5262744715437293,
    '90': 0.8953082464402542,
    '95': 0.9484323208685964,
    '99': 0.9876237887656316,
    '99.9': 0.9968040890544654,
    '100': 0.9976460949983448,
  },
  meanStd: 0.7975081751969859,
} as const;

function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fixture(seed: number, n: number, levels: number): { y: number[]; s: number[] } {
  const next = mulberry32(seed);
  const y: number[] = [];
  const s: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = next();
    const v = next();
    s.push(levels > 0 ? Math.floor(u * levels) / levels : u);
    y.push(v < 0.15 + 0.6 * u ? 1 : 0);
  }
  return { y, s };
}

const sum = (a: readonly number[]): number => a.reduce((t, v) => t + v, 0);

function expectClose(actual: readonly number[], expected: readonly number[], digits = 12): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => expect(v, `index ${i}`).toBeCloseTo(expected[i]!, digits));
}

describe.each([
  ['continuous scores (seed 42, 1,000 rows)', fixture(42, 1000, 0), SKLEARN.continuous],
  ['scores in 20 tied levels (seed 7, 1,000 rows)', fixture(7, 1000, 20), SKLEARN.tied],
] as const)('%s agree with scikit-learn', (_name, { y, s }, expected) => {
  it('regenerates the same fixture as the Python port', () => {
    expect(sum(y)).toBe(expected.sumY);
    expect(s.slice(0, 3)).toEqual(expected.first);
    expect(sum(s)).toBeCloseTo(expected.sumS, 9);
  });

  it('roc_auc_score and average_precision_score', () => {
    expect(rocAuc(y, s)).toBeCloseTo(expected.auc, 13);
    expect(averagePrecision(y, s)).toBeCloseTo(expected.ap, 13);
  });

  it('roc_curve point for point (drop_intermediate on and off)', () => {
    const roc = rocCurve(y, s)!;
    const [length, fprSum, tprSum, thresholdSum, fprAt, tprAt] = expected.roc;
    expect(roc.fpr.length).toBe(length);
    expect(roc.thresholds.length).toBe(length);
    expect(sum(roc.fpr)).toBeCloseTo(fprSum, 10);
    expect(sum(roc.tpr)).toBeCloseTo(tprSum, 10);
    expect(sum(roc.thresholds.slice(1))).toBeCloseTo(thresholdSum, 10);
    expect(roc.thresholds[0]).toBeCloseTo(Math.max(...s) + 1, 15);
    const at = [1, 5, Math.floor(length / 2)];
    expectClose(
      at.map((i) => roc.fpr[i]!),
      fprAt,
    );
    expectClose(
      at.map((i) => roc.tpr[i]!),
      tprAt,
    );
    const full = rocCurve(y, s, { dropIntermediate: false })!;
    expect(full.fpr.length).toBe(expected.rocFull[0]);
    expect(sum(full.fpr)).toBeCloseTo(expected.rocFull[1], 10);
    expect(sum(full.tpr)).toBeCloseTo(expected.rocFull[2], 10);
  });

  it.each([
    ['precision_recall_curve', false, 'pr'],
    ['precision_recall_curve(drop_intermediate=True)', true, 'prDropped'],
  ] as const)('%s point for point', (_name, dropIntermediate, key) => {
    const pr = prCurve(y, s, { dropIntermediate })!;
    const [length, precisionSum, recallSum, thresholdSum, precisionAt, recallAt] = expected[key];
    expect(pr.precision.length).toBe(length);
    expect(pr.recall.length).toBe(length);
    expect(pr.thresholds.length).toBe(length - 1);
    expect(sum(pr.precision)).toBeCloseTo(precisionSum, 10);
    expect(sum(pr.recall)).toBeCloseTo(recallSum, 10);
    expect(sum(pr.thresholds)).toBeCloseTo(thresholdSum, 9);
    const at = [0, 5, Math.floor(length / 2)];
    expectClose(
      at.map((i) => pr.precision[i]!),
      precisionAt,
    );
    expectClose(
      at.map((i) => pr.recall[i]!),
      recallAt,
    );
  });

  it('threshold metrics at the 90th percentile of the normal scores', () => {
    const normalScores = s.filter((_, i) => y[i] === 0);
    const threshold = percentile(normalScores, 90);
    expect(threshold).toBe(expected.thr);
    const m = binaryMetrics(y, s, threshold);
    const [tn, fp, fn, tp] = expected.cm;
    expect(m.confusion).toEqual({ tp, fp, tn, fn });
    expect(m.accuracy).toBeCloseTo(expected.acc, 14);
    expect(m.precision).toBeCloseTo(expected.prec, 14);
    expect(m.recall).toBeCloseTo(expected.rec, 14);
    expect(m.f1).toBeCloseTo(expected.f1, 14);
    expect(m.specificity).toBeCloseTo(expected.spec, 14);
    expect(m.rocAuc).toBeCloseTo(expected.auc, 13);
    expect(m.prAuc).toBeCloseTo(expected.ap, 13);
    const normal = normalPositiveMetrics(y, s, threshold);
    expect(normal.precision).toBeCloseTo(expected.nprec, 14);
    expect(normal.recall).toBeCloseTo(expected.spec, 14);
    expect(normal.f1).toBeCloseTo(expected.nf1, 14);
  });

  it('classification_report, as numbers and as text', () => {
    const threshold = percentile(
      s.filter((_, i) => y[i] === 0),
      90,
    );
    const predicted = s.map((v) => (v > threshold ? 1 : 0));
    const report = classificationReport(y, predicted, { 0: 'normal', 1: 'anomaly' });
    const dict = expected.reportDict;
    for (const [i, label] of (['0', '1'] as const).entries()) {
      const row = report.classes[i]!;
      expect(row.label).toBe(i);
      expect(row.precision).toBeCloseTo(dict[label].precision, 14);
      expect(row.recall).toBeCloseTo(dict[label].recall, 14);
      expect(row.f1).toBeCloseTo(dict[label]['f1-score'], 14);
      expect(row.support).toBe(dict[label].support);
    }
    expect(report.accuracy).toBeCloseTo(dict.accuracy, 14);
    for (const [key, ours] of [
      ['macro avg', report.macroAvg],
      ['weighted avg', report.weightedAvg],
    ] as const) {
      expect(ours.precision).toBeCloseTo(dict[key].precision, 14);
      expect(ours.recall).toBeCloseTo(dict[key].recall, 14);
      expect(ours.f1).toBeCloseTo(dict[key]['f1-score'], 14);
      expect(ours.support).toBe(dict[key].support);
    }
    expect(formatClassificationReport(report, 4)).toBe(expected.report);
  });
});

describe('the tied fixture matches every curve point', () => {
  const { y, s } = fixture(7, 1000, 20);
  it('roc_curve (both drop settings coincide: every level bends the curve)', () => {
    const [fpr, tpr, thresholds] = SKLEARN.tied.rocArrays;
    const roc = rocCurve(y, s)!;
    expectClose(roc.fpr, fpr, 14);
    expectClose(roc.tpr, tpr, 14);
    expectClose(roc.thresholds, thresholds, 14);
    const [fullFpr, fullTpr] = SKLEARN.tied.rocFullArrays;
    const full = rocCurve(y, s, { dropIntermediate: false })!;
    expectClose(full.fpr, fullFpr, 14);
    expectClose(full.tpr, fullTpr, 14);
  });

  it('precision_recall_curve', () => {
    const [precision, recall, thresholds] = SKLEARN.tied.prArrays;
    const pr = prCurve(y, s)!;
    expectClose(pr.precision, precision, 14);
    expectClose(pr.recall, recall, 14);
    expectClose(pr.thresholds, thresholds, 14);
  });
});

describe('thresholds on 1,000 continuous errors agree with numpy', () => {
  const errors = fixture(3, 1000, 0).s;
  it.each(Object.entries(SKLEARN.percentiles))('np.percentile(e, %s)', (p, value) => {
    expect(percentile(errors, Number(p))).toBe(value);
  });
  it('np.mean(e) + np.std(e)', () => {
    const { mean, std } = meanAndStd(errors);
    expect(mean + std).toBeCloseTo(SKLEARN.meanStd, 14);
  });
});

describe('small and degenerate inputs agree with scikit-learn', () => {
  // sklearn: classification_report([0, 0, 1, 1, 1], [0, 1, 1, 1, 0], target_names=['normal', 'anomaly'])
  it('classification_report text with the default 2 digits', () => {
    const report = classificationReport([0, 0, 1, 1, 1], [0, 1, 1, 1, 0], { 0: 'normal', 1: 'anomaly' });
    expect(formatClassificationReport(report)).toBe(
      '              precision    recall  f1-score   support\n\n' +
        '      normal       0.50      0.50      0.50         2\n' +
        '     anomaly       0.67      0.67      0.67         3\n\n' +
        '    accuracy                           0.60         5\n' +
        '   macro avg       0.58      0.58      0.58         5\n' +
        'weighted avg       0.60      0.60      0.60         5\n',
    );
  });

  // sklearn: classification_report(['b', 'a', 'c', 'a'], ['a', 'a', 'c', 'c'], output_dict=True)
  it('string labels, a class never predicted (zero division gives 0)', () => {
    const report = classificationReport(['b', 'a', 'c', 'a'], ['a', 'a', 'c', 'c']);
    expect(report.classes.map((c) => [c.label, c.precision, c.recall, c.support])).toEqual([
      ['a', 0.5, 0.5, 2],
      ['b', 0, 0, 1],
      ['c', 0.5, 1, 1],
    ]);
    expect(report.classes[2]!.f1).toBeCloseTo(0.6666666666666666, 15);
    expect(report.accuracy).toBe(0.5);
    expect(report.macroAvg.f1).toBeCloseTo(0.38888888888888884, 15);
    expect(report.weightedAvg.precision).toBeCloseTo(0.375, 15);
    expect(report.weightedAvg.f1).toBeCloseTo(0.41666666666666663, 15);
  });

  // sklearn: roc_auc_score raises "Only one class present in y_true"; roc_curve returns NaN
  // rates; average_precision_score gives -0.0 (no anomalies) or 1.0 (only anomalies).
  it('one class: ROC is undefined, and so (by our choice) is average precision', () => {
    for (const y of [
      [0, 0, 0],
      [1, 1, 1],
    ]) {
      expect(rocAuc(y, [0.1, 0.5, 0.5])).toBeUndefined();
      expect(averagePrecision(y, [0.1, 0.5, 0.5])).toBeUndefined();
      expect(rocCurve(y, [0.1, 0.5, 0.5])).toBeUndefined();
    }
    // With only anomalies the PR curve is defined: sklearn gives precision [1, 1, 1],
    // recall [1, 0.6667, 0], thresholds [0.1, 0.5].
    const pr = prCurve([1, 1, 1], [0.1, 0.5, 0.5])!;
    expect(pr.precision).toEqual([1, 1, 1]);
    expectClose(pr.recall, [1, 2 / 3, 0], 15);
    expect(pr.thresholds).toEqual([0.1, 0.5]);
  });

  it('a single row', () => {
    expect(binaryMetrics([1], [0.3], 0.2)).toMatchObject({
      accuracy: 1,
      precision: 1,
      recall: 1,
      f1: 1,
      rocAuc: undefined,
    });
  });
});

describe('scale', () => {
  it('300,000 rows: AUC matches the rank-sum (Mann-Whitney U) computed independently', () => {
    const { y, s } = fixture(11, 300_000, 1000);
    // Rank-sum with midranks for ties, counted per score level (scores are k / 1000):
    // AUC = (R+ - P (P + 1) / 2) / (P N).
    const positivesAt = new Float64Array(1000);
    const rowsAt = new Float64Array(1000);
    s.forEach((v, i) => {
      const level = Math.round(v * 1000);
      rowsAt[level]!++;
      if (y[i] === 1) positivesAt[level]!++;
    });
    let positiveRankSum = 0;
    let ranked = 0;
    for (let level = 0; level < 1000; level++) {
      const midrank = ranked + (rowsAt[level]! + 1) / 2;
      positiveRankSum += positivesAt[level]! * midrank;
      ranked += rowsAt[level]!;
    }
    const positives = sum(y);
    const negatives = y.length - positives;
    const expectedAuc = (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
    const m = binaryMetrics(y, s, 0.5);
    expect(m.rows).toBe(300_000);
    expect(m.rocAuc).toBeCloseTo(expectedAuc, 12);
    expect(rocCurve(y, s)!.fpr.at(-1)).toBe(1);
    expect(prCurve(y, s)!.recall.at(-1)).toBe(0);
  });
});
