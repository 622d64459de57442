import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { stableStringify } from '@aelab/core';
import { backendNamed, populationKey, type ModelSpec } from '@aelab/models/registry';
import { Piscina } from 'piscina';
import {
  modelSpecOf,
  type MemberMessage,
  type TrialResult,
  type TrialTask,
  type WorkerDirective,
} from '../trial-task.js';
import { z } from 'zod';
import { defineExecutor, type ExecutorContext, type ProgressHandler, type TrialExecutor } from './executor.js';
import { trialResourceLimits, threadExecArgv, workerScript } from '../training-host.js';
import { PiscinaExecutor } from './piscina.js';
import { verdictRelay, type VerdictRelay } from './verdict-relay.js';

/** How long the executor waits for more tasks of a group after the last one arrived, by default (ms). */
const GATHER_MS = 250;
const DEFAULT_SIZE = 256;
/** The largest population: past it, one batched graph holds more weights than any backend here trains at once. */
const MOST_SIZE = 65_536;

/** The `executor` section's own fields for kind `population`. */
const populationSettings = z
  .object({
    kind: z.literal('population'),
    populationSize: z
      .number()
      .int()
      .positive()
      .max(MOST_SIZE)
      .optional()
      .describe('Most trainings trained together as one batched graph (default 256; 1 never batches).'),
    populations: z
      .enum(['auto', 'always'])
      .optional()
      .describe(
        '"auto" (default) batches only on a backend measured to gain from it (docs/population.md); ' +
          '"always" batches on any backend.',
      ),
  })
  .strict();

/** What a population executor is given: the study's context and its own settings. */
export type PopulationOptions = ExecutorContext & Omit<z.output<typeof populationSettings>, 'kind'>;

/**
 * The population a task can join: tasks with the same group train as one batched graph
 * (same architecture, batch size and loss, the same data, backend and pruning); null for a
 * model family that cannot (it trains alone). Learning rate, dropout, L2, epochs, early
 * stopping, seed and repeat may differ.
 */
export function populationGroupOf(task: TrialTask): string | null {
  const key = populationKey(modelSpecOf(task.config) as ModelSpec, task.config.training);
  return key === null
    ? null
    : stableStringify({
        key,
        data: task.config.data,
        backend: task.backend,
        dataDir: task.dataDir ?? null,
        pruning: task.pruning ?? false,
      });
}

/** Whether to batch, and why (the line under the sweep's header). */
export function populationPlan(options: Pick<PopulationOptions, 'backend' | 'populationSize' | 'populations'>): {
  size: number;
  note: string;
} {
  const size = options.populationSize ?? DEFAULT_SIZE;
  const backend = options.backend ?? 'auto';
  if (!Number.isInteger(size) || size < 1) throw new Error(`populationSize must be a positive integer, got ${size}`);
  const off = (why: string) => ({
    size: 1,
    note: `populations off: ${why}; each training runs alone in the worker pool`,
  });
  if (size === 1) return off('populationSize is 1');
  if (options.populations === 'always')
    return {
      size,
      note:
        `populations of up to ${size} same-architecture trainings on backend ${backend} ` +
        `(executor.populations: always), one population at a time`,
    };
  if (backend === 'auto')
    return off(
      'backend auto: populations are used only on a named backend where they were measured to pay (docs/population.md)',
    );
  if (!backendNamed(backend)?.populations)
    return off(
      `on backend ${backend} a population trains no more models per second than single trainings ` +
        `(measured: docs/population.md)`,
    );
  return {
    size,
    note:
      `populations of up to ${size} same-architecture trainings on backend ${backend} ` +
      `(measured to pay: docs/population.md), one population at a time`,
  };
}

/** A task waiting for, or running in, a population. */
interface Entry {
  task: TrialTask;
  resolve(result: TrialResult): void;
  reject(error: unknown): void;
  settled: boolean;
  /** Carries its progress to the study and the verdicts back (see verdict-relay.ts). */
  relay: VerdictRelay;
  port?: MessagePort;
}

function settle(entry: Entry, outcome: { result: TrialResult } | { error: unknown }): void {
  if (entry.settled) return;
  entry.settled = true;
  if ('result' in outcome) entry.resolve(outcome.result);
  else entry.reject(outcome.error);
}

/**
 * Trains the study's trainings in populations (see `@aelab/models`' `trainPopulation`): tasks
 * that can share one are gathered, and a group starts when it is full or when no task has
 * joined it for `gatherMs` and a worker thread is free. Tasks arrive one `run` at a time,
 * as the study starts them; the study keeps up to `concurrency` (the population size) in
 * flight, so a grid's pending trainings gather within the window. Each task still settles
 * alone, as soon as its member stops, with a result of the same form as a single
 * training's. Where populations do not pay on the study's backend ({@link populationPlan}),
 * it is exactly the worker pool.
 */
export class PopulationExecutor implements TrialExecutor {
  readonly name = 'population';
  readonly concurrency: number;
  readonly note: string;
  private readonly pool: PiscinaExecutor | null;
  private readonly piscina: Piscina | null;
  private readonly size: number;
  private readonly gatherMs: number;
  private readonly preparedData: ExecutorContext['preparedData'];
  private readonly forming = new Map<string, { entries: Entry[]; lastArrival: number }>();
  private readonly running = new Set<Entry[]>();
  /** The size of each population started so far, in order (a group of one trains alone). */
  readonly launched: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed?: Promise<void>;

