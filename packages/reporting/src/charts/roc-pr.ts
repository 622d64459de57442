import type { CurvePoints } from '@aelab/core';
import type { TopLevelSpec } from 'vega-lite';
import { downsample } from '../stats.js';
import { chartHead, round } from './common.js';

/** A curve set under a legend label (a trial, or the split). */
export interface NamedCurves {
  label: string;
  curves: CurvePoints;
}

/** Points kept per curve; curves from thousands of rows are evenly thinned, ends kept. */
export const MAX_CURVE_POINTS = 400;

function auc(v: number | null): string {
  return v === null || !Number.isFinite(v) ? 'n/a' : round(v, 3).toFixed(3);
}

/** Each set's ROC and PR points, thinned to {@link MAX_CURVE_POINTS}, and its series names with AUCs. */
function curvePoints(sets: readonly NamedCurves[]) {
  const roc: { series: string; i: number; fpr: number; tpr: number }[] = [];
  const pr: { series: string; i: number; recall: number; precision: number }[] = [];
  const rocNames: string[] = [];
  const prNames: string[] = [];
  for (const { label, curves } of sets) {
    const rocName = `${label} (AUC ${auc(curves.rocAuc)})`;
    const prName = `${label} (AUC ${auc(curves.prAuc)})`;
    rocNames.push(rocName);
    prNames.push(prName);
    const r = downsample(
      curves.roc.fpr.map((fpr, i) => [fpr, curves.roc.tpr[i]] as const),
      MAX_CURVE_POINTS,
    );
    r.forEach(([fpr, tpr], i) => roc.push({ series: rocName, i, fpr: round(fpr, 4), tpr: round(tpr, 4) }));
    const p = downsample(
      curves.pr.recall.map((rec, i) => [rec, curves.pr.precision[i]] as const),
      MAX_CURVE_POINTS,
    );
    p.forEach(([recall, precision], i) =>
      pr.push({ series: prName, i, recall: round(recall, 4), precision: round(precision, 4) }),
    );
  }
  return { roc, pr, rocNames, prNames };
}

const UNIT = { domain: [0, 1] };

/** One curve per series, `x` against `y` (field and title each) on the unit square, drawn in point order. */
function curveEncoding(x: [string, string], y: [string, string], legend: string, series: string[]) {
  return {
    x: { field: x[0], type: 'quantitative', title: x[1], scale: UNIT },
    y: { field: y[0], type: 'quantitative', title: y[1], scale: UNIT },
    order: { field: 'i' },
    color: {
      field: 'series',
      type: 'nominal',
      title: legend,
      sort: series,
      legend: { orient: 'bottom', direction: 'vertical', labelLimit: 400 },
    },
  } as const;
}

/** ROC and precision-recall curves side by side, AUCs in the legend. */
export function rocPrSpec(sets: readonly NamedCurves[]): TopLevelSpec {
  const { roc, pr, rocNames, prNames } = curvePoints(sets);
  return {
    ...chartHead({}),
    hconcat: [
      {
        title: 'ROC curve',
        width: 240,
        height: 240,
        layer: [
          {
            data: {
              values: [
                { a: 0, b: 0 },
                { a: 1, b: 1 },
              ],
            },
            mark: { type: 'line', color: '#bbb', strokeDash: [4, 4] },
            encoding: {
              x: { field: 'a', type: 'quantitative', scale: UNIT },
              y: { field: 'b', type: 'quantitative', scale: UNIT },
            },
          },
          {
            data: { values: roc },
            mark: { type: 'line', strokeWidth: 2 },
            encoding: curveEncoding(['fpr', 'False positive rate'], ['tpr', 'True positive rate'], 'ROC', rocNames),
          },
        ],
      },
      {
        title: 'Precision-recall curve',
        width: 240,
        height: 240,
        data: { values: pr },
        mark: { type: 'line', strokeWidth: 2, interpolate: 'step-after' },
        encoding: curveEncoding(['recall', 'Recall'], ['precision', 'Precision'], 'PR', prNames),
      },
    ],
    resolve: { scale: { color: 'independent' } },
  };
}
