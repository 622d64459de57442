/**
 * Backend selection: every command that trains takes `--backend` and ends up here.
 * Native backends (`@tensorflow/tfjs-node`, `-gpu`) are optional packages: they are loaded
 * with a dynamic import of a computed module name so neither TypeScript nor a bundler
 * requires them, and a backend the user *named* never silently falls back to another.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/** A backend as named on the command line; `auto` picks the fastest one installed. */
export type BackendName = 'auto' | 'wasm' | 'cpu' | 'tensorflow' | 'tensorflow-gpu';

/** Every value `--backend` accepts, for CLI choices and validation. */
export const BACKEND_NAMES: readonly BackendName[] = ['auto', 'wasm', 'cpu', 'tensorflow', 'tensorflow-gpu'];

/** What `aelab info` prints and what each trial record stores as its backend. */
export interface BackendInfo {
  /** The tfjs backend actually active (`wasm`, `cpu`, `tensorflow`). */
  backend: string;
  /** wasm only: whether the SIMD build is in use (false for other backends). */
  simd: boolean;
  /** wasm only: whether the multithreaded build is in use (always false in Node, see TFJS-NOTES). */
  multithread: boolean;
  tfjsVersion: string;
  nodeVersion: string;
  /** Logical CPUs of this machine (the default worker-pool size). */
  cpus: number;
  /**
   * Whether this backend may be initialised in several worker threads of one process.
   * The native tfjs-node addon is not safe there; wasm and cpu are.
   */
  nativeThreadSafe: boolean;
}

/** A backend that was asked for by name is not installed; the message says how to install it. */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
  constructor(
    readonly backend: BackendName,
    message: string,
  ) {
    super(message);
  }
}

const NATIVE_PACKAGES = {
  tensorflow: '@tensorflow/tfjs-node',
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
} as const;

let active: Promise<BackendInfo> | null = null;
let activeName: BackendName | null = null;

/**
 * Make `name` the tfjs backend of this thread and return what it is. Idempotent: a second
 * call with the same name (or `auto` after anything) returns the first result; asking for
 * a different backend after one is active re-initialises to it.
 * @throws BackendUnavailableError when a named backend's package cannot be loaded.
 */
export function initBackend(name: BackendName = 'auto'): Promise<BackendInfo> {
  if (!BACKEND_NAMES.includes(name)) {
    return Promise.reject(new Error(`backend must be one of ${BACKEND_NAMES.join(', ')}, got ${JSON.stringify(name)}`));
  }
  if (active && (name === activeName || name === 'auto')) return active;
  const next = select(name);
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

async function select(name: BackendName): Promise<BackendInfo> {
  tf.enableProdMode();
  if (name === 'auto') {
    for (const native of ['tensorflow-gpu', 'tensorflow'] as const) {
      if (await tryImportNative(native)) return activate('tensorflow');
    }
    return activateWasm();
  }
  if (name === 'wasm') return activateWasm();
  if (name === 'cpu') return activate('cpu');
  if (!(await tryImportNative(name))) {
    const pkg = NATIVE_PACKAGES[name];
    throw new BackendUnavailableError(name, `backend "${name}" needs ${pkg}: npm i ${pkg}`);
  }
  return activate('tensorflow');
}

async function tryImportNative(name: keyof typeof NATIVE_PACKAGES): Promise<boolean> {
  // A variable specifier keeps TypeScript and bundlers from resolving the optional package.
  const specifier: string = NATIVE_PACKAGES[name];
  try {
    await import(specifier);
    return tf.findBackend('tensorflow') !== null;
  } catch {
    return false;
  }
}

function wasmDistDir(): string {
  const require = createRequire(import.meta.url);
  // The package's `main` lives in its dist/, next to the .wasm binaries.
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep;
}

let wasmPathsSet = false;

async function activateWasm(): Promise<BackendInfo> {
  if (!wasmPathsSet) {
    setWasmPaths(wasmDistDir());
    wasmPathsSet = true;
  }
  // Kernels tfjs-wasm lacks (Conv2DBackpropFilter) and the fast route for transposed
  // matrix products are registered before first use.
  const { registerWasmFastSlicing, registerWasmGradientKernels, registerWasmMatMulTransposeFirst } = await import('./wasm-kernels.js');
  registerWasmGradientKernels();
  registerWasmMatMulTransposeFirst();
  registerWasmFastSlicing();
  const { registerWasmAdamKernel } = await import('./adam.js');
  registerWasmAdamKernel();
  return activate('wasm');
}

async function activate(backend: 'wasm' | 'cpu' | 'tensorflow'): Promise<BackendInfo> {
  const ok = await tf.setBackend(backend);
  if (!ok) throw new BackendUnavailableError(backend, `backend "${backend}" failed to initialise`);
  await tf.ready();
  const isWasm = backend === 'wasm';
  return {
    backend: tf.getBackend(),
    simd: isWasm ? Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) : false,
    multithread: isWasm ? Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) : false,
    tfjsVersion: tf.version.tfjs,
    nodeVersion: process.versions.node,
    cpus: os.availableParallelism?.() ?? os.cpus().length,
    nativeThreadSafe: backend !== 'tensorflow',
  };
}
