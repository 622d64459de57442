import type { z } from 'zod';

/** The intermediate values one trial has reported: `values[k]` is step k + 1 (epoch k + 1). */
export interface TrialCurve {
  trialId: string;
  /**
   * The training it belongs to, `trainingKey(configHash, repeat)` (@aelab/store): unlike the
   * trial id it is the same for a training re-run after an interruption and in a fresh
   * study of the same experiment, so a pruner that groups trials (Hyperband's brackets)
   * groups them by it and decides the same on resume and on a re-run.
   */
  training: string;
  values: readonly number[];
  state: 'running' | 'complete' | 'failed' | 'pruned' | 'interrupted';
}

/**
 * Stops hopeless trials early, from the values they report while training.
 *
 * Contract: every epoch a running trial reports one value through the study's pruning
 * channel, `report(step, value)`: step is the 1-based epoch, value is lower-is-better
 * (core's `intermediateValue`: the validation reconstruction error without L2 penalties, or
 * the training loss without a validation split). The study then
 * asks `shouldPrune(trial, others)`, where `others` are the curves of every other trial
 * of the study, finished ones included (rebuilt from their records when a study resumes,
 * so decisions replay). It must not mutate them. `true` stops the trial after that epoch:
 * it is recorded `pruned`, with its curve and the step in its reason, is not trained again
 * on resume, and never counts as a winner. The default, `none`, never prunes.
 */
export interface Pruner {
  readonly name: string;
  shouldPrune(trial: TrialCurve, others: readonly TrialCurve[]): boolean;
  /**
   * Whether `shouldPrune` can answer true at `step` for a trial of `training`
   * (`TrialCurve.training`), known before it trains: a trial then waits for its verdict at
   * those steps only (`TrialTask.verdictEpochs`), and the study asks `shouldPrune` there
   * only. Absent: at any step. A pruner that has it never prunes at another step.
   */
  decidesAt?(training: string, step: number): boolean;
}

/**
 * One pruner kind: its settings schema (a strict zod object discriminated by `type`, as
 * `settingsObject` makes one; embedded in the experiment file's schema) and its factory.
 * One file per kind, registered in `pruners/index.ts`.
 */
export interface PrunerDefinition<S extends { type: string } = { type: string }> {
  readonly type: S['type'];
  readonly schema: z.ZodType<S> & z.ZodObject;
  create(settings: S, context: PrunerContext): Pruner;
}

/** What a pruner factory may draw on besides its own settings. */
export interface PrunerContext {
  /** The experiment's `training.epochs`: the most epochs any trial trains. */
  epochs: number;
}

/** Typed identity: keeps each definition's settings type. */
export function definePruner<S extends { type: string }>(definition: PrunerDefinition<S>): PrunerDefinition<S> {
  return definition;
}
