import type { Dataset, PreparedData, PreparedSplit } from './dataset.js';
import { DataPreparationError } from './errors.js';
import { deriveSeed, sha256Hex, stableStringify } from '@aelab/core';
import { loadDataset, type LoadContext, type LoaderOptions } from './load.js';
import { datasetInfo } from './registry.js';
import {
  applyScaler,
  columnMeans,
  fitScaler,
  imputeColumns,
  interpolateRows,
  invertScaler,
  normalizeSamples,
  type MissingPolicy,
  type ScalerKind,
} from './scaling.js';
import { parsePreparation, type Preparation } from './preparation-schema.js';
import { splitRows, type SplitRows, type SplitSpec } from './splits.js';

/** What a trial asks of the data side; every field but `dataset` has a registry default. */
export interface DataSpec {
  /**
   * Registry name: 'synthetic-ecg' | 'ecg5000' | 'ecg' | 'creditcard' | 'nab/<folder>/<file>', or a file path (format
   * from extension).
   */
  dataset: string;
  /**
   * Loader options (synthetic: seed/trainRows/testRows/...; csv: labelColumn, header, delimiter, dropColumns; nab:
   * windowSize, stride).
   */
  options?: LoaderOptions;
  /**
   * Label(s) counted as normal; default from the registry (synthetic 'normal', ecg5000 '1', ecg '1.0', creditcard '0',
   * nab 'normal').
   */
  normalClass?: string | string[];
  /**
   * Default from the registry's protocol; for plain files: predefined when the file has one, else a stratified random
   * 80/20 split.
   */
  split?: SplitSpec;
  /** Default 'standard'. */
  scaler?: ScalerKind;
  /** z-normalise every row on its own before the scaler. Default false. */
  perSampleNormalize?: boolean;
  /** Default 'normal': anomalous training rows are dropped (semi-supervised protocol). */
  trainOn?: 'normal' | 'all';
  /** Share of the (kept) training rows carved out as validation, default 0.1. */
  validationFraction?: number;
  /**
   * `keep`: the validation split also holds the training split's anomalies (never trained
   * on), so models can be selected on labelled validation metrics; default `drop`.
   */
  validationAnomalies?: 'drop' | 'keep';
  /** Seed for the validation carve (and random splits without their own seed). Default 42. */
  seed?: number;
  /** Missing-value policy; default from the registry ('interpolate' for series, 'impute' for tabular). */
  missing?: MissingPolicy;
  /**
   * Draw `draw` of a resampled split: what an experiment's `resample` sets for each repeat
   * (draw = repeat), never written by hand. Draw 0 is the split without it; draw d > 0 carves
   * validation with a seed derived from `seed` and d, and with scope `all` also shuffles a
   * random train/test split with one derived from the split's seed and d. See {@link drawnSplit}.
   */
  resample?: DataResample;
}

/** Which parts of the split a repeat draws anew, and which draw it is (see {@link DataSpec.resample}). */
export interface DataResample {
  scope: 'validation' | 'all';
  draw: number;
}

/**
 * The split and validation seed of a draw (see {@link DataSpec.resample}). A carve or split
 * that is not random cannot be drawn anew: refused, naming the split kind and what to use.
 */
export function drawnSplit(
  split: SplitSpec,
  seed: number,
  resample: DataResample | undefined,
  dataset: string,
): { split: SplitSpec; validationSeed: number } {
  if (!resample || resample.draw === 0) return { split, validationSeed: seed };
  if (split.kind === 'chronological')
    throw new DataPreparationError(
      `resample "${resample.scope}": '${dataset}' uses a chronological split, whose validation block is fixed ` +
        '(no random carve to draw anew); use resample "none"',
    );
  const validationSeed = deriveSeed(seed, `resample/${resample.draw}/validation`);
  if (resample.scope === 'validation') return { split, validationSeed };
  if (split.kind !== 'random')
    throw new DataPreparationError(
      `resample "all" draws a new train/test split, which needs split kind "random"; ` +
        `'${dataset}' uses "${split.kind}": use resample "validation"`,
    );
  return {
    split: { ...split, seed: deriveSeed(split.seed ?? seed, `resample/${resample.draw}/split`) },
    validationSeed,
  };
}

