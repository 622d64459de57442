/**
 * The backend registry: the one list of backends and of the names `--backend` accepts.
 * Adding a backend is its file plus one entry in {@link BACKENDS}. Loads
 * without tfjs.
 */
import type { Backend } from './backend.js';
import { cpuBackend } from './cpu.js';
import { tensorflowGpuBackend } from './tensorflow-gpu.js';
import { tensorflowBackend } from './tensorflow.js';
import { wasmBackend } from './wasm.js';
import { webgpuBackend } from './webgpu.js';

/** Every backend, in the order names are listed in help and messages. */
export const BACKENDS = [wasmBackend, cpuBackend, tensorflowBackend, tensorflowGpuBackend, webgpuBackend] as const;

/** A backend as named on the command line; `auto` picks the best one available. */
export type BackendName = 'auto' | (typeof BACKENDS)[number]['name'];

/** Every value `--backend` accepts: `auto` then the registry's names. CLI choices and the experiment schema use it. */
export const BACKEND_NAMES: readonly BackendName[] = ['auto', ...BACKENDS.map((backend) => backend.name)];

/** The registered backend called `name`, if any (`auto` is a choice among them, not a backend). */
export function backendNamed(name: string): Backend | undefined {
  return BACKENDS.find((backend) => backend.name === name);
}

/** The backends `auto` may pick, best first. */
export function autoCandidates(): Backend[] {
  return BACKENDS.filter((backend) => backend.autoRank !== null).sort((a, b) => (a.autoRank ?? 0) - (b.autoRank ?? 0));
}

export { BackendUnavailableError, type Backend, type BackendInfo, type GpuAdapterInfo } from './backend.js';
export { cpuBackend, tensorflowBackend, tensorflowGpuBackend, wasmBackend, webgpuBackend };
