import { createRng } from '@aelab/core';
import { describe, expect, it } from 'vitest';
import { resolvePreparationSpec, splitRows, type Dataset, type SplitRows } from '../src/index.js';

/**
 * The stratified split as it was before it was made linear (commit 123387f), kept verbatim
 * in behaviour so the rewrite is pinned to give the same rows for the same seed: a sweep's
 * results must not change. Quadratic (each label's rows rebuilt for every row), so only
 * run on small inputs.
 */
function referenceSplit(
  labels: string[],
  testFraction: number,
  splitSeed: number,
  isNormal: (row: number) => boolean,
  trainOn: 'normal' | 'all',
  validationFraction: number,
  seed: number,
): SplitRows {
  const ascending = (a: number, b: number) => a - b;
  const byLabel = new Map<string, number[]>();
  labels.forEach((label, row) => byLabel.set(label, [...(byLabel.get(label) ?? []), row]));
  const trainPart: number[] = [];
  const testPart: number[] = [];
  for (const label of [...byLabel.keys()].sort()) {
    const rows = createRng(splitSeed, `stratify/${label}`).shuffle(byLabel.get(label)!);
    const nTest = Math.round(rows.length * testFraction);
    testPart.push(...rows.slice(0, nTest));
    trainPart.push(...rows.slice(nTest));
  }
  trainPart.sort(ascending);
  testPart.sort(ascending);
  const keep = (rows: number[]) => (trainOn === 'normal' ? rows.filter(isNormal) : rows);
  const pool = keep(trainPart);
  const shuffled = createRng(seed, 'validation').shuffle([...pool]);
  const nValidation = Math.round(pool.length * validationFraction);
  const train = keep(shuffled.slice(nValidation)).sort(ascending);
  return {
    train,
    validation: shuffled.slice(0, nValidation).sort(ascending),
    test: testPart,
    droppedTrainingAnomalies: trainPart.length - nValidation - train.length,
  };
}

function labelledDataset(labels: string[], features = 1): Dataset {
  return {
    name: 'labels-only',
    values: new Float32Array(labels.length * features),
    rows: labels.length,
    features,
    labels,
    featureNames: Array.from({ length: features }, (_, j) => `f${j}`),
    source: { paths: ['memory:labels-only'], sha256: 'abc', format: 'csv' },
  };
}

/** `rows` labels drawn from `classes` with the given weights, seeded. */
function drawLabels(rows: number, classes: string[], weights: number[], seed: number): string[] {
  const rng = createRng(seed, 'labels');
  const total = weights.reduce((a, b) => a + b, 0);
  return Array.from({ length: rows }, () => {
    let u = rng.next() * total;
    for (let k = 0; k < classes.length; k++) if ((u -= weights[k]) < 0) return classes[k];
    return classes[classes.length - 1];
  });
}

describe('stratified random split', () => {
  const cases: [rows: number, classes: string[], weights: number[]][] = [
    [1, ['0', '1'], [1, 1]],
    [9, ['b', 'a'], [2, 1]],
    [500, ['0', '1'], [0.9983, 0.0017]],
    [2000, ['normal', 'premature', 'wide-qrs', 'st-elevation', 'noise-burst'], [6, 1, 1, 1, 1]],
    [6000, ['1.0', '0.0'], [0.58, 0.42]],
  ];
  it.each(cases)('gives the same rows as the previous implementation (%i rows, %j)', (rows, classes, weights) => {
    for (const seed of [0, 1, 42, 2024]) {
      const labels = drawLabels(rows, classes, weights, seed + rows);
      const dataset = labelledDataset(labels);
      const isNormal = (row: number) => labels[row] === classes[0];
      for (const [testFraction, trainOn, validationFraction] of [
        [0.2, 'normal', 0.1],
        [0.5, 'all', 0],
        [0.33, 'normal', 0.25],
      ] as const) {
        const actual = splitRows(dataset, {
          split: { kind: 'random', testFraction, seed, stratify: true },
          isNormal,
          trainOn,
          validationFraction,
          seed: seed + 7,
        });
        expect(actual).toEqual(
          referenceSplit(labels, testFraction, seed, isNormal, trainOn, validationFraction, seed + 7),
        );
      }
    }
  });

  it('is linear: 40,000 rows split in well under a second', () => {
    const labels = drawLabels(40_000, ['0', '1'], [0.9983, 0.0017], 3);
    const dataset = labelledDataset(labels);
    const start = performance.now();
    splitRows(dataset, {
      split: { kind: 'random', testFraction: 0.2, seed: 42, stratify: true },
      isNormal: (row) => labels[row] === '0',
      trainOn: 'normal',
      validationFraction: 0.1,
      seed: 42,
    });
    expect(performance.now() - start).toBeLessThan(1000);
  });

  it(
    'splits the credit-card shape (284,807 rows, 0.17 % ' + 'positive) with the default protocol, no stack overflow',
    () => {
      const labels = drawLabels(284_807, ['0', '1'], [0.9983, 0.0017], 5);
      const dataset = labelledDataset(labels, 30);
      const r = resolvePreparationSpec({ dataset: 'creditcard.csv', normalClass: '0' }, dataset);
      expect(r.split).toEqual({ kind: 'random', testFraction: 0.2, seed: 42, stratify: true });
      const start = performance.now();
      const parts = splitRows(dataset, {
        split: r.split,
        isNormal: (row) => labels[row] === '0',
        trainOn: r.trainOn,
        validationFraction: r.validationFraction,
        seed: r.seed,
      });
      const seconds = (performance.now() - start) / 1000;
      expect(seconds).toBeLessThan(3);
      const positives = labels.filter((l) => l === '1').length;
      const testPositives = parts.test.filter((row) => labels[row] === '1').length;
      expect(testPositives).toBe(Math.round(positives * 0.2));
      expect(parts.train.length + parts.validation.length + parts.test.length + parts.droppedTrainingAnomalies).toBe(
        284_807,
      );
    },
  );
});
