import { availableParallelism, hostname } from 'node:os';
import { intermediateValue, preloadDistributions, type EpochRecord, type LabelUse, type Params } from '@aelab/core';
import type { BackendName } from '@aelab/models/registry';
import { trainingKey, type RunEnvironment, type RunStore, type StudyRecord, type TrialRecord } from '@aelab/store';
import type { DataSpec } from '@aelab/data';
import { executorDefinition } from './executors/index.js';
import type { TrialExecutor } from './executors/executor.js';
import { repeatData, type Experiment } from './experiment.js';
import { createPruner } from './pruners/index.js';
import { NO_PRUNING } from './pruners/none.js';
import type { Pruner, TrialCurve } from './pruners/pruner.js';
import { TrialRecorder } from './recorder.js';
import { SharedPreparedData } from './shared-data.js';
import { baselineParams, flattenConfig, resolveBaseline, resolveTraining } from './resolve.js';
import { createSampler, plannedTrials } from './samplers/index.js';
import type { SampledTrial, Sampler } from './samplers/sampler.js';
import {
  concurrencyOf,
  finishedBeforeOpening,
  openStudy,
  plannedTrainings,
  trainingHash,
  trialMemoryLimit,
  trialSeed,
  type OpenedStudy,
} from './study-setup.js';
import type { TrainingConfig, TrialDirective, TrialProgress, TrialResult } from './trial-task.js';

export { experimentHash, gitCommit, plannedTrainings, trainingHash, trialSeed } from './study-setup.js';

export interface StudyOptions {
  experiment: Experiment;
  /** Where the experiment came from (recorded in the study). */
  experimentPath: string;
  store: RunStore;
  /** Trainings at once; default: the experiment's, else CPU count (on this machine, capped: see `concurrencyOf`). */
  workers?: number;
  backend?: BackendName;
  /** Start a new study even when one with the same experiment hash exists. */
  fresh?: boolean;
  dataDir?: string;
  /**
   * Where a remote executor's workers take tasks (`--executor redis://host:6379`): picks
   * the executor by the URL's scheme, over the experiment's `executor` section.
   */
  executorAddress?: string;
  /**
   * Runs the trainings instead of the experiment's executor (tests, embedding). The study
   * closes it when done. Default: the experiment's `executor` section's (see `createExecutor`).
   */
  executor?: TrialExecutor;
  /** Stops the sweep: running trials are recorded as interrupted. */
  signal?: AbortSignal;
  onEvent?: (event: StudyEvent) => void;
}

/** The study's best so far under its selection rule (the same rule `runs best` and the report use). */
export interface BestSoFar {
  /** What the value is, e.g. "test f1" (the study's objective: its mean over repeats). */
  metric: string;
  value: number;
  configHash: string;
}

export type StudyEvent =
  | {
      type: 'study';
      study: StudyRecord;
      resumed: boolean;
      requeued: number;
      workers: number;
      backend: string;
      note?: string;
      /** What preparing the data warned about, each once (e.g. a test split without anomalies). */
      warnings: string[];
      /** Where the labelled anomalies went (core's `describeLabelUse` words it). */
      labelUse: LabelUse[];
    }
  | { type: 'trial-start'; trialId: string; number: number; params: Params; repeat: number; total: number | null }
  | { type: 'trial-epoch'; trialId: string; record: EpochRecord; epochs: number }
  | { type: 'trial-end'; trial: TrialRecord; best?: BestSoFar }
  | { type: 'done'; summary: StudySummary };

export interface StudySummary {
  study: StudyRecord;
  /** Trainings run by this invocation. */
  trained: number;
  /** Trainings skipped because a finished trial with the same config and repeat existed. */
  skipped: number;
  failed: number;
  pruned: number;
  /** Trainings not trained again because they failed more times than `failures.maxRetriesPerTrial` allows. */
  gaveUp: number;
  /** Why the sweep stopped before its sampler was done (`failures.maxConsecutive` failures in a row), if it did. */
  stopped?: string;
  /** The failure policy the sweep ran under (the experiment's `failures`). */
  failures: Experiment['failures'];
  interrupted: boolean;
  /** Distinct evaluated configurations in the study (training x scoring, across repeats). */
  evaluatedConfigurations: number;
  /** Trainings in the study that completed (this run and earlier). */
  completedTrainings: number;
}

