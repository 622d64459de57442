import { stableStringify } from '@aelab/core';
import { describe, expect, it } from 'vitest';
import {
  applyPreparation,
  checkNormalClass,
  clearDatasetCache,
  DataPreparationError,
  generateSyntheticEcg,
  invertScaling,
  isNormalLabel,
  legacyNumpyPermutation,
  loadDataset,
  prepareData,
  prepareDataset,
  type Dataset,
} from '../src/index.js';

function tinyDataset(values: number[][], labels: string[], extra: Partial<Dataset> = {}): Dataset {
  return {
    name: 'tiny',
    values: Float32Array.from(values.flat()),
    rows: values.length,
    features: values[0].length,
    labels,
    featureNames: values[0].map((_, j) => `f${j}`),
    source: { paths: ['memory:tiny'], sha256: 'abc', format: 'csv' },
    ...extra,
  };
}

describe('prepareData on synthetic-ecg', () => {
  it('trains on normal rows only, carves validation from them and binarises labels', async () => {
    const data = await prepareData({ dataset: 'synthetic-ecg' });
    expect(data.features).toBe(140);
    expect(data.train.rows + data.validation.rows).toBe(290);
    expect(data.validation.rows).toBe(29);
    expect(data.train.labels.every((l) => l === 'normal')).toBe(true);
    expect(data.validation.labels.every((l) => l === 'normal')).toBe(true);
    expect(data.test.rows).toBe(1000);
    expect(data.test.y.reduce((a, b) => a + b, 0)).toBe(400);
    expect(data.test.labels.filter((l, i) => (l === 'normal') !== (data.test.y[i] === 0)).length).toBe(0);
    expect((data.preparation as { droppedTrainingAnomalies: number }).droppedTrainingAnomalies).toBe(210);
    const trainSet = new Set(data.train.index);
    expect(data.validation.index.some((i) => trainSet.has(i))).toBe(false);
    expect(data.test.index.some((i) => trainSet.has(i))).toBe(false);
  });

  it('fits the standard scaler on training rows only (train mean 0, sd 1 per feature)', async () => {
    const data = await prepareData({ dataset: 'synthetic-ecg', options: { seed: 5 } });
    const { x, rows, features } = data.train;
    for (const j of [0, 50, 139]) {
      let mean = 0;
      for (let r = 0; r < rows; r++) mean += x[r * features + j] / rows;
      let variance = 0;
      for (let r = 0; r < rows; r++) variance += (x[r * features + j] - mean) ** 2 / rows;
      expect(mean).toBeCloseTo(0, 4);
      expect(Math.sqrt(variance)).toBeCloseTo(1, 3);
    }
  });

  it(
    'is deterministic: same spec gives the same fingerprint and rows; ' + 'a config change changes the fingerprint',
    async () => {
      const a = await prepareData({ dataset: 'synthetic-ecg', seed: 1 });
      const b = await prepareData({ dataset: 'synthetic-ecg', seed: 1 });
      const c = await prepareData({ dataset: 'synthetic-ecg', seed: 2 });
      const d = await prepareData({ dataset: 'synthetic-ecg', seed: 1, scaler: 'minmax' });
      expect(a.fingerprint).toMatch(/^[0-9a-f]{64}$/);
      expect(a.fingerprint).toBe(b.fingerprint);
      expect(a.validation.index).toEqual(b.validation.index);
      expect(a.validation.index).not.toEqual(c.validation.index);
      expect(new Set([a.fingerprint, c.fingerprint, d.fingerprint]).size).toBe(3);
    },
  );

  it('caches loaded datasets so repeated preparation does not regenerate them', async () => {
    clearDatasetCache();
    const first = await loadDataset('synthetic-ecg', { seed: 9 });
    const again = await loadDataset('synthetic-ecg', { seed: 9 });
    const other = await loadDataset('synthetic-ecg', { seed: 10 });
    expect(again).toBe(first);
    expect(other).not.toBe(first);
    await prepareData({ dataset: 'synthetic-ecg', options: { seed: 9 }, scaler: 'minmax' });
    expect(first.values[0]).toBe((await loadDataset('synthetic-ecg', { seed: 9 })).values[0]);
  });

  it(
    'applyPreparation after a JSON round trip reproduces the prepared test rows; ' + 'invertScaling undoes the scaler',
    async () => {
      for (const scaler of ['standard', 'minmax', 'minmax-global', 'none'] as const) {
        const data = await prepareData({ dataset: 'synthetic-ecg', scaler });
        const raw = await loadDataset('synthetic-ecg', {});
        const saved = JSON.parse(JSON.stringify(data.preparation));
        const rawTest = new Float32Array(data.test.rows * 140);
        data.test.index.forEach((row, i) => rawTest.set(raw.values.subarray(row * 140, (row + 1) * 140), i * 140));
        const again = applyPreparation(saved, rawTest, data.test.rows, 140);
        expect(Array.from(again)).toEqual(Array.from(data.test.x));
        const back = invertScaling(saved, again, data.test.rows, 140);
        for (let i = 0; i < 500; i++) expect(back[i]).toBeCloseTo(rawTest[i], 4);
      }
      expect(() => applyPreparation({ format: 'other' }, new Float32Array(1), 1, 1)).toThrow(/aelab-preparation\/1/);
    },
  );

  it('trainOn all keeps anomalous training rows', async () => {
    const data = await prepareData({ dataset: 'synthetic-ecg', trainOn: 'all', validationFraction: 0 });
    expect(data.train.rows).toBe(500);
    expect(data.train.y.reduce((a, b) => a + b, 0)).toBe(210);
  });
});

