/** The charts of a study's page: loss curves per family, trials over time, parameters, thresholds. */
import {
  compareConfigurations,
  intermediateValue,
  rankConfigurations,
  selectionValue,
  type EpochRecord,
  type Json,
  type ObjectiveInput,
  type RankedConfiguration,
} from '@aelab/core';
import type { TrialRecord } from '@aelab/store';
import { lossCurvesSpec, type LossCurve } from '../charts/loss-curves.js';
import { metricVsParamSpec } from '../charts/metric-vs-param.js';
import { parallelCoordinatesSpec } from '../charts/parallel-coordinates.js';
import { thresholdSweepSpec } from '../charts/threshold-sweep.js';
import { intermediateValuesSpec, type IntermediateCurve } from '../charts/intermediate-values.js';
import { trialsOverTimeSpec, type TrialScore } from '../charts/trials-over-time.js';
import { compareText, describeParams, scoringLabel } from '../format.js';
import { representativeTrial, trainingName, type LeaderboardRow } from '../leaderboard.js';
import type { FilledOptions } from '../options.js';
import type { StudyView } from '../study-view.js';
import { chartView, type ChartView } from './page.js';

/** Per family, the loss curves of one median-score repeat of each of its best-ranked training configurations. */
async function familyLossCharts(view: StudyView, maxCurveTrials: number) {
  const names = [...new Set(view.board.rows.map((r) => r.family))].sort();
  const families = [];
  for (const [i, name] of names.entries()) {
    const curves: LossCurve[] = view.trainingRows
      .filter((row) => row.family === name)
      .map((row) => ({ row, trial: representativeTrial(view.study, row) }))
      .filter(({ trial }) => trial.history.length > 0)
      .slice(0, maxCurveTrials)
      .map(({ row, trial }) => ({
        label: `#${trial.number}${row.variant ? ` ${row.variant}` : ''} (rank ${row.rank})`,
        history: trial.history,
      }));
    const chart = await chartView(
      `loss-${i + 1}`,
      `Loss curves: ${name}`,
      () =>
        curves.length
          ? lossCurvesSpec(curves, { title: `${name}: training (solid) and validation (dashed) loss` })
          : `No training history recorded for ${name}.`,
      `The ${curves.length} best-ranked training configurations of this family (at most ${maxCurveTrials}), ` +
        'one median-score repeat each.',
    );
    families.push({ name, chart });
  }
  return families;
}

/**
 * Each trial's score (the selection value of the evaluation it features), the study's best
 * objective after it and the epochs trained up to it.
 */
export function trialScores(view: StudyView): TrialScore[] {
  let epochsSoFar = 0;
  const bestSoFar = objectiveSoFar(view);
  return view.board.trials.flatMap((t) => {
    epochsSoFar += t.history.length;
    const evaluation = view.featured.get(t.id);
    const score = evaluation && selectionValue(view.study.selection, evaluation.metrics);
    const best = bestSoFar.get(t.id);
    return score === undefined || best === undefined ? [] : [{ number: t.number, score, best, epochsSoFar }];
  });
}

/**
 * The study's best objective after each trial (by trial id, in trial order): core's mean over
 * repeats of the leading configuration among the evaluations recorded so far, so it falls
 * when a new repeat lowers the leader's mean. A trial's configurations are scored again by
 * `rankConfigurations`; only they can overtake the leader, so the others are compared
 * (core's `compareConfigurations`) only when the leader itself got a new repeat.
 */
