import { existsSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import type { Dataset } from './dataset.js';
import { DatasetNotFoundError } from './errors.js';
import { schemaProblems, sha256Hex, stableStringify } from '@aelab/core';
import { loaderOptionsSchema } from './loader-options.js';
import { loadArff } from './loaders/arff.js';
import { loadCsv, type CsvOptions } from './loaders/csv.js';
import { loadNab } from './loaders/nab.js';
import { loadTs } from './loaders/ts.js';
import { loadUcr } from './loaders/ucr.js';
import { datasetInfo, resolveDataDirWithSource, type DatasetFile, type DatasetInfo } from './registry.js';
import { generateSyntheticEcg } from './synthetic.js';

/**
 * Loader options, as experiment files and code give them (`dropColumns`: a comma-separated string or an array of column
 * names / 0-based indices).
 */
export type LoaderOptions = Record<string, string | number | boolean | (string | number)[]>;

export interface LoadContext {
  /** Data directory; default from {@link resolveDataDir}. */
  dataDir?: string;
  /** Load anew, past the cache, and keep nothing in it (for a caller that changes the dataset). */
  fresh?: boolean;
}

/**
 * Datasets loaded in this process, keyed by name, options and the files' size and mtime,
 * so a sweep that prepares the same dataset for every trial reads it once. Cached
 * datasets are shared: treat them as read-only (preparation copies before changing).
 */
const cache = new Map<string, Promise<Dataset>>();

/** Forgets every cached dataset (tests, or after files changed in place). */
export function clearDatasetCache(): void {
  cache.clear();
}

/** Number of datasets currently cached. */
export const datasetCacheSize = () => cache.size;

/** Which files a named dataset would be read from, or the error saying where we looked. */
export function resolveDatasetFiles(
  info: DatasetInfo,
  dataDir?: string,
): { dir: string; files: (DatasetFile & { absolute: string; present: boolean })[] } {
  const { dir, source } = resolveDataDirWithSource(dataDir);
  for (const set of info.fileSets) {
    const files = set.map((file) => {
      const absolute = join(dir, file.path);
      return { ...file, absolute, present: existsSync(absolute) };
    });
    if (files.every((f) => f.present || f.optional)) return { dir, files };
  }
  const lookedAt = info.fileSets.map((set) =>
    set
      .filter((f) => !f.optional)
      .map((f) => join(dir, f.path))
      .join(' + '),
  );
  throw new DatasetNotFoundError(info.name, lookedAt, source === 'default' ? `the default ${dir}` : source);
}

/**
 * Bytes of the files dataset `name` (a registered dataset or a file path) would be read from: 0
 * for a generated one, null where they are not found (loading it says why).
 */
export function datasetFileBytes(name: string, dataDir?: string): number | null {
  const info = datasetInfo(name);
  try {
    if (!info) return statSync(resolve(name)).size;
    if (info.format === 'synthetic') return 0;
    return resolveDatasetFiles(info, dataDir).files.reduce(
      (n, f) => n + (f.present ? statSync(f.absolute).size : 0),
      0,
    );
  } catch {
    return null;
  }
}

function concatDatasets(name: string, parts: [Dataset, 'train' | 'test'][]): Dataset {
  const features = parts[0][0].features;
  const rows = parts.reduce((n, [d]) => n + d.rows, 0);
  const values = new Float32Array(rows * features);
  let offset = 0;
  for (const [d] of parts) {
    if (d.features !== features)
      throw new RangeError(
        `${d.source.paths[0]} has ${d.features} features, expected ${features} as in ${parts[0][0].source.paths[0]}`,
      );
    values.set(d.values, offset);
    offset += d.values.length;
  }
  return {
    name,
    values,
    rows,
    features,
    labels: parts.flatMap(([d]) => d.labels),
    featureNames: parts[0][0].featureNames,
    predefinedSplit: parts.flatMap(([d, split]) => d.labels.map(() => split)),
    source: {
      paths: parts.flatMap(([d]) => d.source.paths),
      sha256: parts.length === 1 ? parts[0][0].source.sha256 : sha256Hex(...parts.map(([d]) => d.source.sha256)),
      format: parts[0][0].source.format,
    },
  };
}

/** Loads one file, choosing the format from its extension (.arff, .ts, .txt = UCR, .csv/.tsv). */
export async function loadFile(path: string, options: LoaderOptions = {}): Promise<Dataset> {
  const extension = extname(path).toLowerCase();
  switch (extension) {
    case '.arff':
      return loadArff(path, { classAttribute: options.classAttribute as string | undefined });
    case '.ts':
      return loadTs(path);
    case '.txt':
      return loadUcr(path);
    case '.csv':
    case '.tsv':
      return loadCsv(path, csvOptions({ ...(extension === '.tsv' ? { delimiter: '\t' } : {}), ...options }));
    default:
      throw new RangeError(
        `cannot tell the format of ${path} from its extension '${extension}'; ` +
          `expected .arff, .ts, .txt (UCR), .csv or .tsv`,
      );
  }
}

function csvOptions(options: LoaderOptions): CsvOptions {
  const header = options.header;
  return {
    labelColumn: options.labelColumn as string | number | undefined,
    header: header === undefined ? 'auto' : header === 'auto' ? 'auto' : header === true || header === 'true',
    delimiter: options.delimiter as string | undefined,
    // checked (and a string split) by the CSV loader, which says what it expects
    dropColumns: options.dropColumns as CsvOptions['dropColumns'],
  };
}

async function loadNamed(info: DatasetInfo, options: LoaderOptions, dataDir?: string): Promise<Dataset> {
  if (info.format === 'synthetic') return generateSyntheticEcg(options as Record<string, number>);
  const { dir, files } = resolveDatasetFiles(info, dataDir);
  const merged = { ...info.defaultOptions, ...options };
  if (info.format === 'nab') {
    const key = files[0].path.replace(/^nab\/data\//, '');
    return loadNab(files[0].absolute, files[1].absolute, key, {
      windowSize: Number(merged.windowSize),
      stride: Number(merged.stride),
    });
  }
  if (info.name === 'ecg5000') {
    const [train, test] = files;
    const parts: [Dataset, 'train' | 'test'][] = [[await loadFile(train.absolute, merged), 'train']];
    if (test.present) parts.push([await loadFile(test.absolute, merged), 'test']);
    const dataset = concatDatasets(info.name, parts);
    if (!test.present)
      dataset.notes = [
        `TEST split absent: no ${test.path} in ${dir}; ` +
          `only the 500 TRAIN rows are loaded (use dataset 'ecg' for the test beats)`,
      ];
    return dataset;
  }
  const dataset = await loadFile(files[0].absolute, merged);
  return { ...dataset, name: info.name };
}

/**
 * What is wrong with loader options for a dataset (registry name or path), as
 * `options.<name> <problem>` lines: unknown options (with the closest known one) and
 * values out of their bounds (see loader-options.ts); none when the format is unknown.
 */
export function loaderOptionsProblems(dataset: string, options: LoaderOptions): string[] {
  const schema = loaderOptionsSchema(dataset);
  return schema ? schemaProblems(schema, options, ['options']).map((p) => `${p.path} ${p.message}`) : [];
}

/**
 * Loads a dataset by registry name (`synthetic-ecg`, `ecg5000`, `ecg`, `creditcard`,
 * `nab/<folder>/<file>`) or by file path, through the per-process cache. Errors: a
 * {@link DatasetNotFoundError} (one line, with the fetch command) when a named dataset's
 * files are absent, a {@link DataFormatError} for a bad file; never a partial dataset.
 */
export function loadDataset(name: string, options: LoaderOptions = {}, context: LoadContext = {}): Promise<Dataset> {
  const optionProblems = loaderOptionsProblems(name, options);
  if (optionProblems.length > 0)
    return Promise.reject(new RangeError(`dataset '${name}': ${optionProblems.join('; ')}`));
  const info = datasetInfo(name);
  let key: string;
  if (info)
    key = stableStringify({
      name: info.name,
      options,
      dir: info.format === 'synthetic' ? null : resolveDataDirWithSource(context.dataDir).dir,
    });
  else {
    const path = resolve(name);
    if (!existsSync(path))
      return Promise.reject(
        name.startsWith('nab/')
          ? new RangeError(
              `unknown NAB series '${name}'; expected nab/<folder>/<file> as listed by \`npx aelab data list\``,
            )
          : new RangeError(
              `'${name}' is neither a registered dataset ` +
                `(synthetic-ecg, ecg5000, ecg, creditcard, nab/<folder>/<file>) nor an existing file`,
            ),
      );
    const stat = statSync(path);
    key = stableStringify({ path, options, size: stat.size, mtime: stat.mtimeMs });
  }
  if (context.fresh) return info ? loadNamed(info, options, context.dataDir) : loadFile(resolve(name), options);
  let pending = cache.get(key);
  if (!pending) {
    pending = info ? loadNamed(info, options, context.dataDir) : loadFile(resolve(name), options);
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
  }
  return pending;
}
