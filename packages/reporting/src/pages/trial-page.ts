/** A trial's page (`<study>/trials/<trial>.html`): its record, its evaluations and its charts. */
import { join } from 'node:path';
import { metricValue } from '@aelab/core';
import type { EvaluationRecord, TrialRecord } from '@aelab/store';
import { trialPageName } from '../paths.js';
import {
  compareText,
  formatDate,
  formatInterval,
  formatNumber,
  jsonText,
  numberCell,
  scoringLabel,
} from '../format.js';
import { LEADERBOARD_METRICS, metricLabel, trainingName } from '../leaderboard.js';
import type { StudyView } from '../study-view.js';
import { numberColumn, studyPage, textColumn, type StudyOutput } from './page.js';
import { trialCharts, weightsText } from './trial-charts.js';

function paramsTable(trial: TrialRecord) {
  return {
    id: 'params',
    columns: [{ label: 'Parameter' }, { label: 'Value' }],
    rows: Object.keys(trial.params)
      .sort()
      .map((k) => ({ cells: [{ text: k }, { text: jsonText(trial.params[k]), className: 'wrap' }] })),
  };
}

/** Every scoring variant of the trial; the featured one is starred. */
function evaluationsTable(view: StudyView, evaluations: EvaluationRecord[], featured: EvaluationRecord | undefined) {
  return {
    id: 'evaluations',
    columns: [
      textColumn('Scoring'),
      numberColumn('Threshold', 'asc'),
      {
        label: 'Threshold 95% interval',
        title:
          'Where the threshold could lie with other rows of the distribution it was fit on ' +
          '(order statistics for a percentile)',
      },
      textColumn('Labels used'),
      ...(view.scoreNeedsOwnColumn
        ? [numberColumn(view.metricLabel, view.study.selection.direction === 'maximize' ? 'desc' : 'asc')]
        : []),
      ...LEADERBOARD_METRICS.map((m) => numberColumn(metricLabel(m, 'test'), 'desc')),
      numberColumn('MSE (validation)', 'asc'),
      numberColumn('MSE (test)', 'asc'),
      numberColumn('Rank', 'asc'),
    ],
    rows: evaluations.map((e) => {
      const row = view.rowByConfig.get(e.configHash);
      return {
        className: e === featured ? 'winner' : undefined,
        cells: [
          { text: `${scoringLabel(e.scoring)}${e === featured ? ' ★' : ''}` },
          numberCell(e.threshold, 'threshold'),
          { text: formatInterval(e.thresholdInterval, 'threshold'), className: 'num' },
          { text: e.usesLabels ? 'yes (optimistic)' : 'no' },
          ...(view.scoreNeedsOwnColumn
            ? [numberCell(metricValue(e.metrics[view.study.selection.split], view.study.selection.metric), 'metric')]
            : []),
          ...LEADERBOARD_METRICS.map((m) => numberCell(metricValue(e.metrics.test, m), 'metric')),
          numberCell(metricValue(e.metrics.validation, 'mse'), 'error'),
          numberCell(metricValue(e.metrics.test, 'mse'), 'error'),
          {
            text: row ? String(row.rank) : '–',
            sort: row ? String(row.rank) : undefined,
            className: 'num',
            href: row ? '../index.html' : undefined,
          },
        ],
      };
    }),
  };
}

function versionsText(trial: TrialRecord): string {
  const versions = Object.entries(trial.environment.versions).sort(([a], [b]) => compareText(a, b));
  return versions.map(([k, v]) => `${k} ${v}`).join(', ') || '–';
}

function chartsNote(out: StudyOutput): string {
  const { chartedTrials, trialPages } = out.view;
  return (
    `Charts are drawn on ${chartedTrials.size} of this study's ${trialPages.length} trial pages` +
    ` (the winner's repeats, then the best-ranked configurations; maxTrialPages = ${out.options.maxTrialPages});` +
    " this trial's record and evaluations are above."
  );
}

/** Writes the page of one trial; its charts only when it is one of the study's charted trials. */
export async function renderTrialPage(out: StudyOutput, trial: TrialRecord): Promise<void> {
  const { view } = out;
  const evaluations = view.evaluationsByTrial.get(trial.id) ?? [];
  const featured = view.featured.get(trial.id);
  const charted = view.chartedTrials.has(trial.id);
  const context = {
    trial,
    name: trainingName(trial.params),
    isWinner: view.board.winner?.trials.some((t) => t.id === trial.id) ?? false,
    started: formatDate(trial.startedAt),
    trainSeconds: trial.trainSeconds === null ? '–' : `${formatNumber(trial.trainSeconds, 'seconds')} s`,
    weights: weightsText(trial),
    parameterCount: trial.parameterCount ?? '–',
    versions: versionsText(trial),
    fingerprint: trial.dataFingerprint ?? '–',
    params: paramsTable(trial),
    evaluations: evaluationsTable(view, evaluations, featured),
    charted,
    chartsNote: charted ? null : chartsNote(out),
    ...(charted ? await trialCharts({ trial, artifacts: await out.artifacts(trial), evaluations, featured }) : {}),
  };
  const body = out.templates.page('trial', context);
  const crumb = { href: trialPageName(trial.id), text: `Trial #${trial.number}` };
  await out.write(
    join(out.dir, view.trialHref.get(trial.id)!),
    studyPage(out, `Trial #${trial.number}: ${view.study.name}`, 2, body, [crumb]),
  );
}
