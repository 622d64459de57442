/** A study's page (`<study>/index.html`): selection, leaderboard, by-model and search-space tables, charts. */
import { join } from 'node:path';
import { describeLabelUse, type Json } from '@aelab/core';
import { compareText, describeParams, formatComparison, formatDate, formatInterval, formatSummary, paramCell, summaryCell, type Cell } from '../format.js';
import { LEADERBOARD_METRICS, SIGNIFICANCE_LEVEL, configurationName, metricLabel, representativeTrial, type LeaderboardRow } from '../leaderboard.js';
import { baselineVerdict } from '../baseline-verdict.js';
import { describeDistribution } from '../search-space.js';
import type { StudyView } from '../study-view.js';
import { searchAnalysis } from './search-analysis.js';
import { studyCharts } from './study-charts.js';
import { numberColumn, studyPage, textColumn, type Column, type StudyOutput } from './page.js';

type Link = { href: string; text: string };
type LinkedCell = Cell & { href?: string; links?: Link[] };

/** Links to the pages of a row's repeats that have one. */
function trialLinks(view: StudyView, row: LeaderboardRow): Link[] {
  return row.trials.filter((t) => view.trialHref.has(t.id)).map((t) => ({ href: view.trialHref.get(t.id)!, text: `#${t.number}` }));
}

function leaderboardColumns(view: StudyView): Column[] {
  const { board, study } = view;
  const paramColumn = (key: string, values: (Json | undefined)[]): Column => ({
    label: key,
    sort: values.every((v) => v === undefined || typeof v === 'number') ? 'number' : 'text',
    first: 'asc',
  });
  return [
    numberColumn('#', 'asc', 'Rank under the selection rule'),
    textColumn('Family'),
    ...(board.rows.some((r) => r.variant !== null) ? [textColumn('Version')] : []),
    ...board.sweptParams.map((k) => paramColumn(k, board.rows.map((r) => r.params[k]))),
    ...board.sweptScoring.map((k) => paramColumn(k, board.rows.map((r) => r.scoring[k]))),
    numberColumn('Repeats', 'desc'),
    numberColumn(`MSE (${board.mseSplit})`, 'asc', 'Mean reconstruction error, mean ± std over repeats'),
    ...LEADERBOARD_METRICS.map((m) => numberColumn(metricLabel(m, board.metricsSplit), 'desc', `${metricLabel(m, board.metricsSplit)}, mean ± std over repeats`)),
    ...(view.scoreNeedsOwnColumn ? [numberColumn(view.metricLabel, study.selection.direction === 'maximize' ? 'desc' : 'asc', 'The selection metric')] : []),
    numberColumn(`${view.metricLabel} 95% CI`, study.selection.direction === 'maximize' ? 'desc' : 'asc', 'Student-t 95% confidence interval of the selection metric over repeats'),
    numberColumn('p vs ★', 'asc', `Welch's t-test of the selection metric against the winner over repeats; ≈ marks no significant difference (p ≥ ${SIGNIFICANCE_LEVEL})`),
    numberColumn('Threshold', 'asc'),
    numberColumn('Train s', 'asc', 'Training seconds, mean over repeats'),
    { label: 'Trials' },
  ];
}

function leaderboardCells(view: StudyView, row: LeaderboardRow, hasVariant: boolean): LinkedCell[] {
  const { board } = view;
  return [
    {
      text: `${row.rank}${row.tiedWith.length ? ' tie' : ''}${row.isWinner ? ' ★' : ''}${row.usesLabels ? ' †' : ''}`,
      sort: String(row.rank),
      className: 'num',
    },
    { text: row.baseline ? `${row.family} (baseline)` : row.family },
    ...(hasVariant ? [{ text: row.variant ?? '–' }] : []),
    ...board.sweptParams.map((k) => paramCell(row.params[k])),
    ...board.sweptScoring.map((k) => paramCell(row.scoring[k])),
    { text: String(row.trials.length), sort: String(row.trials.length), className: 'num' },
    summaryCell(row.mse, 'error'),
    ...LEADERBOARD_METRICS.map((m) => summaryCell(row.metrics[m], 'metric')),
    ...(view.scoreNeedsOwnColumn ? [summaryCell(row.score, 'metric')] : []),
    { text: formatInterval(row.scoreInterval, 'metric'), sort: row.scoreInterval ? String(row.scoreInterval.low) : undefined, className: 'num' },
    versusWinnerCell(row),
    summaryCell(row.threshold, 'threshold'),
    summaryCell(row.trainSeconds, 'seconds'),
    { text: '', links: trialLinks(view, row) },
  ];
}

/** The p-value against the winner, "≈" where the difference is not significant. */
function versusWinnerCell(row: LeaderboardRow): Cell {
  if (row.isWinner) return { text: '★', className: 'num' };
  const { pValue, significant } = row.versusWinner;
  const text = `${significant === false ? '≈ ' : ''}${formatComparison(row.versusWinner)}`;
  return { text, sort: pValue === null ? undefined : String(pValue), className: 'num' };
}

function leaderboardTable(view: StudyView) {
  const hasVariant = view.board.rows.some((r) => r.variant !== null);
  return {
    id: 'leaderboard',
    columns: leaderboardColumns(view),
    rows: view.board.rows.map((row) => ({ className: row.isWinner ? 'winner' : undefined, cells: leaderboardCells(view, row, hasVariant) })),
  };
}