/** True when `label` is one of the normal classes; numeric labels compare by value ("1" = "1.0"). */
export function isNormalLabel(label: string, normalClass: readonly string[]): boolean {
  for (const normal of normalClass) {
    if (label === normal) return true;
    const a = Number(label);
    const b = Number(normal);
    if (label.trim() !== '' && normal.trim() !== '' && !Number.isNaN(a) && a === b) return true;
  }
  return false;
}

function resolveNormalClass(spec: Pick<DataSpec, 'dataset' | 'normalClass'>, dataset: Dataset): string[] {
  const normalClass =
    spec.normalClass === undefined
      ? datasetInfo(spec.dataset)?.normalClass
      : Array.isArray(spec.normalClass)
        ? spec.normalClass
        : [spec.normalClass];
  if (!normalClass || normalClass.length === 0)
    throw new DataPreparationError(
      `normalClass is required for '${spec.dataset}' (not a registered dataset); ` +
        `labels seen: ${labelList(distinctLabels(dataset))}`,
    );
  return normalClass.map(String);
}

/**
 * Checks, before any training, that every normal class of `spec` (or the registry's
 * default) occurs among the dataset's labels (numeric labels compare by value, as in
 * {@link isNormalLabel}) and returns them. One pass over the labels. Throws a
 * {@link DataPreparationError} naming the class that matches no row and the labels
 * present, e.g. `normal class ["7"] matches no row of 'ecg'; labels seen: 0.0, 1.0`.
 * {@link prepareDataset} runs the same check.
 */
export function checkNormalClass(dataset: Dataset, spec: Pick<DataSpec, 'dataset' | 'normalClass'>): string[] {
  const normalClass = resolveNormalClass(spec, dataset);
  const labels = distinctLabels(dataset);
  const missing = normalClass.filter((normal) => !labels.some((label) => isNormalLabel(label, [normal])));
  if (missing.length === normalClass.length)
    throw new DataPreparationError(
      `normal class ${JSON.stringify(normalClass)} matches no row of '${dataset.name}'; ` +
        `labels seen: ${labelList(labels)}`,
    );
  if (missing.length > 0)
    throw new DataPreparationError(
      `normal class ${missing.map((m) => `'${m}'`).join(', ')} (of ${JSON.stringify(normalClass)}) ` +
        `${missing.length === 1 ? 'matches' : 'match'} no row of '${dataset.name}'; ` +
        `labels seen: ${labelList(labels)}`,
    );
  return normalClass;
}

/** The spec with every default filled from the registry (used by inspect too). */
export function resolvePreparationSpec(spec: DataSpec, dataset: Dataset) {
  const info = datasetInfo(spec.dataset);
  const normalClass = resolveNormalClass(spec, dataset);
  const fallback: SplitSpec = dataset.predefinedSplit
    ? { kind: 'predefined' }
    : { kind: 'random', testFraction: 0.2, seed: spec.seed ?? 42, stratify: true };
  const split: SplitSpec = spec.split ?? info?.defaultSplit ?? fallback;
  const drawn = drawnSplit(split, spec.seed ?? 42, spec.resample, dataset.name);
  return {
    normalClass,
    split: drawn.split,
    validationSeed: drawn.validationSeed,
    resample: spec.resample,
    scaler: spec.scaler ?? 'standard',
    perSampleNormalize: spec.perSampleNormalize ?? false,
    trainOn: spec.trainOn ?? 'normal',
    validationFraction: spec.validationFraction ?? 0.1,
    validationAnomalies: spec.validationAnomalies ?? 'drop',
    seed: spec.seed ?? 42,
    missing: spec.missing ?? info?.missing ?? 'interpolate',
    options: { ...(info?.defaultOptions ?? {}), ...(spec.options ?? {}) },
  };
}

