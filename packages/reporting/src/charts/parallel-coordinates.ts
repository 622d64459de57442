import type { Json } from '@aelab/core';
import type { TopLevelSpec } from 'vega-lite';
import { chartHead, round } from './common.js';

/** One evaluated configuration: its parameter values and score. */
export interface ParallelRow {
  id: string;
  values: Record<string, Json | undefined>;
  score: number;
}

function label(value: Json | undefined): string {
  if (value === undefined || value === null) return '(none)';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function shortNumber(v: number): string {
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(1) : String(round(v, 3));
}

/**
 * Parameters -> metric as parallel coordinates. Each axis is normalised here to [0, 1]
 * (numbers by min-max, categories by sorted position, absent values at the bottom) so the
 * spec needs no window transforms and its data is small; the axis ends carry the real
 * values as labels. The last axis is the metric, and lines are coloured by it.
 */
export function parallelCoordinatesSpec(
  axes: readonly string[],
  rows: readonly ParallelRow[],
  metricLabel: string,
): TopLevelSpec {
  const columns: { name: string; get: (r: ParallelRow) => Json | undefined }[] = [
    ...axes.map((name) => ({ name, get: (r: ParallelRow) => r.values[name] })),
    { name: metricLabel, get: (r: ParallelRow) => r.score },
  ];
  const all = columns.map((c) => c.name);
  const lines: { id: string; axis: string; pos: number; score: number }[] = [];
  const ticks: { axis: string; pos: number; text: string }[] = [];
  const positions = columns.map(({ name, get }) => {
    const raw = rows.map(get);
    const nums = raw.filter((v): v is number => typeof v === 'number');
    if (nums.length > 0 && nums.length === raw.filter((v) => v !== undefined && v !== null).length) {
      const lo = Math.min(...nums);
      const hi = Math.max(...nums);
      ticks.push({ axis: name, pos: hi > lo ? 0 : 0.5, text: shortNumber(lo) });
      if (hi > lo) ticks.push({ axis: name, pos: 1, text: shortNumber(hi) });
      return (v: Json | undefined) => (typeof v === 'number' ? (hi > lo ? (v - lo) / (hi - lo) : 0.5) : 0);
    }
    const cats = [...new Set(raw.map(label))].sort();
    const at = (text: string) => (cats.length > 1 ? cats.indexOf(text) / (cats.length - 1) : 0.5);
    for (const c of cats) ticks.push({ axis: name, pos: at(c), text: c });
    return (v: Json | undefined) => at(label(v));
  });
  for (const r of rows) {
    columns.forEach(({ name, get }, i) =>
      lines.push({ id: r.id, axis: name, pos: round(positions[i](get(r)), 4), score: round(r.score) }),
    );
  }
  const x = {
    field: 'axis',
    type: 'nominal' as const,
    sort: all,
    title: null,
    axis: { orient: 'top' as const, labelAngle: 0, labelLimit: 0, labelPadding: 14, domain: false, ticks: false },
  };
  return {
    ...chartHead({ title: `Parameters -> ${metricLabel}`, width: Math.max(360, 140 * all.length), height: 260 }),
    layer: [
      {
        data: { values: all.map((axis) => ({ axis })) },
        mark: { type: 'rule', color: '#9aa3ad' },
        encoding: { x },
      },
      {
        data: { values: lines },
        mark: { type: 'line', strokeWidth: 1.2, opacity: 0.6 },
        encoding: {
          x,
          y: { field: 'pos', type: 'quantitative', axis: null, scale: { domain: [0, 1] } },
          detail: { field: 'id', type: 'nominal' },
          color: { field: 'score', type: 'quantitative', title: metricLabel, scale: { scheme: 'viridis' } },
        },
      },
      {
        data: { values: ticks },
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 10, color: '#333', limit: 100 },
        encoding: {
          x,
          y: { field: 'pos', type: 'quantitative', axis: null, scale: { domain: [0, 1] } },
          text: { field: 'text' },
        },
      },
    ],
  };
}
