import type { Dataset } from '../dataset.js';
import { DataFormatError } from '../errors.js';
import { FloatMatrixBuilder, inputName, LabelPool, type LineInput, parseNumberCell, readLines } from '../lines.js';

const TS_MISSING = new Set(['?', 'NaN']);

/**
 * Loads the sktime / aeon `.ts` format for univariate, equal-length, classified series:
 * `@problemName`, `@seriesLength`, `@classLabel true <labels>`, `@data`, then rows of
 * comma-separated values and `:label`. `#` lines are comments, `?` is missing.
 * Multivariate rows, timestamps and regression targets are rejected with the line.
 */
export async function loadTs(input: LineInput, options: { name?: string } = {}): Promise<Dataset> {
  const file = inputName(input);
  let problemName: string | undefined;
  let seriesLength: number | undefined;
  let classLabels: string[] | undefined;
  let inData = false;
  let length = -1;
  let firstLine = 0;
  const values = new FloatMatrixBuilder();
  const labels: string[] = [];
  const pool = new LabelPool();
  let dataLine = 0;
  const { sha256, lines } = await readLines(input, (text, line) => {
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    if (!inData) {
      const [tag, ...rest] = trimmed.split(/\s+/);
      const value = rest.join(' ');
      switch (tag.toLowerCase()) {
        case '@problemname':
          problemName = value;
          break;
        case '@serieslength':
          seriesLength = Number(value);
          if (!Number.isInteger(seriesLength) || seriesLength < 1)
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
          classLabels = rest.slice(1);
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
          if (!classLabels)
            throw new DataFormatError(file, line, undefined, 'expected @classLabel true <labels...> before @data');
          inData = true;
          dataLine = line;
          break;
        default:
          if (!tag.startsWith('@'))
            throw new DataFormatError(
              file,
              line,
              undefined,
              `expected a header tag (@problemName, @seriesLength, @classLabel, @data...), ` +
                `got '${trimmed.slice(0, 60)}'`,
            );
      }
      return;
    }
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
    if (length === -1) {
      length = cells.length;
      firstLine = line;
      if (seriesLength !== undefined && length !== seriesLength)
        throw new DataFormatError(
          file,
          line,
          undefined,
          `expected ${seriesLength} values (@seriesLength), found ${length}`,
        );
    } else if (cells.length !== length)
      throw new DataFormatError(
        file,
        line,
        undefined,
        `expected ${length} values as on line ${firstLine}, found ${cells.length}`,
      );
    for (let j = 0; j < cells.length; j++) values.push(parseNumberCell(cells[j], TS_MISSING, file, line, j + 1));
    labels.push(pool.intern(label));
  });
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
    values: values.finish(),
    rows: labels.length,
    features: length,
    labels,
    featureNames: Array.from({ length }, (_, j) => `t${j}`),
    source: { paths: [file], sha256, format: 'ts' },
  };
}
