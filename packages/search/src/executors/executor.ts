import type { PreparedDataMessage } from '../prepared-message.js';
import type { BackendName } from '@aelab/models/registry';
import type { TrialDirective, TrialProgress, TrialResult, TrialTask } from '../trial-task.js';

/**
 * Receives a running trial's progress; for an epoch of a task with `pruning`, returns the
 * verdict (a promise of it where the answer comes from elsewhere, e.g. a remote worker
 * waiting for its coordinator).
 */
export type ProgressHandler = (progress: TrialProgress) => TrialDirective | void | Promise<TrialDirective | void>;

/**
 * Runs trainings somewhere: worker threads, processes, other machines.
 *
 * Contract:
 * - `run` trains one {@link TrialTask} and resolves with its {@link TrialResult}, or rejects
 *   with the training's error (its message is what the trial record will say). Tasks and
 *   results are plain data (JSON plus named binary blobs), so they may cross any wire.
 * - At most `concurrency` trials run at once; the study never has more in flight.
 * - `onProgress` is called on the coordinator's thread, in order, for every message the
 *   trial sends, and `run` resolves only after the last of those calls has settled (a
 *   result never overtakes its trial's progress). For a task with `pruning`, each epoch's call returns a verdict that the
 *   executor delivers to the trial, which waits for it before its next epoch; on `'prune'`
 *   the trial stops after that epoch and resolves normally with `stopReason: 'pruned'`.
 * - Aborting `signal` stops the trial now (it rejects with the signal's reason).
 * - An executor never touches the run store: the coordinator alone records results.
 * - `releaseWorkers`, where an executor has it, is called once every `run` has returned and
 *   none will follow, while their results may still be being recorded: it lets go of what
 *   only running trainings need (threads, their heaps and backends).
 * - `close` is called after every result `run` gave back has been recorded (or the study
 *   gave up): it stops everything still running, releases threads or connections, and
 *   may then delete what it kept for a restarted coordinator (a result is not deleted
 *   before it is recorded, or a coordinator killed while recording would train it again).
 */
export interface TrialExecutor {
  readonly name: string;
  readonly concurrency: number;
  /** How it runs trainings, when worth a line under the sweep's header (e.g. whether it trains populations, and why). */
  readonly note?: string;
  run(task: TrialTask, onProgress: ProgressHandler, signal?: AbortSignal): Promise<TrialResult>;
  releaseWorkers?(): Promise<void>;
  close(): Promise<void>;
}

/** How a study asks for an executor (the experiment's `executor` section, plus CLI overrides). */
export interface ExecutorOptions {
  /** Trainings at once; default: the CPU count. */
  workers?: number;
  /** Heap limit of one training (MB), where the executor can enforce one. */
  maxTrialMemoryMb?: number;
  /**
   * The coordinator's prepared data for a task's data section, when it has it. An executor
   * on this machine may hand it to its workers instead of having each load and prepare the
   * dataset again (the same function on the same inputs: the same arrays); one on other
   * machines ignores it and its workers prepare from their own data folder. Its per-row
   * arrays are all in shared memory: it crosses to a worker thread without a copy.
   */
  preparedData?: (data: TrialTask['config']['data']) => PreparedDataMessage | undefined;
  /** Where a remote executor's workers take tasks (e.g. `redis://host:6379`); local ones take none. */
  address?: string;
  /** The study's backend (as named: `auto` included), for executors whose strategy depends on it. */
  backend?: BackendName;
  /** Population executor: most trainings in one population (default 256; 1 never batches). */
  populationSize?: number;
  /**
   * Population executor: `auto` batches only on backends measured to gain from it
   * (`Backend.populations`); `always` batches on any backend (tests, benchmarks).
   */
  populations?: 'auto' | 'always';
}

/** One executor kind, registered in `executors/index.ts`. */
export interface ExecutorDefinition {
  readonly kind: string;
  readonly description: string;
  /**
   * Set for executors whose trainings run on other machines: `--executor <scheme>//...`
   * picks them by the address's URL scheme, and this machine's CPU count, memory and
   * backend thread-safety do not limit how many trials are in flight.
   */
  readonly remote?: { schemes: readonly string[]; defaultInFlight: number };
  /**
   * Resolves once the executor can take trainings, or fails saying why (a remote one: its
   * address answers and accepts the credentials). The study calls it before it creates or
   * resumes anything, so a wrong password is one error, not a study of failed trials.
   */
  reach?(options: ExecutorOptions): Promise<void>;
  create(options: ExecutorOptions): TrialExecutor;
}
