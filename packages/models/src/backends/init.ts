/**
 * Backend selection: every command that trains takes `--backend` and ends up here. Names
 * resolve through the registry; a backend the user *named* never silently falls back to
 * another, only `auto` chooses.
 */
import type { BackendInfo } from './backend.js';
import { BackendUnavailableError } from './backend.js';
import { BACKEND_NAMES, autoCandidates, backendNamed, type BackendName } from './index.js';

let active: Promise<BackendInfo> | null = null;
let activeName: BackendName | null = null;

/**
 * Makes `name` the tfjs backend of this thread and returns what it is. Idempotent: a second
 * call with the same name (or `auto` after anything) returns the first result; asking for
 * a different backend after one is active switches to it.
 * @throws BackendUnavailableError when a named backend cannot be used here.
 */
export function initBackend(name: BackendName = 'auto'): Promise<BackendInfo> {
  if (!BACKEND_NAMES.includes(name)) {
    return Promise.reject(new Error(`backend must be one of ${BACKEND_NAMES.join(', ')}, got ${JSON.stringify(name)}`));
  }
  if (active && (name === activeName || name === 'auto')) return active;
  const next = name === 'auto' ? activateAuto() : backendNamed(name)!.activate();
  active = next;
  activeName = name;
  // A failed initialisation must not poison later calls (e.g. `auto` after a failed `tensorflow`).
  next.catch(() => {
    if (active === next) {
      active = null;
      activeName = null;
    }
  });
  return next;
}

/** The info of the active backend, initialising `auto` if none is active yet. */
export function backendInfo(): Promise<BackendInfo> {
  return active ?? initBackend('auto');
}

/** The first backend by `autoRank` that is available and activates. */
async function activateAuto(): Promise<BackendInfo> {
  const failures: string[] = [];
  for (const backend of autoCandidates()) {
    if (!(await backend.available())) continue;
    try {
      return await backend.activate();
    } catch (error) {
      failures.push((error as Error).message);
    }
  }
  throw new BackendUnavailableError(
    'auto',
    `no backend could be initialised${failures.length > 0 ? `: ${failures.join('; ')}` : ''}`,
  );
}
