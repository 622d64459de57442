import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePreparation, prepareData, type Preparation } from '../src/index.js';

/**
 * A saved preparation is read from a file anyone may edit: every per-feature number the
 * scaler and the imputation use must be refused, naming its field and index, when it is
 * not a finite number (or, for a scale, not positive), since one such entry turns every
 * scored row into NaN or flags every row.
 */
const SEED = Number(process.env.AELAB_FUZZ_SEED ?? 22);
const RUNS = Number(process.env.AELAB_FUZZ_RUNS ?? 200);

async function fitted(scaler: 'standard' | 'minmax'): Promise<Preparation> {
  const data = await prepareData({ dataset: 'synthetic-ecg', options: { trainRows: 40, testRows: 20 }, scaler });
  return JSON.parse(JSON.stringify(data.preparation)) as Preparation;
}

const notFinite = fc.oneof(
  fc.constantFrom<unknown>(NaN, Infinity, -Infinity, null, 'x', '1', true, [], {}),
  fc.string(),
);

describe('parsePreparation (fast-check, seeded)', () => {
  it('accepts the preparations prepareData fits, as they are', async () => {
    for (const kind of ['standard', 'minmax'] as const) {
      const preparation = await fitted(kind);
      expect(parsePreparation(preparation, 'model/aelab-model.json')).toBe(preparation);
    }
  });

  it('refuses any per-feature entry that is not a finite number, naming the file, field and index', async () => {
    const standard = await fitted('standard');
    const minmax = await fitted('minmax');
    const fields = [
      { base: standard, path: ['fillValues'] },
      { base: standard, path: ['scaler', 'mean'] },
      { base: standard, path: ['scaler', 'std'] },
      { base: minmax, path: ['scaler', 'min'] },
      { base: minmax, path: ['scaler', 'range'] },
    ];
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.nat({ max: 139 }), notFinite, ({ base, path }, index, bad) => {
        const copy = structuredClone(base) as unknown as Record<string, Record<string, unknown[]>>;
        const list = (path.length === 1 ? copy[path[0]] : copy[path[0]][path[1]]) as unknown as unknown[];
        list[index] = bad;
        const field = `preparation.${path.join('.')}[${index}]`;
        expect(() => parsePreparation(copy, 'model/aelab-model.json')).toThrow(
          `model/aelab-model.json: ${field} must be`,
        );
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('refuses a scale that is zero or negative, naming its index', async () => {
    const standard = await fitted('standard');
    fc.assert(
      fc.property(
        fc.nat({ max: 139 }),
        fc.oneof(fc.constant(0), fc.double({ max: 0, noNaN: true, noDefaultInfinity: true })),
        (index, bad) => {
          const copy = structuredClone(standard) as Preparation & { scaler: { std: number[] } };
          copy.scaler.std[index] = bad;
          expect(() => parsePreparation(copy)).toThrow(`preparation.scaler.std[${index}] must be > 0, got`);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