const VERSIONS: Record<string, string> = { node: process.versions.node };

/**
 * Runs (or resumes) a study as an ask/tell loop: the sampler asks for a training
 * configuration, each configuration x repeat trains once on the executor, the recorder
 * scores every scoring variant and records it (this thread is the store's only writer),
 * and the sampler is told the objective through the history.
 */
export async function runStudy(options: StudyOptions): Promise<StudySummary> {
  const { experiment } = options;
  const backend: BackendName = options.backend ?? (experiment.executor.backend as BackendName);
  // An address from the command line picks its executor over the file's kind; the file's own must agree with its kind.
  const address = options.executorAddress ?? experiment.executor.address;
  const kind = options.executorAddress !== undefined ? undefined : experiment.executor.kind;
  const definition = options.executor ? undefined : executorDefinition(kind, address);
  const remote = definition?.remote;
  // Trainings on other machines are not limited by this machine's CPUs, memory or backend.
  const concurrency = (pending: number | null) =>
    remote
      ? { workers: options.workers ?? experiment.executor.workers ?? remote.defaultInFlight, note: undefined }
      : options.executor
        ? concurrencyOf(experiment, backend, options.executor.concurrency)
        : concurrencyOf(experiment, backend, options.workers, { pending });
  const planned = plannedTrainings(experiment);
  // Before the study is created or resumed: a wrong password is one error, not a study of failed trials.
  await definition?.reach?.({ address });
  const prepared = new SharedPreparedData();
  const limits = trialMemoryLimit(experiment, remote ? 1 : concurrency(planned).workers);
  // A resumed study has fewer left to run: no thread is started that would never train.
  const finished = planned === null ? 0 : await finishedBeforeOpening(experiment, options.store, options.fresh);
  const { workers, note } = concurrency(planned === null ? null : planned - finished);
  const { maxTrialMemoryMb } = experiment.executor;
  const context = { workers, address, maxTrialMemoryMb, preparedData: (data: DataSpec) => prepared.get(data), backend };
  const create = () => options.executor ?? definition!.create(experiment.executor, context);
  // A local executor is created before the data is prepared: a pool's threads load their modules meanwhile.
  const early = remote ? undefined : create();
  let opened: OpenedStudy;
  try {
    opened = await openStudy(experiment, { ...options, limits: { ...limits, keep: prepared } });
  } catch (error) {
    // A study that cannot open trains nothing: the threads started for it go (a given executor is its caller's).
    if (early && !options.executor) await early.close();
    throw error;
  }
  const executor = early ?? create();
  const run = new StudyRun(options, opened, backend, executor);
  run.emit({
    type: 'study',
    study: opened.study,
    resumed: opened.resumed,
    requeued: opened.requeued,
    workers: executor.concurrency,
    backend,
    note: [note, executor.note].filter(Boolean).join('; ') || undefined,
    warnings: opened.warnings,
    labelUse: opened.labelUse,
  });
  // Runs once the loop first waits for a worker, i.e. with the first trainings under way. A load that fails is
  // not this timer's to report (it would end the process): the first interval loads them again and says why.
  const preload = setTimeout(() => {
    try {
      preloadDistributions();
    } catch {
      // see above
    }
  }, 0);
  try {
    await run.loop();
  } finally {
    clearTimeout(preload);
    await run.close();
  }
  const summary = await run.summary();
  run.emit({ type: 'done', summary });
  return summary;
}

/** One invocation's state: what is in flight and what it has done. */
class StudyRun {
  readonly emit: (event: StudyEvent) => void;
  private readonly sampler: Sampler;
  private readonly pruner: Pruner;
  /** Whether the study prunes at all (trials then wait for each epoch's verdict). */
  private readonly prunes: boolean;
  private readonly recorder: TrialRecorder;
  private readonly history: (SampledTrial & {
    trainingHash: string;
    pending: number;
    ended: Set<SampledTrial['state']>;
  })[] = [];
  private readonly curves: Map<string, TrialCurve & { values: number[] }>;
  private readonly controllers = new Set<AbortController>();
  private readonly running = new Set<Promise<void>>();
  /**
   * The trials whose outcome the sampler does not know yet: one per worker at most. A trial
   * leaves it once its result is scored (its objective on the board) or it failed, before
   * its artifacts and record are written, so the next training overlaps that writing.
   */
  private readonly slots = new Set<Promise<void>>();
  /** The first trial that failed the study (rather than itself): nothing more is launched. */
  private broken: { error: unknown } | undefined;
  private readonly counts = { trained: 0, skipped: 0, failed: 0, pruned: 0, gaveUp: 0 };
  /** Failed trainings since the last that did not fail (see the experiment's `failures`). */
  private consecutiveFailures = 0;
  private stopped: string | undefined;
  /** The last result's recording: the next waits for it (see record). */
  private recording: Promise<unknown> = Promise.resolve();
  /** Trainings launched that the executor has not given back yet (see loop). */
  private readonly training = new Set<Promise<void>>();
  private number: number;
  private readonly total: number | null;

