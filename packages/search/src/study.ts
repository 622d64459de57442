import { execFileSync } from 'node:child_process';
import { availableParallelism, hostname } from 'node:os';
import { posix } from 'node:path';
import { deriveSeed, sha256Hex, stableStringify } from '@aelab/data';
import type { BackendName, EpochRecord } from '@aelab/models';
import {
  ARTIFACT,
  completedTrainings,
  interruptOrphanedTrials,
  trainingKey,
  type CurvesArtifact,
  type ErrorsArtifact,
  type Json,
  type NewEvaluation,
  type Params,
  type RunEnvironment,
  type RunStore,
  type StudyRecord,
  type TrialRecord,
} from '@aelab/store';
import { curvesOf, scoreVariant } from './evaluate.js';
import type { Experiment } from './experiment.js';
import { TrialPool } from './pool.js';
import { preflight } from './preflight.js';
import { effectiveSpace, flattenConfig, resolveScoring, resolveTraining, type TrainingConfig } from './resolve.js';
import { GridSampler } from './samplers/grid.js';
import { RandomSampler } from './samplers/random.js';
import type { Sampler, SampledTrial } from './samplers/sampler.js';
import { enumerateGrid, splitSpace } from './space.js';
import type { TrialProgress, TrialResult, SplitErrorsResult } from './trial-worker.js';

export interface StudyOptions {
  experiment: Experiment;
  /** Where the experiment came from (recorded in the study). */
  experimentPath: string;
  store: RunStore;
  /** Worker threads; default: the experiment's, else CPU count. */
  workers?: number;
  backend?: BackendName;
  /** Start a new study even when one with the same experiment hash exists. */
  fresh?: boolean;
  dataDir?: string;
  /** Stops the sweep: running trials are recorded as interrupted. */
  signal?: AbortSignal;
  onEvent?: (event: StudyEvent) => void;
}

export type StudyEvent =
  | {
      type: 'study';
      study: StudyRecord;
      resumed: boolean;
      skipped: number;
      requeued: number;
      workers: number;
      backend: string;
      note?: string;
    }
  | { type: 'trial-start'; trialId: string; number: number; params: Params; repeat: number; total: number | null }
  | { type: 'trial-epoch'; trialId: string; record: EpochRecord; epochs: number }
  | { type: 'trial-end'; trial: TrialRecord; best?: { metric: string; value: number } }
  | { type: 'done'; summary: StudySummary };

export interface StudySummary {
  study: StudyRecord;
  /** Trainings run by this invocation. */
  trained: number;
  /** Trainings skipped because a finished trial with the same config and repeat existed. */
  skipped: number;
  failed: number;
  interrupted: boolean;
  /** Distinct evaluated configurations in the study (training x scoring, across repeats). */
  evaluatedConfigurations: number;
  /** Trainings in the study that completed (this run and earlier). */
  completedTrainings: number;
}

/** Ties results to the code that produced them; null outside a git checkout. */
export function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return null;
  }
}

/** Hash of what determines results: everything but how the sweep is executed. */
export function experimentHash(experiment: Experiment): string {
  const { executor: _executor, $schema: _schema, ...rest } = experiment;
  return sha256Hex(stableStringify(rest));
}

export function trainingHash(config: TrainingConfig): string {
  return sha256Hex(stableStringify(config));
}

/** Each trial's seed depends only on the experiment seed, its config and its repeat: never on scheduling. */
export function trialSeed(experimentSeed: number, configHash: string, repeat: number): number {
  return deriveSeed(experimentSeed, `${configHash}:${repeat}`);
}

function makeSampler(experiment: Experiment): Sampler {
  const s = experiment.sampler;
  return s.type === 'grid' ? new GridSampler() : new RandomSampler(s.trials, s.seed ?? experiment.seed);
}

/** Orients a metric so larger is better, for samplers and "best so far". */
function oriented(value: number, direction: 'maximize' | 'minimize'): number {
  return direction === 'maximize' ? value : -value;
}

