import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { unzipSync } from 'fflate';
import { datasetInfo, resolveDataDir, type DatasetArchive, type DatasetFile } from './registry.js';

export interface FetchOptions {
  /** Data directory; default from {@link resolveDataDir}. */
  dataDir?: string;
  /**
   * Mirror to download from instead of the canonical URLs: file `path` is fetched from
   * `new URL(path, baseUrl)`, so a server over a copy of the data-dir layout works.
   */
  baseUrl?: string;
  /** Called as bytes arrive (for a progress line). */
  onProgress?: (file: string, received: number, total: number | undefined) => void;
}

export interface FetchedFile {
  path: string;
  absolute: string;
  url: string;
  bytes: number;
  sha256: string;
  /** `present`: already there with the pinned sha256, nothing downloaded. */
  status: 'downloaded' | 'present';
  /** Whether a pinned sha256 was checked (false when the registry has none: the digest is reported). */
  verified: boolean;
}

export interface FetchResult {
  name: string;
  dir: string;
  files: FetchedFile[];
}

/** A download that failed or did not match; nothing was left in the data directory. */
export class FetchError extends Error {
  override readonly name = 'FetchError';
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function download(
  file: DatasetFile,
  url: string,
  temp: string,
  onProgress: FetchOptions['onProgress'],
): Promise<{ bytes: number; sha256: string }> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new FetchError(
      `download of ${url} failed: ${(error as Error).message}` +
        `${(error as Error).cause ? ` (${String((error as Error).cause)})` : ''}`,
    );
  }
  if (!response.ok || !response.body)
    throw new FetchError(`download of ${url} failed: HTTP ${response.status} ${response.statusText}`);
  const total = Number(response.headers.get('content-length')) || undefined;
  const hash = createHash('sha256');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      onProgress?.(file.path, bytes, total);
      done(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(response.body as Parameters<typeof Readable.fromWeb>[0]),
      meter,
      createWriteStream(temp),
    );
  } catch (error) {
    throw new FetchError(
      `download of ${url} broke off after ${bytes} bytes${total ? ` of ${total}` : ''}: ${(error as Error).message}`,
    );
  }
  if (total !== undefined && bytes !== total)
    throw new FetchError(`download of ${url} is incomplete: got ${bytes} of ${total} bytes`);
  const sha256 = hash.digest('hex');
  if (file.sha256 && sha256 !== file.sha256)
    throw new FetchError(
      `checksum mismatch for ${url}: expected sha256 ${file.sha256}, got ${sha256} (${bytes} bytes); nothing was saved`,
    );
  return { bytes, sha256 };
}

/**
 * Downloads a named dataset's files into the data directory and verifies their sha256.
 * Atomic: every file goes to a temporary name beside its target and is renamed only
 * after all files of the dataset downloaded and matched, so a failed, interrupted or
 * corrupt download leaves nothing behind. Files already present with the pinned sha256
 * are not downloaded again; present files with another digest are replaced.
 */
