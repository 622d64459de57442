import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addRegistryEntry, type Probe } from './probes/probe.js';

/*
 * Issue 23's measure of the seams: each probe in tests/probes/ (one per seam) adds the smallest
 * implementation of its seam to a temporary copy of the repository; the copy is built once with
 * every probe in it, its experiment schema regenerated, and each probe's check script proves its
 * implementation works through the public path (experiment file, CLI, store). Adding one must touch
 * one new file and one line of one registry, as counted by comparing the copy with the repository.
 * Slow by nature (a full `tsc -b` of a fresh copy): the limits below are generous, never asserted.
 */
const root = resolve(import.meta.dirname, '../../..');
const probeDir = resolve(import.meta.dirname, 'probes');
/** A full build of the copy took 4-6 minutes on a loaded 2-core machine. */
const BUILD_MS = 20 * 60_000;
const CHECK_MS = 10 * 60_000;
/** Files the build or the schema generator may write besides the probes' (the schema is regenerated). */
const GENERATED = ['experiments/schema.json'];
const isBuildOutput = (path: string) => /(^|\/)(dist|node_modules)\//.test(path) || path.endsWith('.tsbuildinfo');

interface Loaded {
  file: string;
  probe: Probe;
  /** What is wrong with the way it adds itself, if anything. */
  problems: string[];
}

const probeFiles = readdirSync(probeDir)
  .filter((file) => file.endsWith('.ts') && file !== 'probe.ts')
  .sort();
const loaded: Loaded[] = [];
let copy = '';
let build: { ok: boolean; output: string } = { ok: false, output: 'not built' };
let touched: string[] = [];

/** What an edit does to its file's lines (by their longest common subsequence), unless it adds or changes one. */
function lineChange(before: string, after: string): string | undefined {
  const a = before.split('\n');
  const b = after.split('\n');
  // Common lines of a's first i lines and b's, row by row (registries are short).
  let row = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    const next = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j++)
      next[j] = a[i - 1] === b[j - 1] ? row[j - 1] + 1 : Math.max(row[j], next[j - 1]);
    row = next;
  }
  const removed = a.length - row[b.length];
  const added = b.length - row[b.length];
  if (added === 1 && removed <= 1) return undefined;
  return `removes ${removed} line(s) and adds ${added}: a registry edit adds one line or changes one`;
}

/**
 * Copies the repository's tracked files (as they are in the working tree) to `to`, with
 * node_modules linked; returns what was copied, to compare the copy with afterwards (the
 * working tree may change meanwhile).
 */
function copyRepository(to: string): Map<string, Buffer> {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
  const copied = new Map<string, Buffer>();
  for (const file of files.filter((path) => existsSync(join(root, path)))) {
    const content = readFileSync(join(root, file));
    mkdirSync(dirname(join(to, file)), { recursive: true });
    writeFileSync(join(to, file), content);
    copied.set(file, content);
  }
  // Linked entry by entry: the workspace links in node_modules/@aelab must lead to the copy's packages.
  const modules = join(to, 'node_modules');
  mkdirSync(join(modules, '@aelab'), { recursive: true });
  for (const entry of readdirSync(join(root, 'node_modules'))) {
    if (entry !== '@aelab') symlinkSync(join(root, 'node_modules', entry), join(modules, entry));
  }
  for (const pkg of readdirSync(join(root, 'packages'))) {
    if (existsSync(join(root, 'node_modules/@aelab', pkg)))
      symlinkSync(join(to, 'packages', pkg), join(modules, '@aelab', pkg));
    const own = join(root, 'packages', pkg, 'node_modules');
    if (existsSync(own)) symlinkSync(own, join(to, 'packages', pkg, 'node_modules'));
  }
  return copied;
}