const VERSIONS: Record<string, string> = { node: process.versions.node };

/**
 * Runs (or resumes) a study: asks the sampler for training configurations, trains each
 * configuration x repeat once in the worker pool, scores every scoring variant from
 * the saved errors in this thread, and records everything in the store (this thread is
 * its only writer).
 */
export async function runStudy(options: StudyOptions): Promise<StudySummary> {
  const { experiment, store } = options;
  const emit = options.onEvent ?? (() => {});
  const backend: BackendName = options.backend ?? experiment.executor.backend;
  const native = backend === 'tensorflow' || backend === 'tensorflow-gpu';
  let workers = options.workers ?? experiment.executor.workers ?? availableParallelism();
  let note: string | undefined;
  if (native && workers > 1) {
    note = `backend ${backend}: the native TensorFlow addon is not safe in several worker threads of one process, so the pool uses 1 worker`;
    workers = 1;
  }

  const { training: trainingSpace, scoring: scoringSpace } = splitSpace(effectiveSpace(experiment));
  await preflight(experiment, options.experimentPath, trainingSpace, options.dataDir);

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
    }));

  // Trials left `running` by a crash are marked interrupted; they and Ctrl-C'd ones run again,
  // and so do failed ones (a failure may be transient, such as running out of memory).
  const previous = await store.listTrials(study.id);
  await interruptOrphanedTrials(store, study.id);
  const finished = completedTrainings(await store.listTrials(study.id));
  const requeued = new Set(
    previous.map((t) => trainingKey(t.configHash, t.repeat)).filter((key) => !finished.has(key)),
  ).size;
  const evaluationsOf = new Map<string, number>();
  for (const ev of await store.listEvaluations(study.id)) {
    const selected = ev.metrics[experiment.selection.split]?.[experiment.selection.metric];
    if (typeof selected === 'number') {
      const v = oriented(selected, experiment.selection.direction);
      evaluationsOf.set(ev.trialId, Math.max(evaluationsOf.get(ev.trialId) ?? -Infinity, v));
    }
  }

  const scoringVariants = enumerateGrid(scoringSpace);
  const sampler = makeSampler(experiment);
  const totalConfigs = experiment.sampler.type === 'grid' ? enumerateGrid(trainingSpace).length : experiment.sampler.trials;
  const totalTrainings = totalConfigs * experiment.repeats;

  const pool = new TrialPool({ workers, maxMemoryMb: experiment.executor.maxTrialMemoryMb });
  emit({
    type: 'study',
    study,
    resumed: Boolean(existing),
    skipped: 0,
    requeued,
    workers: pool.workers,
    backend,
    note,
  });

  const history: SampledTrial[] = [];
  const controllers = new Set<AbortController>();
  let trained = 0;
  let skipped = 0;
  let failed = 0;
  let number = previous.length;
  let best: { metric: string; value: number } | undefined;
  const interrupted = () => options.signal?.aborted ?? false;
  const onAbort = () => controllers.forEach((c) => c.abort());
  options.signal?.addEventListener('abort', onAbort);

  const environment = (result?: TrialResult): RunEnvironment => ({
    backend: result?.backend.backend ?? backend,
    versions: result ? { ...VERSIONS, tfjs: result.backend.tfjsVersion } : VERSIONS,
    gitCommit: study.gitCommit,
    hostname: hostname(),
    cpus: availableParallelism(),
  });

  async function runOne(params: Params, config: TrainingConfig, configHash: string, repeat: number): Promise<number | null> {
    const seed = trialSeed(experiment.seed, configHash, repeat);
    const trial = await store.startTrial(study.id, {
      configHash,
      params: flattenConfig(config as unknown as Record<string, unknown>),
      repeat,
      seed,
      environment: environment(),
      dataFingerprint: null,
    });
    emit({ type: 'trial-start', trialId: trial.id, number: number++, params, repeat, total: totalTrainings });
    const controller = new AbortController();
    controllers.add(controller);
    const budget = experiment.executor.maxTrialSeconds;
    // The trainer stops itself at the budget; the hard timer catches a trial stuck inside one epoch.
    const hardLimit = budget ? setTimeout(() => controller.abort(new Error('wall-time limit')), (budget * 1.5 + 30) * 1000) : undefined;
    const onProgress = (p: TrialProgress) => {
      if (p.type === 'epoch') emit({ type: 'trial-epoch', trialId: trial.id, record: p.record, epochs: p.epochs });
    };
    try {
      const result = await pool.run(
        { trialId: trial.id, config, seed, backend, dataDir: options.dataDir, maxSeconds: budget },
        onProgress,
        controller.signal,
      );
      const score = await record(trial, result);
      trained++;
      return score;
    } catch (err) {
      const status = interrupted() ? 'interrupted' : 'failed';
      if (status === 'failed') failed++;
      const done = await store.finishTrial(trial.id, { status, reason: failureReason(err, interrupted(), budget) });
      emit({ type: 'trial-end', trial: done, best });
      return null;
    } finally {
      clearTimeout(hardLimit);
      controllers.delete(controller);
    }
  }

  async function record(trial: TrialRecord, result: TrialResult): Promise<number | null> {
    const evaluations: NewEvaluation[] = [];
    let score: number | null = null;
    let chosenThreshold: number | null = null;
    for (const scoringParams of scoringVariants) {
      const scoring = resolveScoring(experiment, scoringParams);
      const scored = scoreVariant(result.errors, scoring);
      evaluations.push({
        configHash: sha256Hex(stableStringify({ training: trial.configHash, scoring })),
        scoring: flattenConfig({ scoring: { errorMetric: scoring.errorMetric }, threshold: scoring.threshold }),
        threshold: scored.threshold,
        usesLabels: scored.usesLabels,
        metrics: scored.metrics,
      });
      chosenThreshold ??= scored.threshold;
      const selected = scored.metrics[experiment.selection.split]?.[experiment.selection.metric];
      if (typeof selected === 'number' && Number.isFinite(selected)) {
        const v = oriented(selected, experiment.selection.direction);
        if (score === null || v > score) {
          score = v;
          chosenThreshold = scored.threshold;
        }
        if (!best || v > oriented(best.value, experiment.selection.direction)) {
          best = { metric: `${experiment.selection.split} ${experiment.selection.metric}`, value: selected };
        }
      }
    }

    const artifacts: Record<string, string> = {};
    const write = async (name: string, data: Uint8Array | string) => {
      artifacts[name] = await store.writeArtifact(study.id, trial.id, name, data);
    };
    const errorsArtifact: ErrorsArtifact = {};
    for (const name of ['train', 'validation', 'test'] as const) {
      const split = result.errors[name];
      if (split) errorsArtifact[name] = toJsonErrors(split);
    }
    await write(ARTIFACT.errors, JSON.stringify(errorsArtifact));
    const curves: CurvesArtifact = { errorMetric: experiment.scoring.errorMetric };
    curves.test = curvesOf(result.errors.test, curves.errorMetric);
    if (result.errors.validation) curves.validation = curvesOf(result.errors.validation, curves.errorMetric);
    await write(ARTIFACT.curves, JSON.stringify(curves));
    await write(ARTIFACT.examples, JSON.stringify(result.examples));
    if (result.series) await write(ARTIFACT.series, JSON.stringify(result.series));
    for (const file of withThreshold(result.modelFiles, chosenThreshold, experiment.scoring.errorMetric)) {
      const path = await store.writeArtifact(study.id, trial.id, `${ARTIFACT.model}/${file.name}`, file.data);
      artifacts[ARTIFACT.model] = posix.dirname(path);
    }

    await store.addEvaluations(trial.id, evaluations);
    const done = await store.finishTrial(trial.id, {
      status: 'complete',
      trainSeconds: result.trainSeconds,
      history: result.history,
      bestEpoch: result.bestEpoch,
      parameterCount: result.parameterCount,
      dataFingerprint: result.dataFingerprint,
      environment: environment(result),
      artifacts,
      reason: result.stopReason === 'completed' ? null : result.stopReason,
    });
    emit({ type: 'trial-end', trial: done, best });
    return score;
  }

  const running = new Set<Promise<void>>();
  try {
    while (!interrupted()) {
      const decision = sampler.next(trainingSpace, history);
      if (decision.status === 'done') break;
      if (decision.status === 'wait') {
        if (running.size === 0) throw new Error(`sampler ${sampler.name} waits with no trial running`);
        await Promise.race(running);
        continue;
      }
      const entry: SampledTrial = { params: decision.params, score: null };
      history.push(entry);
      const config = resolveTraining(experiment, decision.params);
      const configHash = trainingHash(config);
      for (let repeat = 0; repeat < experiment.repeats && !interrupted(); repeat++) {
        const done = finished.get(trainingKey(configHash, repeat));
        if (done) {
          skipped++;
          const prior = evaluationsOf.get(done.id);
          if (prior !== undefined) entry.score = Math.max(entry.score ?? -Infinity, prior);
          continue;
        }
        while (running.size >= pool.workers) await Promise.race(running);
        if (interrupted()) break;
        const job = runOne(decision.params, config, configHash, repeat).then((score) => {
          if (score !== null) entry.score = Math.max(entry.score ?? -Infinity, score);
        });
        const tracked = job.finally(() => running.delete(tracked));
        running.add(tracked);
      }
    }
    await Promise.all(running);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await Promise.allSettled(running);
    await pool.close();
  }

  const trials = await store.listTrials(study.id);
  const completedIds = new Set(trials.filter((t) => t.status === 'complete').map((t) => t.id));
  const evaluations = (await store.listEvaluations(study.id)).filter((e) => completedIds.has(e.trialId));
  const summary: StudySummary = {
    study,
    trained,
    skipped,
    failed,
    interrupted: interrupted(),
    evaluatedConfigurations: new Set(evaluations.map((e) => e.configHash)).size,
    completedTrainings: completedIds.size,
  };
  emit({ type: 'done', summary });
  return summary;
}

