import { z } from 'zod';
import { medianPruner } from './median.js';
import { nonePruner } from './none.js';
import type { Pruner, PrunerDefinition } from './pruner.js';

/** The pruner registry: adding a pruner is one file plus one entry here. */
export const PRUNERS = [nonePruner, medianPruner] as const;

/** An experiment's `pruner` section, as parsed. */
export type PrunerSettings = z.output<(typeof PRUNERS)[number]['schema']>;
export type PrunerType = PrunerSettings['type'];

export const prunerSettingsSchema = z.discriminatedUnion(
  'type',
  PRUNERS.map((p) => p.schema) as unknown as [(typeof PRUNERS)[number]['schema'], ...(typeof PRUNERS)[number]['schema'][]],
);

export const PRUNER_TYPES: readonly PrunerType[] = PRUNERS.map((p) => p.type);

/** The pruner an experiment's settings describe; none when absent. */
export function createPruner(settings: PrunerSettings | undefined): Pruner {
  const type = settings?.type ?? 'none';
  const found = PRUNERS.find((p) => p.type === type) as unknown as PrunerDefinition<PrunerSettings> | undefined;
  if (!found) throw new Error(`pruner: unknown type ${JSON.stringify(type)}; known: ${PRUNER_TYPES.join(', ')}`);
  return found.create(settings ?? { type: 'none' });
}