/** Applies one probe to the copy `into`, recording each way it breaks the one-file-one-line rule. */
function apply(into: string, file: string, probe: Probe): string[] {
  const problems: string[] = [];
  const created = Object.keys(probe.create);
  if (created.length !== 1) problems.push(`creates ${created.length} files (${created.join(', ')}), expected 1`);
  for (const [path, text] of Object.entries(probe.create)) {
    if (existsSync(join(into, path))) problems.push(`creates ${path}, which already exists (names must be unique)`);
    else {
      mkdirSync(dirname(join(into, path)), { recursive: true });
      writeFileSync(join(into, path), text);
    }
  }
  const edited = Object.keys(probe.edit);
  if (edited.length !== 1) problems.push(`edits ${edited.length} files (${edited.join(', ')}), expected 1 registry`);
  for (const [path, edit] of Object.entries(probe.edit)) {
    if (!existsSync(join(into, path))) {
      problems.push(`edits ${path}, which does not exist`);
      continue;
    }
    const before = readFileSync(join(into, path), 'utf8');
    try {
      const after = edit(before);
      const change = lineChange(before, after);
      if (change) problems.push(`${path}: ${change}`);
      writeFileSync(join(into, path), after);
    } catch (error) {
      problems.push(`${path}: the edit threw ${(error as Error).message}`);
    }
  }
  return problems.map((problem) => `probe ${file}: ${problem}`);
}

/** Files of the copy that differ from the repository's, or are new, build outputs and links aside. */
function changedFiles(copied: Map<string, Buffer>): string[] {
  const changed = [...copied]
    .filter(([file, content]) => !readFileSync(join(copy, file)).equals(content))
    .map(([file]) => file);
  const all = readdirSync(copy, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(copy.length + 1));
  const added = all.filter((file) => !copied.has(file) && !isBuildOutput(file));
  return [...changed, ...added].sort();
}

