import type { Dataset } from '../dataset.js';
import { DataFormatError } from '../errors.js';
import { type LineInput, parseNumberCell, splitDelimited } from '../lines.js';
import { readTaggedFile, startTaggedData, type TaggedFileState, type TaggedFormat } from './tagged-file.js';

interface Attribute {
  name: string;
  /** Nominal values in declaration order; undefined for numeric attributes. */
  nominal?: string[];
  line: number;
}

const ARFF_MISSING = new Set(['?']);
const ATTRIBUTE = /^@attribute\s+('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\S+)\s+(.+)$/i;
const unquote = (text: string) => (/^(['"]).*\1$/.test(text) ? text.slice(1, -1) : text);

/** What {@link loadArff} has read so far. */
interface ArffState extends TaggedFileState {
  classAttribute: string | undefined;
  attributes: Attribute[];
  relation: string | undefined;
  classIndex: number;
}

/** The @data line: the header must have declared the class attribute and a feature. */
function startArffData(state: ArffState, line: number): void {
  const { file, attributes, classAttribute } = state;
  if (attributes.length < 2)
    throw new DataFormatError(
      file,
      line,
      undefined,
      `expected at least 2 @attribute lines (features and a class) before @data, found ${attributes.length}`,
    );
  state.classIndex =
    classAttribute === undefined ? attributes.length - 1 : attributes.findIndex((a) => a.name === classAttribute);
  if (state.classIndex === -1)
    throw new DataFormatError(
      file,
      line,
      undefined,
      `class attribute '${classAttribute}' not declared; ` +
        `attributes are: ${attributes.map((a) => a.name).join(', ')}`,
    );
  startTaggedData(state, line);
}

/** An `@attribute <name> <type>` line: numeric / real / integer, or a nominal `{...}` list. */
function parseAttribute(trimmed: string, file: string, line: number): Attribute {
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
    return { name, nominal, line };
  }
  if (/^(numeric|real|integer)$/i.test(type)) return { name, line };
  throw new DataFormatError(
    file,
    line,
    undefined,
    `attribute '${name}' has type '${type}'; expected numeric, real, integer or a nominal {..} list`,
  );
}

/** A non-blank, non-comment line before @data. */
function readArffHeaderLine(state: ArffState, trimmed: string, line: number): void {
  if (/^@relation\b/i.test(trimmed)) state.relation = unquote(trimmed.slice(9).trim());
  else if (/^@attribute\b/i.test(trimmed)) state.attributes.push(parseAttribute(trimmed, state.file, line));
  else if (/^@data\b/i.test(trimmed)) startArffData(state, line);
  else
    throw new DataFormatError(
      state.file,
      line,
      undefined,
      `expected @relation, @attribute or @data in the ARFF header, got '${trimmed.slice(0, 60)}'`,
    );
}

function unknownNominal(file: string, line: number, j: number, cell: string, attribute: Attribute): DataFormatError {
  return new DataFormatError(
    file,
    line,
    j + 1,
    `unknown nominal value '${cell}' for attribute '${attribute.name}'; ` +
      `expected one of {${attribute.nominal!.join(',')}}`,
  );
}

/** A dense data row: the class value as a label, nominal features as their value's index, numbers as read. */
function readArffRow(state: ArffState, trimmed: string, line: number): void {
  const { file, attributes, classIndex } = state;
  const { values } = state.rows;
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
      if (attribute.nominal && !attribute.nominal.includes(cell)) throw unknownNominal(file, line, j, cell, attribute);
      state.rows.pushLabel(cell);
    } else if (attribute.nominal) {
      if (cell === '?') values.push(NaN);
      else {
        const index = attribute.nominal.indexOf(cell);
        if (index === -1) throw unknownNominal(file, line, j, cell, attribute);
        values.push(index);
      }
    } else values.push(parseNumberCell(cell, ARFF_MISSING, file, line, j + 1, `a number for '${attribute.name}'`));
  }
}

const ARFF: TaggedFormat<ArffState> = {
  name: 'ARFF',
  comment: '%',
  readHeaderLine: readArffHeaderLine,
  readRow: readArffRow,
  isEmpty: (state) => state.attributes.length === 0 && !state.relation,
  expected: 'an ARFF header (@relation, @attribute..., @data) and data rows',
};

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
  const { state, sha256 } = await readTaggedFile(input, ARFF, {
    classAttribute: options.classAttribute,
    attributes: [],
    relation: undefined,
    classIndex: -1,
  });
  const { file, attributes, relation, classIndex } = state;
  const featureNames = attributes.filter((_, j) => j !== classIndex).map((a) => a.name);
  return state.rows.finish({ file, sha256, format: 'arff', name: options.name ?? relation, featureNames });
}
