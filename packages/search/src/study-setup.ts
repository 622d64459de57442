/**
 * Opening a study: validate what will be trained, find the study to resume (or create
 * it), mark what a crash left running, and rebuild from the store what the loop needs to
 * go on as if it had never stopped: the finished trainings, the objective board and the
 * pruner's curves.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import {
  deriveSeed,
  intermediateValue,
  isBaselineParams,
  selectionWarning,
  sha256Hex,
  stableStringify,
  type Json,
  type LabelUse,
  type SearchSpace,
} from '@aelab/core';
import { BACKENDS, type BackendName } from '@aelab/models/registry';
import { clearDatasetCache } from '@aelab/data';
import { interruptOrphanedTrials, trainingKey, type RunStore, type StudyRecord, type TrialRecord } from '@aelab/store';
import type { Experiment } from './experiment.js';
import { ObjectiveBoard } from './objective-board.js';
import { preflight, type PreflightOptions } from './preflight.js';
import type { TrialCurve } from './pruners/pruner.js';
import { effectiveSpace, resolveScoringVariants, type ScoringVariant } from './resolve.js';
import { plannedTrials } from './samplers/index.js';
import { localWorkerLimit, memoryPerTrial } from './training-host.js';
import { enumerateGrid, splitSpace } from './space.js';

/** Ties results to the code that produced them; null outside a git checkout. */
export function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

/**
 * Hash of what determines results: everything but how the sweep is executed (its executor
 * and its failure policy) and the
 * `selection.allowTest` acknowledgement (it permits a rule, it does not change one).
 */
export function experimentHash(experiment: Experiment): string {
  const { executor: _executor, failures: _failures, $schema: _schema, selection, ...rest } = experiment;
  const { allowTest: _allowTest, ...rule } = selection;
  return sha256Hex(stableStringify({ ...rest, selection: rule }));
}

export { localWorkerLimit, memoryPerTrial } from './training-host.js';
export { trainingHash } from './trial-task.js';

/** Each trial's seed depends only on the experiment seed, its config and its repeat: never on scheduling. */
export function trialSeed(experimentSeed: number, configHash: string, repeat: number): number {
  return deriveSeed(experimentSeed, `${configHash}:${repeat}`);
}

/** How many trainings an experiment's sampler will ask for at most (configurations x repeats), or null if unknown. */
export function plannedTrainings(experiment: Experiment): number | null {
  const planned = plannedTrials(experiment.sampler, splitSpace(effectiveSpace(experiment)).training);
  return planned === null ? null : (planned + (experiment.baselines?.length ?? 0)) * experiment.repeats;
}

/** What a study's loop starts from. */
export interface OpenedStudy {
  study: StudyRecord;
  resumed: boolean;
  trainingSpace: SearchSpace;
  /** The scoring variants of the space, resolved once here (preflight checked them). */
  scoringVariants: ScoringVariant[];
  /** Distributions of every parameter of the space (recorded with each trial's sampled params). */
  distributions: SearchSpace;
  /** Trainings finished earlier (complete or pruned), by {@link trainingKey}. */
  finished: Map<string, TrialRecord>;
  /** Failed attempts of each training not finished, by {@link trainingKey} (the failure policy's retries). */
  failedAttempts: Map<string, number>;
  /** Trainings that ran before but did not finish, and will run again. */
  requeued: number;
  board: ObjectiveBoard;
  /** Intermediate values of every earlier trial, for the pruner. */
  curves: TrialCurve[];
  previousTrials: number;
  /** What preparing the data warned about (each once): shown before training starts. */
  warnings: string[];
  /** Where the labelled anomalies went (see core's `LabelUse`): shown before training starts. */
  labelUse: LabelUse[];
}

export async function openStudy(
  experiment: Experiment,
  options: { experimentPath: string; store: RunStore; fresh?: boolean; dataDir?: string; limits: PreflightOptions },
): Promise<OpenedStudy> {
  const { store } = options;
  const space = effectiveSpace(experiment);
  const { training: trainingSpace, scoring: scoringSpace } = splitSpace(space);
  const scoringVariants = enumerateGrid(scoringSpace);
  const report = await preflight(
    experiment,
    options.experimentPath,
    { training: trainingSpace, scoringVariants },
    options.limits,
    options.dataDir,
  );
  const dataWarnings = report.warnings;
  const optimism = selectionWarning(experiment.selection);
  const warnings = optimism ? [`${optimism} (selection.split is "test")`, ...dataWarnings] : dataWarnings;
  // Prepared (and kept, in shared memory) by preflight: the parsed rows are no longer needed here.
  clearDatasetCache();
  const hash = experimentHash(experiment);
  const existing = options.fresh ? undefined : await store.findStudyByExperimentHash(hash);
  const study =
    existing ??
    (await store.createStudy({
      name: experiment.name,
      experimentPath: options.experimentPath,
      experiment: experiment as unknown as Json,
      experimentHash: hash,
      gitCommit: gitCommit(),
      dataset: experiment.data.dataset,
      selection: experiment.selection,
      labelUse: report.labelUse,
    }));
  // Trials left `running` by a crash are marked interrupted; they and Ctrl-C'd ones run again,
  // and so do failed ones (a failure may be transient, such as running out of memory).
  await interruptOrphanedTrials(store, study.id);
  const trials = await store.listTrials(study.id);
  const finished = finishedTrainings(trials);
  const failedAttempts = new Map<string, number>();
  for (const t of trials) {
    const key = trainingKey(t.configHash, t.repeat);
    if (t.status === 'failed' && !finished.has(key)) failedAttempts.set(key, (failedAttempts.get(key) ?? 0) + 1);
  }
  const requeued = new Set(trials.map((t) => trainingKey(t.configHash, t.repeat)).filter((key) => !finished.has(key)))
    .size;
  return {
    study,
    resumed: Boolean(existing),
    trainingSpace,
    scoringVariants: resolveScoringVariants(experiment, scoringVariants),
    distributions: space,
    finished,
    failedAttempts,
    requeued,
    board: await boardOf(store, study, trials),
    curves: trials.map((t) => ({
      trialId: t.id,
      training: trainingKey(t.configHash, t.repeat),
      values: t.history.map(intermediateValue),
      state: t.status,
    })),
    previousTrials: trials.length,
    warnings,
    labelUse: report.labelUse,
  };
}

