import type { Dataset } from './dataset.js';
import { DataPreparationError } from './errors.js';
import { legacyNumpyPermutation } from './numpy-random.js';
import { createRng } from '@aelab/core';

/**
 * How rows are divided into train and test (validation is always carved afterwards).
 * - `predefined`: the file's own TRAIN/TEST marks (UCR archives, synthetic-ecg).
 * - `rows`: half-open row ranges, `null` end = to the last row; e.g. ecg.csv
 *   `train [0, 500)`, `test [500, null)` reproduces the ECG5000 UCR split.
 * - `random`: seeded shuffle, `ceil(testFraction * rows)` test rows (as scikit-learn's
 *   `train_test_split`); `stratify` keeps each label's share in both parts. With
 *   `shuffle: 'numpy'` (not stratified) the permutation is numpy's legacy
 *   `RandomState(seed).permutation`, so `{testFraction: 0.2, seed: 21, shuffle: 'numpy'}`
 *   reproduces the TensorFlow autoencoder tutorial's `train_test_split(..., test_size=0.2,
 *   random_state=21)` row for row.
 * - `chronological`: leading / middle / trailing fractions for series; the middle part is
 *   the validation split (no random carve, so no future leaks into training).
 */
export type SplitSpec =
  | { kind: 'predefined' }
  | { kind: 'rows'; train: [number, number | null]; test: [number, number | null] }
  | { kind: 'random'; testFraction: number; seed?: number; stratify?: boolean; shuffle?: 'aelab' | 'numpy' }
  | { kind: 'chronological'; train: number; validation: number; test: number };

/** Row indices of each split, ascending, into the loaded {@link Dataset}. */
export interface SplitRows {
  train: number[];
  validation: number[];
  test: number[];
  /** Anomalous training rows left out because `trainOn` is `normal`. */
  droppedTrainingAnomalies: number;
}

export interface SplitOptions {
  split: SplitSpec;
  isNormal: (row: number) => boolean;
  trainOn: 'normal' | 'all';
  validationFraction: number;
  seed: number;
  /**
   * `drop` (default): with `trainOn: normal` the validation split holds normal rows only.
   * `keep`: validation is drawn from all training-split rows, anomalies included (they are
   * still never trained on), so a selection rule can use labelled validation metrics
   * instead of test ones.
   */
  validationAnomalies?: 'drop' | 'keep';
}

const ascending = (a: number, b: number) => a - b;

function rowRange(range: [number, number | null], rows: number, what: string): number[] {
  const [start, endOrNull] = range;
  const end = endOrNull ?? rows;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > rows || start > end)
    throw new DataPreparationError(`split.${what} must be [start, end) with 0 <= start <= end <= ${rows} rows, got [${start}, ${endOrNull})`);
  return Array.from({ length: end - start }, (_, i) => start + i);
}

/**
 * Each label's rows (ascending) shuffled with their own `stratify/<label>` stream; the first
 * `round(count * f)` go to test. Linear in the rows: every row is appended once.
 */
function stratifiedTrainTest(labels: readonly string[], f: number, seed: number): [number[], number[]] {
  const byLabel = new Map<string, number[]>();
  for (let row = 0; row < labels.length; row++) {
    const rows = byLabel.get(labels[row]);
    if (rows) rows.push(row);
    else byLabel.set(labels[row], [row]);
  }
  const train: number[] = [];
  const test: number[] = [];
  for (const label of [...byLabel.keys()].sort()) {
    const rows = createRng(seed, `stratify/${label}`).shuffle(byLabel.get(label)!);
    const nTest = Math.round(rows.length * f);
    // a loop, not push(...rows): spreading 100k+ arguments overflows the stack
    for (let i = 0; i < rows.length; i++) (i < nTest ? test : train).push(rows[i]);
  }
  return [train.sort(ascending), test.sort(ascending)];
}

