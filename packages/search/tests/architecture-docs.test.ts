import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * docs/architecture.md says, for each seam, "one new file in <folder>, registered in
 * <registry> (<CONST>)". This checks the claim against the code as it is: every
 * implementation in the folder is imported by the registry and listed in the constant,
 * and the folder holds nothing else but the contract, the registry and helpers that the
 * implementations (not the registry) use.
 */
const root = resolve(import.meta.dirname, '../../..');
const doc = readFileSync(resolve(root, 'docs/architecture.md'), 'utf8');
const HOW_TO = /How to add one: one new file in `([^`]+)\/`, registered in `([^`]+)` \(`(\w+)`\)\./g;
const seams = [...doc.matchAll(HOW_TO)].map(([, folder, registry, constant]) => ({ folder, registry, constant }));

/** Names the registry's constant lists, e.g. [gridSampler, randomSampler]. */
function listed(registryText: string, constant: string): string[] {
  const match = new RegExp(`export const ${constant}\\s*=\\s*\\[([^\\]]*)\\]`).exec(registryText);
  if (!match) throw new Error(`no "export const ${constant} = [...]" in the registry`);
  return match[1].split(',').map((s) => s.trim()).filter(Boolean);
}

describe('docs/architecture.md "How to add one" matches the code', () => {
  it('names the five seams', () => {
    expect(seams.map((s) => s.constant).sort()).toEqual(['BACKENDS', 'EXECUTORS', 'MODEL_FAMILIES', 'PRUNERS', 'SAMPLERS']);
  });

  for (const { folder, registry, constant } of seams) {
    it(`${constant}: every implementation in ${folder}/ is one file registered with one line`, () => {
      const registryText = readFileSync(resolve(root, registry), 'utf8');
      const names = listed(registryText, constant);
      expect(names.length).toBeGreaterThan(0);
      const files = readdirSync(resolve(root, folder)).filter((f) => f.endsWith('.ts') && f !== basename(registry));
      const registered = new Set<string>();
      for (const name of names) {
        const from = new RegExp(`import \\{[^}]*\\b${name}\\b[^}]*\\} from '\\./([\\w-]+)\\.js'`).exec(registryText)?.[1];
        expect(from, `${constant} lists ${name}, imported from a file of ${folder}`).toBeDefined();
        expect(existsSync(resolve(root, folder, `${from}.ts`))).toBe(true);
        expect(registered.has(from!), `${from}.ts holds one implementation`).toBe(false);
        registered.add(from!);
        // The implementation's file exports it: nothing else was needed to define it.
        expect(readFileSync(resolve(root, folder, `${from}.ts`), 'utf8')).toMatch(new RegExp(`export const ${name}\\b`));
      }
      // Files that are not implementations: the contract and helpers; none may define an unregistered implementation.
      for (const file of files.filter((f) => !registered.has(f.replace(/\.ts$/, '')))) {
        const text = readFileSync(resolve(root, folder, file), 'utf8');
        expect(text, `${folder}/${file} looks like an unregistered implementation`).not.toMatch(/export const \w+\s*(:\s*\w+)?\s*=\s*define\w+\(/);
      }
    });
  }
});
