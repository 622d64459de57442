import type { TopLevelSpec } from 'vega-lite';
import { decimateMinMax } from '../stats.js';
import { chartHead, round } from './common.js';

export interface SeriesWindowsInput {
  /** Milliseconds since epoch, aligned with `values`. */
  timestamps: readonly number[];
  values: readonly number[];
  /** Labelled anomaly windows, [start, end] in ms. */
  labelled: readonly (readonly [number, number])[];
  /** Windows the model flagged, [start, end] in ms, already merged where they overlap. */
  detected: readonly (readonly [number, number])[];
  title?: string;
}

/** Points drawn of the series; longer series keep each bucket's min and max. */
export const MAX_SERIES_POINTS = 2000;

/**
 * The raw series with labelled windows as full-height bands and detections as a strip
 * below the line, so hits, misses and false alarms line up by eye.
 */
export function seriesWindowsSpec(input: SeriesWindowsInput): TopLevelSpec {
  const points = decimateMinMax(input.timestamps, input.values, MAX_SERIES_POINTS).map((p) => ({
    t: p.x,
    value: round(p.y, 6),
  }));
  const bands = [
    ...input.labelled.map(([start, end]) => ({ start, end, kind: 'labelled anomaly' })),
    ...input.detected.map(([start, end]) => ({ start, end, kind: 'detected' })),
  ];
  const time = { field: 't', type: 'temporal' as const, title: 'Time' };
  return {
    ...chartHead({
      title: input.title ?? 'Series with labelled and detected anomaly windows',
      width: 760,
      height: 220,
    }),
    layer: [
      {
        data: { values: bands.filter((b) => b.kind === 'labelled anomaly') },
        mark: { type: 'rect', opacity: 0.25 },
        encoding: {
          x: { field: 'start', type: 'temporal' },
          x2: { field: 'end' },
          color: {
            field: 'kind',
            type: 'nominal',
            title: null,
            scale: { domain: ['labelled anomaly', 'detected'], range: ['#ff7f0e', '#d62728'] },
          },
        },
      },
      {
        data: { values: bands.filter((b) => b.kind === 'detected') },
        mark: { type: 'rect', opacity: 0.8 },
        encoding: {
          x: { field: 'start', type: 'temporal' },
          x2: { field: 'end' },
          y: { value: 206 },
          y2: { value: 220 },
          color: { field: 'kind', type: 'nominal' },
        },
      },
      {
        data: { values: points },
        mark: { type: 'line', color: '#1f4e79', strokeWidth: 1 },
        encoding: { x: time, y: { field: 'value', type: 'quantitative', title: 'Value', scale: { zero: false } } },
      },
    ],
  };
}
