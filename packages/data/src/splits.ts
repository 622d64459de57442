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

/*
 * Row lists are Int32Arrays until the end: a sweep's preparation of a large file made some
 * ten number arrays of every row here, each garbage in the old generation until a full
 * collection (45 MiB at the peak of a 725k-row preparation); a typed array's rows are
 * freed with its small handle, young. Shuffles and sorts give the same order either way.
 */
type Rows = Int32Array;

const consecutive = (start: number, end: number): Rows => Int32Array.from({ length: end - start }, (_, i) => start + i);

function rowRange(range: [number, number | null], rows: number, what: string): [number, number] {
  const [start, endOrNull] = range;
  const end = endOrNull ?? rows;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > rows || start > end)
    throw new DataPreparationError(
      `split.${what} must be [start, end) with 0 <= start <= end <= ${rows} rows, got [${start}, ${endOrNull})`,
    );
  return [start, end];
}

/** The rows of `rows` for which `keep` holds, in order. */
function rowsWhere(rows: Rows, keep: (row: number) => boolean): Rows {
  return rows.filter((row) => keep(row));
}

/**
 * Each label's rows (ascending) shuffled with their own `stratify/<label>` stream; the first
 * `round(count * f)` go to test. Linear in the rows: every row is placed once.
 */
function stratifiedTrainTest(labels: readonly string[], f: number, seed: number): [Rows, Rows] {
  const counts = new Map<string, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  const byLabel = new Map([...counts].map(([label, count]) => [label, { rows: new Int32Array(count), used: 0 }]));
  for (let row = 0; row < labels.length; row++) {
    const entry = byLabel.get(labels[row])!;
    entry.rows[entry.used++] = row;
  }
  const order = [...byLabel.keys()].sort();
  const nTestOf = (label: string) => Math.round(counts.get(label)! * f);
  const testRows = order.reduce((n, label) => n + nTestOf(label), 0);
  const train = new Int32Array(labels.length - testRows);
  const test = new Int32Array(testRows);
  let [inTrain, inTest] = [0, 0];
  for (const label of order) {
    const rows = createRng(seed, `stratify/${label}`).shuffle(byLabel.get(label)!.rows);
    const nTest = nTestOf(label);
    test.set(rows.subarray(0, nTest), inTest);
    train.set(rows.subarray(nTest), inTrain);
    [inTest, inTrain] = [inTest + nTest, inTrain + rows.length - nTest];
  }
  return [train.sort(), test.sort()];
}

function predefinedTrainTest(dataset: Dataset): [Rows, Rows] {
  const marks = dataset.predefinedSplit;
  if (!marks)
    throw new DataPreparationError(
      `dataset '${dataset.name}' has no predefined train/test split; ` +
        `use split kind 'rows', 'random' or 'chronological'`,
    );
  const all = consecutive(0, marks.length);
  const test = rowsWhere(all, (row) => marks[row] !== 'train');
  if (test.length === 0)
    throw new DataPreparationError(
      `dataset '${dataset.name}' has no TEST rows in its predefined split (${dataset.source.paths.join(', ')}); ` +
        `use split kind 'random' or 'rows'`,
    );
  return [rowsWhere(all, (row) => marks[row] === 'train'), test];
}

function trainTest(dataset: Dataset, split: SplitSpec): [Rows, Rows] | [Rows, Rows, Rows] {
  const n = dataset.rows;
  switch (split.kind) {
    case 'predefined':
      return predefinedTrainTest(dataset);
    case 'rows': {
      const train = rowRange(split.train, n, 'train');
      const test = rowRange(split.test, n, 'test');
      if (Math.max(train[0], test[0]) < Math.min(train[1], test[1]))
        throw new DataPreparationError(`split.train [${split.train}) and split.test [${split.test}) overlap`);
      return [consecutive(...train), consecutive(...test)];
    }
    case 'random': {
      const f = split.testFraction;
      if (!(f > 0 && f < 1)) throw new DataPreparationError(`split.testFraction must be in (0, 1), got ${f}`);
      const seed = split.seed ?? 0;
      if (split.stratify) return stratifiedTrainTest(dataset.labels, f, seed);
      const order =
        split.shuffle === 'numpy'
          ? legacyNumpyPermutation(n, seed)
          : createRng(seed, 'random-split').shuffle(consecutive(0, n));
      const nTest = Math.ceil(n * f);
      return [order.slice(nTest).sort(), order.slice(0, nTest).sort()];
    }
    case 'chronological': {
      const { train: a, validation: b, test: c } = split;
      if (![a, b, c].every((x) => x >= 0) || Math.abs(a + b + c - 1) > 1e-9)
        throw new DataPreparationError(`chronological split fractions must be >= 0 and sum to 1, got ${a}/${b}/${c}`);
      const trainEnd = Math.round(n * a);
      const validationEnd = Math.round(n * (a + b));
      return [consecutive(0, trainEnd), consecutive(validationEnd, n), consecutive(trainEnd, validationEnd)];
    }
    default:
      throw new DataPreparationError(
        `unknown split kind '${(split as { kind: string }).kind}'; expected predefined, rows, random or chronological`,
      );
  }
}

/**
 * Splits rows into train / validation / test. The validation rows come out of the
 * training rows (after the `trainOn` filter), drawn with `seed`, so nothing about the
 * test rows influences training or model selection.
 */
export function splitRows(dataset: Dataset, options: SplitOptions): SplitRows {
  const { isNormal, trainOn, validationFraction, seed } = options;
  if (!(validationFraction >= 0 && validationFraction < 1))
    throw new DataPreparationError(`validationFraction must be in [0, 1), got ${validationFraction}`);
  const parts = trainTest(dataset, options.split);
  const keep = (rows: Rows) => (trainOn === 'normal' ? rowsWhere(rows, isNormal) : rows);
  const candidates = keep(parts[0]);
  const labelledValidation = options.validationAnomalies === 'keep';
  if (parts.length === 3) {
    // chronological: the middle block is the validation split
    const validation = labelledValidation ? parts[2] : keep(parts[2]);
    return {
      train: Array.from(candidates),
      validation: Array.from(validation),
      test: Array.from(parts[1]),
      droppedTrainingAnomalies: parts[0].length - candidates.length,
    };
  }
  const pool = labelledValidation ? parts[0] : candidates;
  const shuffled = createRng(seed, 'validation').shuffle(pool.slice());
  const nValidation = Math.round(pool.length * validationFraction);
  const train = keep(shuffled.slice(nValidation)).sort();
  return {
    train: Array.from(train),
    validation: Array.from(shuffled.slice(0, nValidation).sort()),
    test: Array.from(parts[1]),
    droppedTrainingAnomalies: parts[0].length - nValidation - train.length,
  };
}
