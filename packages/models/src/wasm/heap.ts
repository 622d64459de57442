/**
 * What aelab's own wasm kernels (`layers-kernels.ts`, `recurrent-kernels.ts`, `dense-kernels.ts`,
 * the fused Adam) use of tfjs-wasm: its allocation, views of its memory, where a tensor's
 * data lives, and its kernels by name. Any allocation may grow wasm memory, which detaches
 * every older view: take views only after the last allocation.
 */
import { tf } from '../tf.js';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';

/** The parts of tfjs-backend-wasm's `BackendWasm` the kernels use (not in its typings). */
export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  /** A view of a tensor's values: a Float32Array for float32 (an Int32Array / Uint8Array for those dtypes). */
  typedArrayFromHeap(info: TensorInfo): Float32Array;
  disposeData(dataId: object): boolean;
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  wasm: {
    asm?: { memory?: WebAssembly.Memory };
    /** Allocates `bytes` in wasm memory (may grow it); the block's byte offset. */
    _malloc?(bytes: number): number;
    _free?(offset: number): void;
  };
  /** How many tensors share a data id's values (0: none). */
  refCount(dataId: object): number;
}

/** wasm's kernel `name` as registered now (aelab replaces some: read it at call time). */
export function wasmKernel(name: string): KernelFunc {
  const config = tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`wasm backend has no ${name} kernel`);
  return config.kernelFunc;
}

/** Whether `backend` (default: the active one) has a kernel of each name (aelab registers its own on wasm only). */
export function activeBackendHas(names: readonly string[], backend = tf.getBackend()): boolean {
  return names.every((name) => tf.getKernel(name, backend) !== undefined);
}

/** Registers each kernel for wasm unless one of that name is registered already (so calling it again is harmless). */
export function registerWasmKernels(kernels: readonly (readonly [string, KernelFunc])[]): void {
  for (const [kernelName, kernelFunc] of kernels) {
    if (!tf.getKernel(kernelName, 'wasm')) tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  }
}
