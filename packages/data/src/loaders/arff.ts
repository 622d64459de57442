import type { Dataset } from '../dataset.js';
import { DataFormatError } from '../errors.js';
import {
  FloatMatrixBuilder,
  inputName,
  LabelPool,
  type LineInput,
  parseNumberCell,
  readLines,
  splitDelimited,
} from '../lines.js';

interface Attribute {
  name: string;
  /** Nominal values in declaration order; undefined for numeric attributes. */
  nominal?: string[];
  line: number;
}

const ARFF_MISSING = new Set(['?']);
const ATTRIBUTE = /^@attribute\s+('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\S+)\s+(.+)$/i;
const unquote = (text: string) => (/^(['"]).*\1$/.test(text) ? text.slice(1, -1) : text);

/**
 * Loads Weka ARFF (dense data): numeric / real / integer and nominal attributes, `%`
 * comments, quoted names and values, `?` for missing values, any spacing. The class is
 * the last attribute unless `classAttribute` names another; it must be nominal (or
 * numeric) and is kept as a string. Nominal *feature* attributes are encoded as the
 * 0-based index of their value in the declaration.
 */
export async function loadArff(
  input: LineInput,
  options: { classAttribute?: string; name?: string } = {},
): Promise<Dataset> {
  const file = inputName(input);
  const attributes: Attribute[] = [];
  let relation: string | undefined;
  let inData = false;
  let classIndex = -1;
  const values = new FloatMatrixBuilder();
  const labels: string[] = [];
  const pool = new LabelPool();
  const startData = (line: number) => {
    if (attributes.length < 2)
      throw new DataFormatError(
        file,
        line,
        undefined,
        `expected at least 2 @attribute lines (features and a class) before @data, found ${attributes.length}`,
      );
    classIndex =
      options.classAttribute === undefined
        ? attributes.length - 1
        : attributes.findIndex((a) => a.name === options.classAttribute);
    if (classIndex === -1)
      throw new DataFormatError(
        file,
        line,
        undefined,
        `class attribute '${options.classAttribute}' not declared; ` +
          `attributes are: ${attributes.map((a) => a.name).join(', ')}`,
      );
    inData = true;
    dataLine = line;
  };
  let dataLine = 0;
  const { sha256, lines } = await readLines(input, (text, line) => {
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.startsWith('%')) return;
    if (!inData) {
      if (/^@relation\b/i.test(trimmed)) relation = unquote(trimmed.slice(9).trim());
      else if (/^@attribute\b/i.test(trimmed)) {
        const match = ATTRIBUTE.exec(trimmed);
        if (!match)
          throw new DataFormatError(
            file,
            line,
            undefined,
            `expected '@attribute <name> <type>', got '${trimmed.slice(0, 60)}'`,
          );
        const name = unquote(match[1]);
        const type = match[2].trim();
        if (type.startsWith('{')) {
          if (!type.endsWith('}'))
            throw new DataFormatError(file, line, undefined, `nominal type of '${name}' must end with '}'`);
          const nominal = splitDelimited(type.slice(1, -1), ',', `'"`, file, line).map((v) => v.trim());
          attributes.push({ name, nominal, line });
        } else if (/^(numeric|real|integer)$/i.test(type)) attributes.push({ name, line });
        else
          throw new DataFormatError(
            file,
            line,
            undefined,
            `attribute '${name}' has type '${type}'; expected numeric, real, integer or a nominal {..} list`,
          );
      } else if (/^@data\b/i.test(trimmed)) startData(line);
      else
        throw new DataFormatError(
          file,
          line,
          undefined,
          `expected @relation, @attribute or @data in the ARFF header, got '${trimmed.slice(0, 60)}'`,
        );
      return;
    }
    if (trimmed.startsWith('{'))
      throw new DataFormatError(
        file,
        line,
        1,
        'sparse ARFF rows ({index value, ...}) are not supported; expected dense comma-separated rows',
      );
    const cells = splitDelimited(trimmed, ',', `'"`, file, line);
    if (cells.length !== attributes.length)
      throw new DataFormatError(
        file,
        line,
        undefined,
        `expected ${attributes.length} values (one per @attribute), found ${cells.length}`,
      );
    for (let j = 0; j < cells.length; j++) {
      const attribute = attributes[j];
      const cell = unquote(cells[j].trim());
      if (j === classIndex) {
        if (cell === '?' || cell === '')
          throw new DataFormatError(
            file,
            line,
            j + 1,
            `expected a class value for '${attribute.name}', got a missing value`,
          );
        if (attribute.nominal && !attribute.nominal.includes(cell))
          throw new DataFormatError(
            file,
            line,
            j + 1,
            `unknown nominal value '${cell}' for attribute '${attribute.name}'; ` +
              `expected one of {${attribute.nominal.join(',')}}`,
          );
        labels.push(pool.intern(cell));
      } else if (attribute.nominal) {
        if (cell === '?') values.push(NaN);
        else {
          const index = attribute.nominal.indexOf(cell);
          if (index === -1)
            throw new DataFormatError(
              file,
              line,
              j + 1,
              `unknown nominal value '${cell}' for attribute '${attribute.name}'; ` +
                `expected one of {${attribute.nominal.join(',')}}`,
            );
          values.push(index);
        }
      } else values.push(parseNumberCell(cell, ARFF_MISSING, file, line, j + 1, `a number for '${attribute.name}'`));
    }
  });
  if (attributes.length === 0 && !relation)
    throw new DataFormatError(
      file,
      undefined,
      undefined,
      'empty file: expected an ARFF header (@relation, @attribute..., @data) and data rows',
    );
  // whole-file problems name the line where the file ended / the @data line
  if (!inData)
    throw new DataFormatError(
      file,
      lines,
      undefined,
      'no @data line before the end of the file: expected the ARFF header to end with @data',
    );
  if (labels.length === 0)
    throw new DataFormatError(file, dataLine, undefined, 'header only: expected data rows after @data');
  const features = attributes.filter((_, j) => j !== classIndex);
  return {
    name: options.name ?? relation ?? file.split(/[\\/]/).pop()!,
    values: values.finish(),
    rows: labels.length,
    features: features.length,
    labels,
    featureNames: features.map((a) => a.name),
    source: { paths: [file], sha256, format: 'arff' },
  };
}
