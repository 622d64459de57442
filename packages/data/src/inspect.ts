import type { Dataset } from './dataset.js';
import { loadDataset, type LoadContext } from './load.js';
import { checkNormalClass, isNormalLabel, resolvePreparationSpec, type DataSpec } from './prepare.js';
import { datasetInfo } from './registry.js';
import { splitRows } from './splits.js';

/** describe()-style statistics of one feature (NaN cells excluded). */
export interface FeatureSummary {
  name: string;
  count: number;
  missing: number;
  mean: number;
  std: number;
  min: number;
  p25: number;
  p50: number;
  p75: number;
  max: number;
}

/** What `aelab data inspect` prints: a plain, JSON-serialisable object. */
export interface DatasetInspection {
  name: string;
  description?: string;
  source: Dataset['source'];
  rows: number;
  features: number;
  normalClass: string[];
  classes: Record<string, number>;
  /** Per split of the default (or given) protocol: rows and class counts, before scaling. */
  splits:
    Record<'train' | 'validation' | 'test', { rows: number; classes: Record<string, number> }> | { error: string };
  droppedTrainingAnomalies?: number;
  missingCells: number;
  /** Over all features: range of means, sds, overall min and max. */
  summary: {
    meanOfMeans: number;
    minMean: number;
    maxMean: number;
    minStd: number;
    maxStd: number;
    min: number;
    max: number;
  };
  /** One entry per feature (first `maxFeatures`, default all). */
  perFeature: FeatureSummary[];
  notes: string[];
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function countClasses(labels: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const label of [...labels].sort()) counts[label] = (counts[label] ?? 0) + 1;
  return counts;
}

// Math.min(...values) in a loop: spreading one argument per feature overflows the stack
// for wide files (200,000 columns). Same results, NaN propagating as in Math.min.
function smallest(values: readonly number[]): number {
  let out = Infinity;
  for (const v of values) out = Math.min(out, v);
  return out;
}

function largest(values: readonly number[]): number {
  let out = -Infinity;
  for (const v of values) out = Math.max(out, v);
  return out;
}

/** Per-feature statistics like pandas' describe() (linear-interpolated quartiles). */
export function describeFeatures(dataset: Dataset, maxFeatures = dataset.features): FeatureSummary[] {
  const { rows, features, values } = dataset;
  const out: FeatureSummary[] = [];
  const column = new Float64Array(rows);
  for (let j = 0; j < Math.min(features, maxFeatures); j++) {
    let n = 0;
    for (let r = 0; r < rows; r++) {
      const v = values[r * features + j];
      if (!Number.isNaN(v)) column[n++] = v;
    }
    const sorted = column.slice(0, n).sort();
    let mean = 0;
    for (const v of sorted) mean += v / n;
    let squares = 0;
    for (const v of sorted) squares += (v - mean) ** 2;
    out.push({
      name: dataset.featureNames[j],
      count: n,
      missing: rows - n,
      mean,
      // sample sd (ddof 1), as pandas' describe()
      std: n > 1 ? Math.sqrt(squares / (n - 1)) : NaN,
      min: sorted[0] ?? NaN,
      p25: quantile(sorted, 0.25),
      p50: quantile(sorted, 0.5),
      p75: quantile(sorted, 0.75),
      max: sorted[n - 1] ?? NaN,
    });
  }
  return out;
}

/**
 * Loads a dataset and summarises it the way the seed notebooks did first: shape, class
 * distribution overall and per split of the protocol, missing cells, per-feature stats.
 */
export async function inspectDataset(
  spec: DataSpec | string,
  options: LoadContext & { maxFeatures?: number } = {},
): Promise<DatasetInspection> {
  const dataSpec: DataSpec = typeof spec === 'string' ? { dataset: spec } : spec;
  const info = datasetInfo(dataSpec.dataset);
  const dataset = await loadDataset(
    dataSpec.dataset,
    { ...(info?.defaultOptions ?? {}), ...(dataSpec.options ?? {}) },
    options,
  );
  const all = describeFeatures(dataset);
  const missingCells = all.reduce((n, f) => n + f.missing, 0);
  let splits: DatasetInspection['splits'];
  let normalClass: string[] = [];
  let dropped: number | undefined;
  try {
    const r = resolvePreparationSpec(dataSpec, dataset);
    normalClass = r.normalClass;
    checkNormalClass(dataset, dataSpec);
    const parts = splitRows(dataset, {
      split: r.split,
      isNormal: (row) => isNormalLabel(dataset.labels[row], r.normalClass),
      trainOn: r.trainOn,
      validationFraction: r.validationFraction,
      validationAnomalies: r.validationAnomalies,
      seed: r.validationSeed,
    });
    const describe = (index: number[]) => ({
      rows: index.length,
      classes: countClasses(index.map((row) => dataset.labels[row])),
    });
    splits = { train: describe(parts.train), validation: describe(parts.validation), test: describe(parts.test) };
    dropped = parts.droppedTrainingAnomalies;
  } catch (error) {
    splits = { error: (error as Error).message };
  }
  const means = all.map((f) => f.mean);
  const stds = all.map((f) => f.std);
  return {
    name: dataset.name,
    description: info?.description,
    source: dataset.source,
    rows: dataset.rows,
    features: dataset.features,
    normalClass,
    classes: countClasses(dataset.labels),
    splits,
    droppedTrainingAnomalies: dropped,
    missingCells,
    summary: {
      meanOfMeans: means.reduce((a, b) => a + b, 0) / means.length,
      minMean: smallest(means),
      maxMean: largest(means),
      minStd: smallest(stds),
      maxStd: largest(stds),
      min: smallest(all.map((f) => f.min)),
      max: largest(all.map((f) => f.max)),
    },
    perFeature: all.slice(0, options.maxFeatures ?? all.length),
    notes: [...(dataset.notes ?? []), ...(info?.notes ?? [])],
  };
}