  constructor(
    private readonly options: StudyOptions,
    private readonly opened: OpenedStudy,
    private readonly backend: BackendName,
    private readonly executor: TrialExecutor,
  ) {
    const { experiment } = options;
    this.emit = options.onEvent ?? (() => {});
    this.sampler = createSampler(experiment.sampler, { seed: experiment.seed });
    this.pruner = createPruner(experiment.pruner, { epochs: experiment.training.epochs });
    this.prunes = this.pruner !== NO_PRUNING;
    this.number = opened.previousTrials;
    const planned = plannedTrials(experiment.sampler, opened.trainingSpace);
    this.total = planned === null ? null : (planned + (experiment.baselines?.length ?? 0)) * experiment.repeats;
    this.curves = new Map(opened.curves.map((c) => [c.trialId, { ...c, values: [...c.values] }]));
    this.recorder = new TrialRecorder({
      store: options.store,
      study: opened.study,
      experiment,
      scoringVariants: opened.scoringVariants,
      board: opened.board,
      environment: (result) => this.environment(result),
    });
    options.signal?.addEventListener('abort', this.onAbort);
  }

  private readonly onAbort = () => this.controllers.forEach((c) => c.abort());

  private get interrupted(): boolean {
    return this.options.signal?.aborted ?? false;
  }

  /** Whether nothing more is launched: the user stopped the sweep, or the failure policy did. */
  private get halted(): boolean {
    return this.interrupted || this.stopped !== undefined;
  }

  /** Ask, launch each repeat, and let finished trials tell; ends when the sampler is done. */
  async loop(): Promise<void> {
    while (!this.halted) {
      // Ask only once a worker is free, so the sampler sees every trial that ended before
      // it: with one worker, all earlier ones. A resumed study replays the finished ones
      // at once, so it asks with the same history, and the same proposals follow.
      await this.freeWorker();
      if (this.halted) break;
      const decision = this.sampler.ask(this.opened.trainingSpace, this.history);
      if (decision.status === 'done') break;
      if (decision.status === 'wait') {
        if (this.slots.size === 0) throw new Error(`sampler ${this.sampler.name} waits with no trial running`);
        await Promise.race(this.slots);
        continue;
      }
      await this.launchRepeats(decision.params);
    }
    // The baselines, once the sampler is done: they are not part of its space, so the
    // sampler's proposals (and a resumed study's replay) are those of a study without them.
    for (const spec of this.options.experiment.baselines ?? []) {
      if (this.interrupted) break;
      await this.freeWorker();
      if (this.interrupted) break;
      await this.launchRepeats(baselineParams(spec), resolveBaseline(this.options.experiment, spec));
    }
    // Nothing is launched after this: once every training is back from the executor, its
    // threads (each with its heap, its allocator's arenas and its backend's memory) are let
    // go while the last results are still being recorded. Closing it waits for the records
    // (see TrialExecutor: close may delete what a restarted coordinator would need).
    await Promise.all(this.training);
    await this.executor.releaseWorkers?.();
    await Promise.all(this.running);
  }

  private async launchRepeats(
    params: Params,
    config = resolveTraining(this.options.experiment, params),
  ): Promise<void> {
    const { experiment } = this.options;
    const hash = trainingHash(config);
    const entry = {
      params,
      objective: null,
      state: 'running' as SampledTrial['state'],
      trainingHash: hash,
      pending: experiment.repeats,
      ended: new Set<SampledTrial['state']>(),
    };
    this.history.push(entry);
    for (let repeat = 0; repeat < experiment.repeats && !this.halted; repeat++) {
      const done = this.opened.finished.get(trainingKey(hash, repeat));
      if (done) {
        this.counts.skipped++;
        this.settle(entry, done.status === 'pruned' ? 'pruned' : 'complete');
        continue;
      }
      // Its earlier failures are recorded; past the retries allowed it is not trained again.
      if ((this.opened.failedAttempts.get(trainingKey(hash, repeat)) ?? 0) > experiment.failures.maxRetriesPerTrial) {
        this.counts.gaveUp++;
        this.settle(entry, 'failed');
        continue;
      }
      await this.freeWorker();
      if (this.halted) break;
      this.launch(entry, params, config, hash, repeat);
    }
  }

