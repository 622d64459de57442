/**
 * Names every package speaks. Registries that grow (samplers, pruners, executors,
 * backends, model families) own their own name lists; these are the fixed ones.
 */

/** The splits a prepared dataset has, in the order reports list them. */
export const SPLIT_NAMES = ['train', 'validation', 'test'] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];

/** Per-sample reconstruction errors aelab computes; a scoring rule thresholds one of them. */
export const ERROR_METRICS = ['mse', 'mae'] as const;
export type ErrorMetric = (typeof ERROR_METRICS)[number];

/**
 * Reconstruction losses a model trains on: the batch mean of one of the {@link ERROR_METRICS}
 * (so a model trained on `mae` can be scored on `mse`, and the two lists cannot drift apart).
 */
export const RECONSTRUCTION_LOSSES = ERROR_METRICS;
export type ReconstructionLoss = ErrorMetric;

/** Lifecycle of a trial. `complete`, `failed` and `pruned` never change once written. */
export const TRIAL_STATUSES = ['running', 'complete', 'failed', 'interrupted', 'pruned'] as const;
export type TrialStatus = (typeof TRIAL_STATUSES)[number];
export const FINISHED_STATUSES: readonly TrialStatus[] = ['complete', 'failed', 'pruned'];

/** Parameter-name roots: the first three train a model, the last two only rescore one. */
export const TRAINING_ROOTS = ['model', 'training', 'data'] as const;
export const SCORING_ROOTS = ['threshold', 'scoring'] as const;

/** True for a parameter that changes only scoring (`threshold.*`, `scoring.*`), never training. */
export function isScoringParam(name: string): boolean {
  return SCORING_ROOTS.some((root) => name.startsWith(`${root}.`));
}

/**
 * The trial parameter that marks a baseline detector's training (PCA, Isolation Forest, kNN:
 * a label of its model spec, set only by an experiment's `baselines`). Baselines are ranked
 * beside the autoencoders but never win the study (see objective.ts).
 */
export const BASELINE_PARAM = 'model.baseline';

/** True for the params of a baseline detector's training (see {@link BASELINE_PARAM}). */
export function isBaselineParams(params: Readonly<Record<string, unknown>>): boolean {
  return params[BASELINE_PARAM] === true;
}

/** Formats a study's trials and evaluations export to (`aelab runs export`, `aelab serve`). */
export const EXPORT_FORMATS = ['csv', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