/** Best configuration per family and version, like the seed's nine-model table; null when there is one group only. */
function byModelTable(view: StudyView) {
  const { board, study } = view;
  const best = new Map<string, LeaderboardRow>();
  for (const row of board.rows) {
    const key = JSON.stringify([row.family, row.variant]);
    if (!best.has(key)) best.set(key, row);
  }
  if (best.size < 2) return null;
  const byName = (a: LeaderboardRow, b: LeaderboardRow) => compareText(a.family, b.family) || compareText(a.variant ?? '', b.variant ?? '');
  return {
    id: 'by-model',
    columns: [
      textColumn('Family'),
      textColumn('Version'),
      numberColumn('Rank', 'asc'),
      numberColumn(view.metricLabel, study.selection.direction === 'maximize' ? 'desc' : 'asc'),
      numberColumn(`MSE (${board.mseSplit})`, 'asc'),
      numberColumn(metricLabel('f1', board.metricsSplit), 'desc'),
      numberColumn(metricLabel('rocAuc', board.metricsSplit), 'desc'),
      { label: 'Configuration' },
    ],
    rows: [...best.values()].sort(byName).map((row) => ({
      className: row.isWinner ? 'winner' : undefined,
      cells: [
        { text: row.family },
        { text: row.variant ?? '–' },
        { text: String(row.rank), sort: String(row.rank), className: 'num' },
        summaryCell(row.score, 'metric'),
        summaryCell(row.mse, 'error'),
        summaryCell(row.metrics.f1, 'metric'),
        summaryCell(row.metrics.rocAuc, 'metric'),
        { text: describeParams({ ...row.params, ...row.scoring }, [...board.sweptParams, ...board.sweptScoring]), className: 'wrap' },
      ],
    })),
  };
}

/** Trials that did not complete (failed, pruned, interrupted, running), with their reason. */
function incompleteTable(view: StudyView) {
  return {
    id: 'failed',
    columns: [numberColumn('Trial', 'asc'), textColumn('Status'), { label: 'Parameters' }, { label: 'Reason' }],
    rows: view.board.trials
      .filter((t) => t.status !== 'complete')
      .map((t) => ({
        cells: [
          { text: `#${t.number}`, sort: String(t.number), className: 'num', href: view.trialHref.get(t.id) },
          { text: t.status },
          { text: describeParams(t.params), className: 'wrap' },
          { text: t.reason ?? '–', className: 'wrap' },
        ],
      })),
  };
}

/** The distributions the trials were drawn from; null for a version 1 store, which did not record them. */
function searchSpaceTable(view: StudyView) {
  if (view.searchSpace.length === 0) return null;
  return {
    id: 'search-space',
    columns: [textColumn('Parameter'), textColumn('Distribution'), { label: 'Values or range' }, { label: 'Only when' }],
    rows: view.searchSpace.map(({ name, distribution }) => ({
      cells: [
        { text: name },
        { text: distribution.type },
        { text: describeDistribution(distribution), className: 'wrap' },
        { text: describeParams(distribution.when ?? {}) || '–', className: 'wrap' },
      ],
    })),
  };
}

function winnerSummary(view: StudyView) {
  const { board, study } = view;
  const winner = board.winner;
  return (
    winner && {
      name: configurationName(winner),
      scoreText: `${view.metricLabel} ${formatSummary(winner.score, 'metric')}`,
      repeats: winner.trials.length,
      href: view.trialHref.get(representativeTrial(study, winner).id),
      params: describeParams({ ...winner.params, ...winner.scoring }),
      usesLabels: winner.usesLabels,
      tie: tieText(view, winner),
    }
  );
}

/** The winner's tie in words, or undefined: a tie is said, never settled silently by the config hash. */
function tieText(view: StudyView, winner: LeaderboardRow): string | undefined {
  if (winner.tiedWith.length === 0) return undefined;
  const tied = view.board.rows.filter((r) => winner.tiedWith.includes(r.configHash)).map(configurationName);
  const listed = 'it is listed first by config hash only';
  return `${configurationName(winner)} ties with ${tied.join(', ')} under the rule, tie-breaks included; ${listed}.`;
}

function trialPagesNote(out: StudyOutput): string {
  const pages = out.view.trialPages.length;
  const total = out.view.board.trials.length;
  return pages === total
    ? `Every trial has a page (${pages}); follow the links in the Trials column.`
    : `${pages} of ${total} trials have a page (the winner's repeats, then the best-ranked configurations; the cap is maxTrialPages = ${out.options.maxTrialPages}).`;
}

/** Writes the study's page and returns its path. */
export async function renderStudyPage(out: StudyOutput): Promise<string> {
  const { board, study } = out.view;
  const statusText = Object.entries(board.statusCounts)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ');
  const context = {
    study,
    created: formatDate(study.createdAt),
    commit: study.gitCommit ?? 'unknown (not run from a git checkout)',
    statusText: statusText || 'none yet',
    ruleText: board.ruleText,
    intervalVariance: board.intervalVariance,
    labelUse: describeLabelUse(study.labelUse ?? []),
    ruleCode: `${study.selection.direction} ${study.selection.metric} on ${study.selection.split}`,
    mseSplit: board.mseSplit,
    labelTuned: board.rows.some((r) => r.usesLabels),
    warning: board.warning,
    metricsSplit: board.metricsSplit,
    selectionSplit: study.selection.split,
    winner: winnerSummary(out.view),
    baselineSentence: (await baselineVerdict(board, async (trial) => (await out.artifacts(trial)).errors()))?.sentence,
    leaderboard: leaderboardTable(out.view),
    byModel: byModelTable(out.view),
    searchSpace: searchSpaceTable(out.view),
    failed: incompleteTable(out.view),
    ...(await studyCharts(out.view, out.options)),
    ...(await searchAnalysis(out.view)),
    trialPagesNote: trialPagesNote(out),
  };
  const path = join(out.dir, 'index.html');
  await out.write(path, studyPage(out, study.name, 1, out.templates.page('study', context)));
  return path;
}
