import type { TopLevelSpec } from 'vega-lite';
import { histogram, quantile } from '../stats.js';
import { CHART_CONFIG, VEGA_LITE_SCHEMA, round } from './common.js';

/** A threshold to draw as a vertical rule, e.g. `p90 = 0.031`. */
export interface ThresholdLine {
  label: string;
  value: number;
}

export interface ErrorHistogramsInput {
  /** Reconstruction errors of the training rows. */
  train?: readonly number[];
  testNormal?: readonly number[];
  testAnomalous?: readonly number[];
  thresholds: readonly ThresholdLine[];
  /** Name of the error for the axis, e.g. `MSE`. */
  errorLabel: string;
  bins?: number;
}

/**
 * Errors are heavy-tailed (anomalies can be orders of magnitude above normal rows), so the
 * shared x range ends at the 99.5th percentile of all errors (or the highest threshold if
 * above it), and the last bin also counts everything beyond.
 */
const RANGE_QUANTILE = 0.995;

/**
 * The four-panel figure of the seed paper: training errors, test normal, test anomalous,
 * and normal vs anomalous overlaid, all on one x range and with the threshold rule(s),
 * so the separation the threshold achieves can be read off directly. Binning happens here
 * (not in Vega) so the spec embeds a few dozen bins, not thousands of errors.
 */
export function errorHistogramsSpec(input: ErrorHistogramsInput): TopLevelSpec {
  const bins = input.bins ?? 40;
  const all = [...(input.train ?? []), ...(input.testNormal ?? []), ...(input.testAnomalous ?? [])].filter(Number.isFinite);
  const lo = all.length ? quantile(all, 0) : 0;
  const top = all.length ? quantile(all, RANGE_QUANTILE) : 1;
  const hi = Math.max(top, ...input.thresholds.map((t) => t.value).filter(Number.isFinite), lo + 1e-12);
  const rows = (values: readonly number[] | undefined, group: string) =>
    histogram(values ?? [], lo, hi, bins).map((b) => ({ x0: round(b.x0), x1: round(b.x1), count: b.count, group }));
  const overflow = all.filter((v) => v > hi).length;
  const rules = input.thresholds.map((t) => ({ label: `${t.label} = ${round(t.value, 3)}`, value: round(t.value) }));
  const color = { domain: ['train', 'normal', 'anomalous'], range: ['#7f8c99', '#1f77b4', '#d62728'] };
  const panel = (title: string, groups: { values: readonly number[] | undefined; group: string }[]) => ({
    title,
    width: 240,
    height: 150,
    layer: [
      {
        data: { values: groups.flatMap((g) => rows(g.values, g.group)) },
        mark: { type: 'bar' as const, opacity: groups.length > 1 ? 0.55 : 0.85, binSpacing: 0 },
        encoding: {
          x: { field: 'x0', type: 'quantitative' as const, title: input.errorLabel, scale: { domain: [round(lo), round(hi)] } },
          x2: { field: 'x1' },
          y: { field: 'count', type: 'quantitative' as const, title: 'Rows', stack: null, axis: { tickMinStep: 1, format: 'd' } },
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
    $schema: VEGA_LITE_SCHEMA,
    title: {
      text: 'Reconstruction error',
      subtitle: `Dashed: ${rules.map((r) => r.label).join('; ') || 'no threshold'}.${overflow ? ` Last bin also counts the ${overflow} errors above ${round(hi, 3)}.` : ''}`,
    },
    config: CHART_CONFIG,
    columns: 2,
    concat: [
      panel('Training errors', [{ values: input.train, group: 'train' }]),
      panel('Test: normal', [{ values: input.testNormal, group: 'normal' }]),
      panel('Test: anomalous', [{ values: input.testAnomalous, group: 'anomalous' }]),
      panel('Test: normal vs anomalous', [
        { values: input.testNormal, group: 'normal' },
        { values: input.testAnomalous, group: 'anomalous' },
      ]),
    ],
    resolve: { scale: { y: 'independent' } },
  };
}
