import type { Dataset } from '../dataset.js';
import { DataFormatError } from '../errors.js';
import { type LineInput, parseNumberCell, splitExactly } from '../lines.js';
import { readTaggedFile, startTaggedData, type TaggedFileState, type TaggedFormat } from './tagged-file.js';

const TS_MISSING = new Set(['?', 'NaN']);

/** Header flags with a value aelab does not read (`@timeStamps true`, `@univariate false`), and the error then. */
const REFUSED_FLAGS: Record<string, { value: string; problem: string }> = {
  '@timestamps': { value: 'true', problem: 'series with timestamps are not supported; expected @timeStamps false' },
  '@univariate': { value: 'false', problem: 'multivariate .ts files are not supported; expected @univariate true' },
};

/** What {@link loadTs} has read so far. */
interface TsState extends TaggedFileState {
  problemName: string | undefined;
  seriesLength: number | undefined;
  classLabels: string[] | undefined;
  /** Values per row, -1 before the first row. */
  length: number;
  /** The first data row's line. */
  firstLine: number;
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
    case '@univariate': {
      const refused = REFUSED_FLAGS[tag.toLowerCase()];
      if (rest[0]?.toLowerCase() === refused.value) throw new DataFormatError(file, line, undefined, refused.problem);
      break;
    }
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
      startTaggedData(state, line);
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
  const parts = splitExactly(
    trimmed,
    ':',
    2,
    { file, line },
    (n) => `expected '<values>:<label>' (one dimension), found ${n - 1} ':' separators`,
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
  for (let j = 0; j < cells.length; j++)
    state.rows.values.push(parseNumberCell(cells[j], TS_MISSING, file, line, j + 1));
  state.rows.pushLabel(label);
}

const TS: TaggedFormat<TsState> = {
  name: '.ts',
  comment: '#',
  readHeaderLine: readTsHeaderLine,
  readRow: readTsRow,
  isEmpty: (state) => !state.inData && state.problemName === undefined && state.classLabels === undefined,
  expected: 'a .ts header (@problemName, @classLabel true ..., @data) and data rows',
};

/**
 * Loads the sktime / aeon `.ts` format for univariate, equal-length, classified series:
 * `@problemName`, `@seriesLength`, `@classLabel true <labels>`, `@data`, then rows of
 * comma-separated values and `:label`. `#` lines are comments, `?` is missing.
 * Multivariate rows, timestamps and regression targets are rejected with the line.
 */
export async function loadTs(input: LineInput, options: { name?: string } = {}): Promise<Dataset> {
  const { state, sha256 } = await readTaggedFile(input, TS, {
    problemName: undefined,
    seriesLength: undefined,
    classLabels: undefined,
    length: -1,
    firstLine: 0,
  });
  const { file, length, problemName } = state;
  const featureNames = Array.from({ length }, (_, j) => `t${j}`);
  return state.rows.finish({ file, sha256, format: 'ts', name: options.name ?? problemName, featureNames });
}
