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
export async function readLines(input: LineInput, onLine: (text: string, line: number) => void, options: ReadLinesOptions = {}): Promise<ReadLinesResult> {
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
            `line is longer than ${maxLineBytes} bytes without a line break; expected text lines ending in \\n or \\r\\n (binary file or \\r-only line endings?)`,
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
 * A Float32 matrix collected in fixed-size chunks while rows stream in. Growing one array
 * by doubling held up to three times the values at the end (the old array, the doubled
 * one, then the right-sized copy); chunks hold them once, plus once more in `finish`.
 */
export class FloatMatrixBuilder {
  private readonly chunks: Float32Array[] = [];
  private current: Float32Array;
  private used = 0;
  length = 0;

  /** `chunkValues`: values per chunk (4 MiB of float32 by default). */
  constructor(private readonly chunkValues = 1 << 20) {
    this.current = new Float32Array(Math.min(1024, chunkValues));
  }

  push(value: number): void {
    if (this.used === this.current.length) this.grow();
    this.current[this.used++] = value;
    this.length++;
  }

  // Small files stay small: the first chunk doubles up to the chunk size, then chunks are added.
  private grow(): void {
    if (this.current.length < this.chunkValues) {
      const grown = new Float32Array(Math.min(this.current.length * 2, this.chunkValues));
      grown.set(this.current);
      this.current = grown;
      return;
    }
    this.chunks.push(this.current);
    this.current = new Float32Array(this.chunkValues);
    this.used = 0;
  }

  /** The values in one right-sized array; the builder is empty afterwards. */
  finish(): Float32Array {
    const out = new Float32Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks.splice(0)) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    out.set(this.current.subarray(0, this.used), offset);
    this.current = new Float32Array(0);
    this.used = 0;
    this.length = 0;
    return out;
  }
}

// One way to match each digit (the fraction's digits only after the dot): `\d+\.?\d*`
// backtracks quadratically on a long digit run with trailing junk (a 100,000-digit cell
// took 18 s).
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:inf|infinity)$/i;

const shortened = (text: string) => (text.length > 40 ? `${text.slice(0, 40)}...` : text);

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
  if (NUMBER.test(text)) {
    const value = parseFloat(text);
    if (range === 'float32' ? Number.isFinite(Math.fround(value)) : Number.isFinite(value)) return value;
    throw new DataFormatError(file, line, column, `expected ${what}, got '${shortened(text)}': values must be finite${range === 'float32' ? ' and fit in float32 (|x| <= 3.4028235e38)' : ''}`);
  }
  if (missing.has(text)) return NaN;
  if (NON_FINITE.test(text)) throw new DataFormatError(file, line, column, `expected ${what}, got '${text}': values must be finite`);
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
        if (close === -1) throw new DataFormatError(file, line, cells.length + 1, `unterminated ${quote} quote; quoted cells must end on the same line`);
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
      throw new DataFormatError(file, line, cells.length, `expected '${delimiter}' after the closing quote, got '${text[j]}'`);
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
  return NUMBER.test(text) ? String(parseFloat(text)) : text;
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
