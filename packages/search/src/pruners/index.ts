import type { z } from 'zod';
import { definitionOf, settingsUnion } from '../settings-registry.js';
import { ashaPruner } from './asha.js';
import { hyperbandPruner } from './hyperband.js';
import { medianPruner } from './median.js';
import { nonePruner } from './none.js';
import type { Pruner, PrunerContext, PrunerDefinition } from './pruner.js';

/** The pruner registry: adding a pruner is one file plus one entry here. */
export const PRUNERS = [nonePruner, medianPruner, ashaPruner, hyperbandPruner] as const;

/** An experiment's `pruner` section, as parsed. */
export type PrunerSettings = z.output<(typeof PRUNERS)[number]['schema']>;
export type PrunerType = PrunerSettings['type'];

/** The `pruner` section's schema: one option per registered pruner. */
export const prunerSettingsSchema = settingsUnion(PRUNERS);

export const PRUNER_TYPES: readonly PrunerType[] = PRUNERS.map((p) => p.type);

/** The pruner an experiment's settings describe; `none` when absent. */
export function createPruner(settings: PrunerSettings | undefined, context: PrunerContext): Pruner {
  const chosen = settings ?? { type: 'none' };
  return (definitionOf(PRUNERS, chosen.type, 'pruner') as unknown as PrunerDefinition<PrunerSettings>).create(chosen, context);
}
