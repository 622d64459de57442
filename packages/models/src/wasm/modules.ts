/**
 * Small hand-written wasm modules that work in place on tfjs-wasm's memory (imported, so a
 * tensor's data is addressed by its byte offset there), for the loops a JS kernel would
 * otherwise run one float at a time. Each is instantiated once per tfjs memory (per thread).
 */
import { ADAM_WASM } from './adam-wasm.js';

/** `adam.wat`'s export: the fused Adam update of `n` float32 values (offsets in bytes). */
export type AdamPass = (x: number, m: number, v: number, g: number, ox: number, om: number, ov: number, n: number, rate: number, c2: number, k1: number, k2: number, epsilon: number, l2x2: number) => void;

const instances = new WeakMap<WebAssembly.Memory, AdamPass>();

/** `adam.wat` instantiated over `memory` (once per memory). */
export function adamPassOver(memory: WebAssembly.Memory): AdamPass {
  let pass = instances.get(memory);
  if (!pass) {
    const module = new WebAssembly.Module(Buffer.from(ADAM_WASM, 'base64'));
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    pass = instance.exports['adam'] as AdamPass;
    instances.set(memory, pass);
  }
  return pass;
}
