import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { DataFormatError, loadArff, loadCsv, loadNab, loadTs, loadUcr, type Dataset } from '../src/index.js';

/**
 * Property-based tests of the loaders: any bytes, and files generated close to valid
 * (with edge-case cells and an optional one-character mutation), either load to a
 * consistent dataset whose values are finite (NaN only for missing cells, filled in
 * preparation) or fail with an Error naming the file and a line. Never a hang, a
 * non-Error throw or a partial dataset. Seeded, so a failure reproduces; a counterexample
 * found here is pinned as a regression example in tests/loaders.test.ts.
 */

const dir = mkdtempSync(join(tmpdir(), 'aelab-data-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
function write(content: string | Uint8Array, extension: string): string {
  const path = join(dir, `z${counter++}.${extension}`);
  writeFileSync(path, content);
  return path;
}

// AELAB_FUZZ_SEED / AELAB_FUZZ_RUNS explore further (e.g. 20 seeds x 2000 runs) without editing
const SEED = Number(process.env.AELAB_FUZZ_SEED ?? 20_240_611);
const RUNS = Number(process.env.AELAB_FUZZ_RUNS ?? 150);
const HANG_MS = 5_000;
/** A load of these small files takes milliseconds; one over this is quadratic somewhere. */
const SLOW_MS = 1_500;

type Outcome = { dataset: Dataset } | { error: unknown };

/** The load's result or error; fails the property when it never settles or is slow (busy in a regex). */
async function outcome(load: () => Promise<Dataset>): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`loader did not settle within ${HANG_MS} ms`)), HANG_MS);
  });
  const start = performance.now();
  try {
    return { dataset: await Promise.race([load(), hang]) };
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('loader did not settle')) throw error;
    return { error };
  } finally {
    clearTimeout(timer);
    const took = performance.now() - start;
    if (took > SLOW_MS) expect.fail(`loader took ${Math.round(took)} ms`);
  }
}

/** A consistent dataset: shapes agree, no ±Infinity (NaN marks a missing cell), labels present. */
function expectConsistent(d: Dataset): void {
  expect(d.rows).toBeGreaterThan(0);
  expect(d.features).toBeGreaterThan(0);
  expect(d.values).toBeInstanceOf(Float32Array);
  expect(d.values.length).toBe(d.rows * d.features);
  expect(d.labels.length).toBe(d.rows);
  expect(d.featureNames.length).toBe(d.features);
  for (const v of d.values) if (v === Infinity || v === -Infinity) expect.fail(`value ${v} in ${d.source.paths[0]}`);
  for (const label of d.labels) expect(typeof label === 'string' && label.length > 0).toBe(true);
  if (d.series) for (const v of d.series.values) expect(v === Infinity || v === -Infinity).toBe(false);
}

/** An Error naming one of the files and, unless the file has no content at all, a line (and a 1-based column). */
function expectNamedError(error: unknown, paths: string[]): void {
  if (!(error instanceof Error)) expect.fail(`threw a non-Error: ${String(error)}`);
  const path = paths.find((p) => error.message.startsWith(`${p}:`));
  if (path === undefined) expect.fail(`message does not start with the file: ${error.message}`);
  expect(error).toBeInstanceOf(DataFormatError);
  const e = error as DataFormatError;
  if (e.line === undefined) expect(e.detail).toMatch(/^empty file/);
  else {
    expect(Number.isInteger(e.line) && e.line >= 1).toBe(true);
    expect(e.message.startsWith(`${path}:${e.line}`)).toBe(true);
  }
  if (e.column !== undefined) expect(Number.isInteger(e.column) && e.column >= 1).toBe(true);
}

async function check(load: () => Promise<Dataset>, paths: string[], expectedRows?: number): Promise<void> {
  const result = await outcome(load);
  if ('dataset' in result) {
    expectConsistent(result.dataset);
    if (expectedRows !== undefined) expect(result.dataset.rows).toBe(expectedRows);
  } else expectNamedError(result.error, paths);
}

// --- generators ----------------------------------------------------------------------

const numberCell = fc.constantFrom(
  '0',
  '1',
  '-2.5',
  '1e3',
  '+.5e-3',
  '1.',
  '.5',
  '3.4028234e38',
  '-3.4028235e38',
  '1e-50',
  '123456789012345678901234567890',
);
const edgeCell = fc.constantFrom(
  '1e39',
  '-1e39',
  '1e999',
  '-1e999',
  '3.5e38',
  'NaN',
  'nan',
  'inf',
  '-Infinity',
  '',
  '?',
  ' 7 ',
  '"1"',
  '"a,b"',
  '"',
  'abc',
  '0x10',
  '1_000',
  '\u0661',
  '\u001b[31m',
  '\t',
  '--1',
  'e5',
  '1e',
  '\u0000',
  'null',
  'NA',
  '@data',
  '{1,2}',
  ':',
  '%',
);
/** A long digit run with junk after it: regexes that backtrack take seconds on these. */
const longCell = fc
  .tuple(fc.integer({ min: 2_000, max: 60_000 }), fc.constantFrom('x', '.5.', 'e', 'e+', '', '.'))
  .map(([n, tail]) => '7'.repeat(n) + tail);
