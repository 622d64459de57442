/** The compare page (`<study>/compare.html`): the best-ranked training configurations side by side. */
import { join } from 'node:path';
import type { Params, Summary } from '@aelab/core';
import type { TrialRecord } from '@aelab/store';
import { lossCurvesSpec } from '../charts/loss-curves.js';
import { rocPrSpec, type NamedCurves } from '../charts/roc-pr.js';
import {
  formatComparison,
  formatInterval,
  formatPValue,
  formatSummary,
  jsonText,
  type NumberStyle,
} from '../format.js';
import {
  LEADERBOARD_METRICS,
  SIGNIFICANCE_LEVEL,
  configurationName,
  metricLabel,
  representativeTrial,
  trainingName,
  type LeaderboardRow,
} from '../leaderboard.js';
import type { StudyView } from '../study-view.js';
import { chartView, studyPage, type ChartView, type StudyOutput } from './page.js';

/** The compared configurations and the repeat that stands for each on charts. */
interface Compared {
  rows: LeaderboardRow[];
  reps: TrialRecord[];
  /** Chart legend of the i-th configuration. */
  label: (i: number) => string;
}

/** One row per parameter of any compared configuration, marked where the values differ. */
export function parameterRows(rows: LeaderboardRow[]) {
  const rowsOf = (maps: Params[]) =>
    [...new Set(maps.flatMap((m) => Object.keys(m)))].sort().map((name) => {
      const values = maps.map((m) => (m[name] === undefined ? '–' : jsonText(m[name])));
      return { name, values, differs: new Set(values).size > 1 };
    });
  return [...rowsOf(rows.map((r) => r.params)), ...rowsOf(rows.map((r) => r.scoring))];
}

function metricRows(view: StudyView, { rows, reps }: Compared) {
  const summaries = (name: string, pick: (r: LeaderboardRow) => Summary | null, style: NumberStyle) => ({
    name,
    values: rows.map((r) => formatSummary(pick(r), style)),
  });
  return [
    summaries(view.metricLabel, (r) => r.score, 'metric'),
    { name: `${view.metricLabel} 95% CI`, values: rows.map((r) => formatInterval(r.scoreInterval, 'metric')) },
    { name: 'Difference from ★ (Welch p)', values: rows.map(significanceText) },
    summaries(`MSE (${view.board.mseSplit})`, (r) => r.mse, 'error'),
    ...LEADERBOARD_METRICS.map((m) =>
      summaries(metricLabel(m, view.board.metricsSplit), (r) => r.metrics[m], 'metric'),
    ),
    summaries('Threshold', (r) => r.threshold, 'threshold'),
    summaries('Training seconds', (r) => r.trainSeconds, 'seconds'),
    { name: 'Repeats', values: rows.map((r) => String(r.trials.length)) },
    { name: 'Trial shown in charts', values: reps.map((t) => `#${t.number}`) },
  ];
}

function significanceText(row: LeaderboardRow): string {
  if (row.isWinner) return 'the winner';
  const { pValue, significant } = row.versusWinner;
  if (significant === null) return 'not tested (one repeat)';
  if (row.versusWinner.noVariance) return formatComparison(row.versusWinner);
  const p = `(p = ${formatPValue(pValue)})`;
  return significant ? `significant ${p}` : `≈ not significant ${p}`;
}

function lossChart({ reps, label }: Compared): Promise<ChartView> {
  return chartView('loss', 'Loss curves', () => {
    const curves = reps.map((t, i) => ({ label: label(i), history: t.history })).filter((c) => c.history.length > 0);
    return curves.length ? lossCurvesSpec(curves) : 'None of these trials recorded a training history.';
  });
}

async function rocPrChart(out: StudyOutput, { reps, label }: Compared): Promise<ChartView> {
  const curveSets: NamedCurves[] = [];
  const lacking: string[] = [];
  for (const [i, t] of reps.entries()) {
    const curves = (await out.curves(t)).value?.test;
    if (curves) curveSets.push({ label: label(i), curves });
    else lacking.push(`#${t.number}`);
  }
  return chartView(
    'roc-pr',
    'ROC and precision-recall (test)',
    () => (curveSets.length ? rocPrSpec(curveSets) : 'None of these trials recorded ROC/PR curves.'),
    lacking.length ? `No curves artifact for ${lacking.join(', ')}.` : undefined,
  );
}

/** Writes the compare page: each training configuration with the scoring variant the study keeps for it. */
export async function renderComparePage(out: StudyOutput): Promise<void> {
  const { view } = out;
  const rows = view.trainingRows.slice(0, out.options.compareCount);
  const reps = rows.map((row) => representativeTrial(view.study, row));
  const compared: Compared = {
    rows,
    reps,
    label: (i) => `rank ${rows[i].rank}: ${trainingName(reps[i].params)} #${reps[i].number}`,
  };
  const body = out.templates.page('compare', {
    studyName: view.study.name,
    intro:
      `The ${rows.length} best-ranked distinct training configurations under the rule (${view.board.ruleText}), ` +
      'each with its best scoring variant; charts show one median-score repeat of each.',
    columns: rows.map((row, i) => ({
      label:
        `Rank ${row.rank}: ${configurationName(row)}` +
        `${row.isWinner ? ' ★' : row.versusWinner.significant === false ? ' ≈' : ''}`,
      href: view.trialHref.get(reps[i].id),
    })),
    significanceNote:
      `≈ marks a configuration whose ${view.metricLabel} over repeats does not differ significantly ` +
      `from the winner's (Welch's t-test, p ≥ ${SIGNIFICANCE_LEVEL}): ` +
      'with these repeats, the data cannot tell them apart.',
    warning: view.board.warning,
    paramRows: parameterRows(rows),
    metricRows: metricRows(view, compared),
    charts: [await lossChart(compared), await rocPrChart(out, compared)],
  });
  await out.write(
    join(out.dir, 'compare.html'),
    studyPage(out, `Compare: ${view.study.name}`, 1, body, [{ href: 'compare.html', text: 'Compare' }]),
  );
}
