import {
  BASELINE_PARAM,
  bestBaselineOf,
  describeSelection,
  compareRepeatMeans,
  intervalVariance,
  isBaselineParams,
  meanInterval,
  metricRange,
  metricValue,
  selectionWarning,
  type Interval,
  rankConfigurations,
  selectionValue,
  summarize,
  winnerOf,
  RESAMPLE_SCOPES,
  type Params,
  type RankedConfiguration,
  type ResampleScope,
  type Summary,
} from '@aelab/core';
import type { EvaluationRecord, StudyRecord, TrialRecord } from '@aelab/store';
import { compareText, jsonText, scoringLabel } from './format.js';
import { sweptScoringParams, sweptTrainingParams } from './search-space.js';

/** Test-split metrics every leaderboard shows, in column order (labelled with their split wherever shown). */
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
/** Parameters naming the version of a family: a variant of the space, else a preset; first present wins. */
export const VARIANT_PARAMS = ['model.variant', 'model.preset'] as const;

/**
 * One evaluation as the objective ranks it: core's input plus the records it came from.
 * `trainingHash` is the trial's config hash.
 */
export interface RankedEvaluation {
  configHash: string;
  trainingHash: string;
  metrics: EvaluationRecord['metrics'];
  evaluation: EvaluationRecord;
  trial: TrialRecord;
  baseline: boolean;
}

/** Core's ranked configuration over {@link RankedEvaluation}s. */
export type RankedStudyConfiguration = RankedConfiguration<RankedEvaluation>;

/**
 * One evaluated configuration: the evaluations sharing a `configHash` (same training and
 * scoring parameters) over the repeats of its training.
 */
export interface LeaderboardRow {
  configHash: string;
  /** The training configuration it scores: its trials' config hash. */
  trainingHash: string;
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
  /** Evaluations aligned with {@link trials}. */
  evaluations: EvaluationRecord[];
  /** Test-split metrics, mean and std over repeats. */
  metrics: Record<LeaderboardMetric, Summary | null>;
  /** Reconstruction MSE on {@link Leaderboard.mseSplit}. */
  mse: Summary | null;
  /** The objective: the selection metric on the selection split over repeats, what the rule ranks by. */
  score: Summary | null;
  /**
   * The objective's 95% confidence interval over repeats (Student t, clipped to the metric's
   * range: core's `meanInterval`); null with one repeat.
   */
  scoreInterval: Interval | null;
  /**
   * How this row's objective compares with the winner's: Welch's two-sided t-test over the
   * repeats (different configurations train with different seeds, so they are not paired),
   * with `noVariance` where neither side varies (core's `compareRepeatMeans`: p is then 1
   * for equal means, 0 for different ones). `significant` is p < 0.05; both null when either
   * side has fewer than two repeats, and for the winner itself.
   */
  versusWinner: { pValue: number | null; significant: boolean | null; noVariance: boolean };
  /**
   * Config hashes of the rows the selection rule (tie-breaks included) cannot tell from this
   * one: a tie, which the config hash only orders for display. Empty when there is none.
   */
  tiedWith: string[];
  threshold: Summary | null;
  trainSeconds: Summary | null;
  /** True when any repeat chose its threshold with labels (not an honest test score). */
  usesLabels: boolean;
  isWinner: boolean;
  /** A baseline detector's row (PCA, Isolation Forest, kNN): ranked, never the winner. */
  baseline: boolean;
}

export interface Leaderboard {
  study: StudyRecord;
  /** Rows in rank order. */
  rows: LeaderboardRow[];
  winner: LeaderboardRow | null;
  /** The best baseline detector's row by the same rule, compared with the winner apart (baseline-verdict.ts). */
  bestBaseline: LeaderboardRow | null;
  /** The configurations as core's objective ranked them, aligned with {@link rows}. */
  ranked: RankedStudyConfiguration[];
  /**
   * Training parameters the sampler drew (sorted), family and version apart, which have
   * columns of their own; for a version 1 store, those whose value differs between trials.
   */
  sweptParams: string[];
  /** Scoring parameters the variants sampled (sorted); for a version 1 store, those that differ. */
  sweptScoring: string[];
  /** Split the MSE column reports: validation where recorded (as the seed nine-model table), else test. */
  mseSplit: 'validation' | 'test';
  /** The selection rule in words, e.g. "highest mean F1 on the test split over repeats". */
  ruleText: string;
  /**
   * Which variance the intervals over repeats include, in words (core's `intervalVariance`
   * of the experiment's `resample`): training only, or training + split.
   */
  intervalVariance: string;
  /**
   * Core's warning for a rule that lets test labels choose the winner ("selected on test data: optimistic"), else null.
   */
  warning: string | null;
  /** The split of {@link LeaderboardRow.metrics}: always the held-out test split. */
  metricsSplit: 'test';
  /** Every trial of the study, complete or not, in trial-number order. */
  trials: TrialRecord[];
  /** Trial count per status, statuses sorted by name. */
  statusCounts: Record<string, number>;
}

