/**
 * The worker side of one trial's MessagePort, shared by the worker-thread executors:
 * progress goes out, and the coordinator's per-epoch verdicts (for a pruned study) and an
 * abort come in. Tfjs-free.
 */
import type { MessagePort } from 'node:worker_threads';
import type { TrialChannel } from '../trial-runner.js';
import {
  awaitsVerdict,
  type TrialDirective,
  type TrialProgress,
  type TrialTask,
  type WorkerDirective,
} from '../trial-task.js';

/**
 * Longest a batching channel holds epochs it has not posted. Each message wakes the
 * coordinator's thread, which on a busy machine takes the CPU from a training (a profile of
 * a 108-training grid put 6% of a worker's time in `postMessage` of one epoch each); the
 * live view writes at most every 250 ms, so a tenth of a second late is not seen.
 */
export const EPOCH_HOLD_MS = 100;

export interface PortChannelOptions {
  /**
   * Whether epochs are posted in batches (an array of messages): held until
   * {@link EPOCH_HOLD_MS} has passed since the oldest, an epoch that awaits a verdict, or
   * `flush`. The receiver must take arrays; off, every message goes alone.
   */
  batchEpochs?: boolean;
}

/** A {@link TrialChannel} over `port`, with the signal an `'abort'` directive raises and `flush` for held epochs. */
export function portChannel(
  task: TrialTask,
  port: MessagePort,
  options: PortChannelOptions = {},
): TrialChannel & { signal: AbortSignal; flush(): void } {
  // One verdict per epoch that awaits one (see awaitsVerdict), in order; the trial waits for each.
  const verdicts: TrialDirective[] = [];
  const aborted = new AbortController();
  let waiting: ((verdict: TrialDirective) => void) | undefined;
  port.on('message', (directive: WorkerDirective) => {
    if (directive === 'abort') aborted.abort(new Error(`trial ${task.trialId} aborted by the coordinator`));
    else if (waiting) waiting(directive);
    else verdicts.push(directive);
  });
  const nextVerdict = () =>
    new Promise<TrialDirective>((resolve) =>
      verdicts.length ? resolve(verdicts.shift()!) : (waiting = (v) => ((waiting = undefined), resolve(v))),
    );
  let held: TrialProgress[] = [];
  let oldest = 0;
  const flush = () => {
    if (held.length > 0) port.postMessage(held);
    held = [];
  };
  const report = (progress: TrialProgress) => {
    if (!options.batchEpochs) return port.postMessage(progress);
    if (held.length === 0) oldest = performance.now();
    held.push(progress);
    const urgent = progress.type !== 'epoch' || awaitsVerdict(task, progress.record.epoch);
    if (urgent || performance.now() - oldest >= EPOCH_HOLD_MS) flush();
  };
  return {
    report,
    shouldStop: async (epoch) => awaitsVerdict(task, epoch) && (await nextVerdict()) === 'prune',
    signal: aborted.signal,
    flush,
  };
}
