/**
 * The training-step registry: the one list of steps, the one place a model's step is
 * chosen (the first step in {@link STEPS} that applies and takes the built model; the
 * layers step, last, trains any model), and where a backend registers the kernels the
 * steps need. Adding a step is its file plus one entry in {@link STEPS}.
 */
import { tf } from '../tf.js';
import { buildKit } from '../builders/kit.js';
import { autoencoderFamilyOf } from '../families/index.js';
import { leanConv1dStep } from './conv1d.js';
import { leanDenseStep } from './dense.js';
import { layersStep } from './layers.js';
import { leanRecurrentStep } from './recurrent.js';
import type { StepDefinition, StepOptions, TrainingStep } from './step.js';

export type { StepDefinition, StepKind, StepLosses, StepOptions, TrainingStep } from './step.js';

/** Every training step, in the order they are tried; the layers step, which trains any model, last. */
export const STEPS = [
  leanDenseStep,
  leanConv1dStep,
  leanRecurrentStep,
  layersStep,
] as const satisfies readonly StepDefinition[];

/**
 * The training step for `model` (see {@link StepKind}); its `name` says which was chosen.
 * `options.terms` defaults to the family's own loss terms for this model.
 */
export function createTrainingStep(options: StepOptions): TrainingStep {
  const { model, spec, kind = 'lean' } = options;
  const terms = options.terms ?? autoencoderFamilyOf(spec.kind).lossTerms?.(buildKit, spec, model) ?? [];
  const backend = tf.getBackend();
  const candidates: readonly StepDefinition[] = kind === 'lean' ? STEPS : [layersStep];
  for (const definition of candidates) {
    if (terms.length > 0 && !definition.modelTerms) continue;
    if (!definition.appliesTo(spec, backend)) continue;
    const step = definition.create({ ...options, terms });
    if (step) return step;
  }
  throw new Error(`no training step can train this ${spec.kind} model on backend ${backend}`);
}

/** Registers, for `backend` (a tfjs backend name), the kernels every step needs there; called when it activates. */
export function registerStepKernels(backend: string): void {
  for (const definition of STEPS) definition.kernels[backend]?.();
}
