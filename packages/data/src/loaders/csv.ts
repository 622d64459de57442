import type { Dataset } from '../dataset.js';
import { DataFormatError } from '../errors.js';
import { fileBaseName, LabelledRows } from '../labelled-rows.js';
import {
  DECIMAL_NUMBER,
  FloatMatrixBuilder,
  inputName,
  type LineInput,
  parseNumberCell,
  readLines,
  splitDelimited,
} from '../lines.js';

/** Options of the delimited-text loader. */
export interface CsvOptions {
  /**
   * Column holding the class label: header name, or 0-based index (negative counts from the end). Default: last column.
   */
  labelColumn?: string | number;
  /** Whether line 1 is a header. Default `auto`: a header when a feature cell of line 1 is not a number. */
  header?: boolean | 'auto';
  /** Cell delimiter, default ','. */
  delimiter?: string;
  /**
   * Columns to leave out, e.g. `Time` for the credit-card data: an array of header names
   * and/or 0-based indices, one index, or a comma-separated string of names (as experiment
   * files give it, `"Time,Amount"`).
   */
  dropColumns?: readonly (string | number)[] | string | number;
  /** Dataset name recorded in the result; default the file name. */
  name?: string;
}

/** Cells read as missing (NaN), to be filled during preparation and counted. */
export const CSV_MISSING = new Set(['', '?', 'NaN', 'nan', 'NA', 'N/A', 'null']);

/**
 * Whether a first line is a header, as the loaders tell one (with `header: 'auto'`): a cell
 * other than the label's (`labelIndex`, -1 for none) that is neither empty nor a number.
 */
export function isCsvHeader(cells: readonly string[], labelIndex = -1): boolean {
  return cells.some((cell, j) => j !== labelIndex && cell.trim() !== '' && !DECIMAL_NUMBER.test(cell.trim()));
}

/** Whether a feature cell reads as a value: a finite float32 number or a {@link CSV_MISSING} marker. */
export function isCsvValue(cell: string): boolean {
  try {
    parseNumberCell(cell, CSV_MISSING, '', 0, 0);
    return true;
  } catch {
    return false;
  }
}

function resolveColumn(
  spec: string | number,
  header: string[] | undefined,
  columns: number,
  file: string,
  what: string,
): number {
  if (typeof spec === 'number' || (/^-?\d+$/.test(spec) && !header?.includes(spec))) {
    const index = Number(spec);
    const resolved = index < 0 ? columns + index : index;
    if (resolved < 0 || resolved >= columns)
      throw new DataFormatError(
        file,
        1,
        undefined,
        `${what} index ${index} is out of range: the file has ${columns} columns`,
      );
    return resolved;
  }
  if (!header)
    throw new DataFormatError(file, 1, undefined, `${what} '${spec}' is a name but the file has no header line`);
  const index = header.indexOf(spec);
  if (index === -1)
    throw new DataFormatError(
      file,
      1,
      undefined,
      `${what} '${spec}' not found in the header; columns are: ${header.join(', ')}`,
    );
  return index;
}

/** The dropColumns option as a list; a {@link TypeError} saying what is expected otherwise. */
function dropColumnList(value: unknown): (string | number)[] {
  if (value === undefined) return [];
  if (typeof value === 'number') return [value];
  if (typeof value === 'string')
    return value
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '');
  if (!Array.isArray(value))
    throw new TypeError(
      'dropColumns must be a comma-separated string of column names or an array of column names / 0-based indices, ' +
        `got ${JSON.stringify(value) ?? typeof value}`,
    );
  return value.map((entry: unknown, i) => {
    if (typeof entry === 'string' || (typeof entry === 'number' && Number.isInteger(entry))) return entry;
    throw new TypeError(
      `dropColumns entry ${i} must be a column name or a 0-based index, got ${JSON.stringify(entry) ?? typeof entry}`,
    );
  });
}

function delimiterHint(text: string, delimiter: string): string {
  for (const candidate of [';', '\t', '|', ','])
    if (candidate !== delimiter && text.includes(candidate))
      return (
        ` (the line contains '${candidate === '\t' ? '\\t' : candidate}': ` +
        'wrong delimiter? pass the delimiter option)'
      );
  return '';
}

/** The columns of a labelled file, as its first non-blank line tells them. */
interface CsvLayout {
  columns: number;
  /** Trimmed header cells; undefined without a header line. */
  header: string[] | undefined;
  labelIndex: number;
  /** The feature columns: all but the label's and the dropped ones. */
  keep: number[];
}

/**
 * The layout of a labelled file from its first non-blank line (`cells`), and whether that
 * line is a header; errors name the line (or line 1 for columns that cannot be resolved).
 */
