import { constants } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { MAX_JSON_DEPTH, reachFailpoint, tooDeepJson } from '@aelab/core';
import type { Adapter } from 'lowdb';

export interface DurableWriteOptions {
  /**
   * fsync the file before the rename and its directory after it, so a resolved write
   * survives power loss, not only a killed process. The rename alone already makes
   * every write all-or-nothing.
   */
  fsync: boolean;
}

/**
 * File content given in pieces, written one after the other as they come: a large
 * artifact (JSON text of every row's errors) never has to exist as one string or buffer.
 * Each piece is written (or copied) before the next is asked for, so a producer may fill
 * the same memory again for the next piece.
 */
export type ContentPieces = Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>;

/**
 * Writes `data` (bytes, text, or {@link ContentPieces}) to `path` so that readers, and a
 * crash at any moment, see either the old content or the new, never a torn file: write a
 * temp file beside it, then rename. Pieces that fail (a throwing iterator) or a rename that
 * fails (a directory at `path`) leave the old content and no temp file.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string | ContentPieces,
  options: DurableWriteOptions,
): Promise<void> {
  // The pid keeps two processes from sharing a temp file; one process writes a given
  // file from one queue, so it needs nothing more.
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const file = await open(temp, 'w');
  try {
    if (typeof data === 'string' || data instanceof Uint8Array) await file.writeFile(data);
    // writeFile writes each piece whole, from where the last one ended.
    else for await (const piece of data) await file.writeFile(piece);
    if (options.fsync) await file.sync();
  } catch (error) {
    await file.close();
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await file.close();
  reachFailpoint('stop-before-rename', basename(path));
  try {
    await rename(temp, path);
  } catch (error) {
    // A directory at `path`, say: the temp file must not stay behind for every attempt.
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  if (options.fsync) await syncDirectory(dirname(path));
}

/** Makes a rename or a new entry in `dir` durable. A no-op where directories cannot be opened (Windows). */
export async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw error;
  } finally {
    await handle?.close();
  }
}

export interface DurableJsonFileOptions extends DurableWriteOptions {
  /** Indentation for people reading the file; 0 writes one compact line (large shards). */
  indent: number;
}

/**
 * A lowdb adapter like lowdb's own `JSONFile` (temp file + rename, through steno), plus
 * fsync, so "the write resolved" means "it is on disk", and parse errors that name the file.
 */
export class DurableJsonFile<T> implements Adapter<T> {
  readonly path: string;
  readonly #options: DurableJsonFileOptions;

  constructor(path: string, options: DurableJsonFileOptions) {
    this.path = path;
    this.#options = options;
  }

  async read(): Promise<T | null> {
    const text = await readStoreFile(this.path);
    if (text === null) return null;
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new Error(`run store: ${this.path} is not valid JSON${jsonErrorText(text, error as Error)}`);
    }
    // Checked before any recursive reader (freezing, zod, quoting a value) overflows the stack.
    const deep = tooDeepJson(data, STORE_JSON_DEPTH);
    if (deep) throw new Error(`run store: ${this.path}: ${deep.path || '(root)'} ${deep.message}`);
    return data as T;
  }

  async write(data: T): Promise<void> {
    const indent = this.#options.indent || undefined;
    await writeFileAtomic(this.path, JSON.stringify(data, null, indent) + '\n', this.#options);
  }
}

/**
 * How deeply a store file may nest: records hold experiments (up to MAX_JSON_DEPTH
 * themselves) and parameter values a few levels down.
 */
const STORE_JSON_DEPTH = 2 * MAX_JSON_DEPTH;

const OWN_FILES_ONLY = 'the store reads only its own plain files';

/**
 * The text of one of the store's own files; null when it does not exist. Refused, naming
 * it, unless it is a regular file: the store writes files, never links, so a link
 * (`index.json` -> a file elsewhere) is not followed, and a FIFO or device (which would
 * block or never end) is not read. Opened non-blocking so that opening a FIFO returns.
 */
export async function readStoreFile(path: string): Promise<string | null> {
  let file;
  try {
    file = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw new Error(`run store: ${path} is a symbolic link; ${OWN_FILES_ONLY}`);
    throw error;
  }
  try {
    if (!(await file.stat()).isFile()) throw new Error(`run store: ${path} is not a regular file; ${OWN_FILES_ONLY}`);
    return await file.readFile('utf8');
  } finally {
    await file.close();
  }
}

/**
 * Where JSON.parse stopped, as line and column, and its reason without the text it quotes:
 * V8 quotes the file's first bytes ("Unexpected token 'r', "root:x:0:0..." is not valid
 * JSON"), which may be anything and belong in no error message.
 */
function jsonErrorText(text: string, error: Error): string {
  const reason = error.message
    .replace(/, (\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, '')
    .replace(/ in JSON at position \d+$/, '');
  const position = /at position (\d+)/.exec(error.message);
  if (!position) return `: ${reason}`;
  const before = text.slice(0, Number(position[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return ` (line ${line}, column ${column}): ${reason}`;
}
