/**
 * What every backend does to become active, with tfjs imported lazily so that backend
 * files (and the registry that lists them) load without it.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import type { Backend, BackendInfo } from './backend.js';
import { BackendUnavailableError } from './backend.js';

type Tfjs = typeof import('@tensorflow/tfjs');

/** tfjs, in production mode (which also silences the per-worker Node banner). */
export async function loadTfjs(): Promise<Tfjs> {
  const { tf } = await import('../tf.js');
  tf.enableProdMode();
  return tf;
}

/**
 * Sets `tfjsName` (the name tfjs registered it under) as the thread's backend for
 * `backend` and describes it.
 */
export async function activateTfjs(
  tf: Tfjs,
  tfjsName: string,
  backend: Pick<Backend, 'name' | 'threadSafe'>,
): Promise<BackendInfo> {
  const ok = await tf.setBackend(tfjsName);
  if (!ok) throw new BackendUnavailableError(backend.name, `backend "${backend.name}" failed to initialise`);
  await tf.ready();
  return {
    backend: tf.getBackend(),
    simd: false,
    multithread: false,
    tfjsVersion: tf.version.tfjs,
    nodeVersion: process.versions.node,
    cpus: os.availableParallelism?.() ?? os.cpus().length,
    nativeThreadSafe: backend.threadSafe,
    adapter: null,
  };
}

/**
 * Loads an optional package (tfjs and its backends: CommonJS, loaded with `require` for the
 * reason `tf.ts` gives). A variable specifier keeps TypeScript and bundlers from resolving
 * it, so it need not be installed to build.
 */
export async function importOptional(specifier: string): Promise<boolean> {
  try {
    createRequire(import.meta.url)(specifier);
    return true;
  } catch {
    return false;
  }
}
