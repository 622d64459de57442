/**
 * PCA reconstruction error, a baseline detector: the normal training rows' principal axes
 * (ml-pca, by SVD of the centred rows), and each row's mean squared distance to its
 * projection on the first `components` axes.
 */
import { createRequire } from 'node:module';
import type { Matrix } from 'ml-matrix';
import type { PCA as PcaModel } from 'ml-pca';
import { z } from 'zod';
import type { DetectorFamily, DetectorRows, FittedDetector } from './family.js';
import { boundedCount } from './fields.js';

export const pcaSpecSchema = z
  .strictObject({
    kind: z.literal('pca').describe('PCA reconstruction error (a baseline detector, fitted, not trained).'),
    components: boundedCount(100_000).describe(
      'Principal components kept; the score is the mean squared error of the reconstruction from them.',
    ),
  })
  .describe(
    'Centres the normal training rows, keeps their first `components` principal axes, ' +
      'scores a row by its reconstruction error.',
  );

/**
 * ml-matrix and ml-pca, loaded on the first fit with `require` (both CommonJS): every training
 * thread imports the model families, and an ESM import would lex ml-matrix's 150 KB for its
 * export names in each (see tf.ts), for a detector most studies never fit.
 */
function mlPca(): { Matrix: typeof Matrix; PCA: typeof PcaModel } {
  const require = createRequire(import.meta.url);
  return { Matrix: require('ml-matrix').Matrix, PCA: require('ml-pca').PCA };
}

/** A PCA baseline spec. */
export type PcaSpec = z.output<typeof pcaSpecSchema>;

/** The rows as ml-matrix takes them. */
export function rowsMatrix({ x, rows, features }: DetectorRows): Matrix {
  const { Matrix } = mlPca();
  return new Matrix(Array.from({ length: rows }, (_, r) => Array.from(x.subarray(r * features, (r + 1) * features))));
}

/** Per-row mean squared difference of two matrices of the same shape, as float32 (what errors are stored as). */
function rowMeanSquares(a: Matrix, b: Matrix): Float32Array {
  const out = new Float32Array(a.rows);
  for (let r = 0; r < a.rows; r++) {
    let sum = 0;
    for (let c = 0; c < a.columns; c++) sum += (a.get(r, c) - b.get(r, c)) ** 2;
    out[r] = sum / a.columns;
  }
  return out;
}

function fit(spec: PcaSpec, train: DetectorRows): FittedDetector {
  if (spec.components > train.rows) {
    throw new Error(`components: ${spec.components} is more than the ${train.rows} training rows it is fitted on`);
  }
  const { Matrix, PCA } = mlPca();
  const pca = new PCA(rowsMatrix(train), { method: 'SVD', center: true, scale: false });
  const axes = pca.getEigenvectors().subMatrix(0, train.features - 1, 0, spec.components - 1);
  const means = Matrix.rowVector(pca.toJSON().means);
  const score = (rows: DetectorRows) => {
    const x = rowsMatrix(rows);
    const centred = x.clone().subRowVector(means.to1DArray());
    const reconstruction = centred.mmul(axes).mmul(axes.transpose()).addRowVector(means.to1DArray());
    return rowMeanSquares(x, reconstruction);
  };
  return {
    trainScores: score(train),
    score,
    toJSON: () => ({ kind: spec.kind, components: spec.components, means: means.to1DArray(), axes: axes.to2DArray() }),
  };
}

export const pcaFamily = {
  kind: 'pca',
  detector: true,
  schema: pcaSpecSchema,
  inputIssues: (spec, inputSize) =>
    spec.components > inputSize ? [`components: ${spec.components} is more than the ${inputSize} values of a row`] : [],
  // The axes and the means: what scoring keeps.
  size: (spec, inputSize) => ({
    parameters: (spec.components + 1) * inputSize,
    activationsPerRow: spec.components + inputSize,
  }),
  fit,
} satisfies DetectorFamily<PcaSpec>;
