import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
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
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new Error(`run store: ${this.path} is not valid JSON: ${(error as Error).message}`);
    }
  }

  async write(data: T): Promise<void> {
    const indent = this.#options.indent || undefined;
    await writeFileAtomic(this.path, JSON.stringify(data, null, indent) + '\n', this.#options);
  }
}