function trainTest(dataset: Dataset, split: SplitSpec): [number[], number[]] | [number[], number[], number[]] {
  const n = dataset.rows;
  switch (split.kind) {
    case 'predefined': {
      const marks = dataset.predefinedSplit;
      if (!marks) throw new DataPreparationError(`dataset '${dataset.name}' has no predefined train/test split; use split kind 'rows', 'random' or 'chronological'`);
      const train: number[] = [];
      const test: number[] = [];
      marks.forEach((mark, row) => (mark === 'train' ? train : test).push(row));
      if (test.length === 0)
        throw new DataPreparationError(
          `dataset '${dataset.name}' has no TEST rows in its predefined split (${dataset.source.paths.join(', ')}); use split kind 'random' or 'rows'`,
        );
      return [train, test];
    }
    case 'rows': {
      const train = rowRange(split.train, n, 'train');
      const test = rowRange(split.test, n, 'test');
      const trainSet = new Set(train);
      if (test.some((row) => trainSet.has(row))) throw new DataPreparationError(`split.train [${split.train}) and split.test [${split.test}) overlap`);
      return [train, test];
    }
    case 'random': {
      const f = split.testFraction;
      if (!(f > 0 && f < 1)) throw new DataPreparationError(`split.testFraction must be in (0, 1), got ${f}`);
      const seed = split.seed ?? 0;
      if (split.stratify) return stratifiedTrainTest(dataset.labels, f, seed);
      const order = split.shuffle === 'numpy' ? legacyNumpyPermutation(n, seed) : createRng(seed, 'random-split').shuffle([...Array(n).keys()]);
      const nTest = Math.ceil(n * f);
      return [order.slice(nTest).sort(ascending), order.slice(0, nTest).sort(ascending)];
    }
    case 'chronological': {
      const { train: a, validation: b, test: c } = split;
      if (![a, b, c].every((x) => x >= 0) || Math.abs(a + b + c - 1) > 1e-9)
        throw new DataPreparationError(`chronological split fractions must be >= 0 and sum to 1, got ${a}/${b}/${c}`);
      const trainEnd = Math.round(n * a);
      const validationEnd = Math.round(n * (a + b));
      const rows = [...Array(n).keys()];
      return [rows.slice(0, trainEnd), rows.slice(validationEnd), rows.slice(trainEnd, validationEnd)];
    }
    default:
      throw new DataPreparationError(`unknown split kind '${(split as { kind: string }).kind}'; expected predefined, rows, random or chronological`);
  }
}

/**
 * Splits rows into train / validation / test. The validation rows come out of the
 * training rows (after the `trainOn` filter), drawn with `seed`, so nothing about the
 * test rows influences training or model selection.
 */
export function splitRows(dataset: Dataset, options: SplitOptions): SplitRows {
  const { isNormal, trainOn, validationFraction, seed } = options;
  if (!(validationFraction >= 0 && validationFraction < 1)) throw new DataPreparationError(`validationFraction must be in [0, 1), got ${validationFraction}`);
  const parts = trainTest(dataset, options.split);
  const keep = (rows: number[]) => (trainOn === 'normal' ? rows.filter(isNormal) : rows);
  const candidates = keep(parts[0]);
  const labelledValidation = options.validationAnomalies === 'keep';
  if (parts.length === 3) {
    // chronological: the middle block is the validation split
    const validation = labelledValidation ? parts[2] : keep(parts[2]);
    return { train: candidates, validation, test: parts[1], droppedTrainingAnomalies: parts[0].length - candidates.length };
  }
  const pool = labelledValidation ? parts[0] : candidates;
  const shuffled = createRng(seed, 'validation').shuffle([...pool]);
  const nValidation = Math.round(pool.length * validationFraction);
  const train = keep(shuffled.slice(nValidation)).sort(ascending);
  return {
    train,
    validation: shuffled.slice(0, nValidation).sort(ascending),
    test: parts[1],
    droppedTrainingAnomalies: parts[0].length - nValidation - train.length,
  };
}
