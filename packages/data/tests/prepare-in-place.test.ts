import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  datasetCacheSize,
  clearDatasetCache,
  gatherRowsInPlace,
  prepareData,
  type DataSpec,
  type PreparedData,
} from '../src/index.js';

describe('gatherRowsInPlace', () => {
  it('puts row order[i] at row i, and the rows left out after them, for any subset order', () => {
    const cases = fc.integer({ min: 1, max: 40 }).chain((rows) =>
      fc.record({
        rows: fc.constant(rows),
        features: fc.integer({ min: 1, max: 5 }),
        order: fc.shuffledSubarray([...Array(rows).keys()]),
      }),
    );
    fc.assert(
      fc.property(cases, ({ rows, features, order }) => {
        const values = Float32Array.from({ length: rows * features }, (_, i) => i);
        const before = values.slice();
        gatherRowsInPlace(values, features, Int32Array.from(order));
        const row = (data: Float32Array, r: number) => Array.from(data.subarray(r * features, (r + 1) * features));
        order.forEach((from, i) => expect(row(values, i)).toEqual(row(before, from)));
        const rest = [...Array(rows).keys()].filter((r) => !order.includes(r));
        const moved = rest.map((_, k) => row(values, order.length + k)[0]).sort((a, b) => a - b);
        expect(moved).toEqual(rest.map((r) => before[r * features]));
      }),
    );
  });
});

describe('prepareData consuming the dataset (memory shared, consume)', () => {
  let dir: string;
  let csv: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aelab-in-place-'));
    csv = join(dir, 'rows.csv');
    const lines = ['a,b,c,label'];
    for (let r = 0; r < 500; r++)
      lines.push(`${(r * 7) % 13},${r % 5 === 0 ? '' : (r * 3) % 11},${r / 10},${r % 9 === 0 ? 'bad' : 'ok'}`);
    await writeFile(csv, `${lines.join('\n')}\n`);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const specs: [string, Omit<DataSpec, 'dataset'>][] = [
    [
      'stratified random, normal rows only',
      {
        normalClass: 'ok',
        split: { kind: 'random', testFraction: 0.3, seed: 4, stratify: true },
        validationFraction: 0.2,
      },
    ],
    [
      'random, validation anomalies kept',
      {
        normalClass: 'ok',
        split: { kind: 'random', testFraction: 0.25, seed: 9 },
        validationFraction: 0.1,
        validationAnomalies: 'keep',
      },
    ],
    [
      'row ranges, trained on all rows, minmax',
      {
        normalClass: 'ok',
        split: { kind: 'rows', train: [100, 400], test: [0, 100] },
        trainOn: 'all',
        scaler: 'minmax',
      },
    ],
    [
      'chronological, interpolated',
      {
        normalClass: 'ok',
        split: { kind: 'chronological', train: 0.6, validation: 0.2, test: 0.2 },
        missing: 'interpolate',
      },
    ],
  ];

  const rowsOf = (data: PreparedData) =>
    (['train', 'validation', 'test'] as const).map((name) => ({
      x: Array.from(data[name].x),
      y: Array.from(data[name].y),
      labels: data[name].labels,
      index: data[name].index,
    }));

  it.each(specs)(
    "%s: the same splits as copies, in the dataset's own shared buffer, past the cache",
    async (_name, spec) => {
      clearDatasetCache();
      const copied = await prepareData({ dataset: csv, ...spec } as DataSpec, { memory: 'shared' });
      const cached = datasetCacheSize();
      const consumed = await prepareData({ dataset: csv, ...spec } as DataSpec, { memory: 'shared', consume: true });
      expect(rowsOf(consumed)).toEqual(rowsOf(copied));
      expect(consumed.preparation).toEqual(copied.preparation);
      expect([consumed.fingerprint, consumed.filledCells]).toEqual([copied.fingerprint, copied.filledCells]);
      // One buffer for every split's rows: the dataset's, not copies.
      expect(consumed.train.x.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(consumed.validation.x.buffer).toBe(consumed.train.x.buffer);
      expect(consumed.test.x.buffer).toBe(consumed.train.x.buffer);
      expect(copied.test.x.buffer).not.toBe(copied.train.x.buffer);
      // The consumed dataset was loaded anew and not cached; the cached one is untouched.
      expect(datasetCacheSize()).toBe(cached);
      expect(rowsOf(await prepareData({ dataset: csv, ...spec } as DataSpec, { memory: 'shared' }))).toEqual(
        rowsOf(copied),
      );
    },
  );

  it('copies as before where the rows are not in shared memory (local memory, or a generated dataset)', async () => {
    const local = await prepareData({ dataset: csv, normalClass: 'ok' } as DataSpec, { consume: true });
    expect(local.train.x.buffer).toBeInstanceOf(ArrayBuffer);
    const synthetic = await prepareData(
      { dataset: 'synthetic-ecg', options: { trainRows: 50, testRows: 30 } },
      { memory: 'shared', consume: true },
    );
    expect(synthetic.test.x.buffer).not.toBe(synthetic.train.x.buffer);
  });
});
