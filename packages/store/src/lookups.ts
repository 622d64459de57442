import type { TrialRecord } from './records.js';
import type { RunStore } from './run-store.js';

/**
 * Lookups that resuming a sweep needs. They read through {@link RunStore.listTrials};
 * for many lookups in one study, list once and use {@link completedTrainings}.
 */

/** Identifies one training of a study: a training configuration and a repeat. */
export function trainingKey(configHash: string, repeat: number): string {
  return `${configHash}#${repeat}`;
}

/**
 * The completed trials of a list, by {@link trainingKey}. A resumed sweep skips these
 * trainings; every other training (never started, failed, interrupted) runs again.
 */
export function completedTrainings(trials: readonly TrialRecord[]): Map<string, TrialRecord> {
  const completed = new Map<string, TrialRecord>();
  for (const trial of trials) {
    if (trial.status === 'complete') completed.set(trainingKey(trial.configHash, trial.repeat), trial);
  }
  return completed;
}

/** The completed trial of `studyId` for this configuration and repeat, if any. */
export async function findCompletedTrial(
  store: RunStore,
  studyId: string,
  configHash: string,
  repeat: number,
): Promise<TrialRecord | undefined> {
  const trials = await store.listTrials(studyId);
  return trials.find((t) => t.status === 'complete' && t.configHash === configHash && t.repeat === repeat);
}

/**
 * Marks every `running` trial of a study `interrupted`. Call it right after opening a
 * store for writing and before starting trials: the writer lock guarantees no other
 * process is running them, so they were left by a writer that crashed or was killed.
 * Returns the trials it marked.
 */
export async function interruptOrphanedTrials(
  store: RunStore,
  studyId: string,
  reason = 'the process running this trial stopped before it finished',
): Promise<TrialRecord[]> {
  const orphans = (await store.listTrials(studyId)).filter((t) => t.status === 'running');
  const marked: TrialRecord[] = [];
  for (const trial of orphans) marked.push(await store.finishTrial(trial.id, { status: 'interrupted', reason }));
  return marked;
}
