/**
 * One probe of an extension point (a seam): the smallest new implementation of it, added to
 * a temporary copy of the repository by `architecture-probes.test.ts`, which counts the files
 * it touches. Each probe is one file `tests/probes/<seam>.ts` default-exporting a `Probe`;
 * the framework finds them by listing that folder, so adding a probe edits nothing else.
 */
export interface Probe {
  /** The seam, e.g. 'sampler', 'pruner', 'executor', 'backend', 'family', 'threshold-rule'. */
  seam: string;
  /** New files, path relative to the repository root -> content: exactly one implementation file. */
  create: Record<string, string>;
  /** Edits of existing files (the registry line): path -> function of the old text returning the new text.
   *  The framework asserts each edit changes exactly one line (adds one line or changes one). */
  edit: Record<string, (text: string) => string>;
  /** A Node ESM script (text) run in the copy, after `npx tsc -b` and `node tools/generate-schema.mjs`, from the
   *  copy's root; it must exit 0 only when the new implementation works end to end through the public path
   *  (e.g. an experiment file naming it is validated and runs one short training, or the registry lists it and
   *  the checked JSON schema includes its settings). */
  check: string;
}

/**
 * Adds `entry` at the end of the registry list `export const <constant> = [...]` in `text`:
 * a line of its own when the list has one member per line, else inside the one-line list.
 * Throws, naming the constant, when the text has no such list.
 */
export function addRegistryEntry(text: string, constant: string, entry: string): string {
  const start = text.indexOf(`export const ${constant} = [`);
  const end = start === -1 ? -1 : text.indexOf(']', start);
  if (end === -1) throw new Error(`no "export const ${constant} = [...]" list to register ${entry} in`);
  const lineStart = text.lastIndexOf('\n', end) + 1;
  const closing = text.slice(lineStart, end);
  if (closing.trim() === '') return `${text.slice(0, lineStart)}${closing}  ${entry},\n${text.slice(lineStart)}`;
  return `${text.slice(0, end)}, ${entry}${text.slice(end)}`;
}

/** What {@link sweepCheck} runs and expects. */
export interface SweepCheck {
  /** The `aelab search <sampler>` positional; default `grid`. */
  sampler?: string;
  /** Merged over a tiny experiment: synthetic data, one dense configuration, 2 epochs on wasm. */
  experiment?: Record<string, unknown>;
  /** More `aelab search` arguments, e.g. `['--pruner', 'probe-pruner']`. */
  args?: string[];
  /** A JS expression over `trials` (the study's trial records) and `schema` (experiments/schema.json's text). */
  expect: string;
}

/**
 * A probe check that runs `aelab search` (the built CLI of the copy) on an experiment file and
 * then evaluates `expect`: exits 1, printing the trials and the sweep's output, when it is false.
 */
export function sweepCheck(check: SweepCheck): string {
  const experiment = {
    name: 'probe',
    seed: 1,
    data: { dataset: 'synthetic-ecg', options: { trainRows: 120, testRows: 80 }, validationAnomalies: 'keep' },
    model: { kind: 'dense', encoder: [8, 2], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
    training: { epochs: 2, batchSize: 32, learningRate: 0.003, loss: 'mse' },
    scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
    space: {},
    selection: { metric: 'f1', direction: 'maximize', split: 'validation' },
    executor: { backend: 'wasm' },
    ...check.experiment,
  };
  return `
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonFileRunStore } from '@aelab/store';
const dir = mkdtempSync(join(tmpdir(), 'aelab-probe-check-'));
try {
  writeFileSync(join(dir, 'exp.json'), ${JSON.stringify(JSON.stringify(experiment))});
  const sampler = ${JSON.stringify(check.sampler ?? 'grid')};
  const argv = ['packages/cli/bin/aelab.js', 'search', sampler, '-e', join(dir, 'exp.json'),
    '--store', join(dir, 'runs'), '--workers', '1', '--no-report', ...${JSON.stringify(check.args ?? [])}];
  const run = spawnSync(process.execPath, argv, { encoding: 'utf8' });
  if (run.status !== 0) {
    console.error('aelab ' + argv.slice(1).join(' ') + ' exited ' + run.status + ':\\n' + run.stdout + run.stderr);
    process.exit(1);
  }
  const store = await JsonFileRunStore.open(join(dir, 'runs'), { readonly: true });
  const [study] = await store.listStudies();
  const trials = await store.listTrials(study.id);
  await store.close();
  const schema = readFileSync('experiments/schema.json', 'utf8');
  if (!(${check.expect})) {
    const seen = trials.map((t) => ({ status: t.status, params: t.params, backend: t.environment?.backend }));
    const expected = ${JSON.stringify(check.expect)};
    console.error('expected ' + expected + '\\ntrials: ' + JSON.stringify(seen) + '\\n' + run.stderr);
    process.exit(1);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
`;
}
