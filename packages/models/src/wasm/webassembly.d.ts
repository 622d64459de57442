/**
 * The part of the WebAssembly JS API (Node has it) that `wasm/modules.ts` uses: @types/node
 * 20 declares none of it, and TypeScript has it only in lib.dom, which a Node package
 * should not pull in.
 */
declare namespace WebAssembly {
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number });
    readonly buffer: ArrayBuffer;
  }
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
}
