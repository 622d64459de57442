import {
  thresholdRuleFitSplit,
  thresholdRuleLabel,
  type Interval,
  type Json,
  type Params,
  type Summary,
} from '@aelab/core';

/** A table cell: the text shown and the value the sort script compares (numbers sort numerically). */
export interface Cell {
  text: string;
  /** Sort key; absent for missing values, which sort last either way. */
  sort?: string;
  className?: string;
}

export type NumberStyle = 'metric' | 'error' | 'seconds' | 'threshold' | 'count';

/**
 * Formats one number for display; the styles keep columns readable (3 decimals for scores, 3 significant digits for
 * errors).
 */
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
      return abs !== 0 && (abs < 1e-3 || abs >= 1e5)
        ? value.toExponential(digits - 1)
        : Number(value.toPrecision(digits)).toString();
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

/**
 * A comparison with the winner (core's `compareRepeatMeans`): its p-value, or "no variance:
 * equal" / "no variance: differs" where neither side varies over its repeats.
 */
export function formatComparison(comparison: { pValue: number | null; noVariance: boolean }): string {
  if (comparison.noVariance) return `no variance: ${comparison.pValue === 1 ? 'equal' : 'differs'}`;
  return formatPValue(comparison.pValue);
}

/** A numeric column's cell for a summary over repeats, sorted by its mean. */
export function summaryCell(summary: Summary | null, style: NumberStyle): Cell {
  return summary
    ? { text: formatSummary(summary, style), sort: String(summary.mean), className: 'num' }
    : { text: '–', className: 'num' };
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
  return typeof value === 'number'
    ? { text: String(value), sort: String(value) }
    : { text: jsonText(value), sort: jsonText(value) };
}

/** Short text for a parameter map: `key=value` pairs joined, keys sorted. */
export function describeParams(params: Params, keys: readonly string[] = Object.keys(params).sort()): string {
  return keys
    .filter((k) => params[k] !== undefined)
    .map((k) => `${k}=${jsonText(params[k])}`)
    .join(', ');
}

/**
 * Short name of a scoring variant: its threshold rule's label (core's registry: `p90` for the
 * 90th-percentile rule, `meanStd k=3`, ...), the rule's name (with `k`) for a rule no longer
 * registered, else the raw parameters; followed by the split its threshold is fit on (see
 * {@link thresholdFitSplit}), so `p95 (train)` and `p95 (validation)` never read as the same rule.
 */
export function scoringLabel(scoring: Params): string {
  const fields = thresholdFields(scoring);
  const fit = thresholdRuleFitSplit(fields);
  const on = fit ? ` (${fit})` : '';
  const label = thresholdRuleLabel(fields);
  if (label !== undefined) return `${label}${on}`;
  const { rule, k } = fields;
  if (rule !== undefined) return `${k !== undefined ? `${jsonText(rule)} k=${jsonText(k)}` : jsonText(rule)}${on}`;
  return describeParams(scoring) || 'default';
}

/**
 * The split a scoring's threshold is fit on (core's threshold-rule registry: `threshold.on`
 * where recorded, else the rule's default), or null (a fixed value, or no registered rule).
 */
export function thresholdFitSplit(scoring: Params): string | null {
  return thresholdRuleFitSplit(thresholdFields(scoring));
}

function thresholdFields(scoring: Params): Record<string, Json> {
  return Object.fromEntries(
    Object.entries(scoring)
      .filter(([name]) => name.startsWith('threshold.'))
      .map(([name, value]) => [name.slice('threshold.'.length), value]),
  );
}

/** ISO timestamp as `YYYY-MM-DD HH:MM` (UTC, as recorded); anything else is shown as is. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '–';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
}

/**
 * Orders strings by UTF-16 code units, as `Array.prototype.sort` does: the same on every machine, unlike
 * `localeCompare`.
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