function csvLayout(
  cells: string[],
  line: number,
  file: string,
  options: CsvOptions,
  dropColumns: (string | number)[],
): { layout: CsvLayout; isHeader: boolean } {
  const delimiter = options.delimiter ?? ',';
  const labelSpec = options.labelColumn ?? -1;
  const columns = cells.length;
  let header: string[] | undefined;
  if (columns < 2)
    throw new DataFormatError(
      file,
      line,
      undefined,
      `expected at least 2 '${delimiter === '\t' ? '\\t' : delimiter}'-separated columns (features and a label), ` +
        `found ${columns}${delimiterHint(cells[0] ?? '', delimiter)}`,
    );
  const labelIsName = typeof labelSpec === 'string' && !/^-?\d+$/.test(labelSpec);
  let isHeader: boolean;
  if (options.header === undefined || options.header === 'auto') {
    const labelGuess = labelIsName ? -1 : resolveColumn(labelSpec, undefined, columns, file, 'labelColumn');
    isHeader = labelIsName || isCsvHeader(cells, labelGuess);
  } else isHeader = options.header;
  if (isHeader) header = cells.map((cell) => cell.trim());
  const labelIndex = resolveColumn(labelSpec, header, columns, file, 'labelColumn');
  const dropped = new Set(dropColumns.map((spec) => resolveColumn(spec, header, columns, file, 'dropColumns entry')));
  const keep = [...Array(columns).keys()].filter((j) => j !== labelIndex && !dropped.has(j));
  if (keep.length === 0) {
    const name = (j: number) => header?.[j] ?? `c${j}`;
    throw new DataFormatError(
      file,
      1,
      undefined,
      `dropColumns (${[...dropped].map(name).join(', ')}) leaves no feature column: ` +
        `only the label column '${name(labelIndex)}' would remain`,
    );
  }
  return { layout: { columns, header, labelIndex, keep }, isHeader };
}

/**
 * Loads a delimited text file (CSV, TSV) with one row per sample and one label column.
 * Quoted cells, CRLF, e-notation and a BOM are handled; missing cells ({@link CSV_MISSING})
 * become NaN. Labels are kept as written, without their quotes.
 */
export async function loadCsv(input: LineInput, options: CsvOptions = {}): Promise<Dataset> {
  const file = inputName(input);
  const dropColumns = dropColumnList(options.dropColumns);
  const delimiter = options.delimiter ?? ',';
  let layout: CsvLayout | undefined;
  const rows = new LabelledRows();
  let firstDataLine = 0;

  const { sha256 } = await readLines(input, (text, line) => {
    if (text.trim() === '') return;
    const cells = splitDelimited(text, delimiter, '"', file, line);
    if (layout === undefined) {
      const first = csvLayout(cells, line, file, options, dropColumns);
      layout = first.layout;
      if (first.isHeader) return;
    }
    const { columns, header, labelIndex, keep } = layout;
    if (firstDataLine === 0) firstDataLine = line;
    if (cells.length !== columns)
      throw new DataFormatError(
        file,
        line,
        undefined,
        `expected ${columns} cells as on line ${header ? 1 : firstDataLine}, found ${cells.length}` +
          (cells.length === 1 ? delimiterHint(text, delimiter) : ''),
      );
    const label = cells[labelIndex].trim();
    if (label === '')
      throw new DataFormatError(
        file,
        line,
        labelIndex + 1,
        `expected a class label in column ${header ? `'${header[labelIndex]}'` : labelIndex + 1}, got an empty cell`,
      );
    for (const j of keep) rows.values.push(parseNumberCell(cells[j], CSV_MISSING, file, line, j + 1));
    rows.pushLabel(label);
  });
  if (layout === undefined)
    throw new DataFormatError(
      file,
      undefined,
      undefined,
      'empty file: expected rows of delimited numbers with a label column',
    );
  if (rows.labels.length === 0)
    throw new DataFormatError(file, 2, undefined, 'header only: expected data rows after the header line');
  const { header, keep } = layout;
  const featureNames = keep.map((j) => header?.[j] ?? `c${j}`);
  return rows.finish({ file, sha256, format: 'csv', name: options.name, featureNames });
}

/**
 * Loads a delimited file of numbers only (no label column), as {@link loadCsv} reads labelled
 * ones: optional header (told by {@link isCsvHeader}), quoted cells, missing cells as NaN, exact
 * errors naming line and column. Labels are empty. `aelab score` reads unlabelled files with it.
 */
export async function loadUnlabelledCsv(input: LineInput, options: { delimiter?: string } = {}): Promise<Dataset> {
  const file = inputName(input);
  const delimiter = options.delimiter ?? ',';
  let header: string[] | undefined;
  let columns = 0;
  let firstLine = 0;
  let rows = 0;
  const values = new FloatMatrixBuilder();
  const { sha256 } = await readLines(input, (text, line) => {
    if (text.trim() === '') return;
    const cells = splitDelimited(text, delimiter, '"', file, line);
    if (columns === 0) {
      columns = cells.length;
      firstLine = line;
      if (isCsvHeader(cells)) {
        header = cells.map((cell) => cell.trim());
        return;
      }
    }
    if (cells.length !== columns) {
      const problem = `expected ${columns} cells as on line ${firstLine}, found ${cells.length}`;
      throw new DataFormatError(file, line, undefined, problem);
    }
    for (let j = 0; j < columns; j++) values.push(parseNumberCell(cells[j], CSV_MISSING, file, line, j + 1));
    rows++;
  });
  if (rows === 0) {
    const problem = header
      ? 'header only: expected data rows after the header line'
      : 'empty file: expected rows of delimited numbers';
    throw new DataFormatError(file, undefined, undefined, problem);
  }
  return {
    name: fileBaseName(file),
    values: values.finish(),
    rows,
    features: columns,
    labels: Array<string>(rows).fill(''),
    featureNames: header ?? Array.from({ length: columns }, (_, j) => `c${j}`),
    source: { paths: [file], sha256, format: 'csv' },
  };
}