export function familyOf(params: Params): string {
  return jsonText(params[FAMILY_PARAM]) || 'model';
}

/** A baseline's own spec fields (`components = 15`), its version: baselines are not swept by the sampler. */
function baselineFields(params: Params): string {
  return Object.keys(params)
    .filter((k) => k.startsWith('model.') && k !== FAMILY_PARAM && k !== BASELINE_PARAM)
    .sort()
    .map((k) => `${k.slice('model.'.length)} = ${jsonText(params[k])}`)
    .join(', ');
}

export function variantOf(params: Params): string | null {
  if (isBaselineParams(params)) return baselineFields(params) || null;
  for (const key of VARIANT_PARAMS) if (params[key] !== undefined) return jsonText(params[key]);
  return null;
}

/** "lstm tuned": family and version of a training configuration. */
export function trainingName(params: Params): string {
  const variant = variantOf(params);
  return `${familyOf(params)}${variant ? ` ${variant}` : ''}`;
}

/** "lstm tuned · p90": family, version and scoring variant of a row. */
export function configurationName(row: Pick<LeaderboardRow, 'params' | 'scoring'>): string {
  return `${trainingName(row.params)} · ${scoringLabel(row.scoring)}`;
}

/** Parameters a row's name already says: family, version and the threshold rule. */
const NAMED_PARAMS: readonly string[] = [
  FAMILY_PARAM,
  ...VARIANT_PARAMS,
  'threshold.rule',
  'threshold.percentile',
  'threshold.k',
  'threshold.on',
];

/**
 * The parameters of the leaderboard's rows split in two: those that differ between rows
 * (shown in each row's configuration cell, minus those its name says) and those every row
 * shares (listed once under the table).
 */
export function rowParameters(rows: readonly LeaderboardRow[]): { varying: string[]; shared: Params } {
  const all = rows.map((r) => ({ ...r.params, ...r.scoring }));
  const keys = [...new Set(all.flatMap((p) => Object.keys(p)))].sort(compareText);
  const varying: string[] = [];
  const shared: Params = {};
  for (const key of keys) {
    const texts = new Set(all.map((p) => (p[key] === undefined ? undefined : JSON.stringify(p[key]))));
    if (texts.size === 1 && all[0][key] !== undefined) shared[key] = all[0][key];
    else if (!NAMED_PARAMS.includes(key)) varying.push(key);
  }
  return { varying, shared };
}

/**
 * The held-out metrics a leaderboard shows after the selection metric: every one of
 * {@link LEADERBOARD_METRICS} but the selection metric itself when it is one of them.
 */
export function heldOutMetrics(study: StudyRecord): LeaderboardMetric[] {
  const { metric, split } = study.selection;
  return LEADERBOARD_METRICS.filter((m) => split !== 'test' || m !== metric);
}

/** A metric with its split, as every column and chart labels it, e.g. "F1 (test)". */
export function metricLabel(metric: string, split: string): string {
  return `${METRIC_LABELS[metric] ?? metric} (${split})`;
}

/** The selection metric as charts and columns label it, e.g. "F1 (validation)". */
export function selectionLabel(study: StudyRecord): string {
  return metricLabel(study.selection.metric, study.selection.split);
}

/** The evaluations of complete trials, as the objective takes them. */
function objectiveInputs(trials: readonly TrialRecord[], evaluations: readonly EvaluationRecord[]): RankedEvaluation[] {
  const trialById = new Map(trials.map((t) => [t.id, t]));
  return evaluations.flatMap((evaluation) => {
    const trial = trialById.get(evaluation.trialId);
    if (!trial || trial.status !== 'complete') return [];
    const baseline = isBaselineParams(trial.params);
    return [
      {
        configHash: evaluation.configHash,
        trainingHash: trial.configHash,
        metrics: evaluation.metrics,
        evaluation,
        trial,
        baseline,
      },
    ];
  });
}

