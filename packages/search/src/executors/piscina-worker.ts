import type { MessagePort } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { trainTrial } from '../trial-runner.js';
import type { PortMessage, TrialResult, TrialTask } from '../trial-task.js';
import type { PreparedDataMessage } from '../prepared-message.js';
import { portChannel } from './port-channel.js';

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
  const channel = portChannel(task, port, { batchEpochs: true });
  try {
    const result = await trainTrial(task, channel, prepared);
    return move({ [transferableSymbol]: blobBuffers(result), [valueSymbol]: result }) as unknown as TrialResult;
  } finally {
    // Not closed here: a message posted just before close may be dropped, and the
    // coordinator waits for `end`; it closes the channel from its side.
    channel.flush();
    port.postMessage({ type: 'end' } satisfies PortMessage);
  }
}