  /** Hands one repeat over: in `training` until given back, `slots` until scored, `running` until recorded. */
  private launch(
    entry: (typeof this.history)[number],
    params: Params,
    config: TrainingConfig,
    hash: string,
    repeat: number,
  ): void {
    let trained!: () => void;
    const training = new Promise<void>((resolve) => (trained = resolve));
    this.training.add(training);
    void training.then(() => this.training.delete(training));
    let told = false;
    let scored!: (state: SampledTrial['state']) => void;
    let broke!: (error: unknown) => void;
    const slot = new Promise<void>((resolve, reject) => {
      scored = (state) => {
        if (told) return;
        told = true;
        this.settle(entry, state);
        resolve();
      };
      broke = (error) => {
        if (told) return;
        told = true;
        reject(error);
      };
    });
    const forget = () => this.slots.delete(slot);
    void slot.then(forget, forget);
    this.slots.add(slot);
    const job = this.runTrial(params, config, hash, repeat, trained, scored)
      .finally(trained)
      .then(scored, (error: unknown) => {
        broke(error);
        throw error;
      });
    const tracked = job.finally(() => this.running.delete(tracked));
    // A trial that fails the study after leaving its slot (its record could not be written) is thrown by freeWorker.
    tracked.catch((error: unknown) => (this.broken ??= { error }));
    this.running.add(tracked);
  }

  /** Resolves once fewer than `concurrency` trials are in flight (their outcomes told; see `slots`). */
  private async freeWorker(): Promise<void> {
    while (this.slots.size >= this.executor.concurrency) await Promise.race(this.slots);
    if (this.broken) throw this.broken.error;
  }

  /** Tells the sampler: one repeat of a configuration ended; its objective is the board's. */
  private settle(entry: (typeof this.history)[number], state: SampledTrial['state']): void {
    entry.pending--;
    entry.ended.add(state);
    entry.objective = this.opened.board.objectiveOf(entry.trainingHash);
    if (entry.pending === 0)
      entry.state = entry.ended.has('complete') ? 'complete' : entry.ended.has('pruned') ? 'pruned' : 'failed';
    this.sampler.tell?.(entry);
  }

  /**
   * Trains and records one repeat; `trained` is called once the executor has given back its
   * result (or failed), `scored` once its outcome is known to the board (the record follows).
   */
  private async runTrial(
    params: Params,
    config: TrainingConfig,
    configHash: string,
    repeat: number,
    trained: () => void,
    scored: (state: SampledTrial['state']) => void,
  ): Promise<SampledTrial['state']> {
    const { store, experiment } = this.options;
    const seed = trialSeed(experiment.seed, configHash, repeat);
    const controller = new AbortController();
    this.controllers.add(controller);
    const budget = experiment.executor.maxTrialSeconds;
    let hardLimit: ReturnType<typeof setTimeout> | undefined;
    let training: Promise<TrialResult> | undefined;
    // The training is handed over as soon as its trial has an id, while the store makes the
    // record durable (an fsync or two, no longer a fixed cost of every trial). Its pruner
    // answers at once; what is shown of it waits for the record (`trial-start` comes first).
    let held: StudyEvent[] | null = [];
    const show = (event: StudyEvent) => (held ? held.push(event) : this.emit(event));
    const launch = (trial: TrialRecord) => {
      const key = trainingKey(configHash, repeat);
      const onProgress = (p: TrialProgress) => this.onProgress(trial.id, key, p, show);
      // The trainer stops itself at the budget; the hard timer catches a trial stuck inside one epoch.
      if (budget)
        hardLimit = setTimeout(() => controller.abort(new Error('wall-time limit')), (budget * 1.5 + 30) * 1000);
      const task = this.taskOf(trial, config, configHash, repeat, seed);
      // Called inside the store's write, which must not throw: a failure is the training's.
      try {
        training = this.executor.run(task, onProgress, controller.signal).finally(trained);
      } catch (error) {
        training = Promise.reject(error as Error).finally(trained);
      }
      // Awaited once the record is written; until then a failure must not count as unhandled.
      training.catch(() => undefined);
    };
    let trial: TrialRecord;
    try {
      trial = await store.startTrial(this.opened.study.id, this.newTrial(params, config, configHash, repeat, seed), {
        onCreated: launch,
      });
    } catch (error) {
      // No record, no training: the one handed over stops, and the study fails with the store's error as before.
      controller.abort(error);
      await training?.catch(() => undefined);
      clearTimeout(hardLimit);
      this.controllers.delete(controller);
      throw error;
    }
    this.emit({ type: 'trial-start', trialId: trial.id, number: this.number++, params, repeat, total: this.total });
    const shown = held;
    held = null;
    shown.forEach((event) => this.emit(event));
    // A store that does not take `onCreated` (a wrapper): hand it over now.
    if (!training) launch(trial);
    try {
      return await this.record(trial, await training!, scored);
    } catch (err) {
      const status = this.interrupted ? 'interrupted' : 'failed';
      if (status === 'failed') this.failedOne();
      const done = await store.finishTrial(trial.id, { status, reason: failureReason(err, this.interrupted, budget) });
      this.emit({ type: 'trial-end', trial: done, best: this.best() });
      return 'failed';
    } finally {
      clearTimeout(hardLimit);
      this.controllers.delete(controller);
    }
  }

