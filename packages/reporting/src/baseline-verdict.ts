/**
 * The one sentence that says whether the study's best autoencoder beats its best baseline
 * detector: core's paired bootstrap (`compareWithBaseline`) fed with both configurations'
 * recorded per-row scores, for the study page and `aelab runs best` alike.
 */
import {
  compareWithBaseline,
  compareWithBaselineByRepeat,
  comparisonRefusal,
  type BaselineComparison,
  type ErrorMetric,
  type ErrorsArtifact,
  type PairedRepeat,
  type ScoredRepeat,
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

/** One repeat of a configuration on the selection split: its rows' labels, scores and threshold. */
interface SideRepeat {
  repeat: number;
  fingerprint: string | null;
  labels: number[];
  scored: ScoredRepeat;
}

/** A configuration's repeats on the selection split, or why they cannot be read. */
async function sideRepeats(board: Leaderboard, row: LeaderboardRow, load: ErrorsLoader) {
  const split = board.study.selection.split;
  const repeats: SideRepeat[] = [];
  for (const [i, evaluation] of row.evaluations.entries()) {
    const trial = row.trials[i];
    const errors = await load(trial);
    if (errors.missing !== undefined) return { missing: errors.missing };
    const rows = errors.value[split];
    if (!rows) return { missing: `trial #${trial.number} has no ${split} errors` };
    const metric = (evaluation.scoring['scoring.errorMetric'] ?? 'mse') as ErrorMetric;
    const scored = { scores: rows[metric], threshold: evaluation.threshold };
    repeats.push({ repeat: trial.repeat, fingerprint: trial.dataFingerprint, labels: rows.y, scored });
  }
  return { repeats };
}

/**
 * Repeats on re-drawn splits (`resample`) hold other rows: each repeat of the winner is paired
 * with the baseline's repeat of the same number, which saw the same draw (same data fingerprint).
 */
function pairedByRepeat(a: SideRepeat[], b: SideRepeat[], split: string): PairedRepeat[] | string {
  const numbers = (side: SideRepeat[]) => side.map((r) => r.repeat).sort((x, y) => x - y);
  if (numbers(a).join() !== numbers(b).join()) return `they were not scored on the same repeats of the ${split} split`;
  const pairs: PairedRepeat[] = [];
  for (const mine of a) {
    const theirs = b.find((r) => r.repeat === mine.repeat)!;
    const sameDraw =
      mine.fingerprint === null || theirs.fingerprint === null || mine.fingerprint === theirs.fingerprint;
    if (!sameDraw || !sameRows(mine.labels, theirs.labels)) {
      return `repeat ${mine.repeat} of the two was not scored on the same ${split} rows`;
    }
    pairs.push({ labels: mine.labels, autoencoder: mine.scored, baseline: theirs.scored });
  }
  return pairs;
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
  const a = await sideRepeats(board, winner, load);
  const b = await sideRepeats(board, baseline, load);
  if (!a.repeats) return refused(a.missing);
  if (!b.repeats) return refused(b.missing);
  const sides = { autoencoder: named(board, winner), baseline: named(board, baseline) };
  const labels = a.repeats[0]?.labels ?? [];
  if ([...a.repeats, ...b.repeats].every((r) => sameRows(labels, r.labels))) {
    const autoencoder = { ...sides.autoencoder, repeats: a.repeats.map((r) => r.scored) };
    const other = { ...sides.baseline, repeats: b.repeats.map((r) => r.scored) };
    const refusal = comparisonRefusal(rule, labels, [autoencoder, other]);
    if (refusal) return refused(refusal);
    const comparison = compareWithBaseline(rule, labels, autoencoder, other, { metricLabel });
    return { baseline, comparison, sentence: comparison.sentence };
  }
  const pairs = pairedByRepeat(a.repeats, b.repeats, rule.split);
  if (typeof pairs === 'string') return refused(pairs);
  for (const pair of pairs) {
    const refusal = comparisonRefusal(rule, pair.labels, [
      { ...sides.autoencoder, repeats: [pair.autoencoder] },
      { ...sides.baseline, repeats: [pair.baseline] },
    ]);
    if (refusal) return refused(refusal);
  }
  const comparison = compareWithBaselineByRepeat(rule, pairs, sides, { metricLabel });
  return { baseline, comparison, sentence: comparison.sentence };
}

function named(board: Leaderboard, row: LeaderboardRow) {
  return { configHash: row.configHash, name: sideName(board, row) };
}

/** {@link baselineVerdict} reading the errors from the run store (the CLI's way). */
export function baselineVerdictFromStore(store: RunStore, board: Leaderboard): Promise<BaselineVerdict | null> {
  return baselineVerdict(board, (trial) => readJsonArtifact<ErrorsArtifact>(store, trial, 'errors'));
}
