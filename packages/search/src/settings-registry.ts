import { TRAINING_BOUNDS } from '@aelab/core';
import { z } from 'zod';

/** A kind of a seam configured by a settings object whose `type` names it (samplers, pruners). */
export interface TypedDefinition {
  readonly type: string;
  readonly schema: z.ZodObject;
}

/**
 * The settings schema of one kind: a strict object whose `type` is the kind's name, so that
 * a misspelt field is an error and the section's union can tell the kinds apart.
 */
export function settingsObject<T extends string, F extends z.ZodRawShape>(type: T, fields: F, description: string) {
  return z
    .object({ type: z.literal(type), ...fields })
    .strict()
    .describe(description);
}

/** The schema of a seam's settings section: one option per registered kind, discriminated by `type`. */
export function settingsUnion<D extends readonly TypedDefinition[]>(definitions: D) {
  // map() loses the tuple type discriminatedUnion needs; every option is a strict object with a literal `type`.
  return z.discriminatedUnion(
    'type',
    definitions.map((d) => d.schema) as unknown as [D[number]['schema'], ...D[number]['schema'][]],
  );
}

/** The registered kind named `type`; throws naming the seam and the known kinds. */
export function definitionOf<D extends TypedDefinition>(definitions: readonly D[], type: string, seam: string): D {
  const found = definitions.find((d) => d.type === type);
  if (!found)
    throw new Error(
      `${seam}: unknown type ${JSON.stringify(type)}; known: ${definitions.map((d) => d.type).join(', ')}`,
    );
  return found;
}

/**
 * A seam's registry read by kind: its settings section's schema (one option per kind), the
 * kinds' names in the list's order (the schema's and the CLI's), and the definition of a kind,
 * which throws naming the seam and the known kinds for an unknown one.
 */
export function seamRegistry<D extends readonly TypedDefinition[]>(seam: string, definitions: D) {
  return {
    schema: settingsUnion(definitions),
    types: definitions.map((d) => d.type) as readonly string[],
    definition: (type: string) => definitionOf(definitions, type, seam),
  };
}

/**
 * Upper bounds of the counts in the settings of samplers, pruners and executors: past them
 * a number is a typo (an extra zero, a seed pasted into the wrong field), not a plan.
 * Epoch counts are bounded by `TRAINING_BOUNDS.epochs` (@aelab/core).
 */
export const SETTING_BOUNDS = {
  /** Configurations a sampler proposes, or trials before it (or a pruner) starts deciding. */
  trials: 1_000_000,
  /** Candidates a model-based sampler scores per parameter. */
  candidates: 100_000,
  /** A pruner's eta: each rung keeps the top 1/eta. */
  reductionFactor: 1_000,
  /** A pruner's s: rungs start at r * eta^s epochs. */
  earlyStoppingRate: 64,
} as const;

/**
 * Fields that more than one sampler or pruner takes, defined once so that a name means the
 * same bounds wherever it appears; a kind adds its own description (`.describe`) where its
 * default or meaning differs.
 */
export const SHARED_SETTINGS = {
  /** A sampler's number of configurations. */
  trials: z.number().int().positive().max(SETTING_BOUNDS.trials).describe('Training configurations to sample.'),
  /** A sampler's own seed. */
  seed: z.number().int().optional().describe('Default: the experiment seed.'),
  /** Finished trials before a sampler or pruner starts deciding. */
  startupTrials: z.number().int().nonnegative().max(SETTING_BOUNDS.trials).optional(),
  /** An epoch of training (a pruner's first rung, its last epoch). */
  epoch: z.number().int().positive().max(TRAINING_BOUNDS.epochs).optional(),
  /** A pruner's eta. */
  reductionFactor: z.number().int().min(2).max(SETTING_BOUNDS.reductionFactor).optional(),
};

/** A successive-halving pruner's rung fields, r and eta, each described as its kind reads it. */
export function rungSettings(minEpochs: string, reductionFactor: string) {
  return {
    minEpochs: SHARED_SETTINGS.epoch.describe(minEpochs),
    reductionFactor: SHARED_SETTINGS.reductionFactor.describe(reductionFactor),
  };
}
