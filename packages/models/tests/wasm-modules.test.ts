import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import wabtInit from 'wabt';
import { exportSignatures, wasmModuleText } from '../src/wasm/module-text.js';

const dir = new URL('../src/wasm/', import.meta.url);

describe('generated wasm modules', () => {
  it(
    'are each .wat assembled, with its exports declared from the .wat ' + '(regenerate with tools/gen-wasm.mjs)',
    async () => {
      const wabt = await wabtInit();
      const files = (await readdir(dir)).filter((f) => f.endsWith('.wat'));
      expect(files.sort()).toEqual(['adam.wat', 'conv.wat']);
      for (const file of files) {
        const source = await readFile(new URL(file, dir), 'utf8');
        const module = wabt.parseWat(file, source, { simd: true });
        const bytes = module.toBinary({}).buffer;
        module.destroy();
        const committed = await readFile(new URL(file.replace('.wat', '-wasm.ts'), dir), 'utf8');
        expect(committed).toBe(wasmModuleText(file, source, bytes));
      }
    },
  );

  it('declares every export with its parameters in order, and refuses a type JS cannot pass', () => {
    const source = '(module (func (export "f") (param $a i32) (param $b f64) (result f32) (f32.const 0)))';
    expect(exportSignatures('t.wat', source)).toEqual(['f(a: number, b: number): number;']);
    expect(() => exportSignatures('t.wat', '(func (export "g") (param $v v128))')).toThrow(
      't.wat: export g has a v128 parameter or result, which JS cannot pass',
    );
  });
});
