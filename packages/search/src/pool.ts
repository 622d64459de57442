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
  }

  /** Runs one training; `onProgress` sees each epoch; aborting `signal` terminates the worker. */
  async run(
    task: Omit<TrialTask, 'port'>,
    onProgress: (progress: TrialProgress) => void,
    signal?: AbortSignal,
  ): Promise<TrialResult> {
    const { port1, port2 } = new MessageChannel();
    port1.on('message', onProgress);
    try {
      return (await this.piscina.run({ ...task, port: port2 }, { transferList: [port2], signal })) as TrialResult;
    } finally {
      port1.close();
    }
  }

  async close(): Promise<void> {
    await this.piscina.close({ force: true });
  }
}
