/**
 * What the server says about a study while sweeps may be writing it: its state (running,
 * finished, interrupted), trial counts, best value and last update, and its live charts.
 */
import type { EpochRecord, Json } from '@aelab/core';
import type { LiveProgressFile, TrialRecord } from '@aelab/store';
import { compile, type TopLevelSpec } from 'vega-lite';
import { intermediateValuesSpec } from '../charts/intermediate-values.js';
import { trialsOverTimeSpec } from '../charts/trials-over-time.js';
import { intermediateCurves, trialScores } from '../pages/study-charts.js';
import type { StudyView } from '../study-view.js';

export type StudyState = 'running' | 'finished' | 'interrupted';

/** A study as the study list and `GET /api/studies` show it. */
export interface StudySummary {
  id: string;
  name: string;
  dataset: string;
  sampler: string;
  pruner: string;
  state: StudyState;
  trials: { total: number; complete: number; pruned: number; failed: number; running: number; interrupted: number };
  /** The winner's selection value (mean over repeats) and what it is, e.g. "F1 (test)" on split "test". */
  best: { value: number; label: string; metric: string; split: string } | null;
  /** ISO time of the latest change: a trial started or finished, an evaluation, live progress. */
  updatedAt: string;
  /** Changes whenever the study's records do. */
  version: string;
}

/** The experiment's `<part>.type` (sampler, pruner), or `none`. */
function typeOf(experiment: Json, part: 'sampler' | 'pruner'): string {
  const value =
    experiment !== null && typeof experiment === 'object' && !Array.isArray(experiment) ? experiment[part] : undefined;
  const type = value !== null && typeof value === 'object' && !Array.isArray(value) ? value.type : undefined;
  return typeof type === 'string' ? type : 'none';
}

/** The store's writer lock as the server last read it: whether its process lives, and since when it holds the lock. */
export interface WriterState {
  alive: boolean;
  /** ISO time the writer took the lock; null when there is no lock. */
  since: string | null;
}

/**
 * Running while its sweep says so and the store's writer that wrote that is alive;
 * interrupted when its sweep said it was running but that writer is gone (killed between
 * trials or during one: another writer that took the lock after the sweep's last progress
 * write is not it), or a trial was left running or stopped and not yet resumed.
 */
export function studyState(
  trials: readonly TrialRecord[],
  live: LiveProgressFile | null,
  writer: WriterState,
): StudyState {
  if (live?.sweeping) {
    // The sweep writes its progress while it holds the lock, so never before it took it.
    const itsWriter = writer.alive && (writer.since === null || writer.since <= live.updatedAt);
    return itsWriter ? 'running' : 'interrupted';
  }
  const settled = new Set(
    trials
      .filter((t) => t.status !== 'interrupted' && t.status !== 'running')
      .map((t) => `${t.configHash}/${t.repeat}`),
  );
  const open = trials.some(
    (t) => t.status === 'running' || (t.status === 'interrupted' && !settled.has(`${t.configHash}/${t.repeat}`)),
  );
  return open ? 'interrupted' : 'finished';
}

const latest = (times: (string | null | undefined)[]) => times.reduce<string>((a, b) => (b && b > a ? b : a), '');

export function summarizeStudy(
  view: StudyView,
  live: LiveProgressFile | null,
  writer: WriterState,
  version: string,
): StudySummary {
  const { study, board } = view;
  const count = (status: string) => board.statusCounts[status] ?? 0;
  const winner = board.winner?.score;
  const times = [study.createdAt, live?.updatedAt, ...board.trials.flatMap((t) => [t.startedAt, t.finishedAt])];
  times.push(...board.rows.flatMap((r) => r.evaluations.map((e) => e.createdAt)));
  return {
    id: study.id,
    name: study.name,
    dataset: study.dataset,
    sampler: typeOf(study.experiment, 'sampler'),
    pruner: typeOf(study.experiment, 'pruner'),
    state: studyState(board.trials, live, writer),
    trials: {
      total: board.trials.length,
      complete: count('complete'),
      pruned: count('pruned'),
      failed: count('failed'),
      running: count('running'),
      interrupted: count('interrupted'),
    },
    best: winner
      ? { value: winner.mean, label: view.metricLabel, metric: study.selection.metric, split: study.selection.split }
      : null,
    updatedAt: latest(times),
    version,
  };
}

/** A running trial's epochs so far, as the live panel lists them. */
export interface RunningTrial {
  id: string;
  number: number;
  epoch: number;
  epochs: number;
}

/**
 * The live panel's data: the summary, running trials, and its charts as Vega specs (compiled from the page's
 * Vega-Lite).
 */
export interface LiveState extends StudySummary {
  /**
   * The version of the study page the server has rendered (it may lag behind `version`), or null while there is none.
   */
  pageVersion?: string | null;
  runningTrials: RunningTrial[];
  charts: { intermediate: object | null; overTime: object | null };
}

/**
 * Trials drawn in the live intermediate-values chart (the latest: running ones first of
 * all). Every open page receives it on every poll, so it is kept small; the study page's
 * static chart below it draws the usual 200.
 */
export const LIVE_CURVES = 30;

const vegaOf = (spec: TopLevelSpec | null) => (spec ? compile(spec).spec : null);

/**
 * The live trials-over-time chart (a Vega spec), or null with no scored trial: it changes
 * with the records only, not with running trials' epochs (`aelab serve` keeps it per version).
 */
export function liveOverTime(view: StudyView): object | null {
  const scores = trialScores(view);
  return vegaOf(scores.length ? trialsOverTimeSpec(scores, { metricLabel: view.metricLabel }) : null);
}

/**
 * The study's live state: the study page's intermediate-values and trials-over-time charts, running trials' epochs
 * included. `overTime` is {@link liveOverTime} of the view, when the caller has it.
 */
export function liveState(
  view: StudyView,
  live: LiveProgressFile | null,
  writer: WriterState,
  version: string,
  overTime: object | null = liveOverTime(view),
): LiveState {
  const running = new Map<string, EpochRecord[]>(
    view.board.trials
      .filter((t) => t.status === 'running' && live?.trials[t.id])
      .map((t) => [t.id, live!.trials[t.id].history]),
  );
  const curves = intermediateCurves(view, running, LIVE_CURVES);
  return {
    ...summarizeStudy(view, live, writer, version),
    runningTrials: view.board.trials
      .filter((t) => t.status === 'running')
      .map((t) => ({
        id: t.id,
        number: t.number,
        epoch: running.get(t.id)?.at(-1)?.epoch ?? 0,
        epochs: live?.trials[t.id]?.epochs ?? 0,
      })),
    charts: {
      intermediate: vegaOf(curves.length ? intermediateValuesSpec(curves, { valueLabel: 'Validation error' }) : null),
      overTime,
    },
  };
}

/** Studies whose name, id, dataset, sampler, pruner or state contain every word of `query` (case-insensitive). */
export function matchesQuery(summary: StudySummary, query: string): boolean {
  const text = [summary.name, summary.id, summary.dataset, summary.sampler, summary.pruner, summary.state]
    .join(' ')
    .toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => text.includes(word));
}
