/**
 * A study's trials and evaluations as a table: one row per evaluated configuration and
 * repeat (an evaluation record), for spreadsheets and notebooks. `aelab runs export` and
 * the server's export routes both write this.
 */
import { SPLIT_NAMES, type ExportFormat, type Json, type MetricSet } from '@aelab/core';
import type { EvaluationRecord, StudyRecord, TrialRecord } from '@aelab/store';
import { stringify } from 'csv-stringify/sync';

/** A cell: JSON scalars; objects and arrays (rare parameter values) as their JSON text. */
export type ExportValue = string | number | boolean | null;

/** The exported table: `columns` in order, each row with a value (or null) for every column. */
export interface StudyExport {
  study: { id: string; name: string; dataset: string; selection: StudyRecord['selection'] };
  columns: string[];
  rows: Record<string, ExportValue>[];
  /** Trials without evaluations (failed, pruned, interrupted, running): no row, listed here with their reason. */
  unevaluated: { trial: string; number: number; status: string; reason: string | null }[];
}

/** The fixed leading columns, before `params.*`, `scoring.*` and the `<split>.<metric>` columns. */
export const EXPORT_LEAD_COLUMNS = [
  'study',
  'trial',
  'trial_number',
  'repeat',
  'seed',
  'status',
  'training_config_hash',
  'config_hash',
  'threshold',
  'uses_labels',
  'train_seconds',
] as const;

const cell = (value: Json | undefined): ExportValue =>
  value === undefined ? null : value !== null && typeof value === 'object' ? JSON.stringify(value) : value;

/** A split's metrics as `<split>.<metric>` cells; the confusion matrix as `<split>.confusion.<tp|fp|tn|fn>`. */
function metricCells(metrics: EvaluationRecord['metrics']): Record<string, number | null> {
  const cells: Record<string, number | null> = {};
  for (const split of SPLIT_NAMES) {
    const set: MetricSet | undefined = metrics[split];
    if (!set) continue;
    for (const [name, value] of Object.entries(set)) {
      if (typeof value === 'number') cells[`${split}.${name}`] = Number.isFinite(value) ? value : null;
      else if (value && typeof value === 'object') {
        for (const [part, n] of Object.entries(value))
          cells[`${split}.${name}.${part}`] = typeof n === 'number' ? n : null;
      }
    }
  }
  return cells;
}

const splitRank = (column: string) =>
  SPLIT_NAMES.indexOf(column.slice(0, column.indexOf('.')) as (typeof SPLIT_NAMES)[number]);

/** Builds the export of one study from its records. */
export function studyExport(
  study: StudyRecord,
  trials: readonly TrialRecord[],
  evaluations: readonly EvaluationRecord[],
): StudyExport {
  const byId = new Map(trials.map((t) => [t.id, t]));
  const params = new Set<string>();
  const scoring = new Set<string>();
  const metrics = new Set<string>();
  const partial = evaluations.map((e) => {
    const trial = byId.get(e.trialId);
    const row: Record<string, ExportValue> = {
      study: study.id,
      trial: e.trialId,
      trial_number: trial?.number ?? null,
      repeat: trial?.repeat ?? null,
      seed: trial?.seed ?? null,
      status: trial?.status ?? null,
      training_config_hash: trial?.configHash ?? null,
      config_hash: e.configHash,
      threshold: Number.isFinite(e.threshold) ? e.threshold : null,
      uses_labels: e.usesLabels,
      train_seconds: trial?.trainSeconds ?? null,
    };
    const add = (names: Set<string>, column: string, value: ExportValue) => {
      names.add(column);
      row[column] = value;
    };
    for (const [k, v] of Object.entries(trial?.params ?? {})) add(params, `params.${k}`, cell(v));
    for (const [k, v] of Object.entries(e.scoring)) add(scoring, `scoring.${k}`, cell(v));
    for (const [k, v] of Object.entries(metricCells(e.metrics))) add(metrics, k, v);
    return row;
  });
  const sorted = (names: Set<string>) => [...names].sort();
  const metricColumns = [...metrics].sort((a, b) => splitRank(a) - splitRank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const columns = [...EXPORT_LEAD_COLUMNS, ...sorted(params), ...sorted(scoring), ...metricColumns];
  const rows = partial.map((row) => Object.fromEntries(columns.map((c) => [c, row[c] ?? null])));
  const evaluated = new Set(evaluations.map((e) => e.trialId));
  return {
    study: { id: study.id, name: study.name, dataset: study.dataset, selection: study.selection },
    columns,
    rows,
    unevaluated: trials
      .filter((t) => !evaluated.has(t.id))
      .map((t) => ({ trial: t.id, number: t.number, status: t.status, reason: t.reason })),
  };
}

/** The export as CSV text (RFC 4180, header row first; empty cells for null) or as indented JSON. */
export function formatExport(data: StudyExport, format: ExportFormat): string {
  if (format === 'json') return `${JSON.stringify(data, null, 2)}\n`;
  return stringify(
    data.rows.map((row) => data.columns.map((c) => row[c])),
    { header: true, columns: data.columns, cast: { boolean: (v) => String(v) } },
  );
}
