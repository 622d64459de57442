/**
 * Reading stores written by earlier versions. Version 1 (before trials recorded what
 * was sampled) lacks `sampled` and `distributions`: they load as null, which readers
 * take as "not recorded". A migrated file is written back in the current version the
 * next time its study changes; until then it stays as it was.
 */
import type { EvaluationRecord, TrialRecord } from './records.js';

/** The store format version this code writes. */
export const STORE_VERSION = 2;
/** Versions this code reads. */
export const READABLE_VERSIONS: readonly number[] = [1, 2];

export function upgradeTrial(trial: TrialRecord): TrialRecord {
  if (trial.sampled !== undefined && trial.distributions !== undefined) return trial;
  return { ...trial, sampled: trial.sampled ?? null, distributions: trial.distributions ?? null };
}

export function upgradeEvaluation(evaluation: EvaluationRecord): EvaluationRecord {
  if (evaluation.sampled !== undefined) return evaluation;
  return { ...evaluation, sampled: null };
}
