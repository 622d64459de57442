/**
 * Small hand-written wasm modules that work in place on tfjs-wasm's memory (imported, so a
 * tensor's data is addressed by its byte offset there), for the loops a JS kernel would
 * otherwise run one float at a time. Each is instantiated once per tfjs memory (per thread).
 */
import { ADAM_WASM, type AdamExports } from './adam-wasm.js';
import { CONV_WASM, type ConvExports } from './conv-wasm.js';

/** `adam.wat`'s export: the fused Adam update of `n` float32 values (offsets in bytes). */
export type AdamPass = AdamExports['adam'];

/** `conv.wat`'s exports (offsets and strides in bytes; see its header for the arithmetic). */
export type ConvPasses = ConvExports;

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
  return (exportsOver(memory, ADAM_WASM) as unknown as AdamExports).adam;
}

/** `conv.wat` instantiated over `memory`. */
export function convPassesOver(memory: WebAssembly.Memory): ConvPasses {
  return exportsOver(memory, CONV_WASM) as unknown as ConvPasses;
}
