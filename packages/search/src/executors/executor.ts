import type { PreparedDataMessage } from '../prepared-message.js';
import type { BackendName } from '@aelab/models/registry';
import type { z } from 'zod';
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
 *   result never overtakes its trial's progress). For a task with `pruning`, each epoch's call returns a verdict that
 * the
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
  /**
   * How it runs trainings, when worth a line under the sweep's header (e.g. whether it trains populations, and why).
   */
  readonly note?: string;
  run(task: TrialTask, onProgress: ProgressHandler, signal?: AbortSignal): Promise<TrialResult>;
  releaseWorkers?(): Promise<void>;
  close(): Promise<void>;
}

/**
 * What the study gives every executor, whatever its kind (its own settings come from its
 * schema, see {@link ExecutorDefinition.schema}).
 */
export interface ExecutorContext {
  /** Trainings at once; default: the CPU count (a remote executor: its `remote.defaultInFlight`). */
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
}

/** What every `aelab worker` takes, whichever executor it serves. */
export interface WorkerRunOptions {
  /** The executor's address, e.g. `redis://host:6379` (given as `aelab worker --<kind> ADDRESS`). */
  address: string;
  /** Trainings at once (threads of the worker's pool). */
  concurrency: number;
  /** This machine's backend, instead of the one each task names. */
  backend?: BackendName;
  /** Where this worker reads datasets (default: $AELAB_DATA_DIR, else ~/.cache/aelab/datasets). */
  dataDir?: string;
  maxTrialMemoryMb?: number;
  /** Stops taking jobs; running ones finish first. */
  signal?: AbortSignal;
  /** The executor's own options (see {@link WorkerCommand.options}), by their kebab-case names. */
  settings: Record<string, number | undefined>;
}

/**
 * The worker process of a remote executor, run by `aelab worker --<kind> ADDRESS`: the CLI
 * builds the command from the definitions that have one, with the options they declare.
 */
export interface WorkerCommand {
  /** The help of `--<kind>`: what address it takes. */
  readonly address: string;
  /** Its own options, each a whole number of at least 1: kebab-case name -> help and default. */
  readonly options: Readonly<Record<string, { describe: string; default?: number }>>;
  /** Serves until `options.signal` aborts. */
  run(options: WorkerRunOptions): Promise<void>;
}

/** One executor kind, registered in `executors/index.ts`. */
export interface ExecutorDefinition<S extends { kind?: string } = { kind?: string }> {
  readonly kind: string;
  readonly description: string;
  /**
   * Its own settings in the experiment's `executor` section: a strict zod object with a
   * literal `kind` and only the fields of this executor. The registry adds the fields every
   * executor takes (workers, backend, budgets, address) and composes the section's schema.
   */
  readonly schema: z.ZodObject;
  /**
   * Set for executors whose trainings run on other machines: `--executor <scheme>//...`
   * picks them by the address's URL scheme, and this machine's CPU count, memory and
   * backend thread-safety do not limit how many trials are in flight.
   */
  readonly remote?: { schemes: readonly string[]; defaultInFlight: number };
  /** The worker process that trains its tasks elsewhere, for a remote executor. */
  readonly worker?: WorkerCommand;
  /**
   * Resolves once the executor can take trainings, or fails saying why (a remote one: its
   * address answers and accepts the credentials). The study calls it before it creates or
   * resumes anything, so a wrong password is one error, not a study of failed trials.
   */
  reach?(context: ExecutorContext): Promise<void>;
  /** Its executor, from its parsed settings (the whole `executor` section) and the study's context. */
  create(settings: S, context: ExecutorContext): TrialExecutor;
}

/** Typed identity: keeps a definition's settings type. */
export function defineExecutor<S extends { kind?: string }>(definition: ExecutorDefinition<S>): ExecutorDefinition<S> {
  return definition;
}
