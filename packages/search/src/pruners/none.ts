import { z } from 'zod';
import { definePruner, type Pruner } from './pruner.js';

/** Never prunes: every trial trains to its end (the default). */
export const NO_PRUNING: Pruner = { name: 'none', shouldPrune: () => false };

export const nonePruner = definePruner({
  type: 'none',
  schema: z
    .object({ type: z.literal('none') })
    .strict()
    .describe('Never prune (the default).'),
  create: () => NO_PRUNING,
});
