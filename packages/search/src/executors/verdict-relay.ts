/**
 * The pruning channel's carrier, one for every executor: the trial reports its progress, the
 * study's handler (its pruner) decides, and the executor only carries the messages both
 * ways, over whatever transport it has (a MessagePort, a Redis list). Tfjs-free.
 */
import { awaitsVerdict, type TrialDirective, type TrialProgress, type TrialTask } from '../trial-task.js';
import type { ProgressHandler } from './executor.js';

/** Sends one verdict back to the trial, over the executor's transport. */
export type VerdictReply = (verdict: TrialDirective) => void | Promise<void>;

/** The coordinator's side of one trial's messages. */
export interface VerdictRelay {
  /**
   * Hands one message to the handler, after every message received before it has been
   * handled; for an epoch that awaits a verdict (`awaitsVerdict`), its verdict (`continue` when the
   * handler gives none) goes back with `reply`.
   */
  receive(progress: TrialProgress, reply: VerdictReply): void;
  /** Resolves once every message received so far has been handled and its verdict sent. */
  drained(): Promise<void>;
}

/**
 * A relay for `task` whose messages go to `onProgress`, in order. A trial of a pruned study
 * waits for each epoch's verdict, so at most one of its epochs is pending; a handler or a
 * reply that fails (e.g. cannot pass the progress on) stops the trial through `fail`.
 */
export function verdictRelay(
  task: TrialTask,
  onProgress: ProgressHandler,
  fail: (error: unknown) => void,
): VerdictRelay {
  let handled = Promise.resolve();
  return {
    receive(progress, reply) {
      handled = handled
        .then(() => onProgress(progress))
        .then((verdict) =>
          progress.type === 'epoch' && awaitsVerdict(task, progress.record.epoch)
            ? reply(verdict ?? 'continue')
            : undefined,
        )
        .then(undefined, (error: unknown) => fail(error instanceof Error ? error : new Error(String(error))));
    },
    drained: () => handled,
  };
}
