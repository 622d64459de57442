import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  detectorFamilyOf,
  DETECTOR_KINDS,
  modelSpecIssues,
  type DetectorRows,
  type ModelSpec,
} from '../src/registry.js';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Rows, numpy's PCA errors and scikit-learn's Isolation Forest scores: tools/references/baseline-references.py. */
const reference = JSON.parse(
  readFileSync(path.join(packageRoot, 'tests/fixtures/baseline-references.json'), 'utf8'),
) as {
  features: number;
  train: number[];
  test: number[];
  pca: Record<string, { train: number[]; test: number[] }>;
  isolationForest: { trees: number; sampleSize: number; test: number[] };
};

const rowsOf = (values: number[], features: number): DetectorRows => ({
  x: Float32Array.from(values),
  rows: values.length / features,
  features,
});
const train = rowsOf(reference.train, reference.features);
const test = rowsOf(reference.test, reference.features);

const fit = (spec: ModelSpec, seed = 1) => detectorFamilyOf(spec.kind).fit(spec, train, seed);

/** Within 1e-6, relative above 1: scores are float32, as every error aelab stores (an error of 50 is held to ~4e-6). */
const within = (actual: number, expected: number) =>
  Math.abs(actual - expected) <= 1e-6 * Math.max(1, Math.abs(expected));

/** Spearman's rank correlation (average ranks for ties). */
function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ranks = (v: ArrayLike<number>) => {
    const order = Array.from(v, (_, i) => i).sort((i, j) => v[i] - v[j]);
    const r = new Array<number>(v.length);
    for (let i = 0; i < order.length;) {
      let j = i;
      while (j + 1 < order.length && v[order[j + 1]] === v[order[i]]) j++;
      for (let k = i; k <= j; k++) r[order[k]] = (i + j) / 2;
      i = j + 1;
    }
    return r;
  };
  const [ra, rb] = [ranks(a), ranks(b)];
  const mean = (ra.length - 1) / 2;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i] - mean) * (rb[i] - mean);
    da += (ra[i] - mean) ** 2;
    db += (rb[i] - mean) ** 2;
  }
  return num / Math.sqrt(da * db);
}

describe('pca baseline', () => {
  it('scores equal numpy SVD reconstruction errors of the same rows to 1e-6', () => {
    for (const [k, expected] of Object.entries(reference.pca)) {
      const fitted = fit({ kind: 'pca', components: Number(k) });
      fitted.trainScores.forEach((s, i) =>
        expect(within(s, expected.train[i]), `k=${k} train row ${i}: ${s} vs ${expected.train[i]}`).toBe(true),
      );
      fitted
        .score(test)
        .forEach((s, i) =>
          expect(within(s, expected.test[i]), `k=${k} test row ${i}: ${s} vs ${expected.test[i]}`).toBe(true),
        );
    }
  });

  it('scores equal an eigendecomposition of the covariance (ml-matrix EVD, not an SVD) to 1e-6', () => {
    const x = new Matrix(
      Array.from({ length: train.rows }, (_, r) => Array.from(train.x.subarray(r * 6, r * 6 + 6), Number)),
    );
    const mean = x.mean('column');
    const centred = x.clone().subRowVector(mean);
    const evd = new EigenvalueDecomposition(centred.transpose().mmul(centred), { assumeSymmetric: true });
    // Eigenvalues come in ascending order: the last k columns are the top k axes.
    const axes = evd.eigenvectorMatrix.subMatrix(0, 5, 6 - 3, 5);
    const testRows = new Matrix(
      Array.from({ length: test.rows }, (_, r) => Array.from(test.x.subarray(r * 6, r * 6 + 6), Number)),
    ).subRowVector(mean);
    const residual = testRows.clone().sub(testRows.mmul(axes).mmul(axes.transpose()));
    const scores = fit({ kind: 'pca', components: 3 }).score(test);
    for (let r = 0; r < test.rows; r++) {
      const expected = residual.getRow(r).reduce((s, v) => s + v * v, 0) / 6;
      expect(within(scores[r], expected), `row ${r}: ${scores[r]} vs ${expected}`).toBe(true);
    }
  });

  it('refuses more components than values per row or training rows, naming the field', () => {
    expect(modelSpecIssues({ kind: 'pca', components: 7 }, 6)).toEqual([
      'components: 7 is more than the 6 values of a row',
    ]);
    const few = rowsOf(reference.train.slice(0, 12), 6);
    expect(() => detectorFamilyOf('pca').fit({ kind: 'pca', components: 3 }, few, 1)).toThrow(
      'components: 3 is more than the 2 training rows',
    );
  });
});