export async function fetchDataset(name: string, options: FetchOptions = {}): Promise<FetchResult> {
  const info = datasetInfo(name);
  if (!info) throw new FetchError(`unknown dataset '${name}'; run \`npx aelab data list\` for the names`);
  const dir = resolveDataDir(options.dataDir);
  if (info.format === 'synthetic') return { name: info.name, dir, files: [] };
  const set = info.fileSets.find((files) => files.every((f) => f.optional || f.url));
  if (!set && info.archive) return fetchArchive(info.name, info.archive, dir, options);
  if (!set)
    throw new FetchError(
      `'${info.name}' has no direct download: ${info.notes[0] ?? 'see its homepage'}` +
        `${info.homepage ? ` (${info.homepage})` : ''}`,
    );
  const wanted = set.filter((f) => !f.optional);
  const results: FetchedFile[] = [];
  const staged: { temp: string; absolute: string }[] = [];
  try {
    for (const file of wanted) {
      const absolute = join(dir, file.path);
      const url = options.baseUrl
        ? new URL(file.path, options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`).href
        : file.url!;
      if (file.sha256 && existsSync(absolute) && (await sha256OfFile(absolute)) === file.sha256) {
        results.push({
          path: file.path,
          absolute,
          url,
          bytes: file.bytes ?? 0,
          sha256: file.sha256,
          status: 'present',
          verified: true,
        });
        continue;
      }
      await mkdir(dirname(absolute), { recursive: true });
      const temp = `${absolute}.part-${process.pid}-${randomBytes(4).toString('hex')}`;
      staged.push({ temp, absolute });
      const { bytes, sha256 } = await download(file, url, temp, options.onProgress);
      results.push({
        path: file.path,
        absolute,
        url,
        bytes,
        sha256,
        status: 'downloaded',
        verified: Boolean(file.sha256),
      });
    }
    for (const { temp, absolute } of staged) await rename(temp, absolute);
    staged.length = 0;
    return { name: info.name, dir, files: results };
  } finally {
    await Promise.all(staged.map(({ temp }) => rm(temp, { force: true })));
  }
}

/**
 * Downloads a zip archive, extracts the wanted entries and verifies each pinned sha256;
 * atomic like {@link fetchDataset}: entries are written beside their targets under
 * temporary names and renamed only when all of them are in and verified.
 */
async function fetchArchive(
  name: string,
  archive: DatasetArchive,
  dir: string,
  options: FetchOptions,
): Promise<FetchResult> {
  const archiveName = basename(new URL(archive.url).pathname);
  const url = options.baseUrl
    ? new URL(archiveName, options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`).href
    : archive.url;
  await mkdir(dir, { recursive: true });
  const tempArchive = join(dir, `.${archiveName}.part-${process.pid}-${randomBytes(4).toString('hex')}`);
  const staged: { temp: string; absolute: string }[] = [];
  try {
    const downloaded = await download(
      { path: archiveName, sha256: archive.sha256 },
      url,
      tempArchive,
      options.onProgress,
    );
    let entries: Record<string, Uint8Array>;
    try {
      const wanted = new Set(archive.members.map((m) => m.entry));
      entries = unzipSync(new Uint8Array(await readFile(tempArchive)), {
        filter: (file) => wanted.has(basename(file.name)),
      });
    } catch (error) {
      throw new FetchError(
        `${url} is not a readable zip archive (${downloaded.bytes} bytes, sha256 ${downloaded.sha256}): ` +
          `${(error as Error).message}`,
      );
    }
    const byName = new Map(Object.entries(entries).map(([entry, bytes]) => [basename(entry), bytes]));
    const results: FetchedFile[] = [];
    for (const member of archive.members) {
      const bytes = byName.get(member.entry);
      if (!bytes) {
        if (member.optional) continue;
        throw new FetchError(
          `${url} has no entry ${member.entry}; entries: ${[...byName.keys()].join(', ') || 'none wanted'}`,
        );
      }
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      if (member.sha256 && sha256 !== member.sha256) {
        throw new FetchError(
          `checksum mismatch for ${member.entry} in ${url}: expected sha256 ${member.sha256}, ` +
            `got ${sha256}; nothing was saved`,
        );
      }
      const absolute = join(dir, member.path);
      await mkdir(dirname(absolute), { recursive: true });
      const temp = `${absolute}.part-${process.pid}-${randomBytes(4).toString('hex')}`;
      staged.push({ temp, absolute });
      await writeFile(temp, bytes);
      results.push({
        path: member.path,
        absolute,
        url: `${url}#${member.entry}`,
        bytes: bytes.length,
        sha256,
        status: 'downloaded',
        verified: Boolean(member.sha256),
      });
    }
    for (const { temp, absolute } of staged) await rename(temp, absolute);
    staged.length = 0;
    return { name, dir, files: results };
  } finally {
    await Promise.all([rm(tempArchive, { force: true }), ...staged.map(({ temp }) => rm(temp, { force: true }))]);
  }
}
