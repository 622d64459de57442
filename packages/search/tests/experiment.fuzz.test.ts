import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExperimentError, loadExperiment, parseExperiment } from '../src/experiment.js';

/*
 * Property-based: whatever a user writes, the experiment parser returns an experiment or
 * throws an ExperimentError that names the file and lists problems with their paths;
 * never another error, never a crash. Seeded so CI is reproducible.
 */
const SEED = Number(process.env.AELAB_FUZZ_SEED ?? 20261123);
const RUNS = Number(process.env.AELAB_FUZZ_RUNS ?? 150);

function outcome(run: () => unknown): 'ok' | 'problems' {
  try {
    run();
    return 'ok';
  } catch (err) {
    expect(err).toBeInstanceOf(ExperimentError);
    const { problems, message } = err as ExperimentError;
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) expect(typeof p.message === 'string' && p.message.length > 0).toBe(true);
    expect(message).toMatch(/^fuzz\.json: /);
    return 'problems';
  }
}

describe('the experiment parser under fuzzing', () => {
  let base: Record<string, unknown>;
  let dir: string;
  beforeAll(async () => {
    base = JSON.parse(await readFile(new URL('../../../experiments/default.json', import.meta.url), 'utf8'));
    dir = await mkdtemp(join(tmpdir(), 'aelab-exp-fuzz-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('any JSON value: an experiment or a list of problems', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => void outcome(() => parseExperiment(value, 'fuzz.json'))),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('the shipped experiment with any field replaced by any value: an experiment or its problems', () => {
    const paths = (value: unknown, prefix: string[] = []): string[][] =>
      value && typeof value === 'object'
        ? Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])])
        : [];
    fc.assert(
      fc.property(fc.nat(), fc.jsonValue(), (pick, replacement) => {
        const all = paths(base);
        const path = all[pick % all.length];
        const mutated = structuredClone(base);
        let node = mutated as Record<string, unknown>;
        for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
        node[path[path.length - 1]] = replacement;
        outcome(() => parseExperiment(mutated, 'fuzz.json'));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('any bytes in a file: an experiment or an error naming the file', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (bytes) => {
        const file = join(dir, 'fuzz.json');
        await writeFile(file, bytes);
        await loadExperiment(file).then(
          () => undefined,
          (err: unknown) => {
            expect(err).toBeInstanceOf(ExperimentError);
            expect((err as Error).message.startsWith(`${file}: `)).toBe(true);
          },
        );
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
