/**
 * tfjs-backend-wasm (XNNPACK, SIMD), plus the kernels aelab adds to it: the gradients wasm
 * lacks (Conv2DBackpropFilter), the fast route for transposed matrix products, cheap
 * slicing, the fused Adam update and the fused recurrent layer (see the README's speed notes).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Backend, BackendInfo } from './backend.js';
import { activateTfjs, importOptional, loadTfjs } from './tfjs.js';

function wasmDistDir(): string {
  const require = createRequire(import.meta.url);
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
    const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
    // In Node the .wasm files must be located explicitly, once per thread.
    if (!wasmPathsSet) {
      setWasmPaths(wasmDistDir());
      wasmPathsSet = true;
    }
    // Registered before first use (registering again is a no-op).
    const { registerWasmFastSlicing, registerWasmGradientKernels, registerWasmMatMulTransposeFirst } = await import('../wasm-kernels.js');
    registerWasmGradientKernels();
    registerWasmMatMulTransposeFirst();
    registerWasmFastSlicing();
    const { registerWasmAdamKernel } = await import('../adam.js');
    registerWasmAdamKernel();
    const { registerWasmStepKernels } = await import('../steps/kernels.js');
    registerWasmStepKernels();
    const { registerWasmConv1dKernels } = await import('../steps/conv1d-kernels.js');
    registerWasmConv1dKernels();
    const { registerWasmRecurrentKernels } = await import('../wasm-recurrent.js');
    registerWasmRecurrentKernels();
    const info = await activateTfjs(tf, 'wasm', wasmBackend);
    return {
      ...info,
      simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
      multithread: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
    };
  },
} as const satisfies Backend;
