import { describe, expect, it } from 'vitest';
import { DataPreparationError, generateSyntheticEcg, prepareDataset, type DataSpec } from '../src/index.js';

const dataset = generateSyntheticEcg({ trainRows: 120, testRows: 60 });
const random = { kind: 'random', testFraction: 0.25, seed: 7, stratify: true } as const;
const spec: DataSpec = {
  dataset: 'synthetic-ecg',
  split: random,
  validationFraction: 0.2,
  validationAnomalies: 'keep',
  seed: 3,
};
const prepared = (resample?: DataSpec['resample'], base: DataSpec = spec) =>
  prepareDataset(dataset, { ...base, ...(resample ? { resample } : {}) });

describe('resampled splits (an experiment\'s "resample", one draw per repeat)', () => {
  it('draw 0 is the split without resampling: same rows, same fingerprint', () => {
    const plain = prepared();
    for (const scope of ['validation', 'all'] as const) {
      const draw0 = prepared({ scope, draw: 0 });
      expect(draw0.validation.index).toEqual(plain.validation.index);
      expect(draw0.train.index).toEqual(plain.train.index);
      expect(draw0.test.index).toEqual(plain.test.index);
      expect(draw0.fingerprint).toBe(plain.fingerprint);
    }
  });

  it('"validation": each draw carves other validation rows from the same training split, deterministically', () => {
    const [a, b] = [1, 2].map((draw) => prepared({ scope: 'validation', draw }));
    const plain = prepared();
    expect(a.validation.index).not.toEqual(plain.validation.index);
    expect(b.validation.index).not.toEqual(a.validation.index);
    expect(prepared({ scope: 'validation', draw: 1 }).validation.index).toEqual(a.validation.index);
    // The same train/test split: the test rows are the plain split's, no test row is trained on or validated with.
    expect(a.test.index).toEqual(plain.test.index);
    const testRows = new Set(plain.test.index);
    expect([...a.train.index, ...a.validation.index].some((row) => testRows.has(row))).toBe(false);
    expect(new Set([plain.fingerprint, a.fingerprint, b.fingerprint]).size).toBe(3);
  });

  it('"all": each draw also draws a new random train/test split', () => {
    const plain = prepared();
    const a = prepared({ scope: 'all', draw: 1 });
    expect(a.test.index).not.toEqual(plain.test.index);
    expect(a.test.rows).toBe(plain.test.rows);
    expect(prepared({ scope: 'all', draw: 1 }).test.index).toEqual(a.test.index);
  });

  it('refuses to draw what is not random, naming the split kind and the way out', () => {
    const rows: DataSpec = { ...spec, split: { kind: 'rows', train: [0, 100], test: [100, null] } };
    expect(() => prepared({ scope: 'all', draw: 1 }, rows)).toThrow(DataPreparationError);
    expect(() => prepared({ scope: 'all', draw: 1 }, rows)).toThrow(
      'resample "all" draws a new train/test split, which needs split kind "random"',
    );
    expect(() => prepared({ scope: 'all', draw: 1 }, rows)).toThrow(
      `'synthetic-ecg' uses "rows": use resample "validation"`,
    );
    expect(prepared({ scope: 'validation', draw: 1 }, rows).test.index).toEqual(prepared(undefined, rows).test.index);
    const chronological: DataSpec = {
      ...spec,
      split: { kind: 'chronological', train: 0.6, validation: 0.2, test: 0.2 },
    };
    expect(() => prepared({ scope: 'validation', draw: 1 }, chronological)).toThrow(
      /chronological split, whose validation block is fixed/,
    );
  });
});
