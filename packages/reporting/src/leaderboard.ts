import type { EvaluationRecord, Json, MetricSet, Params, StudyRecord, TrialRecord } from '@aelab/store';
import { summarize, type Summary } from './stats.js';

/** Test-split metrics every leaderboard shows, in column order. */
export const LEADERBOARD_METRICS = ['accuracy', 'precision', 'recall', 'f1', 'rocAuc', 'prAuc'] as const;
export type LeaderboardMetric = (typeof LEADERBOARD_METRICS)[number];

/** Metric names as column headers. */
export const METRIC_LABELS: Record<string, string> = {
  accuracy: 'Accuracy',
  precision: 'Precision',
  recall: 'Recall',
  f1: 'F1',
  rocAuc: 'ROC-AUC',
  prAuc: 'PR-AUC',
  mse: 'MSE',
  mae: 'MAE',
  rmse: 'RMSE',
  specificity: 'Specificity',
};

/** Parameter naming the model family (dense, conv1d, lstm, ...). */
export const FAMILY_PARAM = 'model.kind';
/** Parameters that may name the version or preset of a family, first present wins. */
export const VARIANT_PARAMS = ['model.variant', 'model.version', 'model.preset', 'model.name'] as const;

/**
 * One evaluated configuration: the evaluations sharing a `configHash` (same training and
 * scoring parameters) over the repeats of its training.
 */
export interface LeaderboardRow {
  configHash: string;
  /** 1-based position under the study's selection rule; rows without a score come last. */
  rank: number;
  family: string;
  variant: string | null;
  /** Training parameters (identical across the repeats). */
  params: Params;
  /** Scoring parameters (threshold rule, percentile, ...). */
  scoring: Params;
  /** Trials (repeats) in trial-number order. */
  trials: TrialRecord[];
  evaluations: EvaluationRecord[];
  /** Test-split metrics, mean and std over repeats. */
  metrics: Record<LeaderboardMetric, Summary | null>;
  /** Reconstruction MSE on {@link Leaderboard.mseSplit}. */
  mse: Summary | null;
  /** The selection metric on the selection split: what the rule ranks by. */
  score: Summary | null;
  threshold: Summary | null;
  trainSeconds: Summary | null;
  /** True when any repeat chose its threshold with labels (not an honest test score). */
  usesLabels: boolean;
  isWinner: boolean;
}

export interface Leaderboard {
  study: StudyRecord;
  /** Rows in rank order. */
  rows: LeaderboardRow[];
  winner: LeaderboardRow | null;
  /** Training parameters whose value differs between trials (sorted), excluding family and variant. */
  sweptParams: string[];
  /** Scoring parameters whose value differs between evaluations (sorted). */
  sweptScoring: string[];
  /** Split the MSE column reports: validation where recorded (as the seed nine-model table), else test. */
  mseSplit: 'validation' | 'test';
  /** The selection rule in words, e.g. "highest mean F1 on the test split over repeats". */
  ruleText: string;
  trials: TrialRecord[];
  /** Trial count per status, statuses sorted by name. */
  statusCounts: Record<string, number>;
}

