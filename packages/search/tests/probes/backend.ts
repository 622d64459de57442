import { addRegistryEntry, sweepCheck, type Probe } from './probe.js';

/** A backend that is tfjs' cpu backend under another name. */
const probe: Probe = {
  seam: 'backend',
  create: {
    'packages/models/src/backends/probe-backend.ts': `import type { Backend, BackendInfo } from './backend.js';
import { activateTfjs, importOptional, loadTfjs } from './tfjs.js';

export const probeBackend = {
  name: 'probe-backend',
  threadSafe: true,
  autoRank: null,
  available: () => importOptional('@tensorflow/tfjs'),
  activate: async (): Promise<BackendInfo> => activateTfjs(await loadTfjs(), 'cpu', probeBackend),
} as const satisfies Backend;
`,
  },
  edit: {
    'packages/models/src/backends/index.ts': (text) =>
      addRegistryEntry(text, 'BACKENDS', "(await import('./probe-backend.js')).probeBackend"),
  },
  // Named in the experiment file (so its schema accepts it), it trains on tfjs' cpu, which nothing else picks.
  check: sweepCheck({
    experiment: { executor: { backend: 'probe-backend' } },
    expect: `schema.includes('"probe-backend"') && trials.length === 1 && trials[0].status === 'complete'
      && trials[0].environment.backend === 'cpu'`,
  }),
};
export default probe;