function distinctLabels(dataset: Dataset): string[] {
  return [...new Set(dataset.labels)].sort();
}

/** Labels for a message: all of a few, the first 20 of many (a numeric label column can hold thousands). */
function labelList(labels: readonly string[]): string {
  return labels.length <= 20 ? labels.join(', ') : `${labels.slice(0, 20).join(', ')}, ... (${labels.length} distinct)`;
}

function fillMissing(
  values: Float32Array,
  rows: number,
  features: number,
  missing: MissingPolicy,
  fill: readonly number[] | undefined,
  fitRows?: readonly number[],
) {
  let filled = missing === 'interpolate' ? interpolateRows(values, rows, features) : 0;
  const fillValues = fill ? [...fill] : columnMeans(values, features, fitRows ?? []);
  filled += imputeColumns(values, rows, features, fillValues);
  return { filled, fillValues };
}

/** Where {@link prepareDataset} allocates the splits' rows and labels. */
export interface PrepareOptions {
  /**
   * `shared`: in SharedArrayBuffers, so worker threads given the prepared data read the
   * same bytes (a pool's workers share one copy); default `local`.
   */
  memory?: 'local' | 'shared';
  /**
   * With `memory: 'shared'`, where the dataset's rows are in shared memory (the line
   * loaders' are), prepare the splits in the dataset's own rows, moved into split order,
   * instead of copying them out: the data is held once, not twice. The dataset is changed
   * and must not be used again: {@link prepareData} then loads it afresh, past the cache.
   */
  consume?: boolean;
}

