import { z } from 'zod';
import { gridSampler } from './grid.js';
import { randomSampler } from './random.js';
import type { SamplerContext, Sampler, SamplerDefinition } from './sampler.js';

/** The sampler registry: adding a sampler is one file plus one entry here. */
export const SAMPLERS = [gridSampler, randomSampler] as const;

/** An experiment's `sampler` section, as parsed. */
export type SamplerSettings = z.output<(typeof SAMPLERS)[number]['schema']>;
export type SamplerType = SamplerSettings['type'];

/** The `sampler` section's schema: one option per registered sampler. */
export const samplerSettingsSchema = z.discriminatedUnion(
  'type',
  SAMPLERS.map((s) => s.schema) as unknown as [(typeof SAMPLERS)[number]['schema'], ...(typeof SAMPLERS)[number]['schema'][]],
);

export const SAMPLER_TYPES: readonly SamplerType[] = SAMPLERS.map((s) => s.type);

function definitionOf(type: string): SamplerDefinition<SamplerSettings> {
  const found = SAMPLERS.find((s) => s.type === type);
  if (!found) throw new Error(`sampler: unknown type ${JSON.stringify(type)}; known: ${SAMPLER_TYPES.join(', ')}`);
  return found as unknown as SamplerDefinition<SamplerSettings>;
}

/** The sampler an experiment's settings describe. */
export function createSampler(settings: SamplerSettings, context: SamplerContext): Sampler {
  return definitionOf(settings.type).create(settings, context);
}

/** See {@link SamplerDefinition.plannedTrials}. */
export function plannedTrials(settings: SamplerSettings, space: Parameters<SamplerDefinition['plannedTrials']>[1]): number | null {
  return definitionOf(settings.type).plannedTrials(settings, space);
}
