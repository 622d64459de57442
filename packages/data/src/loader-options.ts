/**
 * The loader options each dataset format takes, with their bounds: the single definition
 * that experiment files are checked against before any training (a misspelt option or a
 * row count that would take the machine down is an error naming the option), and that
 * {@link loadDataset} checks again, so a job that reaches a worker another way (Redis)
 * fails with the same message instead of killing it.
 */
import { extname } from 'node:path';
import { z } from 'zod';
import { formatValue } from '@aelab/core';
import type { DatasetSource } from './dataset.js';
import { datasetInfo } from './registry.js';

/** Most rows `synthetic-ecg` makes per split: 100,000 beats are 56 MB of float32, 20x ECG5000. */
export const SYNTHETIC_ECG_MAX_ROWS = 100_000;

/** The widest NAB window and the longest stride, in points: some 20 % of the longest NAB series (22,695 points). */
export const NAB_MAX_WINDOW = 4096;

function must(requirement: string) {
  return { error: (issue: { input?: unknown }) => `must be ${requirement}, got ${formatValue(issue.input)}` };
}

const fraction = z.number(must('in [0, 1]')).min(0, must('in [0, 1]')).max(1, must('in [0, 1]'));

function rowCount(what: string) {
  const integer = must('a non-negative integer');
  return z
    .number(integer)
    .int(integer)
    .min(0, integer)
    .max(SYNTHETIC_ECG_MAX_ROWS, must(`at most ${SYNTHETIC_ECG_MAX_ROWS.toLocaleString('en')} rows`))
    .describe(what);
}

function windowLength(what: string) {
  const range = must(`an integer in [1, ${NAB_MAX_WINDOW}]`);
  return z.number(range).int(range).min(1, range).max(NAB_MAX_WINDOW, range).describe(what);
}

const seed = must('an integer in [0, 4294967295]');

/** `synthetic-ecg`'s options (defaults in synthetic.ts). */
export const syntheticEcgOptionsSchema = z
  .object({
    seed: z
      .number(seed)
      .int(seed)
      .min(0, seed)
      .max(2 ** 32 - 1, seed)
      .describe('Default 42; same seed and options give identical bytes.'),
    trainRows: rowCount('Training beats, default 500.'),
    testRows: rowCount('Test beats, default 1000.'),
    anomalyFraction: fraction.describe('Anomalous share of the test rows, default 0.4.'),
    trainAnomalyFraction: fraction.describe('Anomalous share of the training rows, default 0.42.'),
    noise: z
      .number(must('in [0, 10]'))
      .min(0, must('in [0, 10]'))
      .max(10, must('in [0, 10]'))
      .describe('White-noise sd relative to the R amplitude, default 0.03 (10 is ten times the beat itself).'),
  })
  .partial()
  .strict();

const column = z.union([z.string().min(1), z.number().int()], must('a column name or a 0-based index'));

/** The delimited-text loader's options (csv, tsv). */
export const csvOptionsSchema = z
  .object({
    labelColumn: column.describe(
      'Column holding the class label: header name or 0-based index (negative counts from the end); default the last.',
    ),
    header: z
      .union([z.boolean(), z.enum(['auto', 'true', 'false'])], must('true, false or "auto"'))
      .describe('Whether line 1 is a header; default "auto" (a header when a feature cell of line 1 is not a number).'),
    delimiter: z
      .string(must('one character'))
      .length(1, must('one character'))
      .describe('Cell delimiter, default ","; "\\t" for tab-separated files.'),
    dropColumns: z
      .union(
        [
          z.string(),
          z.number().int().min(0),
          z.array(z.union([z.string().min(1), z.number().int().min(0)])).max(10_000),
        ],
        must('column names and/or 0-based indices'),
      )
      .describe('Columns to leave out: names and/or 0-based indices, or one comma-separated string ("Time,Amount").'),
  })
  .partial()
  .strict();

/** The ARFF loader's options. */
export const arffOptionsSchema = z
  .object({ classAttribute: z.string().min(1).describe('The class attribute; default the last one declared.') })
  .partial()
  .strict();

/** A NAB series' options (defaults in NAB_DEFAULTS). */
export const nabOptionsSchema = z
  .object({
    windowSize: windowLength('Points per window row, default 48.'),
    stride: windowLength('Points between window starts, default 4.'),
  })
  .partial()
  .strict();

/** Formats whose loader takes no options. */
const noOptions = z.object({}).strict();

/** Each format's loader options. */
export const LOADER_OPTION_SCHEMAS: Readonly<Record<DatasetSource['format'], z.ZodObject>> = {
  synthetic: syntheticEcgOptionsSchema,
  csv: csvOptionsSchema,
  arff: arffOptionsSchema,
  nab: nabOptionsSchema,
  ucr: noOptions,
  ts: noOptions,
};

const FORMAT_OF_EXTENSION: Record<string, DatasetSource['format']> = {
  '.arff': 'arff',
  '.ts': 'ts',
  '.txt': 'ucr',
  '.csv': 'csv',
  '.tsv': 'csv',
};

/**
 * The options schema of a dataset given by registry name or path (its format from the
 * registry, else from the file's extension); undefined when neither tells (the loader
 * then says what it expects).
 */
export function loaderOptionsSchema(dataset: string): z.ZodObject | undefined {
  const format = datasetInfo(dataset)?.format ?? FORMAT_OF_EXTENSION[extname(dataset).toLowerCase()];
  return format ? LOADER_OPTION_SCHEMAS[format] : undefined;
}
