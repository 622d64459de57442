import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BACKENDS,
  BACKEND_NAMES,
  MODEL_FAMILIES,
  MODEL_KINDS,
  PRESETS,
  autoCandidates,
  familyOf,
  modelSpecSchema,
  InvalidModelSpecError,
} from '../src/registry.js';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('model family registry', () => {
  it('derives the kinds and the spec schema from the one list of families', () => {
    expect(MODEL_KINDS).toEqual(['dense', 'conv1d', 'lstm', 'rnn', 'pca', 'isolation-forest', 'knn']);
    expect(MODEL_FAMILIES.map((f) => familyOf(f.kind))).toEqual([...MODEL_FAMILIES]);
    for (const spec of Object.values(PRESETS)) expect(modelSpecSchema.parse(spec)).toEqual(spec);
    expect(() => familyOf('gru')).toThrow(InvalidModelSpecError);
  });

  it('describes every field of every family (editors complete and explain model fields)', () => {
    for (const family of MODEL_FAMILIES) {
      const schema = z.toJSONSchema(family.schema) as {
        properties: Record<string, { description?: string }>;
        additionalProperties: unknown;
      };
      expect(schema.additionalProperties, family.kind).toBe(false);
      for (const [field, property] of Object.entries(schema.properties))
        expect(property.description, `${family.kind}.${field}`).toBeTruthy();
    }
  });
});

describe('backend registry', () => {
  it('lists auto then every backend, and auto tries native, then webgpu, before wasm and never cpu', () => {
    expect(BACKEND_NAMES).toEqual(['auto', 'wasm', 'cpu', 'tensorflow', 'tensorflow-gpu', 'webgpu']);
    expect(autoCandidates().map((b) => b.name)).toEqual(['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm']);
    expect(BACKENDS.filter((b) => !b.threadSafe).map((b) => b.name)).toEqual(['tensorflow', 'tensorflow-gpu']);
  });
});

describe('@aelab/models/registry', () => {
  beforeAll(() => {
    // The child imports the built package, as other packages do at run time.
    execFileSync('npx', ['tsc', '-b', packageRoot], { cwd: path.resolve(packageRoot, '../..'), stdio: 'inherit' });
  }, 120_000);

  // tfjs-core creates this global when it loads.
  const tfjsLoadedAfterImport = (entry: string): string => {
    const script =
      `await import(${JSON.stringify(path.join(packageRoot, 'dist', entry))}); ` +
      `console.log(globalThis._tfengine === undefined ? 'no tfjs' : 'tfjs loaded');`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(0);
    return child.stdout.trim();
  };

  it('loads without tfjs, while the main entry loads it', () => {
    expect(tfjsLoadedAfterImport('registry.js')).toBe('no tfjs');
    expect(tfjsLoadedAfterImport('index.js')).toBe('tfjs loaded');
  });
});
