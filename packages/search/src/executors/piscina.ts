import { availableParallelism } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { trialResourceLimits, threadExecArgv, workerScript } from '../training-host.js';
import type { PortMessage, TrialResult, TrialTask } from '../trial-task.js';
export { trialResourceLimits, withoutConditions, workerScript } from '../training-host.js';
import { z } from 'zod';
import { verdictRelay } from './verdict-relay.js';
import { defineExecutor, type ExecutorContext, type ProgressHandler, type TrialExecutor } from './executor.js';

/** The pool's worker script. */
export function trialWorkerFile(): string {
  return workerScript('executors/piscina-worker');
}

/**
 * Worker threads of this process, one training per thread at a time (tfjs state is per
 * thread). Progress flows back over a MessagePort, and a prune directive goes the other
 * way over the same port.
 */
export class PiscinaExecutor implements TrialExecutor {
  readonly name = 'pool';
  readonly concurrency: number;
  private readonly piscina: Piscina;
  private readonly preparedData: ExecutorContext['preparedData'];
  /** Tasks queued but not yet started by a worker. */
  private readonly waiting = new Set<AbortController>();
  private closed?: Promise<void>;

  constructor(options: ExecutorContext = {}) {
    this.concurrency = options.workers ?? availableParallelism();
    this.preparedData = options.preparedData;
    if (!Number.isInteger(this.concurrency) || this.concurrency <= 0) {
      throw new Error(`workers must be a positive integer, got ${options.workers}`);
    }
    this.piscina = new Piscina({
      filename: trialWorkerFile(),
      minThreads: this.concurrency,
      maxThreads: this.concurrency,
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
      resourceLimits: trialResourceLimits(options.maxTrialMemoryMb),
      execArgv: threadExecArgv(),
      // Every thread starts now (minThreads) and loads its modules while the study prepares its data.
      // No warm-up training in the thread and Piscina's default atomics: with 'async' a task could reach a
      // thread while Piscina was still loading its module, whose second load (require) crashed Node 20
      // ("IsGraphAsync must be used on an instantiated module") in a loaded test run.
    });
    // A worker that dies outside a task (e.g. a replacement thread running out of memory
    // while it loads tfjs) is reported as an 'error' event on the pool; unhandled, it would
    // kill the sweep. Piscina does not replace a thread that dies while starting, so tasks
    // waiting for it would wait forever: fail them with the thread's error.
    this.piscina.on('error', (error: Error) => {
      for (const waiting of this.waiting) waiting.abort(error);
    });
  }

  async run(task: TrialTask, onProgress: ProgressHandler, signal?: AbortSignal): Promise<TrialResult> {
    const { port1, port2 } = new MessageChannel();
    const waiting = new AbortController();
    this.waiting.add(waiting);
    const relay = verdictRelay(task, onProgress, (error) => waiting.abort(error));
    let ended: () => void = () => undefined;
    const end = new Promise<void>((resolve) => (ended = resolve));
    const receive = (message: PortMessage) => {
      // Once `end` arrives, every epoch before it has been handled.
      if (message.type === 'end') return void relay.drained().then(ended);
      if (message.type === 'accepted') this.waiting.delete(waiting);
      relay.receive(message, (verdict) => port1.postMessage(verdict));
    };
    // The worker's channel posts its progress in batches (see portChannel's `batchEpochs`).
    port1.on('message', (message: PortMessage | PortMessage[]) =>
      Array.isArray(message) ? message.forEach(receive) : receive(message),
    );
    const signals = signal ? AbortSignal.any([signal, waiting.signal]) : waiting.signal;
    try {
      // Shared-memory arrays cross to the worker without a copy (see sharedPreparedData).
      const prepared = this.preparedData?.(task.config.data);
      const result = (await this.piscina.run(
        { task, port: port2, prepared },
        { transferList: [port2], signal: signals },
      )) as TrialResult;
      // The result can overtake the port's last epochs (under load, it does): the trial's
      // progress is complete only once the worker's `end` has arrived.
      await end;
      return result;
    } catch (error) {
      // Piscina reports an abort as AbortError; the reason says what actually happened.
      if (waiting.signal.aborted) throw waiting.signal.reason;
      throw error;
    } finally {
      this.waiting.delete(waiting);
      port1.close();
    }
  }

  releaseWorkers(): Promise<void> {
    return (this.closed ??= this.piscina.close({ force: true }));
  }

  close(): Promise<void> {
    return this.releaseWorkers();
  }
}

export const poolExecutor = defineExecutor({
  kind: 'pool',
  description: 'Piscina worker threads on this machine (one training per thread)',
  schema: z.object({ kind: z.literal('pool') }).strict(),
  create: (_settings, context) => new PiscinaExecutor(context),
});