  private newTrial(params: Params, config: TrainingConfig, configHash: string, repeat: number, seed: number) {
    return {
      configHash,
      params: flattenConfig(config as unknown as Record<string, unknown>),
      sampled: params,
      distributions: this.distributionsOf(params),
      repeat,
      seed,
      environment: this.environment(),
      dataFingerprint: null,
    };
  }

  private taskOf(trial: TrialRecord, config: TrainingConfig, configHash: string, repeat: number, seed: number) {
    const { experiment } = this.options;
    return {
      trialId: trial.id,
      // With `resample`, each repeat trains on its own draw of the split (same config hash).
      config: { ...config, data: repeatData(experiment, config.data, repeat) },
      seed,
      backend: this.backend,
      dataDir: this.options.dataDir,
      maxSeconds: experiment.executor.maxTrialSeconds,
      pruning: this.prunes,
      ...this.verdictEpochsOf(trainingKey(configHash, repeat), config.training.epochs),
      training: { studyId: this.opened.study.id, configHash, repeat },
    };
  }

  /** The epochs at which the pruner can stop a training, when it says (see `Pruner.decidesAt`). */
  private verdictEpochsOf(training: string, epochs: number): { verdictEpochs?: number[] } {
    const { pruner } = this;
    if (!this.prunes || !pruner.decidesAt) return {};
    const verdictEpochs: number[] = [];
    for (let epoch = 1; epoch <= epochs; epoch++) if (pruner.decidesAt(training, epoch)) verdictEpochs.push(epoch);
    return { verdictEpochs };
  }

  /**
   * Records one result at a time, in the order they arrive: recording a large dataset's
   * result holds every row's errors and the scores computed from them, and two at once
   * held twice that (the coordinator's peak, measured).
   */
  private record(
    trial: TrialRecord,
    result: TrialResult,
    scored: (state: SampledTrial['state']) => void,
  ): Promise<SampledTrial['state']> {
    const turn = this.recording.then(() => this.recordNow(trial, result, scored));
    this.recording = turn.catch(() => undefined);
    return turn;
  }

  private async recordNow(
    trial: TrialRecord,
    result: TrialResult,
    scored: (state: SampledTrial['state']) => void,
  ): Promise<SampledTrial['state']> {
    const pruned = result.stopReason === 'pruned';
    // A training that did not fail ends the run of failures before the next trial can start.
    const known = (state: SampledTrial['state']) => ((this.consecutiveFailures = 0), scored(state));
    if (pruned) known('pruned');
    const done = pruned
      ? await this.recorder.pruned(trial, result, this.pruner.name)
      : await this.recorder.complete(trial, result, () => known('complete'));
    this.counts[pruned ? 'pruned' : 'trained']++;
    const curve = this.curves.get(trial.id);
    if (curve) curve.state = done.status;
    this.emit({ type: 'trial-end', trial: done, best: this.best() });
    return pruned ? 'pruned' : 'complete';
  }

