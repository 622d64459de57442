import type { z } from 'zod';
import { seamRegistry } from '../settings-registry.js';
import type { Pruner, PrunerContext, PrunerDefinition } from './pruner.js';

/**
 * The pruner registry: a pruner is one file plus its line here, which imports it, so that registering
 * touches nothing else.
 */
export const PRUNERS = [
  (await import('./none.js')).nonePruner,
  (await import('./median.js')).medianPruner,
  (await import('./asha.js')).ashaPruner,
  (await import('./hyperband.js')).hyperbandPruner,
] as const;
const pruners = seamRegistry('pruner', PRUNERS);

/** The pruner an experiment's settings describe; `none` when absent. */
export function createPruner(settings: PrunerSettings | undefined, context: PrunerContext): Pruner {
  const chosen = settings ?? { type: 'none' };
  return (pruners.definition(chosen.type) as unknown as PrunerDefinition<PrunerSettings>).create(chosen, context);
}

/** An experiment's `pruner` section, as parsed. */
export type PrunerSettings = z.output<(typeof PRUNERS)[number]['schema']>;
export type PrunerType = PrunerSettings['type'];

/** The `pruner` section's schema: one option per registered pruner. */
export const prunerSettingsSchema = pruners.schema;
/** The pruners' names, in the registry's order. */
export const PRUNER_TYPES: readonly PrunerType[] = pruners.types as readonly PrunerType[];
