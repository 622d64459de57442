import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { PortMessage, TrialResult, TrialTask } from '../trial-task.js';
import type { ExecutorDefinition, ExecutorOptions, ProgressHandler, TrialExecutor } from './executor.js';

/** A worker script of this folder (`name` without extension). Worker threads load plain JavaScript, so tests running from `src/*.ts` use the build. */
export function workerScript(name: string): string {
  const here = fileURLToPath(import.meta.url);
  const dir = dirname(here);
  return here.endsWith('.ts') ? resolve(dir, `../../dist/executors/${name}.js`) : resolve(dir, `${name}.js`);
}

/** The pool's worker script. */
export function trialWorkerFile(): string {
  return workerScript('piscina-worker');
}

/**
 * The V8 heap limits of a training thread: `maxTrialMemoryMb` for its old generation, and a
 * young generation of 8 MiB instead of V8's default of up to 48. A training makes garbage
 * in a steady stream (a batch's arrays, tfjs' tensor objects), which grew each thread's
 * young generation to its limit: 8 MiB took 20-40 MiB off a 2-worker sweep's peak, on the
 * 5,000-row run as on the 725k-row one, and left dense and LSTM training as fast (measured
 * with tools/bench/sweep-memory.mjs and models-train.mjs).
 */
export function trialResourceLimits(maxTrialMemoryMb: number | undefined) {
  return { maxYoungGenerationSizeMb: 8, ...(maxTrialMemoryMb ? { maxOldGenerationSizeMb: maxTrialMemoryMb } : {}) };
}

/**
 * The process's exec arguments for worker threads: workers always run the build, so export
 * conditions a test runner may have added (vitest's `@aelab/source` would point them at
 * TypeScript sources they cannot load) are dropped.
 */
export function withoutConditions(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--conditions' || arg === '-C') i++;
    else if (!arg.startsWith('--conditions=') && !arg.startsWith('-C=')) out.push(arg);
  }
  return out;
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
  private readonly preparedData: ExecutorOptions['preparedData'];
  /** Tasks queued but not yet started by a worker. */
  private readonly waiting = new Set<AbortController>();
  private closed?: Promise<void>;

  constructor(options: ExecutorOptions = {}) {
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
      execArgv: withoutConditions(process.execArgv),
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
    // Every handler in turn, so that once `end` arrives, every epoch before it has been handled.
    let handled = Promise.resolve();
    let ended: () => void = () => undefined;
    const end = new Promise<void>((resolve) => (ended = resolve));
    port1.on('message', (message: PortMessage) => {
      if (message.type === 'end') return void handled.then(ended);
      if (message.type === 'accepted') this.waiting.delete(waiting);
      // A trial of a pruned study waits for each epoch's verdict, so at most one is pending;
      // a handler that fails (e.g. cannot pass the progress on) stops the trial with its error.
      handled = handled
        .then(() => onProgress(message))
        .then(
          (verdict) => void (message.type === 'epoch' && task.pruning && port1.postMessage(verdict ?? 'continue')),
          (error: unknown) => waiting.abort(error),
        );
    });
    const signals = signal ? AbortSignal.any([signal, waiting.signal]) : waiting.signal;
    try {
      // Shared-memory arrays cross to the worker without a copy (see sharedPreparedData).
      const prepared = this.preparedData?.(task.config.data);
      const result = (await this.piscina.run({ task, port: port2, prepared }, { transferList: [port2], signal: signals })) as TrialResult;
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

export const poolExecutor: ExecutorDefinition = {
  kind: 'pool',
  description: 'Piscina worker threads on this machine (one training per thread)',
  create: (options) => new PiscinaExecutor(options),
};
