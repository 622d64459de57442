/**
 * Small hand-written wasm modules that work in place on tfjs-wasm's memory (imported, so a
 * tensor's data is addressed by its byte offset there), for the loops a JS kernel would
 * otherwise run one float at a time. Each is instantiated once per tfjs memory (per thread).
 */
import { ADAM_WASM } from './adam-wasm.js';
import { CONV_WASM } from './conv-wasm.js';

/** `adam.wat`'s export: the fused Adam update of `n` float32 values (offsets in bytes). */
export type AdamPass = (x: number, m: number, v: number, g: number, ox: number, om: number, ov: number, n: number, rate: number, c2: number, k1: number, k2: number, epsilon: number, l2x2: number) => void;

/** `conv.wat`'s exports (offsets and strides in bytes; see its header for the arithmetic). */
export interface ConvPasses {
  gemm(a: number, rowStride: number, groupStride: number, groups: number, rows: number, depth: number, packed: number, colTiles: number, y: number, bias: number, hasBias: number, relu: number): void;
  outer(a: number, rowStride: number, groupStride: number, groups: number, rows: number, depth: number, d: number, cols: number, out: number): void;
  dots(a: number, rowStride: number, groupStride: number, groups: number, rows: number, depth: number, wt: number, cols: number, y: number, bias: number, hasBias: number, relu: number): void;
  outerT(a: number, rowStride: number, groupStride: number, groups: number, rows: number, depth: number, d: number, cols: number, outT: number): void;
  backprop(dy: number, y: number, dz: number, rows: number, cols: number, db: number, relu: number, mask: number, hasMask: number): void;
  mul(x: number, m: number, out: number, n: number): void;
  pack(src: number, rows: number, cols: number, rowStride: number, colStride: number, out: number, outDepth: number): void;
  pool(x: number, batch: number, width: number, channels: number, steps: number, size: number, stride: number, left: number, y: number, argmax: number): void;
  unpool(dy: number, argmax: number, m: number, dx: number, n: number): void;
  repeat(x: number, rows: number, cols: number, size: number, out: number, backward: number): void;
}

const compiled = new Map<string, WebAssembly.Module>();
const instances = new WeakMap<WebAssembly.Memory, Map<string, Record<string, unknown>>>();

/** The exports of the module whose bytes are `base64`, instantiated over `memory` (once per memory). */
function exportsOver(memory: WebAssembly.Memory, base64: string): Record<string, unknown> {
  const byMemory = instances.get(memory) ?? new Map<string, Record<string, unknown>>();
  instances.set(memory, byMemory);
  let exports = byMemory.get(base64);
  if (!exports) {
    let module = compiled.get(base64);
    if (!module) compiled.set(base64, (module = new WebAssembly.Module(Buffer.from(base64, 'base64'))));
    exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
    byMemory.set(base64, exports);
  }
  return exports;
}

/** `adam.wat` instantiated over `memory`. */
export function adamPassOver(memory: WebAssembly.Memory): AdamPass {
  return exportsOver(memory, ADAM_WASM)['adam'] as AdamPass;
}

/** `conv.wat` instantiated over `memory`. */
export function convPassesOver(memory: WebAssembly.Memory): ConvPasses {
  return exportsOver(memory, CONV_WASM) as unknown as ConvPasses;
}
