import type { Interval, Json, Params, Summary } from '@aelab/core';

/** A table cell: the text shown and the value the sort script compares (numbers sort numerically). */
export interface Cell {
  text: string;
  /** Sort key; absent for missing values, which sort last either way. */
  sort?: string;
  className?: string;
}

export type NumberStyle = 'metric' | 'error' | 'seconds' | 'threshold' | 'count';

/** Formats one number for display; the styles keep columns readable (3 decimals for scores, 3 significant digits for errors). */
export function formatNumber(value: number | null | undefined, style: NumberStyle): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  switch (style) {
    case 'metric':
      return value.toFixed(3);
    case 'seconds':
      return value >= 100 ? value.toFixed(0) : value.toFixed(1);
    case 'count':
      return String(Math.round(value));
    case 'error':
    case 'threshold': {
      const digits = style === 'error' ? 3 : 4;
      const abs = Math.abs(value);
      return abs !== 0 && (abs < 1e-3 || abs >= 1e5) ? value.toExponential(digits - 1) : Number(value.toPrecision(digits)).toString();
    }
  }
}

/** "mean ± std" over repeats; the std is left out where undefined (one repeat). */
export function formatSummary(summary: Summary | null, style: NumberStyle): string {
  if (!summary) return '–';
  const mean = formatNumber(summary.mean, style);
  return summary.std === null ? mean : `${mean} ± ${formatNumber(summary.std, style)}`;
}

/** "[low, high]", or "–" where there is no interval (one repeat). */
export function formatInterval(interval: Interval | null | undefined, style: NumberStyle): string {
  return interval ? `[${formatNumber(interval.low, style)}, ${formatNumber(interval.high, style)}]` : '–';
}

/** A p-value as "0.003", "< 0.001", or "–" where there is no test. */
export function formatPValue(p: number | null): string {
  if (p === null) return '–';
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

/** A numeric column's cell for a summary over repeats, sorted by its mean. */
export function summaryCell(summary: Summary | null, style: NumberStyle): Cell {
  return summary ? { text: formatSummary(summary, style), sort: String(summary.mean), className: 'num' } : { text: '–', className: 'num' };
}

/** A numeric column's cell for one value. */
export function numberCell(value: number | undefined, style: NumberStyle): Cell {
  return { text: formatNumber(value, style), sort: value === undefined ? undefined : String(value), className: 'num' };
}

export function jsonText(value: Json | undefined): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function paramCell(value: Json | undefined): Cell {
  if (value === undefined) return { text: '–' };
  return typeof value === 'number' ? { text: String(value), sort: String(value) } : { text: jsonText(value), sort: jsonText(value) };
}

/** Short text for a parameter map: `key=value` pairs joined, keys sorted. */
export function describeParams(params: Params, keys: readonly string[] = Object.keys(params).sort()): string {
  return keys
    .filter((k) => params[k] !== undefined)
    .map((k) => `${k}=${jsonText(params[k])}`)
    .join(', ');
}

/**
 * Short name of a scoring variant: `p90` for the 90th-percentile rule, the rule name
 * (with `k`) otherwise, else the raw parameters; followed by the split its threshold is
 * fit on (see {@link thresholdFitSplit}), so `p95 (train)` and `p95 (validation)` never
 * read as the same rule.
 */
export function scoringLabel(scoring: Params): string {
  const rule = scoring['threshold.rule'];
  const percentile = scoring['threshold.percentile'];
  const k = scoring['threshold.k'];
  const fit = thresholdFitSplit(scoring);
  const on = fit ? ` (${fit})` : '';
  if (percentile !== undefined && (rule === undefined || rule === 'percentile')) return `p${jsonText(percentile)}${on}`;
  if (rule !== undefined) return `${k !== undefined ? `${jsonText(rule)} k=${jsonText(k)}` : jsonText(rule)}${on}`;
  return describeParams(scoring) || 'default';
}

/** Rules computed on a split's errors, whose `on` defaults to the training errors (core's thresholdRuleSchema). */
const RULES_ON_TRAIN_BY_DEFAULT: readonly Json[] = ['percentile', 'meanStd', 'max'];

/**
 * The split a scoring's threshold is fit on: `threshold.on` where recorded, `train` for a
 * rule that defaults to it, else null (a fixed value, or a record that names no rule).
 */
export function thresholdFitSplit(scoring: Params): string | null {
  const on = scoring['threshold.on'];
  if (on !== undefined) return jsonText(on);
  return RULES_ON_TRAIN_BY_DEFAULT.includes(scoring['threshold.rule'] ?? null) ? 'train' : null;
}

/** ISO timestamp as `YYYY-MM-DD HH:MM` (UTC, as recorded); anything else is shown as is. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '–';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
}

/** Orders strings by UTF-16 code units, as `Array.prototype.sort` does: the same on every machine, unlike `localeCompare`. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
