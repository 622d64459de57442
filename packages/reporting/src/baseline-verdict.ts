/**
 * The one sentence that says whether the study's best autoencoder beats its best baseline
 * detector: core's paired bootstrap (`compareWithBaseline`) fed with both configurations'
 * recorded per-row scores, for the study page and `aelab runs best` alike.
 */
import {
  compareWithBaseline,
  comparisonRefusal,
  type BaselineComparison,
  type ComparedConfiguration,
  type ErrorMetric,
  type ErrorsArtifact,
} from '@aelab/core';
import type { RunStore, TrialRecord } from '@aelab/store';
import { readJsonArtifact, type Loaded } from './artifacts.js';
import { describeParams, formatSummary } from './format.js';
import { configurationName, METRIC_LABELS, type Leaderboard, type LeaderboardRow } from './leaderboard.js';

/** The best baseline and how the winner compares with it. */
export interface BaselineVerdict {
  baseline: LeaderboardRow;
  /** Absent when the two cannot be compared (see `refusal`). */
  comparison?: BaselineComparison;
  refusal?: string;
  /** What the CLI prints and the page shows. */
  sentence: string;
}

/** Reads a trial's errors artifact. */
export type ErrorsLoader = (trial: TrialRecord) => Promise<Loaded<ErrorsArtifact>>;

/** A configuration's repeats on the selection split; the labels come from its first repeat. */
async function comparedSide(board: Leaderboard, row: LeaderboardRow, load: ErrorsLoader) {
  const split = board.study.selection.split;
  const repeats: ComparedConfiguration['repeats'] = [];
  let labels: number[] | undefined;
  for (const [i, evaluation] of row.evaluations.entries()) {
    const errors = await load(row.trials[i]);
    if (errors.missing !== undefined) return { missing: errors.missing };
    const rows = errors.value[split];
    if (!rows) return { missing: `trial #${row.trials[i].number} has no ${split} errors` };
    const metric = (evaluation.scoring['scoring.errorMetric'] ?? 'mse') as ErrorMetric;
    repeats.push({ scores: rows[metric], threshold: evaluation.threshold });
    labels ??= rows.y;
    // Repeats on re-drawn splits hold other rows: pairing them on the first repeat's rows would be wrong.
    if (!sameRows(labels, rows.y))
      return { missing: `the repeats of ${configurationName(row)} were scored on different ${split} rows` };
  }
  return { side: { configHash: row.configHash, name: sideName(board, row), repeats }, labels: labels ?? [] };
}

function sameRows(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((y, i) => y === b[i]);
}

/** "dense · p95, model.encoder=[16,8]": the configuration's name with the training params the sampler swept. */
function sideName(board: Leaderboard, row: LeaderboardRow): string {
  const swept = row.baseline ? '' : describeParams(row.params, board.sweptParams);
  return swept ? `${configurationName(row)}, ${swept}` : configurationName(row);
}

/** The winner against the best baseline, or null when the study has no baseline (or no winner) yet. */
export async function baselineVerdict(board: Leaderboard, load: ErrorsLoader): Promise<BaselineVerdict | null> {
  const { winner, bestBaseline: baseline } = board;
  if (!winner || !baseline) return null;
  const rule = board.study.selection;
  const metricLabel = METRIC_LABELS[rule.metric] ?? rule.metric;
  const refused = (refusal: string): BaselineVerdict => ({
    baseline,
    refusal,
    sentence:
      `the best baseline is ${configurationName(baseline)} ` +
      `(${rule.split} ${metricLabel} ${formatSummary(baseline.score, 'metric')}); ` +
      `no paired comparison with the best autoencoder: ${refusal}`,
  });
  const a = await comparedSide(board, winner, load);
  const b = await comparedSide(board, baseline, load);
  if (!a.side) return refused(a.missing);
  if (!b.side) return refused(b.missing);
  const refusal = sameRows(a.labels, b.labels)
    ? comparisonRefusal(rule, a.labels, [a.side, b.side])
    : `they were not scored on the same ${rule.split} rows`;
  if (refusal) return refused(refusal);
  const comparison = compareWithBaseline(rule, a.labels, a.side, b.side, { metricLabel });
  return { baseline, comparison, sentence: comparison.sentence };
}

/** {@link baselineVerdict} reading the errors from the run store (the CLI's way). */
export function baselineVerdictFromStore(store: RunStore, board: Leaderboard): Promise<BaselineVerdict | null> {
  return baselineVerdict(board, (trial) => readJsonArtifact<ErrorsArtifact>(store, trial, 'errors'));
}