/** A metric of a split as a number, or undefined where it is absent or not numeric. */
export function metricValue(set: MetricSet | undefined, metric: string): number | undefined {
  const v = set?.[metric];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The selection score of one evaluation, or undefined. */
export function selectionValue(study: StudyRecord, evaluation: EvaluationRecord): number | undefined {
  return metricValue(evaluation.metrics[study.selection.split], study.selection.metric);
}

/** True when `a` is better than `b` under the direction. */
export function isBetter(a: number, b: number, direction: 'maximize' | 'minimize'): boolean {
  return direction === 'maximize' ? a > b : a < b;
}

export function describeRule(study: StudyRecord): string {
  const { metric, direction, split } = study.selection;
  const word = direction === 'maximize' ? 'highest' : 'lowest';
  return `${word} mean ${METRIC_LABELS[metric] ?? metric} on the ${split} split over repeats`;
}

function paramString(value: Json | undefined): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Keys whose value differs among the maps (a key absent from some maps counts as differing). */
export function varyingKeys(maps: readonly Params[]): string[] {
  const seen = new Map<string, Set<string>>();
  for (const m of maps) for (const k of Object.keys(m)) if (!seen.has(k)) seen.set(k, new Set());
  for (const [k, values] of seen) for (const m of maps) values.add(k in m ? `v${JSON.stringify(m[k])}` : 'absent');
  return [...seen].filter(([, values]) => values.size > 1).map(([k]) => k).sort();
}

export function familyOf(params: Params): string {
  return paramString(params[FAMILY_PARAM]) || 'model';
}

export function variantOf(params: Params): string | null {
  for (const key of VARIANT_PARAMS) if (params[key] !== undefined) return paramString(params[key]);
  return null;
}

/**
 * Groups a study's evaluations into evaluated configurations, summarises them over
 * repeats and ranks them by the study's selection rule. Only evaluations of complete
 * trials count. Ties are broken by smaller spread, then by config hash, so the order is
 * stable for the same store.
 */
export function buildLeaderboard(
  study: StudyRecord,
  trials: readonly TrialRecord[],
  evaluations: readonly EvaluationRecord[],
): Leaderboard {
  const trialById = new Map(trials.map((t) => [t.id, t]));
  const groups = new Map<string, EvaluationRecord[]>();
  for (const e of evaluations) {
    const trial = trialById.get(e.trialId);
    if (!trial || trial.status !== 'complete') continue;
    const group = groups.get(e.configHash);
    if (group) group.push(e);
    else groups.set(e.configHash, [e]);
  }
  const hasValidationMse = evaluations.some((e) => metricValue(e.metrics.validation, 'mse') !== undefined);
  const mseSplit = hasValidationMse ? 'validation' : 'test';

  const rows: LeaderboardRow[] = [];
  for (const [configHash, group] of groups) {
    const sorted = [...group].sort((a, b) => trialById.get(a.trialId)!.number - trialById.get(b.trialId)!.number);
    const rowTrials = sorted.map((e) => trialById.get(e.trialId)!);
    const metrics = {} as Record<LeaderboardMetric, Summary | null>;
    for (const m of LEADERBOARD_METRICS) metrics[m] = summarize(sorted.map((e) => metricValue(e.metrics.test, m)));
    const params = rowTrials[0].params;
    rows.push({
      configHash,
      rank: 0,
      family: familyOf(params),
      variant: variantOf(params),
      params,
      scoring: sorted[0].scoring,
      trials: rowTrials,
      evaluations: sorted,
      metrics,
      mse: summarize(sorted.map((e) => metricValue(e.metrics[mseSplit], 'mse'))),
      score: summarize(sorted.map((e) => selectionValue(study, e))),
      threshold: summarize(sorted.map((e) => e.threshold)),
      trainSeconds: summarize(rowTrials.map((t) => t.trainSeconds)),
      usesLabels: sorted.some((e) => e.usesLabels),
      isWinner: false,
    });
  }

  const { direction } = study.selection;
  rows.sort((a, b) => {
    if (a.score && b.score) {
      if (a.score.mean !== b.score.mean) return isBetter(a.score.mean, b.score.mean, direction) ? -1 : 1;
      const sa = a.score.std ?? Infinity;
      const sb = b.score.std ?? Infinity;
      if (sa !== sb) return sa < sb ? -1 : 1;
    } else if (a.score || b.score) {
      return a.score ? -1 : 1;
    }
    return a.configHash < b.configHash ? -1 : a.configHash > b.configHash ? 1 : 0;
  });
  rows.forEach((row, i) => (row.rank = i + 1));
  const winner = rows[0]?.score ? rows[0] : null;
  if (winner) winner.isWinner = true;

  const completeTrials = trials.filter((t) => t.status === 'complete');
  const sweptParams = varyingKeys(completeTrials.map((t) => t.params)).filter(
    (k) => k !== FAMILY_PARAM && !(VARIANT_PARAMS as readonly string[]).includes(k),
  );
  const sweptScoring = varyingKeys(rows.map((r) => r.scoring));
  const statusCounts: Record<string, number> = {};
  for (const t of [...trials].sort((a, b) => (a.status < b.status ? -1 : a.status > b.status ? 1 : 0))) {
    statusCounts[t.status] = (statusCounts[t.status] ?? 0) + 1;
  }
  return {
    study,
    rows,
    winner,
    sweptParams,
    sweptScoring,
    mseSplit,
    ruleText: describeRule(study),
    trials: [...trials].sort((a, b) => a.number - b.number),
    statusCounts,
  };
}

/**
 * The repeat that stands for a row on charts and links: the one with the median score
 * (the lower of the two middle ones), so the page shows a typical run, not the luckiest.
 */
export function representativeTrial(study: StudyRecord, row: LeaderboardRow): TrialRecord {
  const scored = row.evaluations
    .map((e, i) => ({ trial: row.trials[i], value: selectionValue(study, e) }))
    .filter((s): s is { trial: TrialRecord; value: number } => s.value !== undefined);
  if (scored.length === 0) return row.trials[0];
  scored.sort((a, b) => (a.value !== b.value ? a.value - b.value : a.trial.number - b.trial.number));
  return scored[Math.floor((scored.length - 1) / 2)].trial;
}

/** Short text for a parameter map: `key=value` pairs joined, keys sorted. */
export function describeParams(params: Params, keys: readonly string[] = Object.keys(params).sort()): string {
  return keys
    .filter((k) => params[k] !== undefined)
    .map((k) => `${k}=${paramString(params[k])}`)
    .join(', ');
}

export { paramString };
