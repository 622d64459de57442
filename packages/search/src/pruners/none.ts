import { settingsObject } from '../settings-registry.js';
import { definePruner, type Pruner } from './pruner.js';

/** Never prunes: every trial trains to its end (the default). */
export const NO_PRUNING: Pruner = { name: 'none', shouldPrune: () => false };

export const nonePruner = definePruner({
  type: 'none',
  schema: settingsObject('none', {}, 'Never prune (the default).'),
  create: () => NO_PRUNING,
});
