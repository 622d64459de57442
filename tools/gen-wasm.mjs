#!/usr/bin/env node
// Assembles the hand-written wasm modules of @aelab/models (packages/models/src/wasm/*.wat)
// with wabt and writes each as a TypeScript module holding its bytes and the signatures of
// its exports (`<name>-wasm.ts`, text from the package's `wasm/module-text.ts`), so the
// package needs no build step and no wasm toolchain at run time, and the signatures are
// declared once, in the .wat. A test assembles each .wat again and checks the committed
// file is what this writes.
//   npx tsc -b && node tools/gen-wasm.mjs
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { wasmModuleText } from '../packages/models/dist/wasm/module-text.js';

const dir = fileURLToPath(new URL('../packages/models/src/wasm/', import.meta.url));
const wabt = await wabtInit();
for (const file of (await readdir(dir)).filter((f) => f.endsWith('.wat'))) {
  const name = file.slice(0, -'.wat'.length);
  const source = await readFile(path.join(dir, file), 'utf8');
  const module = wabt.parseWat(file, source, { simd: true });
  const { buffer } = module.toBinary({});
  module.destroy();
  await writeFile(path.join(dir, `${name}-wasm.ts`), wasmModuleText(file, source, buffer));
  console.log(`${name}-wasm.ts: ${buffer.length} bytes`);
}