function objectiveSoFar(view: StudyView): Map<string, number> {
  const rule = view.study.selection;
  const byConfig = new Map<string, ObjectiveInput[]>();
  const scored = new Map<string, RankedConfiguration>();
  const out = new Map<string, number>();
  let leader: RankedConfiguration | undefined;
  for (const t of view.board.trials) {
    const added = view.evaluationsByTrial.get(t.id) ?? [];
    if (added.length === 0) continue;
    for (const { configHash, metrics } of added) {
      const group = byConfig.get(configHash);
      const input = { configHash, trainingHash: t.configHash, metrics };
      if (group) group.push(input);
      else byConfig.set(configHash, [input]);
    }
    const touched = [...new Set(added.map((e) => e.configHash))];
    for (const c of rankConfigurations(
      rule,
      touched.flatMap((hash) => byConfig.get(hash)!),
    ))
      scored.set(c.configHash, c);
    const others = leader && !touched.includes(leader.configHash) ? [leader] : undefined;
    const candidates = others ? [...others, ...touched.map((hash) => scored.get(hash)!)] : [...scored.values()];
    leader = undefined;
    for (const c of candidates) if (!leader || compareConfigurations(rule, c, leader) < 0) leader = c;
    if (leader?.score) out.set(t.id, leader.score.mean);
  }
  return out;
}

function overTimeChart(view: StudyView, by: 'trial' | 'epochs'): Promise<ChartView> {
  const points = trialScores(view);
  const options = { metricLabel: view.metricLabel, by };
  const note =
    by === 'epochs'
      ? 'Search efficiency: the cost of the search is the epochs it trained, pruned trials included; ' +
        'a pruner moves the curve left.'
      : undefined;
  return chartView(
    by === 'epochs' ? 'efficiency' : 'over-time',
    by === 'epochs' ? 'Search efficiency' : 'Trials over time',
    () => (points.length ? trialsOverTimeSpec(points, options) : 'No trial has a selection score yet.'),
    note,
  );
}

/** Trials drawn in the intermediate values chart (latest first beyond it). */
const MAX_INTERMEDIATE_CURVES = 200;

/**
 * Each trial's intermediate values, the latest `maxCurves` with any;
 * `running` gives the epochs of trials still training (whose records hold none yet).
 */
export function intermediateCurves(
  view: StudyView,
  running: ReadonlyMap<string, readonly EpochRecord[]> = new Map(),
  maxCurves = MAX_INTERMEDIATE_CURVES,
): IntermediateCurve[] {
  const history = (t: TrialRecord) => (t.status === 'running' ? (running.get(t.id) ?? t.history) : t.history);
  const trials = view.board.trials.filter((t) => history(t).length > 0).slice(-maxCurves);
  return trials.map((t) => ({
    trial: t.number,
    status: t.status,
    points: history(t).map((e) => ({ epoch: e.epoch, value: intermediateValue(e) })),
  }));
}

/** What each trial reported to the pruner per epoch, pruned ones marked where they stopped. */
function intermediateChart(view: StudyView): Promise<ChartView> {
  const curves = intermediateCurves(view);
  const pruned = curves.filter((c) => c.status === 'pruned').length;
  const note =
    "The value each epoch reports to the study's pruner: the validation reconstruction error " +
    '(the validation loss without L2 penalties), else the training loss' +
    (pruned ? `; ${pruned} trial${pruned === 1 ? ' was' : 's were'} pruned (dots)` : '') +
    '.';
  return chartView(
    'intermediate',
    'Intermediate values',
    () =>
      curves.length
        ? intermediateValuesSpec(curves, { valueLabel: 'Validation error' })
        : 'No trial recorded a training history yet.',
    note,
  );
}

interface SweptAxis {
  key: string;
  get: (row: LeaderboardRow) => Json | undefined;
}

function sweptAxes(view: StudyView): SweptAxis[] {
  return [
    ...view.board.sweptParams.map((key) => ({ key, get: (r: LeaderboardRow) => r.params[key] })),
    ...view.board.sweptScoring.map((key) => ({ key, get: (r: LeaderboardRow) => r.scoring[key] })),
  ];
}

/** The selection metric against each swept parameter, best-ranked configurations first. */
async function paramCharts(view: StudyView, scored: LeaderboardRow[], options: FilledOptions): Promise<ChartView[]> {
  const rows = scored.slice(0, options.maxScatterPoints);
  const charts: ChartView[] = [];
  for (const [i, { key, get }] of sweptAxes(view).slice(0, options.maxParamCharts).entries()) {
    const points = rows.map((r) => ({ value: get(r), score: r.score!.mean, group: r.family }));
    charts.push(await chartView(`param-${i + 1}`, undefined, () => metricVsParamSpec(key, points, view.metricLabel)));
  }
  return charts;
}

