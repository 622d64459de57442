import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { DataFormatError } from './errors.js';

/**
 * Line-by-line reading shared by every loader: files are streamed in chunks and never
 * held whole in one string, so memory is bounded by the longest line plus what the
 * loader keeps (the parsed Float32 values), not by the file size.
 */

/** A file path, or an already-open byte stream plus the name to use in error messages. */
export type LineInput = string | { stream: Readable; name: string };

export interface ReadLinesOptions {
  /**
   * A line longer than this is an error (binary file, `\r`-only line endings, a 2 GB file
   * without a line break), so one line can never exhaust memory. Default 64 MiB.
   */
  maxLineBytes?: number;
}

export interface ReadLinesResult {
  /** sha256 of every byte read (hex). */
  sha256: string;
  bytes: number;
  /** Number of lines seen (the last line counts even without a final newline). */
  lines: number;
}

export const inputName = (input: LineInput) => (typeof input === 'string' ? input : input.name);

/**
 * A file-system error from reading `path`, named: reads report `EISDIR` / `EIO` without
 * the path (only `open` names it), which leaves the user guessing which file failed.
 */
export function fileReadError(error: unknown, path: string): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (!(error instanceof Error) || typeof code !== 'string' || !('syscall' in error)) return error;
  if (code === 'EISDIR') return new DataFormatError(path, undefined, undefined, 'is a directory; expected a data file');
  if (error.message.includes(path)) return error;
  return Object.assign(new Error(`${path}: ${error.message}`, { cause: error }), { code });
}

/**
 * Calls `onLine(text, lineNumber)` for every line (1-based; `\r\n` and `\n` endings; a
 * leading UTF-8 BOM removed). An exception from `onLine` stops reading and is rethrown.
 */
export async function readLines(
  input: LineInput,
  onLine: (text: string, line: number) => void,
  options: ReadLinesOptions = {},
): Promise<ReadLinesResult> {
  const maxLineBytes = options.maxLineBytes ?? 64 * 1024 * 1024;
  const name = inputName(input);
  const stream = typeof input === 'string' ? createReadStream(input, { highWaterMark: 1 << 20 }) : input.stream;
  const hash = createHash('sha256');
  let bytes = 0;
  let line = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const emit = (buffer: Buffer, start: number, end: number) => {
    line++;
    if (end > start && buffer[end - 1] === 0x0d) end--;
    let text = buffer.toString('utf8', start, end);
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    onLine(text, line);
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      hash.update(buffer);
      bytes += buffer.length;
      let start = 0;
      for (let nl = buffer.indexOf(0x0a, start); nl !== -1; nl = buffer.indexOf(0x0a, start)) {
        if (pendingBytes > 0) {
          const joined = Buffer.concat([...pending, buffer.subarray(start, nl)]);
          pending = [];
          pendingBytes = 0;
          emit(joined, 0, joined.length);
        } else emit(buffer, start, nl);
        start = nl + 1;
      }
      if (start < buffer.length) {
        pending.push(buffer.subarray(start));
        pendingBytes += buffer.length - start;
        if (pendingBytes > maxLineBytes)
          throw new DataFormatError(
            name,
            line + 1,
            undefined,
            `line is longer than ${maxLineBytes} bytes without a line break; ` +
              `expected text lines ending in \\n or \\r\\n (binary file or \\r-only line endings?)`,
          );
      }
    }
    if (pendingBytes > 0) {
      const rest = Buffer.concat(pending);
      emit(rest, 0, rest.length);
    }
  } catch (error) {
    throw fileReadError(error, name);
  } finally {
    if (typeof input === 'string') (stream as ReturnType<typeof createReadStream>).destroy();
  }
  return { sha256: hash.digest('hex'), bytes, lines: line };
}

/**
 * A Float32 matrix collected while rows stream in, in one growable SharedArrayBuffer: its
 * largest size is reserved as address space and only what is written takes memory, so it
 * grows in place. Growing by copying held the values twice at the end (chunks, or the old
 * array, and the right-sized copy), the copied-from half staying as garbage beside the
 * dataset until the next full collection (83 MiB on a 199 MB CSV). Shared, so that a
 * preparation that consumes the dataset (see `prepareDataset`) hands its rows to worker
 * threads without a copy.
 */
export class FloatMatrixBuilder {
  private buffer: SharedArrayBuffer;
  private values: Float32Array;
  length = 0;

  /** `reserveValues`: the most values it grows to in place (beyond, it moves once to a reservation twice as large). */
  constructor(reserveValues = DEFAULT_RESERVE_VALUES) {
    this.buffer = reserved(reserveValues);
    this.values = new Float32Array(0);
  }

  push(value: number): void {
    if (this.length === this.values.length) this.grow();
    this.values[this.length++] = value;
  }

  // Doubling from 4 KiB keeps small files small. The view is made again at each growth: a
  // view that tracks a growable buffer's length is written 4x slower (V8 11, measured).
  private grow(): void {
    const bytes = Math.max(1024, this.length * 2) * 4;
    if (bytes > this.buffer.maxByteLength) {
      const moved = reserved(Math.max(bytes, this.buffer.maxByteLength * 2) / 4);
      moved.grow(this.buffer.byteLength);
      new Float32Array(moved, 0, this.length).set(this.values.subarray(0, this.length));
      this.buffer = moved;
    }
    this.buffer.grow(Math.min(bytes, this.buffer.maxByteLength));
    this.values = new Float32Array(this.buffer, 0, this.buffer.byteLength / 4);
  }

