import type { SearchSpace } from '@aelab/core';
import type { z } from 'zod';
import { definitionOf, settingsUnion } from '../settings-registry.js';
import type { Sampler, SamplerContext, SamplerDefinition } from './sampler.js';

/**
 * The sampler registry: adding a sampler is one file plus one line here. Each line imports
 * its member, so registering touches nothing else; the order is the schema's and the CLI's.
 */
export const SAMPLERS = [
  (await import('./grid.js')).gridSampler,
  (await import('./random.js')).randomSampler,
  (await import('./tpe.js')).tpeSampler,
] as const;

/** An experiment's `sampler` section, as parsed. */
export type SamplerSettings = z.output<(typeof SAMPLERS)[number]['schema']>;
export type SamplerType = SamplerSettings['type'];

/** The `sampler` section's schema: one option per registered sampler. */
export const samplerSettingsSchema = settingsUnion(SAMPLERS);

export const SAMPLER_TYPES: readonly SamplerType[] = SAMPLERS.map((s) => s.type);

const definition = (type: string) =>
  definitionOf(SAMPLERS, type, 'sampler') as unknown as SamplerDefinition<SamplerSettings>;

/** The sampler an experiment's settings describe. */
export function createSampler(settings: SamplerSettings, context: SamplerContext): Sampler {
  return definition(settings.type).create(settings, context);
}

/** See {@link SamplerDefinition.plannedTrials}. */
export function plannedTrials(settings: SamplerSettings, space: SearchSpace): number | null {
  return definition(settings.type).plannedTrials(settings, space);
}
