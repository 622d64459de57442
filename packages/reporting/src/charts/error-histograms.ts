import type { ErrorHistograms } from '@aelab/core';
import type { TopLevelSpec } from 'vega-lite';
import { chartHead, round } from './common.js';

/** A threshold to draw as a vertical rule, e.g. `p90 = 0.031`. */
export interface ThresholdLine {
  label: string;
  value: number;
}

export interface ErrorHistogramsInput {
  /**
   * The trial's errors binned (core's `binErrors`: the recorder's `histograms.json`, or the errors artifact binned).
   */
  histograms: ErrorHistograms;
  /** Rules to draw; the binned range already reaches each of them. */
  thresholds: readonly ThresholdLine[];
  /** Name of the error for the axis, e.g. `MSE`. */
  errorLabel: string;
}

/**
 * The four-panel figure of the seed paper: training errors, test normal, test anomalous,
 * and normal vs anomalous overlaid, all on one x range and with the threshold rule(s),
 * so the separation the threshold achieves can be read off directly. The spec embeds the
 * bins (a few dozen counts), not the errors.
 */
export function errorHistogramsSpec(input: ErrorHistogramsInput): TopLevelSpec {
  const { lo, hi, overflow, counts } = input.histograms;
  const bins = Math.max(
    counts.train?.length ?? 0,
    counts.testNormal?.length ?? 0,
    counts.testAnomalous?.length ?? 0,
    1,
  );
  const width = (hi - lo) / bins;
  const rows = (group: keyof typeof counts, name: string) =>
    (counts[group] ?? new Array<number>(bins).fill(0)).map((count, i) => ({
      x0: round(lo + i * width),
      x1: round(lo + (i + 1) * width),
      count,
      group: name,
    }));
  const rules = input.thresholds.map((t) => ({ label: `${t.label} = ${round(t.value, 3)}`, value: round(t.value) }));
  const color = { domain: ['train', 'normal', 'anomalous'], range: ['#7f8c99', '#1f77b4', '#d62728'] };
  const panel = (title: string, groups: { counts: keyof typeof counts; group: string }[]) => ({
    title,
    width: 240,
    height: 150,
    layer: [
      {
        data: { values: groups.flatMap((g) => rows(g.counts, g.group)) },
        mark: { type: 'bar' as const, opacity: groups.length > 1 ? 0.55 : 0.85, binSpacing: 0 },
        encoding: {
          x: {
            field: 'x0',
            type: 'quantitative' as const,
            title: input.errorLabel,
            scale: { domain: [round(lo), round(hi)] },
          },
          x2: { field: 'x1' },
          y: {
            field: 'count',
            type: 'quantitative' as const,
            title: 'Rows',
            stack: null,
            axis: { tickMinStep: 1, format: 'd' },
          },
          y2: { datum: 0 },
          color: { field: 'group', type: 'nominal' as const, title: 'Rows', scale: color },
        },
      },
      {
        data: { values: rules },
        mark: { type: 'rule' as const, color: '#111', strokeDash: [4, 3], strokeWidth: 1.5 },
        encoding: {
          x: { field: 'value', type: 'quantitative' as const },
          strokeOpacity: { value: 0.9 },
        },
      },
    ],
  });
  return {
    ...chartHead({
      title: {
        text: 'Reconstruction error',
        subtitle:
          `Dashed: ${rules.map((r) => r.label).join('; ') || 'no threshold'}.` +
          (overflow ? ` Last bin also counts the ${overflow} errors above ${round(hi, 3)}.` : ''),
      },
    }),
    columns: 2,
    concat: [
      panel('Training errors', [{ counts: 'train', group: 'train' }]),
      panel('Test: normal', [{ counts: 'testNormal', group: 'normal' }]),
      panel('Test: anomalous', [{ counts: 'testAnomalous', group: 'anomalous' }]),
      panel('Test: normal vs anomalous', [
        { counts: 'testNormal', group: 'normal' },
        { counts: 'testAnomalous', group: 'anomalous' },
      ]),
    ],
    resolve: { scale: { y: 'independent' } },
  };
}
