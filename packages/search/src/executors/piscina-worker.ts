import type { MessagePort } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import { trainTrial } from '../trial-runner.js';
import type { PortMessage, TrialResult, TrialTask } from '../trial-task.js';
import type { PreparedDataMessage } from '../prepared-message.js';
import { portChannel } from './port-channel.js';
import { warmUpThread } from '../warm-up.js';
import type { PoolWorkerData } from './piscina.js';

// Started once the thread has loaded, before its first task (the pool starts while the coordinator
// prepares the data); a task trains only once it is over (one thread, one training at a time).
// Not from this module's own evaluation: Piscina loads it with require(), and Node 20 crashed
// ("IsGraphAsync must be used on an instantiated module") when the warm-up's import() of the
// backend's modules raced that require.
const warmUp = (workerData as PoolWorkerData | undefined)?.warmUp;
const warm = warmUp
  ? new Promise((loaded) => setImmediate(loaded)).then(() => warmUpThread(warmUp))
  : Promise.resolve();

/** The buffers of a result's blobs, to move to the main thread instead of copying them. */
export function blobBuffers(result: TrialResult): ArrayBuffer[] {
  return [...new Set(Object.values(result.blobs).map((b) => b.buffer as ArrayBuffer))];
}

/** The Piscina task: trains one trial, with progress and prune directives over `port`. */
export default async function runTrialInWorker({
  task,
  port,
  prepared,
}: {
  task: TrialTask;
  port: MessagePort;
  prepared?: PreparedDataMessage;
}): Promise<TrialResult> {
  try {
    await warm;
    const result = await trainTrial(task, portChannel(task, port), prepared);
    return move({ [transferableSymbol]: blobBuffers(result), [valueSymbol]: result }) as unknown as TrialResult;
  } finally {
    // Not closed here: a message posted just before close may be dropped, and the
    // coordinator waits for `end`; it closes the channel from its side.
    port.postMessage({ type: 'end' } satisfies PortMessage);
  }
}