describe('isolation-forest baseline', () => {
  const spec = {
    kind: 'isolation-forest',
    trees: reference.isolationForest.trees,
    sampleSize: reference.isolationForest.sampleSize,
  } as const;

  it("ranks rows as scikit-learn's IsolationForest does (Spearman >= 0.95 with -score_samples)", () => {
    const scores = fit(spec).score(test);
    expect(spearman(scores, reference.isolationForest.test)).toBeGreaterThanOrEqual(0.95);
    // The scale too: 2^(-E[h]/c(psi)) as scikit-learn's, within the forests' sampling noise.
    scores.forEach((s, i) => expect(Math.abs(s - reference.isolationForest.test[i])).toBeLessThan(0.03));
  });

  it('is reproducible from its seed, and another seed grows another forest', () => {
    const small = { ...spec, trees: 20 };
    expect(fit(small, 7).score(test)).toEqual(fit(small, 7).score(test));
    expect(fit(small, 8).score(test)).not.toEqual(fit(small, 7).score(test));
  });
});

describe('knn baseline', () => {
  /** Every distance sorted: the obvious way. */
  function bruteForce(rows: DetectorRows, k: number, aggregate: 'kth' | 'mean', self: boolean): number[] {
    return Array.from({ length: rows.rows }, (_, r) => {
      const distances: number[] = [];
      for (let t = 0; t < train.rows; t++) {
        if (self && t === r) continue;
        let d = 0;
        for (let f = 0; f < train.features; f++)
          d += (rows.x[r * train.features + f] - train.x[t * train.features + f]) ** 2;
        distances.push(Math.sqrt(d));
      }
      distances.sort((a, b) => a - b);
      return aggregate === 'kth' ? distances[k - 1] : distances.slice(0, k).reduce((a, b) => a + b, 0) / k;
    });
  }

  it('equals a brute-force sort of every distance, each training row left out of its own neighbours', () => {
    for (const k of [1, 5, 10]) {
      for (const aggregate of ['kth', 'mean'] as const) {
        const fitted = fit({ kind: 'knn', k, aggregate });
        const expectedTest = bruteForce(test, k, aggregate, false);
        const expectedTrain = bruteForce(train, k, aggregate, true);
        fitted.score(test).forEach((s, i) => expect(s).toBeCloseTo(expectedTest[i], 5));
        fitted.trainScores.forEach((s, i) => expect(s).toBeCloseTo(expectedTrain[i], 5));
      }
    }
  });

  it('refuses k as large as the training rows', () => {
    const few = rowsOf(reference.train.slice(0, 30), 6);
    expect(() => detectorFamilyOf('knn').fit({ kind: 'knn', k: 5, aggregate: 'kth' }, few, 1)).toThrow(
      'k: 5 needs more than 5 neighbour rows',
    );
  });

  it('with sampleSize, keeps a seeded sample of the training rows as neighbours (reproducible)', () => {
    const all = fit({ kind: 'knn', k: 3, aggregate: 'kth' }).score(test);
    const sampled = fit({ kind: 'knn', k: 3, aggregate: 'kth', sampleSize: 100 }, 5);
    expect(fit({ kind: 'knn', k: 3, aggregate: 'kth', sampleSize: 100 }, 5).score(test)).toEqual(sampled.score(test));
    // Fewer neighbours: never closer than with all of them, and a different sample for another seed.
    sampled.score(test).forEach((s, i) => expect(s).toBeGreaterThanOrEqual(all[i] - 1e-6));
    expect(fit({ kind: 'knn', k: 3, aggregate: 'kth', sampleSize: 100 }, 6).score(test)).not.toEqual(
      sampled.score(test),
    );
    expect(sampled.trainScores.every((s) => s > 0)).toBe(true);
  });
});

describe('detector families without tfjs', () => {
  beforeAll(() => {
    execFileSync('npx', ['tsc', '-b', packageRoot], { cwd: path.resolve(packageRoot, '../..'), stdio: 'inherit' });
  }, 120_000);

  it('load from the registry entry and fit and score every detector kind while tfjs stays unloaded', () => {
    const registry = JSON.stringify(path.join(packageRoot, 'dist', 'registry.js'));
    const script = `
      const { detectorFamilyOf, DETECTOR_KINDS } = await import(${registry});
      const specs = { pca: { kind: 'pca', components: 2 },
        'isolation-forest': { kind: 'isolation-forest', trees: 10, sampleSize: 16 },
        knn: { kind: 'knn', k: 2, aggregate: 'mean' } };
      const rows = { x: Float32Array.from({ length: 40 * 3 }, (_, i) => Math.sin(i)), rows: 40, features: 3 };
      const scores = DETECTOR_KINDS.map((kind) => detectorFamilyOf(kind).fit(specs[kind], rows, 1).score(rows).length);
      console.log(JSON.stringify({ kinds: DETECTOR_KINDS, scores, tfjs: globalThis._tfengine !== undefined }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ kinds: [...DETECTOR_KINDS], scores: [40, 40, 40], tfjs: false });
  }, 60_000);
});
