import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { TrialProgress, TrialResult, TrialTask } from './trial-worker.js';

export interface TrialPoolOptions {
  /** Worker threads; default: CPU count. */
  workers?: number;
  /** Heap limit per worker thread (MB); a trial that exceeds it fails as out of memory. */
  maxMemoryMb?: number;
}

/** The worker script. Worker threads load plain JavaScript, so tests running from `src/*.ts` use the build. */
export function trialWorkerFile(): string {
  const here = fileURLToPath(import.meta.url);
  const dir = dirname(here);
  return here.endsWith('.ts') ? resolve(dir, '../dist/trial-worker.js') : resolve(dir, 'trial-worker.js');
}

function withoutConditions(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--conditions' || arg === '-C') i++;
    else if (!arg.startsWith('--conditions=') && !arg.startsWith('-C=')) out.push(arg);
  }
  return out;
}

/** A Piscina pool of trial workers with per-trial progress over a MessagePort. */
export class TrialPool {
  readonly workers: number;
  private readonly piscina: Piscina;

  constructor(options: TrialPoolOptions = {}) {
    this.workers = options.workers ?? availableParallelism();
    if (!Number.isInteger(this.workers) || this.workers <= 0) {
      throw new Error(`workers must be a positive integer, got ${options.workers}`);
    }
    this.piscina = new Piscina({
      filename: trialWorkerFile(),
      minThreads: this.workers,
      maxThreads: this.workers,
      // One trial per thread at a time: tfjs state (backend, memory) is per thread.
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
      resourceLimits: options.maxMemoryMb ? { maxOldGenerationSizeMb: options.maxMemoryMb } : undefined,
      // Workers always run the build: drop export conditions a test runner may have added
      // (vitest's `@aelab/source` would point them at TypeScript sources they cannot load).
      execArgv: withoutConditions(process.execArgv),
    });
    // A worker that dies outside a task (e.g. a replacement thread running out of memory
    // while it loads tfjs) is reported by Piscina as an 'error' event on the pool; unhandled,
    // it would kill the sweep. The task it would have run fails on its own, with the reason.
    this.piscina.on('error', (error: Error) => {
      this.workerErrors.push(error.message);
      // Piscina does not replace a thread that dies while starting, so tasks waiting for it
      // would wait forever: fail them with the thread's error. Running ones are unaffected.
      for (const waiting of this.waiting) waiting.abort(error);
    });
  }

  /** Tasks queued but not yet started by a worker. */
  private readonly waiting = new Set<AbortController>();

  /** Messages of workers that died between tasks (diagnostics; the sweep goes on). */
  readonly workerErrors: string[] = [];

  /** Runs one training; `onProgress` sees each epoch; aborting `signal` terminates the worker. */
  async run(
    task: Omit<TrialTask, 'port'>,
    onProgress: (progress: TrialProgress) => void,
    signal?: AbortSignal,
  ): Promise<TrialResult> {
    const { port1, port2 } = new MessageChannel();
    const waiting = new AbortController();
    this.waiting.add(waiting);
    port1.on('message', (progress: TrialProgress) => {
      if (progress.type === 'accepted') this.waiting.delete(waiting);
      onProgress(progress);
    });
    const signals = signal ? AbortSignal.any([signal, waiting.signal]) : waiting.signal;
    try {
      return (await this.piscina.run({ ...task, port: port2 }, { transferList: [port2], signal: signals })) as TrialResult;
    } catch (error) {
      // Piscina reports an abort as AbortError; the reason says what actually happened.
      if (waiting.signal.aborted) throw waiting.signal.reason;
      throw error;
    } finally {
      this.waiting.delete(waiting);
      port1.close();
    }
  }

  async close(): Promise<void> {
    await this.piscina.close({ force: true });
  }
}
