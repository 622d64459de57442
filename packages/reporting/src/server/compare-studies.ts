/**
 * The compare view across studies: each study's winner side by side (the study compare
 * page's template and parameter rows), only the parameters that differ, the winners'
 * intervals on one axis and their loss curves.
 */
import type { StudyRecord, TrialRecord } from '@aelab/store';
import { lossCurvesSpec } from '../charts/loss-curves.js';
import { winnerIntervalsSpec } from '../charts/winner-intervals.js';
import { formatInterval, formatSummary } from '../format.js';
import { configurationName, representativeTrial, type LeaderboardRow } from '../leaderboard.js';
import { parameterRows } from '../pages/compare-page.js';
import { chartView } from '../pages/page.js';
import type { StudyView } from '../study-view.js';
import type { Templates } from '../templates.js';

interface Winner {
  view: StudyView;
  row: LeaderboardRow;
  trial: TrialRecord;
}

const labelOf = (w: Winner) => `${w.view.study.name} (${w.view.study.id})`;

function metricRows(winners: Winner[]) {
  const row = (name: string, value: (w: Winner) => string) => ({ name, values: winners.map(value) });
  return [
    row('Dataset', (w) => w.view.study.dataset),
    row('Selection rule', (w) => w.view.board.ruleText),
    row('Selection value (mean ± sd)', (w) => `${w.view.metricLabel} ${formatSummary(w.row.score, 'metric')}`),
    row('95% CI', (w) => formatInterval(w.row.scoreInterval, 'metric')),
    row('Repeats', (w) => String(w.row.trials.length)),
    row('Winner', (w) => configurationName(w.row)),
    row('Trials (complete / all)', (w) => `${w.view.board.statusCounts.complete ?? 0} / ${w.view.board.trials.length}`),
  ];
}

/** The compare page's body for the chosen studies' views, with a picker over every study of the store. */
export async function compareStudiesBody(
  templates: Templates,
  chosen: readonly { view: StudyView }[],
  all: readonly StudyRecord[],
): Promise<string> {
  const winners: Winner[] = chosen.flatMap(({ view }) =>
    view.board.winner
      ? [{ view, row: view.board.winner, trial: representativeTrial(view.study, view.board.winner) }]
      : [],
  );
  const lacking = chosen.filter(({ view }) => !view.board.winner).map(({ view }) => view.study.name);
  const labels = new Set(winners.map((w) => w.view.metricLabel));
  const metricLabel = labels.size === 1 ? [...labels][0] : 'Selection value';
  const intervals = await chartView('winners-ci', "Winners' selection value and 95% interval", () =>
    winners.length
      ? winnerIntervalsSpec(
          winners.map((w) => ({
            label: labelOf(w),
            mean: w.row.score!.mean,
            low: w.row.scoreInterval?.low ?? null,
            high: w.row.scoreInterval?.high ?? null,
          })),
          { metricLabel },
        )
      : 'No chosen study has a winner yet.',
  );
  const curves = winners
    .map((w) => ({ label: labelOf(w), history: w.trial.history }))
    .filter((c) => c.history.length > 0);
  const loss = await chartView('loss', "Winners' loss curves (one median-score repeat each)", () =>
    curves.length ? lossCurvesSpec(curves) : 'No winner recorded a training history.',
  );
  const picked = new Set(chosen.map(({ view }) => view.study.id));
  return templates.page('compare', {
    studyName: 'studies',
    picker: all.map((s) => ({ id: s.id, name: s.name, dataset: s.dataset, checked: picked.has(s.id) })),
    intro:
      chosen.length === 0
        ? 'Pick studies above to see their winners side by side.'
        : 'The winner of each study under its own rule, side by side; only the parameters that differ are listed.' +
          (lacking.length ? ` No winner yet: ${lacking.join(', ')}.` : ''),
    columns: winners.map((w) => ({ label: labelOf(w), href: `${w.view.study.id}/index.html` })),
    paramRows: parameterRows(winners.map((w) => w.row)).filter((r) => r.differs),
    metricRows: metricRows(winners),
    significanceNote: 'Intervals are Student-t 95% confidence intervals of the selection value over repeats.',
    warning: null,
    charts: [intervals, loss],
  });
}