const cell = fc.oneof(
  { weight: 30, arbitrary: numberCell },
  { weight: 2, arbitrary: edgeCell },
  { weight: 1, arbitrary: longCell },
);
const label = fc.constantFrom('0', '1', 'normal', 'anomaly', '1.0');
const lineEnd = fc.constantFrom('\n', '\r\n');

/** Optionally inserts, deletes or replaces one character. */
const mutated = (text: string) =>
  fc
    .option(
      fc.tuple(
        fc.nat(),
        fc.constantFrom('insert', 'delete', 'replace'),
        fc.constantFrom('\n', ',', '"', ':', '@', '{', '\r', ' ', '\u0000', 'x', '%', '#', '1e99'),
      ),
      { freq: 2 },
    )
    .map((m) => {
      if (m === null || text.length === 0) return { text, mutated: false };
      const [at, how, char] = m;
      const i = at % text.length;
      const rest = text.slice(i + (how === 'insert' ? 0 : 1));
      return { text: text.slice(0, i) + (how === 'delete' ? '' : char) + rest, mutated: true };
    });

const grid = (maxRows: number, maxColumns: number) =>
  fc.integer({ min: 1, max: maxColumns }).chain((columns) =>
    fc.array(fc.tuple(fc.array(cell, { minLength: columns, maxLength: columns }), label), {
      minLength: 0,
      maxLength: maxRows,
    }),
  );

const bytes = fc.uint8Array({ maxLength: 300 });
/** Text from the formats' own vocabulary, so random input reaches past the first line. */
const tokens = fc
  .array(
    fc.oneof(
      cell,
      label,
      lineEnd,
      fc.constantFrom(
        ',',
        ' ',
        ':',
        '@relation r',
        '@attribute a numeric',
        '@attribute c {0,1}',
        '@data',
        '@classLabel true 0 1',
        '@problemName p',
        'timestamp,value',
        '2014-01-01 00:00:00',
        '%',
        '#',
      ),
    ),
    {
      maxLength: 60,
    },
  )
  .map((parts) => parts.join(''));
const anyText = fc.oneof(bytes, tokens);

const nonBlankLines = (text: string, from = 0) =>
  text
    .split('\n')
    .slice(from)
    .filter((l) => l.trim() !== '').length;

// --- properties ----------------------------------------------------------------------