function leaderboardRow(
  config: RankedStudyConfiguration,
  mseSplit: Leaderboard['mseSplit'],
  selectionMetric: string,
): LeaderboardRow {
  const sorted = [...config.evaluations].sort((a, b) => a.trial.number - b.trial.number);
  const evaluations = sorted.map((e) => e.evaluation);
  const trials = sorted.map((e) => e.trial);
  const metrics = {} as Record<LeaderboardMetric, Summary | null>;
  for (const m of LEADERBOARD_METRICS) metrics[m] = summarize(evaluations.map((e) => metricValue(e.metrics.test, m)));
  const params = trials[0].params;
  return {
    configHash: config.configHash,
    trainingHash: config.trainingHash,
    rank: config.rank,
    family: familyOf(params),
    variant: variantOf(params),
    params,
    scoring: evaluations[0].scoring,
    trials,
    evaluations,
    metrics,
    mse: summarize(evaluations.map((e) => metricValue(e.metrics[mseSplit], 'mse'))),
    score: config.score,
    scoreInterval: meanInterval(config.score, metricRange(selectionMetric)),
    versusWinner: { pValue: null, significant: null, noVariance: false },
    tiedWith: config.tiedWith,
    threshold: summarize(evaluations.map((e) => e.threshold)),
    trainSeconds: summarize(trials.map((t) => t.trainSeconds)),
    usesLabels: evaluations.some((e) => e.usesLabels),
    isWinner: false,
    baseline: config.baseline,
  };
}

/** The significance level of {@link LeaderboardRow.versusWinner}. */
export const SIGNIFICANCE_LEVEL = 0.05;

function compareWithWinner(winner: LeaderboardRow, row: LeaderboardRow): LeaderboardRow['versusWinner'] {
  if (!winner.score || !row.score) return { pValue: null, significant: null, noVariance: false };
  const { pValue, noVariance } = compareRepeatMeans(winner.score, row.score);
  return { pValue, significant: pValue === null ? null : pValue < SIGNIFICANCE_LEVEL, noVariance };
}

/** The experiment's `resample` as the study recorded it; undefined for studies before it existed. */
function resampleOf(study: StudyRecord): ResampleScope | undefined {
  const experiment = study.experiment;
  const scope =
    experiment && typeof experiment === 'object' && !Array.isArray(experiment) ? experiment.resample : undefined;
  return (RESAMPLE_SCOPES as readonly unknown[]).includes(scope) ? (scope as ResampleScope) : undefined;
}

function countStatuses(trials: readonly TrialRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const status of trials.map((t) => t.status).sort()) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

/**
 * Ranks a study's evaluated configurations with core's objective (the one rule for
 * "best": mean selection value over repeats, then the tie-break metrics, then the smaller
 * spread; configurations still equal are a tie, `tiedWith`) and summarises each as a row.
 * Only evaluations of complete trials count.
 */
export function buildLeaderboard(
  study: StudyRecord,
  trials: readonly TrialRecord[],
  evaluations: readonly EvaluationRecord[],
): Leaderboard {
  const inputs = objectiveInputs(trials, evaluations);
  const ranked = rankConfigurations(study.selection, inputs);
  const mseSplit = evaluations.some((e) => metricValue(e.metrics.validation, 'mse') !== undefined)
    ? 'validation'
    : 'test';
  const rows = ranked.map((config) => leaderboardRow(config, mseSplit, study.selection.metric));
  const winnerHash = winnerOf(ranked)?.configHash;
  const winner = rows.find((r) => r.configHash === winnerHash) ?? null;
  if (winner) winner.isWinner = true;
  const baselineHash = bestBaselineOf(ranked)?.configHash;
  for (const row of rows) if (winner && row !== winner) row.versusWinner = compareWithWinner(winner, row);
  // A baseline's fields name its version instead of adding columns every autoencoder row would leave empty.
  const completeTrials = trials.filter((t) => t.status === 'complete' && !isBaselineParams(t.params));
  return {
    study,
    rows,
    winner,
    bestBaseline: rows.find((r) => r.configHash === baselineHash) ?? null,
    ranked,
    sweptParams: sweptTrainingParams(completeTrials, [FAMILY_PARAM, ...VARIANT_PARAMS]),
    sweptScoring: sweptScoringParams(inputs.map((e) => e.evaluation)),
    mseSplit,
    ruleText: describeSelection(study.selection, METRIC_LABELS[study.selection.metric]),
    intervalVariance: intervalVariance(resampleOf(study)),
    warning: selectionWarning(study.selection) ?? null,
    metricsSplit: 'test',
    trials: [...trials].sort((a, b) => a.number - b.number),
    statusCounts: countStatuses(trials),
  };
}

/**
 * The repeat that stands for a row on charts and links: the one with the median score
 * (the lower of the two middle ones), so the page shows a typical run, not the luckiest.
 */
export function representativeTrial(study: StudyRecord, row: LeaderboardRow): TrialRecord {
  const scored = row.evaluations
    .map((e, i) => ({ trial: row.trials[i], value: selectionValue(study.selection, e.metrics) }))
    .filter((s): s is { trial: TrialRecord; value: number } => s.value !== undefined);
  if (scored.length === 0) return row.trials[0];
  scored.sort((a, b) => (a.value !== b.value ? a.value - b.value : a.trial.number - b.trial.number));
  return scored[Math.floor((scored.length - 1) / 2)].trial;
}
