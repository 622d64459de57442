/**
 * Preparing a study's data in a thread of its own. Parsing a large file makes garbage the
 * size of the data (the parsed values, the labels, the loader's chunks) that the main
 * thread's heap would keep until its next full collection, which a coordinator waiting on
 * its workers may not run for the whole sweep: measured on a 199 MB CSV, the parsed values
 * (as large as the prepared splits) and some 50 MiB of arrays stayed beside the splits to
 * the end. A thread's heap is freed, all of it, when the thread ends; only the prepared
 * splits and their labels come back, in shared memory.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DataSpec } from '@aelab/data';
import { threadExecArgv } from './training-host.js';
import { rebuiltError, type ErrorMessage, type PreparedDataMessage } from './prepared-message.js';

type Reply = { id: number; data: PreparedDataMessage } | { id: number; error: ErrorMessage };

function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  // Threads load plain JavaScript: tests running from src use the build.
  return here.endsWith('.ts')
    ? resolve(dirname(here), '../dist/preparation-worker.js')
    : resolve(dirname(here), 'preparation-worker.js');
}

/**
 * A thread that prepares data sections into shared memory, one at a time, each from a
 * fresh load of its dataset whose rows become the splits' (no copy: the data is held
 * once; a second section on the same file loads it again); {@link close} ends it and
 * frees everything but what it handed back.
 */
export class PreparationThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<
    number,
    { resolve(data: PreparedDataMessage): void; reject(error: Error): void }
  >();
  private next = 0;

  /**
   * Prepares `spec` as `prepareData(spec, { dataDir, memory: 'shared', consume: true })` would, in the
   * thread; the result's per-row arrays are all in shared memory (see {@link PreparedDataMessage}).
   */
  prepare(spec: DataSpec, dataDir: string | undefined): Promise<PreparedDataMessage> {
    const worker = this.started();
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, spec, dataDir });
    });
  }

  /** Ends the thread (waiting for it); a later {@link prepare} starts a new one. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(workerFile(), { execArgv: threadExecArgv() });
    worker.on('message', (reply: Reply) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if ('data' in reply) waiting?.resolve(reply.data);
      else waiting?.reject(rebuiltError(reply.error));
    });
    // A thread that dies (out of memory, say) fails what waits on it.
    const fail = (error: Error) => {
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
      if (this.worker === worker) this.worker = undefined;
    };
    worker.on('error', fail);
    worker.on('exit', (code) =>
      fail(new Error(`the data preparation thread exited (code ${code}) before it answered`)),
    );
    this.worker = worker;
    return worker;
  }
}