function parallelChart(view: StudyView, scored: LeaderboardRow[], maxParallelRows: number): Promise<ChartView> {
  const rows = scored.slice(0, maxParallelRows);
  const familyAxis: SweptAxis[] =
    new Set(view.board.rows.map((r) => r.family)).size > 1 ? [{ key: 'family', get: (r) => r.family }] : [];
  const axes = [...familyAxis, ...sweptAxes(view)];
  return chartView(
    'parallel',
    'Parallel coordinates',
    () =>
      axes.length === 0 || rows.length === 0
        ? 'Needs at least one swept parameter and one scored configuration.'
        : parallelCoordinatesSpec(
            axes.map((a) => a.key),
            rows.map((r) => ({
              id: r.configHash,
              values: Object.fromEntries(axes.map((a) => [a.key, a.get(r)])),
              score: r.score!.mean,
            })),
            view.metricLabel,
          ),
    scored.length > rows.length ? `The ${rows.length} best-ranked of ${scored.length} configurations.` : undefined,
  );
}

/** Precision, recall and F1 of every scoring variant of the winning (else the top) training configuration. */
function thresholdSweepChart(view: StudyView): Promise<ChartView> {
  const { board } = view;
  const anchor = board.winner ?? board.rows[0];
  const byPercentileThenLabel = (a: { order: number; label: string }, b: { order: number; label: string }) =>
    Number.isFinite(a.order) && Number.isFinite(b.order) && a.order !== b.order
      ? a.order - b.order
      : compareText(a.label, b.label);
  const variants = board.rows
    .filter((r) => anchor && r.trainingHash === anchor.trainingHash)
    .map((r) => ({
      label: scoringLabel(r.scoring),
      order: Number(r.scoring['threshold.percentile'] ?? NaN),
      precision: r.metrics.precision?.mean,
      recall: r.metrics.recall?.mean,
      f1: r.metrics.f1?.mean,
    }))
    .sort(byPercentileThenLabel);
  return chartView(
    'sweep',
    'Threshold sweep',
    () =>
      variants.length
        ? thresholdSweepSpec(variants, {
            title: `Threshold variants of ${anchor ? trainingName(anchor.params) : ''} (test, mean over repeats)`,
          })
        : 'No evaluated configuration yet.',
    anchor
      ? `Scoring variants of the ${board.winner ? 'winning' : 'top'} training configuration ` +
          `(${describeParams(anchor.params, board.sweptParams) || trainingName(anchor.params)}).`
      : undefined,
  );
}

/**
 * The study page's chart slots with no chart drawn, each saying why (`note`): what
 * `aelab serve` shows of a study before its charts are drawn (seconds for a study of
 * thousands of trials). Same slots and ids as {@link studyCharts}.
 */
export function pendingStudyCharts(note: string): Awaited<ReturnType<typeof studyCharts>> {
  const slot = (id: string, title?: string): ChartView => ({ id, title, missing: note });
  return {
    families: [{ name: '', chart: slot('loss-1', 'Loss curves') }],
    familySelector: false,
    overTime: slot('over-time', 'Trials over time'),
    efficiency: slot('efficiency', 'Search efficiency'),
    intermediate: slot('intermediate', 'Intermediate values'),
    paramCharts: [slot('param-1', 'Parameters')],
    parallel: slot('parallel', 'Parallel coordinates'),
    sweep: slot('sweep', 'Threshold sweep'),
  };
}

/** The chart slots of the study page's template. */
export async function studyCharts(view: StudyView, options: FilledOptions) {
  const scored = view.board.rows.filter((r) => r.score !== null);
  const families = await familyLossCharts(view, options.maxCurveTrials);
  return {
    families,
    familySelector: families.length > 1,
    overTime: await overTimeChart(view, 'trial'),
    efficiency: await overTimeChart(view, 'epochs'),
    intermediate: await intermediateChart(view),
    paramCharts: await paramCharts(view, scored, options),
    parallel: await parallelChart(view, scored, options.maxParallelRows),
    sweep: await thresholdSweepChart(view),
  };
}