  /** Counts a failed training; `failures.maxConsecutive` of them in a row stop the sweep (running trials finish). */
  private failedOne(): void {
    this.counts.failed++;
    const { maxConsecutive } = this.options.experiment.failures;
    if (++this.consecutiveFailures < maxConsecutive || this.stopped !== undefined) return;
    const trainings = `${maxConsecutive} failed training${maxConsecutive === 1 ? '' : 's'}`;
    this.stopped =
      `stopped after ${trainings} in a row (failures.maxConsecutive); ` +
      'the last failure is in the trial list (`aelab runs show`)';
  }

  private onProgress(
    trialId: string,
    training: string,
    progress: TrialProgress,
    show: (event: StudyEvent) => void,
  ): TrialDirective | void {
    if (progress.type !== 'epoch') return;
    show({ type: 'trial-epoch', trialId, record: progress.record, epochs: progress.epochs });
    return this.report(trialId, training, progress.record.epoch, intermediateValue(progress.record));
  }

  /** The pruning channel: a running trial reports one value per step; its pruner answers. */
  private report(trialId: string, training: string, step: number, value: number): TrialDirective {
    // Without a pruner there is nothing to decide: no curve to keep, no scan of the others per epoch.
    if (!this.prunes) return 'continue';
    let curve = this.curves.get(trialId);
    if (!curve) this.curves.set(trialId, (curve = { trialId, training, values: [], state: 'running' }));
    curve.values[step - 1] = value;
    // Nothing to decide at a step the pruner never prunes at (the trial does not wait for it).
    if (this.pruner.decidesAt?.(training, step) === false) return 'continue';
    const others = [...this.curves.values()].filter((c) => c !== curve);
    return this.pruner.shouldPrune(curve, others) ? 'prune' : 'continue';
  }

  private distributionsOf(params: Params) {
    const all = this.opened.distributions;
    const names = [...Object.keys(params), ...Object.keys(all).filter((n) => !(n in this.opened.trainingSpace))];
    return Object.fromEntries(names.filter((n) => all[n]).map((n) => [n, all[n]]));
  }

  private best(): BestSoFar | undefined {
    const winner = this.opened.board.winner();
    if (!winner?.score) return undefined;
    const { split, metric } = this.opened.study.selection;
    return { metric: `${split} ${metric}`, value: winner.score.mean, configHash: winner.configHash };
  }

  private environment(result?: TrialResult): RunEnvironment {
    return {
      backend: result?.backend.backend ?? this.backend,
      ...(result?.backend.trainingStep ? { trainingStep: result.backend.trainingStep } : {}),
      versions: result ? { ...VERSIONS, tfjs: result.backend.tfjsVersion } : VERSIONS,
      gitCommit: this.opened.study.gitCommit,
      hostname: hostname(),
      cpus: availableParallelism(),
    };
  }

  async close(): Promise<void> {
    this.options.signal?.removeEventListener('abort', this.onAbort);
    await Promise.allSettled(this.running);
    await this.executor.close();
  }

  async summary(): Promise<StudySummary> {
    const { store } = this.options;
    const { study } = this.opened;
    const trials = await store.listTrials(study.id);
    const completedIds = new Set(trials.filter((t) => t.status === 'complete').map((t) => t.id));
    const evaluations = (await store.listEvaluations(study.id)).filter((e) => completedIds.has(e.trialId));
    return {
      study,
      ...this.counts,
      ...(this.stopped !== undefined ? { stopped: this.stopped } : {}),
      failures: this.options.experiment.failures,
      interrupted: this.interrupted,
      evaluatedConfigurations: new Set(evaluations.map((e) => e.configHash)).size,
      completedTrainings: completedIds.size,
    };
  }
}

function failureReason(err: unknown, interrupted: boolean, budget: number | undefined): string {
  if (interrupted) return 'interrupted by the user';
  const e = err as Error & { code?: string };
  const message = e?.message ?? String(err);
  if (e?.code === 'ERR_WORKER_OUT_OF_MEMORY' || /out of memory/i.test(message)) return `out of memory: ${message}`;
  if (e?.name === 'AbortError' || /wall-time limit/.test(message)) return `exceeded the wall-time limit of ${budget}s`;
  return message.split('\n')[0];
}