/** The trainings of `trials` that finished (complete or pruned): they are not trained again, by {@link trainingKey}. */
function finishedTrainings(trials: readonly TrialRecord[]): Map<string, TrialRecord> {
  const finished = new Map<string, TrialRecord>();
  for (const t of trials)
    if (t.status === 'complete' || t.status === 'pruned') finished.set(trainingKey(t.configHash, t.repeat), t);
  return finished;
}

/**
 * How many trainings the study {@link openStudy} will resume has finished (0 when it will
 * start a new one), read before the data is prepared: the study starts its threads, as
 * many as there are trainings left, while the data is prepared.
 */
export async function finishedBeforeOpening(experiment: Experiment, store: RunStore, fresh?: boolean): Promise<number> {
  const existing = fresh ? undefined : await store.findStudyByExperimentHash(experimentHash(experiment));
  return existing ? finishedTrainings(await store.listTrials(existing.id)).size : 0;
}

async function boardOf(store: RunStore, study: StudyRecord, trials: readonly TrialRecord[]): Promise<ObjectiveBoard> {
  const board = new ObjectiveBoard(study.selection);
  const complete = new Map(trials.filter((t) => t.status === 'complete').map((t) => [t.id, t]));
  const evaluations = (await store.listEvaluations(study.id)).filter((e) => complete.has(e.trialId));
  board.add(
    evaluations.map((e) => {
      const trial = complete.get(e.trialId)!;
      return { ...e, trainingHash: trial.configHash, baseline: isBaselineParams(trial.params) };
    }),
  );
  return board;
}

/**
 * The memory one training may take: the experiment's `executor.maxTrialMemoryMb`, else
 * this machine's memory shared among the trainings that run at once.
 */
export function trialMemoryLimit(experiment: Experiment, workers: number): PreflightOptions {
  return memoryPerTrial(experiment.executor.maxTrialMemoryMb, workers, 'executor.maxTrialMemoryMb');
}

/**
 * How many trainings run at once: the CLI's or the experiment's choice, else the CPU
 * count; 1 for a backend that is not safe in several threads of one process. With `cap`
 * (the study starts the threads itself), never more than the trainings left to run
 * (`pending`, null when the sampler cannot say) nor {@link localWorkerLimit}, with a note
 * when that lowers the choice; without it, `workers` is an executor's own.
 */
export function concurrencyOf(
  experiment: Experiment,
  backend: BackendName,
  workers: number | undefined,
  cap?: { pending: number | null },
): { workers: number; note?: string } {
  const asked = workers ?? experiment.executor.workers;
  if (asked !== undefined && !(Number.isInteger(asked) && asked > 0)) {
    throw new Error(`workers must be a positive integer, got ${asked}`);
  }
  const { wanted, note } = cap ? capped(asked, cap.pending) : { wanted: asked ?? availableParallelism() };
  const threadSafe = BACKENDS.find((b) => b.name === backend)?.threadSafe ?? true;
  if (threadSafe || wanted <= 1) return { workers: wanted, ...(note ? { note } : {}) };
  return {
    workers: 1,
    note:
      `backend ${backend}: the native TensorFlow addon is not safe in several worker threads of one process, ` +
      `so the pool uses 1 worker`,
  };
}

/** The workers asked for (default: the CPU count), at most the trainings left and {@link localWorkerLimit}. */
function capped(asked: number | undefined, pending: number | null): { wanted: number; note?: string } {
  const limit = localWorkerLimit();
  const left = pending === null ? Infinity : Math.max(0, pending);
  const wanted = Math.max(1, Math.min(asked ?? availableParallelism(), limit, left));
  if (asked === undefined || wanted === asked) return { wanted };
  const trainingsLeft = `${left || 'no'} training${left === 1 ? '' : 's'} left to run`;
  const why = left > limit ? `at most 2 per CPU (${limit / 2} CPUs here)` : trainingsLeft;
  return { wanted, note: `workers ${asked} capped at ${wanted}: ${why}` };
}
