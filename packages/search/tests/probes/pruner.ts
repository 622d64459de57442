import { addRegistryEntry, sweepCheck, type Probe } from './probe.js';

/** A pruner that stops every trial after its first epoch. */
const probe: Probe = {
  seam: 'pruner',
  create: {
    'packages/search/src/pruners/probe-pruner.ts': `import { z } from 'zod';
import { definePruner } from './pruner.js';

export const probePruner = definePruner({
  type: 'probe-pruner',
  schema: z.object({ type: z.literal('probe-pruner') }).strict().describe('Architecture probe: prunes at epoch 1.'),
  create: () => ({ name: 'probe-pruner', shouldPrune: (trial) => trial.values.length >= 1 }),
});
`,
  },
  edit: {
    'packages/search/src/pruners/index.ts': (text) =>
      addRegistryEntry(text, 'PRUNERS', "(await import('./probe-pruner.js')).probePruner"),
  },
  check: sweepCheck({
    experiment: { training: { epochs: 3, batchSize: 32, learningRate: 0.003, loss: 'mse' } },
    args: ['--pruner', 'probe-pruner'],
    expect: `schema.includes('"probe-pruner"') && trials.length === 1 && trials[0].status === 'pruned'`,
  }),
};
export default probe;
