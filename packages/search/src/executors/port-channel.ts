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

/** A {@link TrialChannel} over `port`, with the signal an `'abort'` directive raises. */
export function portChannel(task: TrialTask, port: MessagePort): TrialChannel & { signal: AbortSignal } {
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
  return {
    report: (progress: TrialProgress) => port.postMessage(progress),
    shouldStop: async (epoch) => awaitsVerdict(task, epoch) && (await nextVerdict()) === 'prune',
    signal: aborted.signal,
  };
}