function run(command: string, args: string[], timeout: number) {
  const result = spawnSync(command, args, { cwd: copy, encoding: 'utf8', timeout, killSignal: 'SIGKILL' });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? `\n${result.error.message}` : ''}`;
  return { ok: result.status === 0, output };
}

describe('the one-file-one-line rule the probes are held to', () => {
  const registry = "import { a } from './a.js';\n\nexport const LIST = [\n  a,\n] as const;\n";
  const fake = (edit: (text: string) => string): Probe => ({
    seam: 'fake',
    create: { 'src/b.ts': 'export const b = 1;\n' },
    edit: { 'src/index.ts': edit },
    check: '',
  });
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'aelab-probe-rule-'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src/index.ts'), registry);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes one added or one changed line, and refuses an import plus an entry', () => {
    expect(lineChange('a\nb\n', 'a\nx\nb\n')).toBeUndefined();
    expect(lineChange('a\nb\n', 'a\nc\n')).toBeUndefined();
    expect(lineChange(registry, `import { b } from './b.js';\n${registry.replace('  a,\n', '  a,\n  b,\n')}`)).toMatch(
      /^removes 0 line\(s\) and adds 2:/,
    );
    expect(lineChange('a\nb\n', 'x\ny\n')).toMatch(/^removes 2 line\(s\) and adds 2:/);
    expect(lineChange('a\n', 'a\n')).toMatch(/^removes 0 line\(s\) and adds 0:/);
  });

  it('names the probe and the file when a probe breaks it', () => {
    const twoLines = fake((text) => `import { b } from './b.js';\n${addRegistryEntry(text, 'LIST', 'b')}`);
    expect(apply(dir, 'fake.ts', twoLines)).toEqual([
      'probe fake.ts: src/index.ts: removes 0 line(s) and adds 2: a registry edit adds one line or changes one',
    ]);
    const oneLine = fake((text) => addRegistryEntry(text, 'LIST', "(await import('./b.js')).b"));
    expect(apply(dir, 'fake.ts', oneLine)).toEqual([
      'probe fake.ts: creates src/b.ts, which already exists (names must be unique)',
    ]);
    expect(readFileSync(join(dir, 'src/index.ts'), 'utf8')).toContain("  (await import('./b.js')).b,\n] as const;");
    const missing = fake((text) => addRegistryEntry(text, 'MISSING', 'b'));
    expect(apply(dir, 'other.ts', { ...missing, create: {} })[0]).toBe(
      'probe other.ts: creates 0 files (), expected 1',
    );
  });
});

describe('docs/architecture.md says how to add what each probe adds', () => {
  const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8');
  const howTo = [...doc.matchAll(/How to add one: one new file in `([^`]+)\/`, registered in `([^`]+)`/g)];
  for (const file of probeFiles) {
    it(`probe ${file}: its file's folder and its registry are a "How to add one" line's`, async () => {
      const probe = ((await import(join(probeDir, file))) as { default: Probe }).default;
      const folders = Object.keys(probe.create).map((path) => dirname(path));
      const registries = Object.keys(probe.edit);
      const line = howTo.find(([, folder, registry]) => folders.includes(folder) && registries.includes(registry));
      expect(
        line,
        `no "How to add one: one new file in \`${folders[0]}/\`, registered in \`${registries[0]}\`"`,
      ).toBeDefined();
    });
  }
});

describe('architecture probes: each seam takes one new file and one registry line', () => {
  beforeAll(async () => {
    copy = mkdtempSync(join(tmpdir(), 'aelab-probes-'));
    const copied = copyRepository(copy);
    for (const file of probeFiles) {
      const probe = ((await import(join(probeDir, file))) as { default: Probe }).default;
      loaded.push({ file, probe, problems: apply(copy, file, probe) });
    }
    build = run('npx', ['tsc', '-b'], BUILD_MS);
    if (build.ok) {
      const schema = run(process.execPath, ['tools/generate-schema.mjs'], CHECK_MS);
      if (!schema.ok) build = { ok: false, output: `tools/generate-schema.mjs failed:\n${schema.output}` };
    }
    touched = changedFiles(copied);
  }, BUILD_MS + CHECK_MS);

  afterAll(() => {
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it('finds the probes', () => {
    expect(probeFiles.length).toBeGreaterThan(0);
    const seams = loaded.map(({ probe }) => probe.seam);
    expect(new Set(seams).size, `two probes of one seam: ${seams.join(', ')}`).toBe(seams.length);
  });

  it('builds the copy with every probe in it and regenerates the schema', () => {
    expect(build.ok, `the copy with ${probeFiles.join(', ')} does not build:\n${build.output}`).toBe(true);
  });

  it("touches nothing but the probes' files, their registry lines and the generated schema", () => {
    const declared = new Set([
      ...loaded.flatMap(({ probe }) => [...Object.keys(probe.create), ...Object.keys(probe.edit)]),
      ...GENERATED,
    ]);
    const undeclared = touched.filter((file) => !declared.has(file));
    expect(undeclared, `files changed in the copy that no probe declares: ${undeclared.join(', ')}`).toEqual([]);
  });

  for (const file of probeFiles) {
    describe(`probe ${file}`, () => {
      const entry = () => loaded.find((probe) => probe.file === file)!;

      it('adds exactly one file and changes one line of one registry', () => {
        expect(entry().problems, entry().problems.join('\n')).toEqual([]);
      });

      it(
        'works end to end through the public path (its check exits 0)',
        () => {
          expect(build.ok, `probe ${file}: not checked, the copy did not build:\n${build.output}`).toBe(true);
          const check = spawnSync(process.execPath, ['--input-type=module', '-'], {
            cwd: copy,
            input: entry().probe.check,
            encoding: 'utf8',
            timeout: CHECK_MS,
            killSignal: 'SIGKILL',
          });
          const output = `${check.stdout}${check.stderr}${check.error ? `\n${check.error.message}` : ''}`;
          expect(check.status, `probe ${file} (${entry().probe.seam}): its check failed:\n${output}`).toBe(0);
        },
        CHECK_MS + 10_000,
      );
    });
  }
});
