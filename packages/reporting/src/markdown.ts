/**
 * A study's leaderboard as a plain table (header and rows of text), and as Markdown: what
 * `aelab runs table` prints and docs/reproductions.md shows, so the docs' tables are
 * generated from a run store, never typed in.
 */
import { formatInterval, formatNumber, formatPValue, formatSummary, jsonText } from './format.js';
import {
  configurationName,
  heldOutMetrics,
  metricLabel,
  rowParameters,
  selectionLabel,
  type Leaderboard,
  type LeaderboardRow,
} from './leaderboard.js';

/** A table of text: a header and rows of the same length. */
export interface TextTable {
  header: string[];
  rows: string[][];
}

/** "p vs ★" as the study page shows it: ★ for the winner, ≈ where not significantly different. */
function versusWinnerText(row: LeaderboardRow): string {
  if (row.isWinner) return '★';
  const { pValue, significant } = row.versusWinner;
  return `${significant === false ? '≈ ' : ''}${formatPValue(pValue)}`;
}

/**
 * The leaderboard in rank order, columns as on the study page: rank, configuration and
 * the parameters that differ between rows, the selection metric with its 95% CI and p
 * against the winner, the other test metrics ({@link heldOutMetrics}), then threshold and repeats. Means ± sample std
 * over repeats, formatted as the report formats them.
 */
export function leaderboardTextTable(board: Leaderboard): TextTable {
  const { varying } = rowParameters(board.rows);
  const testMetrics = heldOutMetrics(board.study);
  const header = [
    '#',
    'configuration',
    ...varying,
    selectionLabel(board.study),
    '95% CI',
    'p vs ★',
    ...testMetrics.map((m) => metricLabel(m, board.metricsSplit)),
    'threshold',
    'repeats',
  ];
  const rows = board.rows.map((row) => {
    const all = { ...row.params, ...row.scoring };
    return [
      `${row.rank}${row.isWinner ? ' ★' : ''}${row.usesLabels ? ' †' : ''}`,
      configurationName(row),
      ...varying.map((k) => (all[k] === undefined ? '–' : jsonText(all[k]))),
      formatSummary(row.score, 'metric'),
      formatInterval(row.scoreInterval, 'metric'),
      versusWinnerText(row),
      ...testMetrics.map((m) => formatSummary(row.metrics[m], 'metric')),
      formatSummary(row.threshold, 'threshold'),
      formatNumber(row.trials.length, 'count'),
    ];
  });
  return { header, rows };
}

/** Escapes what would end or break a Markdown table cell. */
function markdownCell(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ');
}

/** A {@link TextTable} as a GitHub-flavoured Markdown table, one line per row, ending in a newline. */
export function markdownTable(table: TextTable): string {
  const line = (cells: readonly string[]) => `| ${cells.map(markdownCell).join(' | ')} |`;
  const rule = `|${table.header.map(() => '---').join('|')}|`;
  return [line(table.header), rule, ...table.rows.map(line)].join('\n') + '\n';
}
