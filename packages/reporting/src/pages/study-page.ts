/** A study's page (`<study>/index.html`): selection, leaderboard, by-model and search-space tables, charts. */
import { join } from 'node:path';
import { describeLabelUse, type Summary } from '@aelab/core';
import { baselineVerdict } from '../baseline-verdict.js';
import {
  compareText,
  describeParams,
  formatComparison,
  formatDate,
  formatInterval,
  formatNumber,
  formatSummary,
  summaryCell,
  type Cell,
  type NumberStyle,
} from '../format.js';
import {
  SIGNIFICANCE_LEVEL,
  configurationName,
  metricLabel,
  heldOutMetrics,
  representativeTrial,
  rowParameters,
  type LeaderboardMetric,
  type LeaderboardRow,
} from '../leaderboard.js';
import { describeDistribution } from '../search-space.js';
import type { StudyView } from '../study-view.js';
import { searchAnalysis } from './search-analysis.js';
import { pendingStudyCharts, studyCharts } from './study-charts.js';
import { numberColumn, studyPage, textColumn, type Column, type StudyOutput } from './page.js';

type Link = { href: string; text: string };
/** A cell with links, or a second line in small type (`sub`: a spread, the parameters of a configuration). */
type LinkedCell = Cell & { href?: string; links?: Link[]; sub?: string };

/** Links to the pages of a row's repeats (every trial has one). */
function trialLinks(view: StudyView, row: LeaderboardRow): Link[] {
  return row.trials
    .filter((t) => view.trialHref.has(t.id))
    .map((t) => ({ href: view.trialHref.get(t.id)!, text: `#${t.number}` }));
}

/** Columns hidden until "All columns" is ticked: the table fits a 1280 px screen without them. */
const SECONDARY = 'secondary';

function leaderboardColumns(view: StudyView, testMetrics: readonly string[]): Column[] {
  const { board, study } = view;
  const best = study.selection.direction === 'maximize' ? 'desc' : 'asc';
  const secondary = (column: Column): Column => ({
    ...column,
    className: `${column.className ?? ''} ${SECONDARY}`.trim(),
  });
  const testColumn = (m: string) => {
    const label = metricLabel(m, board.metricsSplit);
    return numberColumn(label, 'desc', `${label}, mean ± std over repeats`);
  };
  return [
    numberColumn('#', 'asc', 'Rank under the selection rule'),
    {
      ...textColumn('Configuration'),
      title: 'Family, version and threshold rule (fit on train or validation errors); below, what differs',
    },
    {
      ...numberColumn(view.metricLabel, best, 'The selection metric (mean ± sample std over repeats): the ranking'),
      className: 'num selection',
    },
    numberColumn('95% CI', best, `Student-t 95% confidence interval of ${view.metricLabel} over repeats`),
    numberColumn(
      'p vs ★',
      'asc',
      `Welch's t-test of ${view.metricLabel} against the winner over repeats;` +
        ` ≈ marks no significant difference (p ≥ ${SIGNIFICANCE_LEVEL})`,
    ),
    ...testMetrics.map(testColumn),
    secondary(numberColumn('Repeats', 'desc')),
    secondary(numberColumn(`MSE (${board.mseSplit})`, 'asc', 'Mean reconstruction error, mean ± std over repeats')),
    secondary(numberColumn('Threshold', 'asc', 'Mean threshold over repeats, on the errors its rule names')),
    secondary(numberColumn('Train s', 'asc', 'Training seconds, mean over repeats')),
    { label: 'Trials', title: 'The pages of the repeats' },
  ];
}

/** A summary over repeats as two lines: the mean, and the spread in small type. */
function stackedSummaryCell(summary: Summary | null, style: NumberStyle, className = 'num'): LinkedCell {
  if (!summary) return { text: '–', className };
  const sub = summary.std === null ? undefined : `± ${formatNumber(summary.std, style)}`;
  return { text: formatNumber(summary.mean, style), sub, sort: String(summary.mean), className };
}

function configurationCell(view: StudyView, row: LeaderboardRow, varying: readonly string[]): LinkedCell {
  return {
    text: row.baseline ? `${configurationName(row)} (baseline)` : configurationName(row),
    href: view.trialHref.get(representativeTrial(view.study, row).id),
    sub: describeParams({ ...row.params, ...row.scoring }, varying) || undefined,
    sort: configurationName(row),
    className: 'config',
  };
}

