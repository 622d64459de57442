/**
 * The native TensorFlow backends (`@tensorflow/tfjs-node`, `-gpu`). Both are optional
 * packages (their install script downloads libtensorflow, which fails on some machines)
 * and both register the tfjs backend `tensorflow` when imported.
 */
import type { Backend, BackendInfo } from './backend.js';
import { BackendUnavailableError } from './backend.js';
import { activateTfjs, importOptional, loadTfjs } from './tfjs.js';

/** A backend served by the native addon in `pkg`. */
export function nativeBackend<const N extends string>(name: N, pkg: string, autoRank: number) {
  const available = async () => (await importOptional(pkg)) && (await loadTfjs()).findBackend('tensorflow') !== null;
  const backend = {
    name,
    // The addon is not safe in a second worker thread of one process (TFJS-NOTES).
    threadSafe: false,
    autoRank,
    available,
    async activate(): Promise<BackendInfo> {
      if (!(await available())) throw new BackendUnavailableError(name, `backend "${name}" needs ${pkg}: npm i ${pkg}`);
      return activateTfjs(await loadTfjs(), 'tensorflow', backend);
    },
  } satisfies Backend;
  return backend;
}
