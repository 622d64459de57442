import { addRegistryEntry, sweepCheck, type Probe } from './probe.js';

/** A sampler that proposes one configuration, every parameter at the bottom of its range, then stops. */
const probe: Probe = {
  seam: 'sampler',
  create: {
    'packages/search/src/samplers/probe-sampler.ts': `import { z } from 'zod';
import { fromUnit, isActive, orderedNames } from '../space.js';
import { defineSampler } from './sampler.js';

export const probeSampler = defineSampler({
  type: 'probe-sampler',
  schema: z.object({ type: z.literal('probe-sampler') }).strict().describe('Architecture probe: one configuration.'),
  create: () => ({
    name: 'probe-sampler',
    ask: (space, history) => {
      if (history.length > 0) return { status: 'done' };
      const params: Record<string, ReturnType<typeof fromUnit>> = {};
      for (const name of orderedNames(space)) {
        if (isActive(space[name], params)) params[name] = fromUnit(space[name], 0);
      }
      return { status: 'run', params };
    },
  }),
  plannedTrials: () => 1,
});
`,
  },
  edit: {
    'packages/search/src/samplers/index.ts': (text) =>
      addRegistryEntry(text, 'SAMPLERS', "(await import('./probe-sampler.js')).probeSampler"),
  },
  // A grid would train both encoders: one trial, with the first, shows the probe chose.
  check: sweepCheck({
    sampler: 'probe-sampler',
    experiment: {
      sampler: { type: 'probe-sampler' },
      space: {
        'model.encoder': {
          type: 'categorical',
          values: [
            [8, 2],
            [8, 4],
          ],
        },
      },
    },
    expect: `schema.includes('"probe-sampler"') && trials.length === 1 && trials[0].status === 'complete'
      && JSON.stringify(trials[0].params['model.encoder']) === '[8,2]'`,
  }),
};
export default probe;