describe('splits', () => {
  const rows = Array.from({ length: 20 }, (_, i) => [i, i * 2]);
  const labels = rows.map((_, i) => (i % 4 === 0 ? 'bad' : 'ok'));

  it('row ranges, chronological and stratified random splits put rows where asked', () => {
    const ds = tinyDataset(rows, labels);
    const byRows = prepareDataset(ds, {
      dataset: 'x',
      normalClass: 'ok',
      split: { kind: 'rows', train: [0, 10], test: [10, null] },
      validationFraction: 0,
    });
    expect(byRows.train.index).toEqual([1, 2, 3, 5, 6, 7, 9]);
    expect(byRows.test.index).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    const chrono = prepareDataset(ds, {
      dataset: 'x',
      normalClass: 'ok',
      split: { kind: 'chronological', train: 0.5, validation: 0.25, test: 0.25 },
    });
    expect(chrono.validation.index).toEqual([10, 11, 13, 14]);
    expect(chrono.test.index).toEqual([15, 16, 17, 18, 19]);
    const strat = prepareDataset(ds, {
      dataset: 'x',
      normalClass: 'ok',
      split: { kind: 'random', testFraction: 0.2, seed: 3, stratify: true },
      validationFraction: 0,
    });
    expect(strat.test.labels.filter((l) => l === 'bad').length).toBe(1);
    expect(strat.test.rows).toBe(4);
    expect(() =>
      prepareDataset(ds, { dataset: 'x', normalClass: 'ok', split: { kind: 'rows', train: [0, 12], test: [10, 20] } }),
    ).toThrow(/overlap/);
    expect(() =>
      prepareDataset(ds, { dataset: 'x', normalClass: 'ok', split: { kind: 'rows', train: [0, 30], test: [10, 20] } }),
    ).toThrow(/0 <= start <= end <= 20/);
  });

  it("reproduces numpy's RandomState(21).permutation (scikit-learn train_test_split random_state=21)", () => {
    // from python3 -c "import numpy as np; print(np.random.RandomState(21).permutation(10))"
    expect(Array.from(legacyNumpyPermutation(10, 21))).toEqual([1, 2, 7, 3, 5, 6, 0, 4, 8, 9]);
    expect(Array.from(legacyNumpyPermutation(4998, 21).subarray(0, 10))).toEqual([
      106, 4492, 2234, 1073, 293, 2229, 1323, 1527, 3978, 2922,
    ]);
  });

  it('rejects an all-one-class dataset and a training split without normal rows, naming the labels', () => {
    expect(() =>
      prepareDataset(
        tinyDataset(
          rows,
          rows.map(() => 'ok'),
        ),
        { dataset: 'x', normalClass: 'ok' },
      ),
    ).toThrow(/one class only \('ok'\)/);
    expect(() => prepareDataset(tinyDataset(rows, labels), { dataset: 'x', normalClass: 'fine' })).toThrow(
      /matches no row.*labels seen: bad, ok/,
    );
    const trainAllBad = tinyDataset(
      rows,
      rows.map((_, i) => (i < 5 ? 'bad' : 'ok')),
    );
    expect(() =>
      prepareDataset(trainAllBad, {
        dataset: 'x',
        normalClass: 'ok',
        split: { kind: 'rows', train: [0, 5], test: [5, 20] },
      }),
    ).toThrow(/training split .* has no normal rows/);
  });

  it('fills missing cells by interpolation then training means, and reports the count', () => {
    const ds = tinyDataset(
      [
        [1, NaN, 3, NaN],
        [2, 2, 2, 2],
        [NaN, NaN, NaN, NaN],
        [5, 6, 7, 8],
      ],
      ['ok', 'ok', 'bad', 'ok'],
    );
    const prepared = prepareDataset(ds, {
      dataset: 'x',
      normalClass: 'ok',
      split: { kind: 'rows', train: [0, 2], test: [2, 4] },
      scaler: 'none',
      validationFraction: 0,
    });
    expect(prepared.filledCells).toBe(6);
    expect(Array.from(prepared.train.x)).toEqual([1, 2, 3, 2, 2, 2, 2, 2]);
    // all-NaN test row gets the TRAINING column means (no test information used)
    expect(Array.from(prepared.test.x.subarray(0, 4))).toEqual([1.5, 2, 2.5, 2]);
  });

  it('compares numeric normal classes by value and hashes configs canonically', () => {
    expect(isNormalLabel('1.0', ['1'])).toBe(true);
    expect(isNormalLabel('"0"', ['0'])).toBe(false);
    expect(isNormalLabel('normal', ['normal'])).toBe(true);
    expect(stableStringify({ b: 1, a: { d: [1, 2], c: undefined } })).toBe('{"a":{"d":[1,2]},"b":1}');
    expect(() => stableStringify({ a: Infinity })).toThrow(/non-finite/);
  });

  it('prepares into shared memory when asked, with the same bytes, leaving the loaded dataset untouched', () => {
    const dataset = generateSyntheticEcg({ trainRows: 60, testRows: 40 });
    dataset.values[3] = NaN;
    const before = dataset.values.slice();
    const spec = { dataset: 'synthetic-ecg', perSampleNormalize: true, validationFraction: 0.2 };
    const local = prepareDataset(dataset, spec);
    const shared = prepareDataset(dataset, spec, { memory: 'shared' });
    for (const name of ['train', 'validation', 'test'] as const) {
      expect(local[name].x.buffer).toBeInstanceOf(ArrayBuffer);
      expect(shared[name].x.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(shared[name].y.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(Array.from(shared[name].x)).toEqual(Array.from(local[name].x));
      expect(Array.from(shared[name].y)).toEqual(Array.from(local[name].y));
    }
    expect(shared.filledCells).toBe(local.filledCells);
    expect(shared.preparation).toEqual(local.preparation);
    expect(Array.from(dataset.values)).toEqual(Array.from(before));
  });

  it('per-sample normalisation makes every row mean 0 before scaling', () => {
    const data = prepareDataset(generateSyntheticEcg({ trainRows: 20, testRows: 20 }), {
      dataset: 'synthetic-ecg',
      perSampleNormalize: true,
      scaler: 'none',
    });
    const row = data.test.x.subarray(0, 140);
    expect(row.reduce((a, b) => a + b, 0) / 140).toBeCloseTo(0, 5);
  });
});

describe('a labelled validation split (validationAnomalies: keep)', () => {
  it(
    'keeps the training split anomalies in validation, never in training, ' + 'and leaves the default unchanged',
    async () => {
      const base = {
        dataset: 'synthetic-ecg',
        options: { trainRows: 300, testRows: 100 },
        validationFraction: 0.2,
      } as const;
      const dropped = await prepareData(base);
      const kept = await prepareData({ ...base, validationAnomalies: 'keep' });
      expect(dropped.validation.y.reduce((a, b) => a + b, 0)).toBe(0);
      const anomalies = kept.validation.y.reduce((a, b) => a + b, 0);
      expect(anomalies).toBeGreaterThan(0);
      expect(kept.validation.rows).toBe(60);
      expect(kept.train.y.every((v) => v === 0)).toBe(true);
      expect(kept.train.index.filter((row) => kept.validation.index.includes(row))).toEqual([]);
      expect(kept.test.index).toEqual(dropped.test.index);
      expect(kept.fingerprint).not.toBe(dropped.fingerprint);
    },
  );
});

describe('checkNormalClass', () => {
  const labels = ['0', '1', '0', '0', '1'];
  const ds = tinyDataset(
    labels.map((_, i) => [i]),
    labels,
  );

  it('returns the resolved normal classes when every one occurs (numeric labels by value)', () => {
    expect(checkNormalClass(ds, { dataset: 'x', normalClass: '0' })).toEqual(['0']);
    expect(checkNormalClass(ds, { dataset: 'x', normalClass: ['0.0', '1'] })).toEqual(['0.0', '1']);
    expect(
      checkNormalClass(generateSyntheticEcg({ trainRows: 20, testRows: 20 }), { dataset: 'synthetic-ecg' }),
    ).toEqual(['normal']);
  });

  it('names a normal class that matches no row and the labels present', () => {
    expect(() => checkNormalClass(ds, { dataset: 'x', normalClass: '7' })).toThrow(DataPreparationError);
    expect(() => checkNormalClass(ds, { dataset: 'x', normalClass: '7' })).toThrow(
      `normal class ["7"] matches no row of 'tiny'; labels seen: 0, 1`,
    );
    expect(() => checkNormalClass(ds, { dataset: 'x', normalClass: ['0', 'O'] })).toThrow(
      `normal class 'O' (of ["0","O"]) matches no row of 'tiny'; labels seen: 0, 1`,
    );
    expect(() => checkNormalClass(ds, { dataset: 'x' })).toThrow(
      /normalClass is required for 'x' \(not a registered dataset\); labels seen: 0, 1/,
    );
  });

  it('prepareDataset refuses a normal class list with a class that occurs nowhere', () => {
    expect(() => prepareDataset(ds, { dataset: 'x', normalClass: ['0', 'O'] })).toThrow(
      `normal class 'O' (of ["0","O"]) matches no row of 'tiny'`,
    );
  });

  it('lists at most 20 labels in the message', () => {
    const many = Array.from({ length: 50 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    const wide = tinyDataset(
      many.map((_, i) => [i]),
      many,
    );
    expect(() => checkNormalClass(wide, { dataset: 'x', normalClass: 'nope' })).toThrow(
      /labels seen: c00, c01, .*, c19, \.\.\. \(50 distinct\)$/,
    );
  });
});
