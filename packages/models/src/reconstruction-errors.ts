/**
 * Scoring: reconstruction of rows and their errors. Rows go through the model in chunks
 * (one host read per chunk), every intermediate tensor is freed.
 */
import { tf } from './tf.js';
import type { PreparedSplit } from '@aelab/data';
import { modelInputShape } from './builders/index.js';
import { splitTensor } from './train.js';
import type { WasmHeapBackend } from './wasm/heap.js';

/** Rows to score: the `x`, `rows`, `features` of a {@link PreparedSplit}. */
export type ScoringRows = Pick<PreparedSplit, 'x' | 'rows' | 'features'>;

export interface ScoringOptions {
  /** Rows per forward pass (default 4,096: big batches amortise per-op overhead). */
  batchSize?: number;
}

/** Per-row reconstruction errors, aligned with the input rows. */
export interface ReconstructionErrors {
  /** Mean squared error of each row over its features. */
  mse: Float32Array;
  /** Mean absolute error of each row over its features. */
  mae: Float32Array;
}

const DEFAULT_SCORING_BATCH = 4096;

function chunks(rows: number, batchSize = DEFAULT_SCORING_BATCH): [number, number][] {
  if (!Number.isInteger(batchSize) || batchSize <= 0)
    throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  const out: [number, number][] = [];
  for (let start = 0; start < rows; start += batchSize) out.push([start, Math.min(rows, start + batchSize)]);
  return out;
}

/**
 * Calls `each` with the [n, features] input and reconstruction of each chunk, inside a
 * tidy, and `collect` with its outputs' values: views that are valid only during the call.
 */
async function forEachChunk(
  model: tf.LayersModel,
  rows: ScoringRows,
  options: ScoringOptions,
  each: (x: tf.Tensor2D, y: tf.Tensor2D) => tf.Tensor[],
  collect: (start: number, values: Float32Array[]) => void,
): Promise<void> {
  const inputShape = modelInputShape(model);
  for (const [start, end] of chunks(rows.rows, options.batchSize)) {
    const n = end - start;
    const chunk = { x: rows.x.subarray(start * rows.features, end * rows.features), rows: n, features: rows.features };
    const outputs = tf.tidy(() => {
      const x = splitTensor(chunk, inputShape);
      const y = (model.predict(x, { batchSize: n }) as tf.Tensor).reshape([n, rows.features]) as tf.Tensor2D;
      return each(x.reshape([n, rows.features]) as tf.Tensor2D, y);
    });
    try {
      // On wasm, read in place (views of its memory, copied out at once by `collect`): a new
      // array per chunk and output added up to every row's errors in garbage, which a worker
      // busy scoring frees late, and its allocator keeps.
      const heap = tf.getBackend() === 'wasm' ? (tf.backend() as unknown as WasmHeapBackend) : null;
      const values = heap
        ? outputs.map((t) => heap.typedArrayFromHeap(t))
        : ((await Promise.all(outputs.map((t) => t.data()))) as Float32Array[]);
      collect(start, values);
    } finally {
      outputs.forEach((t) => t.dispose());
    }
  }
}

/** Per-row MSE and MAE between each row and its reconstruction. */
export async function reconstructionErrors(
  model: tf.LayersModel,
  rows: ScoringRows,
  options: ScoringOptions = {},
): Promise<ReconstructionErrors> {
  const mse = new Float32Array(rows.rows);
  const mae = new Float32Array(rows.rows);
  await forEachChunk(
    model,
    rows,
    options,
    (x, y) => {
      const diff = tf.sub(x, y);
      return [tf.mean(tf.square(diff), 1), tf.mean(tf.abs(diff), 1)];
    },
    (start, [m, a]) => {
      mse.set(m, start);
      mae.set(a, start);
    },
  );
  return { mse, mae };
}

/** Per-row, per-step errors (row-major, rows x features), for plotting where a row deviates. */
export async function perStepErrors(
  model: tf.LayersModel,
  rows: ScoringRows,
  options: ScoringOptions & { metric?: 'squared' | 'absolute' } = {},
): Promise<Float32Array> {
  return perValue(model, rows, options, (x, y) =>
    options.metric === 'absolute' ? tf.abs(tf.sub(x, y)) : tf.squaredDifference(x, y),
  );
}

/** The model's reconstruction of each row (row-major, rows x features). */
export async function reconstruct(
  model: tf.LayersModel,
  rows: ScoringRows,
  options: ScoringOptions = {},
): Promise<Float32Array> {
  return perValue(model, rows, options, (_x, y) => y);
}

/** One value per row and feature (row-major), `value` of each chunk's input and reconstruction. */
async function perValue(
  model: tf.LayersModel,
  rows: ScoringRows,
  options: ScoringOptions,
  value: (x: tf.Tensor2D, y: tf.Tensor2D) => tf.Tensor,
): Promise<Float32Array> {
  const out = new Float32Array(rows.rows * rows.features);
  const collect = (start: number, [v]: Float32Array[]) => out.set(v, start * rows.features);
  await forEachChunk(model, rows, options, (x, y) => [value(x, y)], collect);
  return out;
}
