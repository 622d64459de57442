import type { z } from 'zod';
import { definitionOf, settingsUnion } from '../settings-registry.js';
import type { Pruner, PrunerContext, PrunerDefinition } from './pruner.js';

/**
 * The pruner registry: adding a pruner is one file plus one line here. Each line imports
 * its member, so registering touches nothing else; the order is the schema's and the CLI's.
 */
export const PRUNERS = [
  (await import('./none.js')).nonePruner,
  (await import('./median.js')).medianPruner,
  (await import('./asha.js')).ashaPruner,
  (await import('./hyperband.js')).hyperbandPruner,
] as const;

/** An experiment's `pruner` section, as parsed. */
export type PrunerSettings = z.output<(typeof PRUNERS)[number]['schema']>;
export type PrunerType = PrunerSettings['type'];

/** The `pruner` section's schema: one option per registered pruner. */
export const prunerSettingsSchema = settingsUnion(PRUNERS);

export const PRUNER_TYPES: readonly PrunerType[] = PRUNERS.map((p) => p.type);

/** The pruner an experiment's settings describe; `none` when absent. */
export function createPruner(settings: PrunerSettings | undefined, context: PrunerContext): Pruner {
  const chosen = settings ?? { type: 'none' };
  return (definitionOf(PRUNERS, chosen.type, 'pruner') as unknown as PrunerDefinition<PrunerSettings>).create(
    chosen,
    context,
  );
}
