/**
 * tfjs-backend-wasm (XNNPACK, SIMD), plus the kernels aelab's training steps add to it
 * (`models/src/wasm/`, each step's `kernels`): the gradients wasm lacks
 * (Conv2DBackpropFilter), the fast route for transposed matrix products, cheap slicing,
 * the fused Adam update, the lean steps' kernels and the fused recurrent layer.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Backend, BackendInfo } from './backend.js';
import { activateTfjs, importOptional, loadTfjs } from './tfjs.js';

const require = createRequire(import.meta.url);

function wasmDistDir(): string {
  // The package's `main` lives in its dist/, next to the .wasm binaries.
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep;
}

let wasmPathsSet = false;

export const wasmBackend = {
  name: 'wasm',
  threadSafe: true,
  autoRank: 3,
  available: () => importOptional('@tensorflow/tfjs-backend-wasm'),
  async activate(): Promise<BackendInfo> {
    const tf = await loadTfjs();
    // CommonJS, loaded with require for the reason tf.ts gives.
    const { setWasmPaths } = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    // In Node the .wasm files must be located explicitly, once per thread.
    if (!wasmPathsSet) {
      setWasmPaths(wasmDistDir());
      wasmPathsSet = true;
    }
    // Registered before first use (registering again is a no-op): what each training step needs.
    const { registerStepKernels } = await import('../steps/index.js');
    registerStepKernels('wasm');
    const info = await activateTfjs(tf, 'wasm', wasmBackend);
    return {
      ...info,
      simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
      multithread: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
    };
  },
} as const satisfies Backend;
