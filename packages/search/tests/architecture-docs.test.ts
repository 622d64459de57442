import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * docs/architecture.md says, for each seam, "one new file in <folder>, registered in
 * <registry> (<CONST>)". This checks the claim against the code as it is: each member
 * of the constant is imported, with one line, from its own file of the folder, and no
 * module of the folder exports an implementation (a value with the seam's contract keys)
 * that the constant does not list.
 */
const root = resolve(import.meta.dirname, '../../..');
const doc = readFileSync(resolve(root, 'docs/architecture.md'), 'utf8');
const HOW_TO = /How to add one: one new file in `([^`]+)\/`, registered in `([^`]+)` \(`(\w+)`\)\./g;
const seams = [...doc.matchAll(HOW_TO)].map(([, folder, registry, constant]) => ({ folder, registry, constant }));

/** Names the registry's constant lists, e.g. [gridSampler, randomSampler]. */
function listed(registryText: string, constant: string): string[] {
  const match = new RegExp(`export const ${constant}\\s*=\\s*\\[([^\\]]*)\\]`).exec(registryText);
  if (!match) throw new Error(`no "export const ${constant} = [...]" in the registry`);
  return match[1]
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The file of the folder a registry entry comes from: `(await import('./grid.js')).gridSampler`
 * (one line registers it), or a name imported with its own line.
 */
function sourceOf(entry: string, registryText: string): string | undefined {
  const inline = /^\(await import\('\.\/([\w-]+)\.js'\)\)\.\w+$/.exec(entry);
  if (inline) return inline[1];
  return new RegExp(`import \\{[^}]*\\b${entry}\\b[^}]*\\} from '\\./([\\w-]+)\\.js'`).exec(registryText)?.[1];
}

/** What makes an exported value an implementation of each seam (the keys of its contract). */
const IDENTITY: Record<string, string[]> = {
  SAMPLERS: ['type', 'schema', 'create'],
  PRUNERS: ['type', 'schema', 'create'],
  EXECUTORS: ['kind', 'create'],
  BACKENDS: ['name', 'threadSafe', 'activate'],
  MODEL_FAMILIES: ['kind', 'schema', 'build'],
  STEPS: ['name', 'appliesTo', 'create', 'kernels'],
  THRESHOLD_RULES: ['name', 'schema', 'compute'],
};

const isImplementation = (value: unknown, keys: string[]) =>
  typeof value === 'object' && value !== null && keys.every((k) => k in (value as Record<string, unknown>));

describe('docs/architecture.md "How to add one" matches the code', () => {
  it('names every seam', () => {
    expect(seams.map((s) => s.constant).sort()).toEqual(Object.keys(IDENTITY).sort());
  });

  for (const { folder, registry, constant } of seams) {
    it(`${constant}: every implementation in ${folder}/ is one file registered with one line`, async () => {
      const registryText = readFileSync(resolve(root, registry), 'utf8');
      const names = listed(registryText, constant);
      expect(names.length).toBeGreaterThan(0);
      const registryModule = (await import(resolve(root, registry))) as Record<string, unknown>;
      const members = registryModule[constant] as unknown[];
      expect(members).toHaveLength(names.length);
      // Each listed implementation is imported from its own file of the folder (one line in the registry).
      const sources = names.map((name) => sourceOf(name, registryText));
      expect(
        sources.every((f) => f !== undefined && existsSync(resolve(root, folder, `${f}.ts`))),
        sources.join(', '),
      ).toBe(true);
      expect(new Set(sources).size).toBe(sources.length);
      // No file of the folder defines an implementation that the registry does not list.
      const files = readdirSync(resolve(root, folder)).filter((f) => f.endsWith('.ts') && f !== basename(registry));
      for (const file of files) {
        const exported = Object.values((await import(resolve(root, folder, file))) as Record<string, unknown>);
        for (const value of exported.filter((v) => isImplementation(v, IDENTITY[constant]))) {
          expect(members.includes(value), `${folder}/${file} exports an implementation missing from ${constant}`).toBe(
            true,
          );
        }
      }
    });
  }
});