function allocate<T extends Float32Array | Uint8Array>(
  Kind: { new (length: number): T; new (buffer: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number },
  length: number,
  memory: PrepareOptions['memory'],
): T {
  return memory === 'shared' ? new Kind(new SharedArrayBuffer(length * Kind.BYTES_PER_ELEMENT)) : new Kind(length);
}

type SplitParts = Pick<SplitRows, 'train' | 'validation' | 'test'>;
type Steps = Pick<ReturnType<typeof resolvePreparationSpec>, 'missing' | 'perSampleNormalize' | 'scaler'>;

/**
 * Moves rows in place so that row `order[i]` ends at row `i`; the rows `order` leaves out
 * end after them, in no particular order. Follows each cycle of the permutation with one
 * row held aside, so it needs a row and a flag per row of memory, not a copy of the data.
 */
export function gatherRowsInPlace(values: Float32Array, features: number, order: Int32Array): void {
  const rows = values.length / features;
  const source = new Int32Array(rows);
  const placed = new Uint8Array(rows);
  source.set(order);
  for (const row of order) placed[row] = 1;
  for (let row = 0, k = order.length; row < rows; row++) if (!placed[row]) source[k++] = row;
  placed.fill(0);
  const held = new Float32Array(features);
  for (let start = 0; start < rows; start++) {
    if (placed[start]) continue;
    held.set(values.subarray(start * features, (start + 1) * features));
    let at = start;
    for (let from = source[at]; from !== start; at = from, from = source[at]) {
      values.copyWithin(at * features, from * features, (from + 1) * features);
      placed[at] = 1;
    }
    values.set(held, at * features);
    placed[at] = 1;
  }
}

/**
 * Each split's rows, prepared in place: missing values, per-sample normalisation, the
 * scaler, each fitted on the training rows only. The rows are copied out of the loaded
 * dataset, which stays untouched (it is shared through the cache), so the data is held
 * twice at most, never a third time as a whole prepared copy; or, consuming a dataset in
 * shared memory, they are the dataset's own rows moved into split order, held once. The
 * fitted values equal those over the training rows of one.
 */
function prepareSplits(dataset: Dataset, parts: SplitParts, normal: Uint8Array, steps: Steps, options: PrepareOptions) {
  const { features } = dataset;
  const inPlace = options.consume && options.memory === 'shared' && dataset.values.buffer instanceof SharedArrayBuffer;
  if (inPlace) {
    const order = new Int32Array(parts.train.length + parts.validation.length + parts.test.length);
    order.set(parts.train);
    order.set(parts.validation, parts.train.length);
    order.set(parts.test, parts.train.length + parts.validation.length);
    gatherRowsInPlace(dataset.values, features, order);
  }
  let offset = 0;
  const take = (index: number[]): PreparedSplit => {
    const x = inPlace
      ? dataset.values.subarray(offset * features, (offset + index.length) * features)
      : allocate(Float32Array, index.length * features, options.memory);
    if (!inPlace)
      index.forEach((row, i) => x.set(dataset.values.subarray(row * features, (row + 1) * features), i * features));
    offset += index.length;
    const y = allocate(Uint8Array, index.length, options.memory);
    index.forEach((row, i) => (y[i] = normal[row] ? 0 : 1));
    return { x, rows: index.length, features, y, labels: index.map((row) => dataset.labels[row]), index };
  };
  const splits = { train: take(parts.train), validation: take(parts.validation), test: take(parts.test) };
  const all = [splits.train, splits.validation, splits.test];
  const trainRows = Int32Array.from({ length: splits.train.rows }, (_, i) => i);
  let filled =
    steps.missing === 'interpolate' ? all.reduce((n, s) => n + interpolateRows(s.x, s.rows, features), 0) : 0;
  const fillValues = columnMeans(splits.train.x, features, trainRows);
  filled += all.reduce((n, s) => n + imputeColumns(s.x, s.rows, features, fillValues), 0);
  if (steps.perSampleNormalize) for (const s of all) normalizeSamples(s.x, s.rows, features);
  const scaler = fitScaler(steps.scaler, splits.train.x, features, trainRows);
  for (const s of all) applyScaler(scaler, s.x, s.rows, features);
  return { splits, filled, fillValues, scaler };
}

/** What a split lacks that makes some metrics undefined, said before any training. */
function splitWarnings(parts: SplitRows, normal: Uint8Array, validationFraction: number): string[] {
  const warnings: string[] = [];
  if (!parts.test.some((row) => normal[row] === 0))
    warnings.push(`test split has no anomalous rows: ROC-AUC and recall are undefined`);
  if (!parts.test.some((row) => normal[row] === 1))
    warnings.push(`test split has no normal rows: false-positive rates are undefined`);
  if (parts.validation.length === 0 && validationFraction > 0)
    warnings.push(`validation split is empty (${parts.train.length} training rows x ${validationFraction})`);
  return warnings;
}

/**
 * Prepares an already loaded dataset (the work behind {@link prepareData}). The cells
 * filled are counted over the splits' rows (training anomalies left out are not filled).
 */
export function prepareDataset(dataset: Dataset, spec: DataSpec, options: PrepareOptions = {}): PreparedData {
  const r = resolvePreparationSpec(spec, dataset);
  const { features } = dataset;
  const labels = distinctLabels(dataset);
  checkNormalClass(dataset, spec);
  // 1 for a normal row; typed, so that it is freed young (see splits.ts)
  const normal = Uint8Array.from(dataset.labels, (label) => (isNormalLabel(label, r.normalClass) ? 1 : 0));
  if (labels.length < 2)
    throw new DataPreparationError(
      `'${dataset.name}' (${dataset.source.paths.join(', ')}) has one class only ('${labels[0]}'): ` +
        `nothing to detect or evaluate; an anomaly detector needs normal and anomalous rows`,
    );
  const parts: SplitRows = splitRows(dataset, {
    split: r.split,
    isNormal: (row) => normal[row] === 1,
    trainOn: r.trainOn,
    validationFraction: r.validationFraction,
    validationAnomalies: r.validationAnomalies,
    seed: r.validationSeed,
  });
  if (!parts.train.some((row) => normal[row] === 1))
    throw new DataPreparationError(
      `training split of '${dataset.name}' has no normal rows ` +
        `(normal class ${JSON.stringify(r.normalClass)}; ` +
        `training labels: ${[...new Set(parts.train.map((row) => dataset.labels[row]))].join(', ') || 'none'})`,
    );
  // Every trial would train and then fail scoring an empty split ("y is empty"): too few rows stop the study here.
  if (parts.test.length === 0)
    throw new DataPreparationError(
      `test split of '${dataset.name}' is empty (${dataset.rows} rows, split ${JSON.stringify(r.split)}): ` +
        'too few rows to evaluate a model; give more rows or a larger test share',
    );
  const warnings = splitWarnings(parts, normal, r.validationFraction);
  const { splits, filled, fillValues, scaler } = prepareSplits(dataset, parts, normal, r, options);

  const preparation: Preparation = {
    format: 'aelab-preparation/1',
    dataset: dataset.name,
    features,
    featureNames: dataset.featureNames,
    normalClass: r.normalClass,
    missing: r.missing,
    fillValues,
    perSampleNormalize: r.perSampleNormalize,
    scaler,
    split: r.split,
    trainOn: r.trainOn,
    validationFraction: r.validationFraction,
    seed: r.seed,
    options: r.options,
    droppedTrainingAnomalies: parts.droppedTrainingAnomalies,
  };
  const config = {
    dataset: dataset.name,
    options: r.options,
    normalClass: r.normalClass,
    split: r.split,
    scaler: r.scaler,
    perSampleNormalize: r.perSampleNormalize,
    trainOn: r.trainOn,
    validationFraction: r.validationFraction,
    seed: r.seed,
    missing: r.missing,
    ...(r.validationAnomalies === 'keep' ? { validationAnomalies: 'keep' } : {}),
    ...(r.resample && r.resample.draw > 0 ? { resample: r.resample } : {}),
  };
  return {
    name: dataset.name,
    features,
    ...splits,
    fingerprint: sha256Hex(dataset.source.sha256, stableStringify(config)),
    preparation,
    filledCells: filled,
    droppedTrainingAnomalies: parts.droppedTrainingAnomalies,
    series: dataset.series,
    warnings,
  };
}

/**
 * Loads (through the cache) and prepares a dataset: splits, missing values, scaling, all
 * fitted on the training rows only. Deterministic for a given spec and file.
 */
export async function prepareData(spec: DataSpec, options: LoadContext & PrepareOptions = {}): Promise<PreparedData> {
  const info = datasetInfo(spec.dataset);
  const consumed = options.consume && options.memory === 'shared';
  const dataset = await loadDataset(
    spec.dataset,
    { ...(info?.defaultOptions ?? {}), ...(spec.options ?? {}) },
    { ...options, fresh: consumed || options.fresh },
  );
  return prepareDataset(dataset, spec, options);
}

/**
 * Applies a saved preparation to new rows (same features, same order): missing values,
 * per-sample normalisation and the fitted scaler. Returns a new array; input untouched.
 */
export function applyPreparation(
  preparation: unknown,
  values: Float32Array,
  rows: number,
  features: number,
): Float32Array {
  const p = parsePreparation(preparation);
  if (features !== p.features)
    throw new RangeError(`preparation for '${p.dataset}' expects ${p.features} features, got ${features}`);
  if (values.length !== rows * features)
    throw new RangeError(`values has length ${values.length}, expected rows x features = ${rows * features}`);
  const x = values.slice();
  fillMissing(x, rows, features, p.missing, p.fillValues);
  if (p.perSampleNormalize) normalizeSamples(x, rows, features);
  applyScaler(p.scaler, x, rows, features);
  return x;
}

/** Undoes the scaler (for plotting reconstructions in data units). Returns a new array. */
export function invertScaling(preparation: unknown, x: Float32Array, rows: number, features: number): Float32Array {
  const p = parsePreparation(preparation);
  if (features !== p.features)
    throw new RangeError(`preparation for '${p.dataset}' expects ${p.features} features, got ${features}`);
  const out = x.slice();
  invertScaler(p.scaler, out, rows, features);
  return out;
}
