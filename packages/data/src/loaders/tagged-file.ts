import { DataFormatError } from '../errors.js';
import { LabelledRows } from '../labelled-rows.js';
import { inputName, readLines, type LineInput } from '../lines.js';

/** What a loader of a tagged format has read so far; the format's own state extends it. */
export interface TaggedFileState {
  file: string;
  /** Whether the `@data` line has been read: the lines after it are rows. */
  inData: boolean;
  /** The @data line. */
  dataLine: number;
  rows: LabelledRows;
}

/** The @data line: the header ends, rows follow. */
export function startTaggedData(state: TaggedFileState, line: number): void {
  state.inData = true;
  state.dataLine = line;
}

/** One tagged format: how to read its lines and what an empty file of it is. */
export interface TaggedFormat<S extends TaggedFileState> {
  /** The format's name in errors ("the ARFF header"). */
  name: string;
  /** Lines that start with this are comments. */
  comment: string;
  /** A header line (trimmed, not blank); calls {@link startTaggedData} at `@data`. */
  readHeaderLine(state: S, trimmed: string, line: number): void;
  /** A data row (trimmed, not blank): its values and its label into `state.rows`. */
  readRow(state: S, trimmed: string, line: number): void;
  /** Whether the file held nothing of the format at all. */
  isEmpty(state: S): boolean;
  /** What an empty file should have held ("an ARFF header (...) and data rows"). */
  expected: string;
}

/**
 * Reads a file of a tagged format (ARFF, sktime .ts): a header of `@` tags that ends at an
 * `@data` line, then one labelled row per line, blank and comment lines anywhere. `fields`
 * are the format's own state before the first line. Returns the state read and the file's
 * sha256; throws when the file is empty, has no @data line, or no row after it.
 */
export async function readTaggedFile<S extends TaggedFileState>(
  input: LineInput,
  format: TaggedFormat<S>,
  fields: Omit<S, keyof TaggedFileState>,
): Promise<{ state: S; sha256: string }> {
  const base: TaggedFileState = { file: inputName(input), inData: false, dataLine: 0, rows: new LabelledRows() };
  const state = { ...base, ...fields } as S;
  const { sha256, lines } = await readLines(input, (text, line) => {
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.startsWith(format.comment)) return;
    if (!state.inData) format.readHeaderLine(state, trimmed, line);
    else format.readRow(state, trimmed, line);
  });
  const { file } = state;
  if (format.isEmpty(state))
    throw new DataFormatError(file, undefined, undefined, `empty file: expected ${format.expected}`);
  // whole-file problems name the line where the file ended / the @data line
  if (!state.inData)
    throw new DataFormatError(
      file,
      lines,
      undefined,
      `no @data line before the end of the file: expected the ${format.name} header to end with @data`,
    );
  if (state.rows.labels.length === 0)
    throw new DataFormatError(file, state.dataLine, undefined, 'header only: expected data rows after @data');
  return { state, sha256 };
}
