/**
 * The fused Adam kernels ({@link ADAM_KERNEL}, {@link ADAM_ALL_KERNEL}) on wasm: a single
 * pass over wasm memory per weight, by `adam.wat` (or its JS twin, same bits).
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { ADAM_ALL_KERNEL, ADAM_KERNEL, type AdamUpdateAttrs } from '../adam.js';
import { registerWasmKernels, type WasmHeapBackend } from './heap.js';
import { adamPassOver, type AdamPass } from './modules.js';

/** `adam.wat` over this backend's memory, or null where tfjs-wasm does not expose it (the JS loop runs then). */
function wasmPass(b: WasmHeapBackend): AdamPass | null {
  const memory = b.wasm.asm?.memory;
  return memory instanceof WebAssembly.Memory ? adamPassOver(memory) : null;
}

/**
 * One Adam update of a weight's values, `infos` = [x, m, v, g, x', m', v']: by `adam.wat`
 * (four values per instruction) where the memory is reachable, else by the JS loop; both
 * compute in float32, so they give the same bits.
 */
function adamUpdate(
  b: WasmHeapBackend,
  infos: TensorInfo[],
  rates: readonly number[],
  attrs: Pick<AdamUpdateAttrs, 'c2' | 'beta1' | 'beta2' | 'epsilon'>,
  l2: number,
): void {
  const pass = wasmPass(b);
  if (!pass) {
    adamPass(
      infos.map((t) => b.typedArrayFromHeap(t)),
      rates,
      attrs,
      l2,
    );
    return;
  }
  const offsets = infos.map((t) => b.dataIdMap.get(t.dataId)!.memoryOffset);
  const size = infos[0].shape.reduce((a, d) => a * d, 1);
  const block = size / rates.length;
  rates.forEach((rate, k) => {
    const at = offsets.map((o) => o + 4 * k * block);
    pass(
      at[0],
      at[1],
      at[2],
      at[3],
      at[4],
      at[5],
      at[6],
      block,
      rate,
      attrs.c2,
      1 - attrs.beta1,
      1 - attrs.beta2,
      attrs.epsilon,
      2 * l2,
      0,
    );
  });
}

/**
 * One Adam pass over a weight's values (`rates`: c1 per equal block, a population's
 * members) in float32, rounding after every operation (Math.fround), so it gives the bits
 * of `adam.wat`, which runs where tfjs-wasm's memory is reachable.
 */
export function adamPass(
  arrays: Float32Array[],
  rates: readonly number[],
  attrs: Pick<AdamUpdateAttrs, 'c2' | 'beta1' | 'beta2' | 'epsilon'>,
  l2: number,
): void {
  const [X, M, V, G, OX, OM, OV] = arrays;
  const f = Math.fround;
  const [c2, k1, k2, epsilon, l2x2] = [attrs.c2, 1 - attrs.beta1, 1 - attrs.beta2, attrs.epsilon, 2 * l2].map(f);
  const block = X.length / rates.length;
  for (let k = 0; k < rates.length; k++) {
    const rate = f(rates[k]);
    for (let i = k * block, end = i + block; i < end; i++) {
      const xi = X[i];
      const gi = l2x2 === 0 ? G[i] : f(G[i] + f(l2x2 * xi));
      const mi = f(M[i] + f(f(gi - M[i]) * k1));
      const vi = f(V[i] + f(f(f(gi * gi) - V[i]) * k2));
      OM[i] = mi;
      OV[i] = vi;
      OX[i] = f(xi - f(f(rate * mi) / f(f(Math.sqrt(f(c2 * vi))) + epsilon)));
    }
  }
}

const adamUpdateWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WasmHeapBackend;
  const { x, m, v, g } = inputs as Record<'x' | 'm' | 'v' | 'g', TensorInfo>;
  const settings = attrs as unknown as AdamUpdateAttrs;
  const outs = [x, m, v].map((t) => b.makeOutput(t.shape, 'float32'));
  adamUpdate(
    b,
    [x, m, v, g, ...outs],
    typeof settings.c1 === 'number' ? [settings.c1] : settings.c1,
    settings,
    settings.l2 ?? 0,
  );
  return outs;
};

const adamUpdateAllWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WasmHeapBackend;
  const settings = attrs as unknown as Omit<AdamUpdateAttrs, 'l2' | 'c1'> & { c1: number; l2: number[] };
  const named = inputs as Record<string, TensorInfo>;
  const count = settings.l2.length;
  const outs = Array.from({ length: count }, (_, i) =>
    [named[`x${i}`], named[`m${i}`], named[`v${i}`]].map((t) => b.makeOutput(t.shape, 'float32')),
  ).flat();
  for (let i = 0; i < count; i++) {
    adamUpdate(
      b,
      [named[`x${i}`], named[`m${i}`], named[`v${i}`], named[`g${i}`], ...outs.slice(3 * i, 3 * i + 3)],
      [settings.c1],
      settings,
      settings.l2[i],
    );
  }
  return outs;
};

/** Register the fused Adam kernel for wasm (idempotent). */
export function registerWasmAdamKernel(): void {
  registerWasmKernels([
    [ADAM_KERNEL, adamUpdateWasm],
    [ADAM_ALL_KERNEL, adamUpdateAllWasm],
  ]);
}
