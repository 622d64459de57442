/**
 * JSON text written in pieces, for artifacts too large to build as one string: a
 * trial's per-row errors on a large dataset are tens of MiB of text, and building them
 * as number arrays and then one string holds every row several times over at once.
 */

/**
 * An array of `length` elements, element `i` being `at(i)`, written without making it:
 * {@link jsonTextPieces} writes what `JSON.stringify(Array.from({ length }, (_, i) => at(i)))`
 * would (a typed array's values through a rounding, say, or labels looked up by code).
 */
export class JsonArray {
  constructor(
    readonly length: number,
    readonly at: (index: number) => unknown,
    /** Set when `at` gives each element's JSON text itself (see {@link JsonArray.ofTokens}). */
    readonly tokens = false,
  ) {}

  /** `values` (a typed array, say), each through `map` when given. */
  static of(values: ArrayLike<number>, map?: (value: number) => number): JsonArray {
    return new JsonArray(values.length, map ? (i) => map(values[i]) : (i) => values[i]);
  }

  /**
   * `values`, element `i` written as the JSON text `token(values[i])` (a number's, formatted by the caller):
   * for numbers whose text is cheaper to write directly than to make as a number and format again.
   */
  static ofTokens(values: ArrayLike<number>, token: (value: number) => string): JsonArray {
    return new JsonArray(values.length, (i) => token(values[i]), true);
  }
}

/** Bytes a piece holds before it is handed on. */
const PIECE_BYTES = 1 << 16;

const encoder = new TextEncoder();

/**
 * The bytes of the next piece, encoded as the text comes, into one buffer used again for
 * every piece. Pieces are bytes, not strings: text pieces waiting on a write were promoted
 * to the old generation and stayed there as garbage (about twice the artifact's size,
 * measured) until the next full collection; and one buffer, not a new one per piece,
 * since a buffer is freed only when a collection finds it, which writing numbers rarely
 * causes (a new buffer per piece held about the artifact's size, measured).
 */
class Pieces {
  private bytes = new Uint8Array(2 * PIECE_BYTES);
  private length = 0;

  add(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.length + 3 * text.length > this.bytes.length) this.grow(3 * text.length);
    this.length += encoder.encodeInto(text, this.bytes.subarray(this.length)).written;
  }

  get full(): boolean {
    return this.length >= PIECE_BYTES;
  }

  /** The piece so far, a view of the buffer: valid until the next piece is started. */
  take(): Uint8Array {
    const piece = this.bytes.subarray(0, this.length);
    this.length = 0;
    return piece;
  }

  private grow(bytes: number): void {
    const grown = new Uint8Array(this.length + bytes + PIECE_BYTES);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }
}

/**
 * The JSON text of `value` as UTF-8 bytes, in pieces of about 64 KiB. A piece is a view of
 * memory that the next piece reuses: write or copy it before asking for the next (as
 * `writeArtifact` does). Joined, the pieces are exactly the text of
 * `JSON.stringify(value)` for JSON data (plain objects and arrays of strings, numbers,
 * booleans and null; object properties whose value is undefined, a function or a symbol
 * are left out and array elements of that kind are written as null, as JSON.stringify
 * does), with each {@link JsonArray} written as the array it stands for. Anything
 * else (an object with `toJSON`, say) is written by JSON.stringify whole.
 */
export function* jsonTextPieces(value: unknown): Generator<Uint8Array, void, undefined> {
  const out = new Pieces();
  for (const _ of write(value, out, false)) yield out.take();
  const last = out.take();
  if (last.length > 0) yield last;
}

/** Adds `value`'s text to `out`, yielding (nothing) whenever a piece is full. */
function* write(value: unknown, out: Pieces, inArray: boolean): Generator<void, void, undefined> {
  if (value instanceof JsonArray) {
    const { at } = value;
    const block = (start: number, end: number) => Array.from({ length: end - start }, (_, i) => at(start + i));
    yield* writeBlocks(value.length, block, out, value.tokens);
  } else if (Array.isArray(value) && value.every(isPrimitive)) {
    yield* writeBlocks(value.length, (start, end) => value.slice(start, end), out);
  } else if (Array.isArray(value)) {
    out.add('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.add(',');
      yield* write(value[i], out, true);
    }
    out.add(']');
  } else if (isPlainObject(value)) {
    out.add('{');
    let first = true;
    for (const [key, field] of Object.entries(value)) {
      if (field === undefined || typeof field === 'function' || typeof field === 'symbol') continue;
      out.add(`${first ? '' : ','}${JSON.stringify(key)}:`);
      first = false;
      yield* write(field, out, false);
    }
    out.add('}');
  } else {
    out.add(JSON.stringify(value) ?? (inArray ? 'null' : ''));
  }
  if (out.full) yield;
}

/** Array elements per JSON.stringify call when writing an array of numbers or strings. */
const BLOCK = 4096;

/**
 * An array's text, a block of elements at a time, each block through JSON.stringify: it
 * writes a number's digits straight into its text, where `String(number)` would make a
 * string per number and keep it in V8's number-to-string cache until a later number takes
 * its place, which promotes most of them to the old generation (garbage as large as the
 * text, measured); and a block is one call, not one per element.
 */
function* writeBlocks(
  length: number,
  block: (start: number, end: number) => unknown[],
  out: Pieces,
  tokens = false,
): Generator<void, void, undefined> {
  out.add('[');
  for (let start = 0; start < length; start += BLOCK) {
    if (start > 0) out.add(',');
    const values = block(start, Math.min(start + BLOCK, length));
    out.add(tokens ? values.join(',') : JSON.stringify(values).slice(1, -1));
    if (out.full) yield;
  }
  out.add(']');
}

/** A value JSON.stringify writes as one short token (in an array: undefined, functions and symbols are null). */
function isPrimitive(value: unknown): boolean {
  return value === null || (typeof value !== 'object' && typeof value !== 'bigint');
}

/** An object JSON.stringify writes by its own fields: not an array, not one with `toJSON`. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}
