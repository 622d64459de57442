import type { MessagePort } from 'node:worker_threads';
import type { PreparedData } from '@aelab/data';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { trainTrial } from '../trial-runner.js';
import type { TrialDirective, TrialProgress, TrialResult, TrialTask } from '../trial-task.js';

/** The Piscina task: trains one trial, with progress and prune directives over `port`. */
export default async function runTrialInWorker({ task, port, prepared }: { task: TrialTask; port: MessagePort; prepared?: PreparedData }): Promise<TrialResult> {
  // One verdict per epoch, in order, when the study prunes; the trial waits for each.
  const verdicts: TrialDirective[] = [];
  let waiting: ((verdict: TrialDirective) => void) | undefined;
  port.on('message', (verdict: TrialDirective) => {
    if (waiting) waiting(verdict);
    else verdicts.push(verdict);
  });
  const nextVerdict = () => new Promise<TrialDirective>((resolve) => (verdicts.length ? resolve(verdicts.shift()!) : (waiting = (v) => ((waiting = undefined), resolve(v)))));
  try {
    const result = await trainTrial(
      task,
      {
        report: (progress: TrialProgress) => port.postMessage(progress),
        shouldStop: async () => task.pruning === true && (await nextVerdict()) === 'prune',
      },
      prepared,
    );
    // Blobs move to the main thread instead of being copied.
    const buffers = [...new Set(Object.values(result.blobs).map((b) => b.buffer))];
    return move({ [transferableSymbol]: buffers, [valueSymbol]: result }) as unknown as TrialResult;
  } finally {
    port.close();
  }
}
