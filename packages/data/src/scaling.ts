/**
 * Missing-value filling, per-sample normalisation and feature scalers. Every fitted
 * parameter is a plain number array so a {@link Preparation} survives JSON and can be
 * applied to new data after a model is saved.
 */

export type ScalerKind = 'standard' | 'minmax' | 'minmax-global' | 'none';

/** Fitted scaler parameters; `x' = (x - offset) / scale` per feature (or globally). */
export type ScalerParams =
  | { kind: 'standard'; mean: number[]; std: number[] }
  | { kind: 'minmax'; min: number[]; range: number[] }
  | { kind: 'minmax-global'; min: number; range: number }
  | { kind: 'none' };

/**
 * Missing-value policy: `interpolate` fills NaN runs linearly along each row (rows are
 * series: beats, windows) and then imputes what is left (leading/trailing runs, all-NaN
 * rows) with training column means; `impute` uses the column means only (tabular data).
 */
export type MissingPolicy = 'interpolate' | 'impute';

/**
 * Linear interpolation of NaN runs inside each row, in place. Runs touching either end
 * of a row are left NaN for imputation. Returns the number of cells filled.
 */
export function interpolateRows(values: Float32Array, rows: number, features: number): number {
  let filled = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * features;
    let lastKnown = -1;
    for (let j = 0; j < features; j++) {
      if (Number.isNaN(values[base + j])) continue;
      if (lastKnown >= 0 && j - lastKnown > 1) {
        const a = values[base + lastKnown];
        const b = values[base + j];
        for (let k = lastKnown + 1; k < j; k++) values[base + k] = a + ((b - a) * (k - lastKnown)) / (j - lastKnown);
        filled += j - lastKnown - 1;
      }
      lastKnown = j;
    }
  }
  return filled;
}

/** Per-feature mean over the given rows, ignoring NaN; 0 where a column has no value. */
export function columnMeans(
  values: Float32Array,
  features: number,
  rowIndex: Iterable<number> & ArrayLike<number>,
): number[] {
  const sums = new Float64Array(features);
  const counts = new Float64Array(features);
  for (const r of rowIndex) {
    const base = r * features;
    for (let j = 0; j < features; j++) {
      const v = values[base + j];
      if (!Number.isNaN(v)) {
        sums[j] += v;
        counts[j]++;
      }
    }
  }
  return Array.from(sums, (s, j) => (counts[j] > 0 ? s / counts[j] : 0));
}

/** Replaces remaining NaN with `fill[feature]`, in place; returns the number filled. */
export function imputeColumns(values: Float32Array, rows: number, features: number, fill: readonly number[]): number {
  let filled = 0;
  for (let i = 0; i < rows * features; i++)
    if (Number.isNaN(values[i])) {
      values[i] = fill[i % features];
      filled++;
    }
  return filled;
}

/** z-normalises every row on its own (mean 0, sd 1; constant rows become 0), in place. */
export function normalizeSamples(values: Float32Array, rows: number, features: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * features;
    let sum = 0;
    for (let j = 0; j < features; j++) sum += values[base + j];
    const mean = sum / features;
    let squares = 0;
    for (let j = 0; j < features; j++) squares += (values[base + j] - mean) ** 2;
    const sd = Math.sqrt(squares / features);
    for (let j = 0; j < features; j++) values[base + j] = sd > 0 ? (values[base + j] - mean) / sd : 0;
  }
}

/**
 * Fits a scaler on the given rows only (the training rows: never validation or test).
 * Constant features get scale 1 so they map to 0 instead of dividing by zero.
 */
export function fitScaler(
  kind: ScalerKind,
  values: Float32Array,
  features: number,
  rowIndex: Iterable<number> & ArrayLike<number>,
): ScalerParams {
  if (kind === 'none') return { kind };
  if (rowIndex.length === 0) throw new RangeError(`cannot fit a '${kind}' scaler on zero training rows`);
  if (kind === 'minmax-global') {
    let min = Infinity;
    let max = -Infinity;
    for (const r of rowIndex)
      for (let j = 0; j < features; j++) {
        const v = values[r * features + j];
        if (v < min) min = v;
        if (v > max) max = v;
      }
    return { kind, min, range: max > min ? max - min : 1 };
  }
  if (kind === 'minmax') {
    const min = new Array<number>(features).fill(Infinity);
    const max = new Array<number>(features).fill(-Infinity);
    for (const r of rowIndex)
      for (let j = 0; j < features; j++) {
        const v = values[r * features + j];
        if (v < min[j]) min[j] = v;
        if (v > max[j]) max[j] = v;
      }
    return { kind, min, range: min.map((lo, j) => (max[j] > lo ? max[j] - lo : 1)) };
  }
  if (kind === 'standard') {
    const mean = columnMeans(values, features, rowIndex);
    const squares = new Float64Array(features);
    for (const r of rowIndex)
      for (let j = 0; j < features; j++) squares[j] += (values[r * features + j] - mean[j]) ** 2;
    // population sd, as scikit-learn's StandardScaler
    const std = Array.from(squares, (s) => Math.sqrt(s / rowIndex.length) || 1);
    return { kind, mean, std };
  }
  throw new RangeError(`unknown scaler '${String(kind)}'; expected standard, minmax, minmax-global or none`);
}

function offsetsAndScales(params: ScalerParams): [offset: (j: number) => number, scale: (j: number) => number] {
  switch (params.kind) {
    case 'standard':
      return [(j) => params.mean[j], (j) => params.std[j]];
    case 'minmax':
      return [(j) => params.min[j], (j) => params.range[j]];
    case 'minmax-global':
      return [() => params.min, () => params.range];
    case 'none':
      return [() => 0, () => 1];
  }
}

/** Rewrites each cell of column j as `map(cell, offset_j, scale_j)`, in place; `none` leaves the values alone. */
function mapScaledColumns(
  params: ScalerParams,
  values: Float32Array,
  rows: number,
  features: number,
  map: (value: number, offset: number, scale: number) => number,
): void {
  if (params.kind === 'none') return;
  const [offset, scale] = offsetsAndScales(params);
  for (let j = 0; j < features; j++) {
    const o = offset(j);
    const s = scale(j);
    for (let r = 0; r < rows; r++) values[r * features + j] = map(values[r * features + j], o, s);
  }
}

/** Applies a fitted scaler in place. */
export function applyScaler(params: ScalerParams, values: Float32Array, rows: number, features: number): void {
  mapScaledColumns(params, values, rows, features, (value, o, s) => (value - o) / s);
}

/** Undoes a fitted scaler in place (per-sample normalisation is not undone: it kept no row statistics). */
export function invertScaler(params: ScalerParams, values: Float32Array, rows: number, features: number): void {
  mapScaledColumns(params, values, rows, features, (value, o, s) => value * s + o);
}