  /**
   * The values, in a view of exactly their length (a shared buffer cannot shrink: the rest
   * of it was never written, so it takes no memory); the builder is empty afterwards.
   */
  finish(): Float32Array {
    const out = new Float32Array(this.buffer, 0, this.length);
    this.buffer = reserved(0);
    this.values = new Float32Array(0);
    this.length = 0;
    return out;
  }
}

/** 1 Gi float32 values: 4 GiB of address space, none of it memory until written. */
const DEFAULT_RESERVE_VALUES = 2 ** 30;

/**
 * An empty growable SharedArrayBuffer that can grow in place to `values` float32 values (less where the address space
 * cannot be reserved).
 */
function reserved(values: number): SharedArrayBuffer {
  try {
    return new SharedArrayBuffer(0, { maxByteLength: values * 4 });
  } catch (error) {
    if (!(error instanceof RangeError) || values <= 1 << 20) throw error;
    return reserved(values / 4);
  }
}

/**
 * A decimal number as aelab reads one, in data files and on the command line: no hex, no
 * `Infinity`, no surrounding space (trim first). One way to match each digit (the fraction's
 * digits only after the dot): `\d+\.?\d*` backtracks quadratically on a long digit run with
 * trailing junk (a 100,000-digit cell took 18 s).
 */
export const DECIMAL_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:inf|infinity)$/i;

const shortened = (text: string) => (text.length > 40 ? `${text.slice(0, 40)}...` : text);

/**
 * `text` cut at every `separator` into exactly `count` parts; any other number of parts is a
 * {@link DataFormatError} naming the file and line, its message `expected(parts found)`.
 */
export function splitExactly(
  text: string,
  separator: string,
  count: number,
  at: { file: string; line: number },
  expected: (found: number) => string,
): string[] {
  const parts = text.split(separator);
  if (parts.length !== count) throw new DataFormatError(at.file, at.line, undefined, expected(parts.length));
  return parts;
}

/**
 * Parses one numeric cell strictly (no hex, no trailing junk, no silent empty-as-zero).
 * Returns NaN for the missing markers given; throws a {@link DataFormatError} otherwise.
 * `range` `float32` (values, stored in a Float32Array) also rejects numbers that round to
 * ±Infinity in float32 (|x| > 3.4028235e38, e.g. `1e39`, `3.5e38`); `float64` (numeric
 * labels, kept as text) only those beyond float64 (`1e999`).
 */
export function parseNumberCell(
  raw: string,
  missing: ReadonlySet<string>,
  file: string,
  line: number,
  column: number,
  what = 'a number',
  range: 'float32' | 'float64' = 'float32',
): number {
  const text = raw.trim();
  if (DECIMAL_NUMBER.test(text)) {
    const value = parseFloat(text);
    if (range === 'float32' ? Number.isFinite(Math.fround(value)) : Number.isFinite(value)) return value;
    throw new DataFormatError(
      file,
      line,
      column,
      `expected ${what}, got '${shortened(text)}': values must be finite` +
        `${range === 'float32' ? ' and fit in float32 (|x| <= 3.4028235e38)' : ''}`,
    );
  }
  if (missing.has(text)) return NaN;
  if (NON_FINITE.test(text))
    throw new DataFormatError(file, line, column, `expected ${what}, got '${text}': values must be finite`);
  throw new DataFormatError(file, line, column, `expected ${what}, got '${shortened(text)}'`);
}

/**
 * Splits one delimited line, honouring quoted cells (`"a,b"`, doubled quotes inside).
 * Quoted cells spanning lines are not supported and reported as an unterminated quote.
 */
export function splitDelimited(text: string, delimiter: string, quotes: string, file: string, line: number): string[] {
  let hasQuote = false;
  for (const q of quotes) if (text.includes(q)) hasQuote = true;
  if (!hasQuote) return text.split(delimiter);
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    while (text[i] === ' ') i++;
    const quote = text[i];
    if (quote !== undefined && quotes.includes(quote)) {
      let value = '';
      let j = i + 1;
      for (;;) {
        const close = text.indexOf(quote, j);
        if (close === -1)
          throw new DataFormatError(
            file,
            line,
            cells.length + 1,
            `unterminated ${quote} quote; quoted cells must end on the same line`,
          );
        value += text.slice(j, close);
        if (text[close + 1] === quote) {
          value += quote;
          j = close + 2;
          continue;
        }
        j = close + 1;
        break;
      }
      while (text[j] === ' ') j++;
      cells.push(value);
      if (j >= text.length) return cells;
      if (text.startsWith(delimiter, j)) {
        i = j + delimiter.length;
        continue;
      }
      throw new DataFormatError(
        file,
        line,
        cells.length,
        `expected '${delimiter}' after the closing quote, got '${text[j]}'`,
      );
    }
    const next = text.indexOf(delimiter, i);
    if (next === -1) {
      cells.push(text.slice(i));
      return cells;
    }
    cells.push(text.slice(i, next));
    i = next + delimiter.length;
  }
}

/** Writes labels the way the file meant them: numeric labels in shortest form ("1.0000000e+00" -> "1"). */
export function canonicalNumericLabel(text: string): string {
  return DECIMAL_NUMBER.test(text) ? String(parseFloat(text)) : text;
}

/**
 * Keeps one copy of each distinct label. A label cut out of a line is a V8 "sliced string"
 * that would otherwise keep its whole line alive: a million-row file would retain its
 * text through its labels.
 */
export class LabelPool {
  private readonly pool = new Map<string, string>();

  intern(label: string): string {
    let kept = this.pool.get(label);
    if (kept === undefined) {
      kept = Buffer.from(label, 'utf8').toString('utf8');
      this.pool.set(kept, kept);
    }
    return kept;
  }
}
