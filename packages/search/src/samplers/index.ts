import type { SearchSpace } from '@aelab/core';
import type { z } from 'zod';
import { seamRegistry } from '../settings-registry.js';
import type { Sampler, SamplerContext, SamplerDefinition } from './sampler.js';

/**
 * The sampler registry, whose order is the schema's and the CLI's: a sampler is one file plus
 * its line here (the line imports it).
 */
export const SAMPLERS = [
  (await import('./grid.js')).gridSampler,
  (await import('./random.js')).randomSampler,
  (await import('./tpe.js')).tpeSampler,
] as const;
const samplers = seamRegistry('sampler', SAMPLERS);
const definition = (type: string) => samplers.definition(type) as unknown as SamplerDefinition<SamplerSettings>;

/** An experiment's `sampler` section, as parsed. */
export type SamplerSettings = z.output<(typeof SAMPLERS)[number]['schema']>;
export type SamplerType = SamplerSettings['type'];

/** The `sampler` section's schema: one option per registered sampler. */
export const samplerSettingsSchema = samplers.schema;
/** The samplers' names, in the registry's order. */
export const SAMPLER_TYPES: readonly SamplerType[] = samplers.types as readonly SamplerType[];

/** The sampler an experiment's settings describe. */
export function createSampler(settings: SamplerSettings, context: SamplerContext): Sampler {
  return definition(settings.type).create(settings, context);
}

/** See {@link SamplerDefinition.plannedTrials}. */
export function plannedTrials(settings: SamplerSettings, space: SearchSpace): number | null {
  return definition(settings.type).plannedTrials(settings, space);
}
