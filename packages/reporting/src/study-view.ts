/**
 * Everything the pages of one study are drawn from, decided once: the leaderboard, the
 * featured evaluation of every trial, the trials that get pages. Pure data, no HTML.
 */
import { bestPerTraining } from '@aelab/core';
import type { EvaluationRecord, StudyRecord, TrialRecord } from '@aelab/store';
import {
  LEADERBOARD_METRICS,
  buildLeaderboard,
  selectionLabel,
  type Leaderboard,
  type LeaderboardRow,
  type RankedEvaluation,
  type RankedStudyConfiguration,
} from './leaderboard.js';
import { trialPageName } from './paths.js';
import { searchSpaceOf, type SearchDimension } from './search-space.js';

export interface StudyView {
  study: StudyRecord;
  board: Leaderboard;
  /** Rows by configuration hash. */
  rowByConfig: Map<string, LeaderboardRow>;
  /**
   * The best-ranked row of each training configuration, in rank order (core's
   * `bestPerTraining`): each training with the scoring variant the study keeps for it.
   */
  trainingRows: LeaderboardRow[];
  /** Evaluations of each complete trial by trial id, in the rank order of their configurations. */
  evaluationsByTrial: Map<string, EvaluationRecord[]>;
  /**
   * The evaluation each trial features (★ row, confusion matrix, flagged windows, its
   * point on the trials-over-time chart), by trial id; absent for trials without one.
   * See {@link featuredEvaluations}.
   */
  featured: Map<string, EvaluationRecord>;
  /**
   * Every trial gets a page (so every leaderboard row links to its repeats), and each
   * one's path relative to the study folder. Charts, which dominate the render time, are
   * drawn on the pages of {@link chartedTrials} only.
   */
  trialPages: TrialRecord[];
  trialHref: Map<string, string>;
  /** Ids of the trials whose pages draw charts: see {@link selectTrialPages}. */
  chartedTrials: Set<string>;
  /** The selection metric as labelled on charts and columns, e.g. "F1 (test)". */
  metricLabel: string;
  /**
   * False when the selection metric already is one of the standard columns (a test metric, or MSE on the MSE split).
   */
  scoreNeedsOwnColumn: boolean;
  /** The distributions the trials were drawn from; empty for a version 1 store. */
  searchSpace: SearchDimension[];
}

/**
 * The evaluation a trial's page features: the trial's evaluation in the configuration
 * that core's `bestPerTraining` picks for its training — the same choice the study makes
 * for the threshold saved with the model. A repeat lacking that scoring variant features
 * its best-ranked own evaluation instead.
 */
export function featuredEvaluations(ranked: readonly RankedStudyConfiguration[]): Map<string, EvaluationRecord> {
  const featured = new Map<string, EvaluationRecord>();
  const inPreferenceOrder: RankedEvaluation[] = [...bestPerTraining(ranked).values(), ...ranked].flatMap(
    (c) => c.evaluations,
  );
  for (const e of inPreferenceOrder) if (!featured.has(e.trial.id)) featured.set(e.trial.id, e.evaluation);
  return featured;
}

/**
 * The trials whose pages draw charts. Studies with at most `maxTrialPages` trials chart
 * every trial; larger ones chart the winner's repeats, then the trials of the best-ranked
 * configurations until the cap is reached.
 */
export function selectTrialPages(board: Leaderboard, maxTrialPages: number): TrialRecord[] {
  const { trials, rows, winner } = board;
  if (trials.length <= maxTrialPages) return trials;
  const chosen = new Map<string, TrialRecord>();
  for (const t of winner?.trials ?? []) chosen.set(t.id, t);
  for (const row of rows) {
    if (chosen.size >= maxTrialPages) break;
    for (const t of row.trials) if (chosen.size < maxTrialPages) chosen.set(t.id, t);
  }
  return [...chosen.values()];
}

function scoreNeedsOwnColumn(study: StudyRecord, board: Leaderboard): boolean {
  const { metric, split } = study.selection;
  return !(
    (split === 'test' && (LEADERBOARD_METRICS as readonly string[]).includes(metric)) ||
    (metric === 'mse' && split === board.mseSplit)
  );
}

/** Builds a study's view; see {@link selectTrialPages} for `maxTrialPages`. */
export function buildStudyView(
  study: StudyRecord,
  trials: readonly TrialRecord[],
  evaluations: readonly EvaluationRecord[],
  maxTrialPages: number,
): StudyView {
  const board = buildLeaderboard(study, trials, evaluations);
  const evaluationsByTrial = new Map<string, EvaluationRecord[]>();
  for (const e of board.rows.flatMap((row) => row.evaluations)) {
    const list = evaluationsByTrial.get(e.trialId);
    if (list) list.push(e);
    else evaluationsByTrial.set(e.trialId, [e]);
  }
  const trialPages = board.trials;
  const rowByConfig = new Map(board.rows.map((row) => [row.configHash, row]));
  return {
    study,
    board,
    rowByConfig,
    trainingRows: [...bestPerTraining(board.ranked).values()].map((config) => rowByConfig.get(config.configHash)!),
    evaluationsByTrial,
    featured: featuredEvaluations(board.ranked),
    trialPages,
    trialHref: new Map(trialPages.map((t) => [t.id, `trials/${trialPageName(t.id)}`])),
    chartedTrials: new Set(selectTrialPages(board, maxTrialPages).map((t) => t.id)),
    metricLabel: selectionLabel(study),
    scoreNeedsOwnColumn: scoreNeedsOwnColumn(study, board),
    searchSpace: searchSpaceOf(trials),
  };
}