describe('loader fuzzing (fast-check, seeded)', () => {
  const options = { seed: SEED, numRuns: RUNS };

  it('CSV: any bytes, and near-valid tables', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, async (content) => {
        const path = write(content, 'csv');
        await check(() => loadCsv(path), [path]);
      }),
      options,
    );
    const table = fc.record({
      rows: grid(6, 4),
      header: fc.boolean(),
      end: lineEnd,
      bom: fc.boolean(),
      delimiter: fc.constantFrom(',', ',', ';'),
    });
    await fc.assert(
      fc.asyncProperty(
        table.chain((t) => {
          const head = t.header
            ? [[...(t.rows[0]?.[0].map((_, j) => `f${j}`) ?? ['f0']), 'label'].join(t.delimiter)]
            : [];
          const text =
            (t.bom ? '\ufeff' : '') +
            [...head, ...t.rows.map(([cells, l]) => [...cells, l].join(t.delimiter))].join(t.end) +
            t.end;
          return mutated(text).map((m) => ({ ...m, header: t.header, delimiter: t.delimiter }));
        }),
        async ({ text, mutated: changed, header, delimiter }) => {
          const path = write(text, 'csv');
          await check(
            () => loadCsv(path, { header, delimiter }),
            [path],
            changed ? undefined : nonBlankLines(text, header ? 1 : 0),
          );
        },
      ),
      options,
    );
  });

  it('ARFF: any bytes, and near-valid files', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, async (content) => {
        const path = write(content, 'arff');
        await check(() => loadArff(path), [path]);
      }),
      options,
    );
    await fc.assert(
      fc.asyncProperty(
        fc
          .record({
            rows: grid(6, 3),
            end: lineEnd,
            comment: fc.boolean(),
            types: fc.array(
              fc.constantFrom('numeric', 'numeric', 'REAL', 'integer', "{0,1,1e3,-2.5,'a b'}", 'string'),
              { minLength: 3, maxLength: 3 },
            ),
          })
          .chain((t) => {
            const columns = t.rows[0]?.[0].length ?? 1;
            const head = [
              '@relation fuzz',
              ...Array.from({ length: columns }, (_, j) => `@attribute 'a ${j}' ${t.types[j]}`),
              '@attribute class {0,1,normal,anomaly,1.0}',
              '@data',
            ];
            const body = t.rows.map(([cells, l]) => [...cells, l].join(','));
            const text = [...head, ...(t.comment ? ['% a comment'] : []), ...body].join(t.end) + t.end;
            // a row whose first cell starts with % is an ARFF comment line
            return mutated(text).map((m) => ({
              ...m,
              dataLines: body.filter((b) => b.trim() !== '' && !b.trim().startsWith('%')).length,
            }));
          }),
        async ({ text, mutated: changed, dataLines }) => {
          const path = write(text, 'arff');
          await check(() => loadArff(path), [path], changed ? undefined : dataLines);
        },
      ),
      options,
    );
  });

  it('UCR text: any bytes, and near-valid files', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, async (content) => {
        const path = write(content, 'txt');
        await check(() => loadUcr(path), [path]);
      }),
      options,
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record({ rows: grid(6, 4), end: lineEnd, separator: fc.constantFrom(' ', '  ', '\t', ',') }).chain((t) => {
          // UCR labels are numeric: the named ones become numbers written as the archive does
          const numeric: Record<string, string> = { normal: '1.0000000e+00', anomaly: '-1' };
          const text = t.rows.map(([cells, l]) => [numeric[l] ?? l, ...cells].join(t.separator)).join(t.end) + t.end;
          return mutated(text);
        }),
        async ({ text, mutated: changed }) => {
          const path = write(text, 'txt');
          await check(() => loadUcr(path), [path], changed ? undefined : nonBlankLines(text));
        },
      ),
      options,
    );
  });

  it('.ts: any bytes, and near-valid files', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, async (content) => {
        const path = write(content, 'ts');
        await check(() => loadTs(path), [path]);
      }),
      options,
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record({ rows: grid(6, 4), end: lineEnd, length: fc.boolean() }).chain((t) => {
          const columns = t.rows[0]?.[0].length ?? 1;
          const head = [
            '# fuzz',
            '@problemName fuzz',
            ...(t.length ? [`@seriesLength ${columns}`] : []),
            '@univariate true',
            '@classLabel true 0 1 normal anomaly 1.0',
            '@data',
          ];
          const body = t.rows.map(([cells, l]) => `${cells.join(',')}:${l}`);
          const text = [...head, ...body].join(t.end) + t.end;
          return mutated(text).map((m) => ({ ...m, dataLines: body.length }));
        }),
        async ({ text, mutated: changed, dataLines }) => {
          const path = write(text, 'ts');
          await check(() => loadTs(path), [path], changed ? undefined : dataLines);
        },
      ),
      options,
    );
  });

  it('NAB: any bytes as the series, and near-valid series', async () => {
    const labels = write(
      JSON.stringify({ 'fuzz/series.csv': [['2014-01-01 00:10:00', '2014-01-01 00:20:00']] }),
      'json',
    );
    const nab = (path: string) => () => loadNab(path, labels, 'fuzz/series.csv', { windowSize: 3, stride: 2 });
    await fc.assert(
      fc.asyncProperty(anyText, async (content) => {
        const path = write(content, 'csv');
        await check(nab(path), [path, labels]);
      }),
      options,
    );
    const time = fc.oneof(
      {
        weight: 8,
        arbitrary: fc.integer({ min: 0, max: 59 }).map((m) => `2014-01-01 00:${String(m).padStart(2, '0')}:00`),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '2014-13-45 99:99:99',
          '2014-01-01',
          '2014-01-01T00:00:00',
          '2014-01-01 00:00:00.123456',
          'yesterday',
          '',
        ),
      },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record({ points: fc.array(fc.tuple(time, cell), { maxLength: 12 }), end: lineEnd }).chain((t) => {
          const text = ['timestamp,value', ...t.points.map(([ts, v]) => `${ts},${v}`)].join(t.end) + t.end;
          return mutated(text).map((m) => ({ ...m, points: t.points.length }));
        }),
        async ({ text, mutated: changed, points }) => {
          const path = write(text, 'csv');
          await check(nab(path), [path, labels], changed || points < 3 ? undefined : Math.floor((points - 3) / 2) + 1);
        },
      ),
      options,
    );
  });
});
