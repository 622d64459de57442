import type { Dataset } from '../dataset.js';
import { DataFormatError } from '../errors.js';
import { FloatMatrixBuilder, inputName, LabelPool, type LineInput, parseNumberCell, readLines } from '../lines.js';

const TS_MISSING = new Set(['?', 'NaN']);

/** What {@link loadTs} has read so far. */
interface TsState {
  file: string;
  problemName: string | undefined;
  seriesLength: number | undefined;
  classLabels: string[] | undefined;
  inData: boolean;
  /** Values per row, -1 before the first row. */
  length: number;
  /** The first data row's line. */
  firstLine: number;
  /** The @data line. */
  dataLine: number;
  values: FloatMatrixBuilder;
  labels: string[];
  pool: LabelPool;
}

/** A non-blank, non-comment line before @data: a header tag. */
function readTsHeaderLine(state: TsState, trimmed: string, line: number): void {
  const { file } = state;
  const [tag, ...rest] = trimmed.split(/\s+/);
  const value = rest.join(' ');
  switch (tag.toLowerCase()) {
    case '@problemname':
      state.problemName = value;
      break;
    case '@serieslength':
      state.seriesLength = Number(value);
      if (!Number.isInteger(state.seriesLength) || state.seriesLength < 1)
        throw new DataFormatError(
          file,
          line,
          undefined,
          `expected a positive integer after @seriesLength, got '${value}'`,
        );
      break;
    case '@classlabel':
      if (rest[0]?.toLowerCase() !== 'true')
        throw new DataFormatError(
          file,
          line,
          undefined,
          'expected @classLabel true <labels...>: unlabelled .ts files cannot be used for anomaly detection',
        );
      state.classLabels = rest.slice(1);
      break;
    case '@timestamps':
      if (rest[0]?.toLowerCase() === 'true')
        throw new DataFormatError(
          file,
          line,
          undefined,
          'series with timestamps are not supported; expected @timeStamps false',
        );
      break;
    case '@univariate':
      if (rest[0]?.toLowerCase() === 'false')
        throw new DataFormatError(
          file,
          line,
          undefined,
          'multivariate .ts files are not supported; expected @univariate true',
        );
      break;
    case '@targetlabel':
      throw new DataFormatError(
        file,
        line,
        undefined,
        'regression .ts files (@targetlabel) are not supported; expected @classLabel true',
      );
    case '@data':
      if (!state.classLabels)
        throw new DataFormatError(file, line, undefined, 'expected @classLabel true <labels...> before @data');
      state.inData = true;
      state.dataLine = line;
      break;
    default:
      if (!tag.startsWith('@'))
        throw new DataFormatError(
          file,
          line,
          undefined,
          'expected a header tag (@problemName, @seriesLength, @classLabel, @data...), ' +
            `got '${trimmed.slice(0, 60)}'`,
        );
  }
}

/** A data row, `<values>:<label>`: as many values as the first row (and @seriesLength), a declared label. */
function readTsRow(state: TsState, trimmed: string, line: number): void {
  const { file, seriesLength, classLabels } = state;
  const parts = trimmed.split(':');
  if (parts.length !== 2)
    throw new DataFormatError(
      file,
      line,
      undefined,
      `expected '<values>:<label>' (one dimension), found ${parts.length - 1} ':' separators`,
    );
  const label = parts[1].trim();
  if (!classLabels!.includes(label))
    throw new DataFormatError(
      file,
      line,
      undefined,
      `unknown class label '${label}'; @classLabel declares ${classLabels!.join(' ')}`,
    );
  const cells = parts[0].split(',');
  if (state.length === -1) {
    state.length = cells.length;
    state.firstLine = line;
    if (seriesLength !== undefined && state.length !== seriesLength)
      throw new DataFormatError(
        file,
        line,
        undefined,
        `expected ${seriesLength} values (@seriesLength), found ${state.length}`,
      );
  } else if (cells.length !== state.length)
    throw new DataFormatError(
      file,
      line,
      undefined,
      `expected ${state.length} values as on line ${state.firstLine}, found ${cells.length}`,
    );
  for (let j = 0; j < cells.length; j++) state.values.push(parseNumberCell(cells[j], TS_MISSING, file, line, j + 1));
  state.labels.push(state.pool.intern(label));
}

/**
 * Loads the sktime / aeon `.ts` format for univariate, equal-length, classified series:
 * `@problemName`, `@seriesLength`, `@classLabel true <labels>`, `@data`, then rows of
 * comma-separated values and `:label`. `#` lines are comments, `?` is missing.
 * Multivariate rows, timestamps and regression targets are rejected with the line.
 */
export async function loadTs(input: LineInput, options: { name?: string } = {}): Promise<Dataset> {
  const file = inputName(input);
  const state: TsState = {
    file,
    problemName: undefined,
    seriesLength: undefined,
    classLabels: undefined,
    inData: false,
    length: -1,
    firstLine: 0,
    dataLine: 0,
    values: new FloatMatrixBuilder(),
    labels: [],
    pool: new LabelPool(),
  };
  const { sha256, lines } = await readLines(input, (text, line) => {
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    if (!state.inData) readTsHeaderLine(state, trimmed, line);
    else readTsRow(state, trimmed, line);
  });
  const { inData, labels, problemName, classLabels, dataLine, length } = state;
  if (!inData && labels.length === 0 && problemName === undefined && classLabels === undefined)
    throw new DataFormatError(
      file,
      undefined,
      undefined,
      'empty file: expected a .ts header (@problemName, @classLabel true ..., @data) and data rows',
    );
  // whole-file problems name the line where the file ended / the @data line
  if (!inData)
    throw new DataFormatError(
      file,
      lines,
      undefined,
      'no @data line before the end of the file: expected the .ts header to end with @data',
    );
  if (labels.length === 0)
    throw new DataFormatError(file, dataLine, undefined, 'header only: expected data rows after @data');
  return {
    name: options.name ?? problemName ?? file.split(/[\\/]/).pop()!,
    values: state.values.finish(),
    rows: labels.length,
    features: length,
    labels,
    featureNames: Array.from({ length }, (_, j) => `t${j}`),
    source: { paths: [file], sha256, format: 'ts' },
  };
}