function leaderboardCells(
  view: StudyView,
  row: LeaderboardRow,
  testMetrics: readonly string[],
  varying: readonly string[],
): LinkedCell[] {
  const secondary = (cell: LinkedCell): LinkedCell => ({
    ...cell,
    className: `${cell.className ?? ''} ${SECONDARY}`.trim(),
  });
  const marks = `${row.tiedWith.length ? ' tie' : ''}${row.isWinner ? ' ★' : ''}${row.usesLabels ? ' †' : ''}`;
  return [
    {
      text: `${row.rank}${marks}`,
      sort: String(row.rank),
      className: 'num',
    },
    configurationCell(view, row, varying),
    stackedSummaryCell(row.score, 'metric', 'num selection'),
    {
      text: formatInterval(row.scoreInterval, 'metric'),
      sort: row.scoreInterval ? String(row.scoreInterval.low) : undefined,
      className: 'num',
    },
    versusWinnerCell(row),
    ...testMetrics.map((m) => stackedSummaryCell(row.metrics[m as LeaderboardMetric], 'metric')),
    secondary({ text: String(row.trials.length), sort: String(row.trials.length), className: 'num' }),
    secondary(stackedSummaryCell(row.mse, 'error')),
    secondary(stackedSummaryCell(row.threshold, 'threshold')),
    secondary(summaryCell(row.trainSeconds, 'seconds')),
    { text: '', links: trialLinks(view, row), className: 'links' },
  ];
}

/** The p-value against the winner, "≈" where the difference is not significant. */
function versusWinnerCell(row: LeaderboardRow): Cell {
  if (row.isWinner) return { text: '★', className: 'num' };
  const { pValue, significant } = row.versusWinner;
  const text = `${significant === false ? '≈ ' : ''}${formatComparison(row.versusWinner)}`;
  return { text, sort: pValue === null ? undefined : String(pValue), className: 'num' };
}

/**
 * The leaderboard: rank, configuration, then what it is ranked by (the selection metric,
 * its interval and p against the winner), then the test metrics; the selection metric is
 * not repeated among them when it is one.
 */
function leaderboardTable(view: StudyView) {
  const { study } = view;
  const testMetrics = heldOutMetrics(study);
  const { varying, shared } = rowParameters(view.board.rows);
  return {
    id: 'leaderboard',
    columns: leaderboardColumns(view, testMetrics),
    rows: view.board.rows.map((row) => ({
      className: row.isWinner ? 'winner' : undefined,
      cells: leaderboardCells(view, row, testMetrics, varying),
    })),
    shared: describeParams(shared),
    sharedCount: Object.keys(shared).length,
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
  const byName = (a: LeaderboardRow, b: LeaderboardRow) =>
    compareText(a.family, b.family) || compareText(a.variant ?? '', b.variant ?? '');
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
        {
          text: describeParams({ ...row.params, ...row.scoring }, [...board.sweptParams, ...board.sweptScoring]),
          className: 'wrap',
        },
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
    columns: [
      textColumn('Parameter'),
      textColumn('Distribution'),
      { label: 'Values or range' },
      { label: 'Only when' },
    ],
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
  const charted = out.view.chartedTrials.size;
  const total = out.view.trialPages.length;
  const pages =
    `Every trial has a page (${total}); follow a configuration's name (its median repeat)` +
    ' or the links in the Trials column.';
  if (charted === total) return pages;
  const cap = `the cap is maxTrialPages = ${out.options.maxTrialPages}`;
  const which = "the winner's repeats, then the best-ranked configurations";
  return `${pages} Charts are drawn on ${charted} of them (${which}; ${cap}).`;
}

/**
 * Writes the study's page and returns its path. With `pendingCharts` (a sentence), the page
 * is written without its charts and parameter importance, each slot showing that sentence
 * instead: `aelab serve`'s first answer for a large study while its charts are drawn. The
 * static report draws them always.
 */
export async function renderStudyPage(out: StudyOutput, pendingCharts?: string): Promise<string> {
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
    ...(pendingCharts === undefined ? await studyCharts(out.view, out.options) : pendingStudyCharts(pendingCharts)),
    ...(await searchAnalysis(out.view, pendingCharts)),
    trialPagesNote: trialPagesNote(out),
  };
  const path = join(out.dir, 'index.html');
  await out.write(path, studyPage(out, study.name, 1, out.templates.page('study', context)));
  return path;
}
