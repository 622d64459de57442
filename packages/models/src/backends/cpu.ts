/** tfjs' plain JavaScript backend: slow, but always there (never picked by `auto`). */
import type { Backend, BackendInfo } from './backend.js';
import { activateTfjs, importOptional, loadTfjs } from './tfjs.js';

export const cpuBackend = {
  name: 'cpu',
  threadSafe: true,
  autoRank: null,
  available: () => importOptional('@tensorflow/tfjs'),
  activate: async (): Promise<BackendInfo> => activateTfjs(await loadTfjs(), 'cpu', cpuBackend),
} as const satisfies Backend;