  constructor(options: PopulationOptions & { gatherMs?: number } = {}) {
    const plan = populationPlan(options);
    this.size = plan.size;
    this.note = plan.note;
    this.gatherMs = options.gatherMs ?? GATHER_MS;
    this.preparedData = options.preparedData;
    if (plan.size === 1) {
      this.pool = new PiscinaExecutor(options);
      this.piscina = null;
      this.concurrency = this.pool.concurrency;
      return;
    }
    this.pool = null;
    // One population at a time: a population is what fills the accelerator.
    this.concurrency = plan.size;
    this.piscina = new Piscina({
      filename: workerScript('executors/population-worker'),
      minThreads: 1,
      maxThreads: 1,
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
      resourceLimits: trialResourceLimits(options.maxTrialMemoryMb),
      execArgv: threadExecArgv(),
    });
    this.piscina.on('error', (error: Error) =>
      this.running.forEach((entries) => entries.forEach((e) => settle(e, { error }))),
    );
  }

  run(task: TrialTask, onProgress: ProgressHandler, signal?: AbortSignal): Promise<TrialResult> {
    if (this.pool) return this.pool.run(task, onProgress, signal);
    return new Promise<TrialResult>((resolve, reject) => {
      const entry = { task, resolve, reject, settled: false } as Entry;
      entry.relay = verdictRelay(task, onProgress, (error) => settle(entry, { error }));
      if (signal?.aborted) return settle(entry, { error: signal.reason });
      signal?.addEventListener('abort', () => this.abort(entry, signal.reason), { once: true });
      // A task that cannot share a population forms a full group of its own.
      const key = populationGroupOf(task) ?? `alone:${task.trialId}`;
      const group = this.forming.get(key) ?? { entries: [], lastArrival: 0 };
      group.entries.push(entry);
      group.lastArrival = key.startsWith('alone:') ? -Infinity : performance.now();
      this.forming.set(key, group);
      this.schedule();
    });
  }

  private abort(entry: Entry, reason: unknown): void {
    for (const [key, group] of this.forming) {
      group.entries = group.entries.filter((e) => e !== entry);
      if (group.entries.length === 0) this.forming.delete(key);
    }
    if (entry.port && !entry.settled) entry.port.postMessage('abort' satisfies WorkerDirective);
    settle(entry, { error: reason });
  }

  /** Starts the groups that are ready while the worker is free; re-arms the timer for the rest. */
  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = performance.now();
    for (const [key, group] of this.forming) {
      if (this.running.size > 0) return; // the population's end schedules again
      if (group.entries.length >= this.size || now - group.lastArrival >= this.gatherMs) {
        this.forming.delete(key);
        this.launch(group.entries);
      }
    }
    if (this.forming.size === 0 || this.running.size > 0) return;
    const next = Math.min(...[...this.forming.values()].map((g) => g.lastArrival + this.gatherMs));
    this.timer = setTimeout(() => this.schedule(), Math.max(0, next - now));
  }

  private launch(entries: Entry[]): void {
    this.running.add(entries);
    this.launched.push(entries.length);
    const channels = entries.map(() => new MessageChannel());
    entries.forEach((entry, k) => {
      entry.port = channels[k].port1;
      entry.port.on('message', (message: MemberMessage) => this.onMessage(entry, message));
    });
    const tasks = entries.map((e) => e.task);
    const ports = channels.map((c) => c.port2);
    const prepared = this.preparedData?.(tasks[0].config.data);
    this.piscina!.run({ tasks, ports, prepared }, { transferList: ports })
      .catch((error: unknown) => entries.forEach((e) => settle(e, { error })))
      .finally(() => {
        for (const entry of entries) {
          // Results posted just before the task ended may still wait in the port's queue.
          for (let queued = receiveMessageOnPort(entry.port!); queued; queued = receiveMessageOnPort(entry.port!))
            this.onMessage(entry, queued.message as MemberMessage);
          settle(entry, { error: new Error(`trial ${entry.task.trialId}: the population ended without its result`) });
          entry.port!.close();
        }
        this.running.delete(entries);
        this.schedule();
      });
  }

  private onMessage(entry: Entry, message: MemberMessage): void {
    if (entry.settled) return;
    if (message.type === 'result') return settle(entry, { result: message.result });
    if (message.type === 'error') return settle(entry, { error: new Error(message.message) });
    entry.relay.receive(message, (verdict) => {
      if (!entry.settled) entry.port!.postMessage(verdict satisfies WorkerDirective);
    });
  }

  releaseWorkers(): Promise<void> {
    return (this.closed ??= this.closeNow());
  }

  close(): Promise<void> {
    return this.releaseWorkers();
  }

  private async closeNow(): Promise<void> {
    clearTimeout(this.timer);
    for (const group of this.forming.values())
      group.entries.forEach((e) => settle(e, { error: new Error('executor closed') }));
    this.forming.clear();
    if (this.pool) await this.pool.close();
    else await this.piscina!.close({ force: true });
  }
}

export const populationExecutor = defineExecutor({
  kind: 'population',
  description:
    'trains same-architecture trainings as one batched graph where the backend gains from it (else the worker pool)',
  schema: populationSettings,
  create: (settings: Partial<z.output<typeof populationSettings>>, context) =>
    new PopulationExecutor({ ...context, populationSize: settings.populationSize, populations: settings.populations }),
});
