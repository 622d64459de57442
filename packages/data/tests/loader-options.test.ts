import { describe, expect, it } from 'vitest';
import {
  DataPreparationError,
  generateSyntheticEcg,
  loadDataset,
  loaderOptionsProblems,
  prepareDataset,
  SYNTHETIC_ECG_MAX_ROWS,
  type Dataset,
} from '../src/index.js';

/*
 * Issue 22: loader options are checked against their format's schema wherever a dataset is
 * loaded, so a job that reaches a worker without the experiment's preflight (a Redis job)
 * fails with the option named instead of allocating gigabytes and killing the process.
 */
describe('loader options', () => {
  it('refuses a row count past the bound before allocating anything', async () => {
    // 200,000,000 beats x 140 float32 is 112 GB: "Fatal JavaScript invalid size error" before.
    await expect(loadDataset('synthetic-ecg', { trainRows: 200_000_000 })).rejects.toThrow(
      `dataset 'synthetic-ecg': options.trainRows must be at most ` +
        `${SYNTHETIC_ECG_MAX_ROWS.toLocaleString('en')} rows, got 200000000`,
    );
    expect(() => generateSyntheticEcg({ testRows: SYNTHETIC_ECG_MAX_ROWS + 1 })).toThrow(
      /testRows must be at most 100,000 rows/,
    );
  });

  it('names misspelt options with the closest known one, per format', () => {
    expect(loaderOptionsProblems('creditcard', { labelColum: 'f0', delimitr: ';' })).toEqual([
      'options.labelColum is not a known field; did you mean "labelColumn"?',
      'options.delimitr is not a known field; did you mean "delimiter"?',
    ]);
    expect(loaderOptionsProblems('some/file.tsv', { delimiter: ';;' })).toEqual([
      'options.delimiter must be one character, got ";;"',
    ]);
    expect(loaderOptionsProblems('nab/realKnownCause/nyc_taxi', { windowSize: 0, stride: 1e9 })).toEqual([
      'options.windowSize must be an integer in [1, 4096], got 0',
      'options.stride must be an integer in [1, 4096], got 1000000000',
    ]);
    // synthetic-ecg takes none of the CSV loader's options
    expect(loaderOptionsProblems('synthetic-ecg', { labelColumn: 'x' })).toEqual([
      'options.labelColumn is not a known field',
    ]);
  });

  it('leaves options of a file of unknown format to its loader', () => {
    expect(loaderOptionsProblems('data.bin', { anything: 1 })).toEqual([]);
  });
});

describe('too few rows', () => {
  const twoRows: Dataset = {
    name: 'two',
    values: Float32Array.from([1, 2, 3, 2, 3, 4]),
    rows: 2,
    features: 3,
    labels: ['0', '1'],
    featureNames: ['a', 'b', 'c'],
    source: { paths: ['memory:two'], sha256: 'abc', format: 'csv' },
  };

  it('an empty test split stops preparation, instead of every trial failing with "y is empty"', () => {
    expect(() => prepareDataset(twoRows, { dataset: 'two', normalClass: '0' })).toThrow(DataPreparationError);
    expect(() => prepareDataset(twoRows, { dataset: 'two', normalClass: '0' })).toThrow(
      /test split of 'two' is empty \(2 rows, split .*"random".*\): too few rows/,
    );
  });
});