/**
 * Stores in the saved model the threshold of the trial's best scoring variant under the
 * selection rule, so `aelab score --model` flags anomalies as the study would.
 */
// persist.ts's AELAB_MODEL_FILE; importing it would load tfjs into the sweep's main thread.
const AELAB_MODEL_FILE = 'aelab-model.json';

function withThreshold(files: TrialResult['modelFiles'], threshold: number | null, errorMetric: string): TrialResult['modelFiles'] {
  return files.map((file) => {
    if (file.name !== AELAB_MODEL_FILE) return file;
    const info = JSON.parse(new TextDecoder().decode(file.data));
    info.threshold = threshold;
    info.extra = { ...info.extra, errorMetric };
    return { name: file.name, data: new TextEncoder().encode(`${JSON.stringify(info, null, 2)}\n`) };
  });
}

function round(values: Float32Array): number[] {
  // Float32 precision (7 significant digits) is all the errors carry; printing more only bloats the file.
  return Array.from(values, (v) => Number(v.toPrecision(7)));
}

function toJsonErrors(split: SplitErrorsResult) {
  return { mse: round(split.mse), mae: round(split.mae), y: Array.from(split.y), labels: split.labels };
}

function failureReason(err: unknown, interrupted: boolean, budget: number | undefined): string {
  if (interrupted) return 'interrupted by the user';
  const e = err as Error & { code?: string };
  const message = e?.message ?? String(err);
  if (e?.code === 'ERR_WORKER_OUT_OF_MEMORY' || /out of memory/i.test(message)) return `out of memory: ${message}`;
  if (e?.name === 'AbortError' || /wall-time limit/.test(message)) return `exceeded the wall-time limit of ${budget}s`;
  return message.split('\n')[0];
}
