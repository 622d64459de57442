import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { PreparedData } from '@aelab/data';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { trainTrial } from '../trial-runner.js';
import type { TrialProgress, TrialResult, TrialTask } from '../trial-task.js';

/** The Piscina task: trains one trial, with progress and prune directives over `port`. */
export default async function runTrialInWorker({ task, port, prepared }: { task: TrialTask; port: MessagePort; prepared?: PreparedData }): Promise<TrialResult> {
  let pruneRequested = false;
  // Polled, not listened for: training on wasm never yields to the event loop between
  // epochs, so a 'message' event would only arrive after the training it should stop.
  const shouldStop = () => {
    for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) if (m.message === 'prune') pruneRequested = true;
    return pruneRequested;
  };
  try {
    const result = await trainTrial(task, { report: (progress: TrialProgress) => port.postMessage(progress), shouldStop }, prepared);
    // Blobs move to the main thread instead of being copied.
    const buffers = [...new Set(Object.values(result.blobs).map((b) => b.buffer))];
    return move({ [transferableSymbol]: buffers, [valueSymbol]: result }) as unknown as TrialResult;
  } finally {
    port.close();
  }
}
