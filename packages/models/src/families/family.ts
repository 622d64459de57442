/**
 * The model-family seam. A family is one kind of autoencoder (`dense`, `conv1d`, ...): the
 * strict schema of its spec, the checks that need the row size, and its builder. A
 * {@link DetectorFamily} (`pca`, `isolation-forest`, `knn`: the baselines) shares the schema,
 * checks and size, and is fitted instead of built and trained. Each family is one file;
 * `families/index.ts` is the one registry that lists them.
 *
 * Family files load without tfjs (the registry entry `@aelab/models/registry` is imported
 * by the sweep's main thread and by reporting): they import tfjs with `import type` only,
 * and tfjs itself, with our custom layers registered on it, arrives through the
 * {@link BuildKit} when a model is built.
 */
import type { tf } from '../tf.js';
import type { z } from 'zod';
import type { Json } from '@aelab/core';
import type { Cropping1D, SeededDropout, UpSampling1D } from '../builders/layers.js';
import type { ModelLossTerm } from '../losses.js';
import type { LayerSeeds } from '../random.js';
import type { Init } from './fields.js';

/** Initializers of one layer (undefined: tfjs' default, zeros for biases). */
export interface LayerInit {
  kernelInitializer: ReturnType<typeof tf.initializers.glorotUniform>;
  biasInitializer?: ReturnType<typeof tf.initializers.glorotUniform>;
}

/** What a family's builder needs from tfjs, made once on the tfjs side (`builders/kit.ts`). */
export interface BuildKit {
  /** The one tfjs instance our custom layers, kernels and gradient fixes are registered on. */
  readonly tf: typeof tf;
  /** Dropout with a fresh but reproducible mask per batch (tfjs' own uses Math.random). */
  readonly SeededDropout: typeof SeededDropout;
  /** Repeats each time step `size` times (tfjs has no upSampling1d). */
  readonly UpSampling1D: typeof UpSampling1D;
  /** Keeps the first `keep` time steps (tfjs has no cropping1D). */
  readonly Cropping1D: typeof Cropping1D;
  /** Seeded Glorot-uniform, the Keras default kernel initializer; takes one seed from `seeds`. */
  glorot(seeds: LayerSeeds): ReturnType<typeof tf.initializers.glorotUniform>;
  /**
   * Kernel and bias initializers of a dense or convolution layer with `fanIn` inputs per
   * output under `init`: glorot takes one seed (zero biases, as Keras), pytorch takes two.
   */
  weightInit(seeds: LayerSeeds, init: Init | undefined, fanIn: number): LayerInit;
  /** An L2 kernel regularizer, or undefined for 0 (keeps the graph and the saved JSON small). */
  l2(penalty: number): ReturnType<typeof tf.regularizers.l2> | undefined;
}

/** How big a model is, computed from its spec without building it. */
export interface ModelSize {
  /** Trainable parameters (what the built model's `countParams()` says). */
  parameters: number;
  /** Values one input row produces across the layers' outputs in a forward pass. */
  activationsPerRow: number;
}

/**
 * One kind of autoencoder.
 *
 * Contract:
 * - `schema` accepts exactly the specs `build` can handle for some row size; everything that
 *   depends on the row size is left to `inputIssues`.
 * - `inputIssues`, `size` and `build` are only called with specs that passed `schema`, and
 *   `size` and `build` only when `inputIssues` returned [] for that `inputSize`.
 * - `size(spec, n).parameters` equals the built model's parameter count.
 * - `build` is pure: the same spec, input size and seed give the same layers and the same
 *   initial weights (all randomness is seeded from `seed`); the model's output has the
 *   shape of its input.
 */
export interface ModelFamily<S extends { kind: string }> {
  readonly kind: S['kind'];
  /**
   * Strict zod schema of the spec (kind included, unknown fields are errors, every field has .describe()). The
   * experiment file schema embeds it, so editors complete model fields.
   */
  readonly schema: z.ZodType<S>;
  /**
   * Problems that depend on the row size (e.g. `encoder[3]: bottleneck 200 is larger than input 140`), each naming its
   * field; [] when buildable.
   */
  inputIssues(spec: S, inputSize: number): string[];
  /** The model's size, for refusing before training what would not fit in memory; needs no tfjs. */
  size(spec: S, inputSize: number): ModelSize;
  /** Builds the uncompiled autoencoder; tfjs comes in through `kit` so this file loads without tfjs. */
  build(kit: BuildKit, spec: S, inputSize: number, seed: number): tf.LayersModel;
  /**
   * Present when the population trainer (`population/`) can train several models of this
   * family as one batched graph: their built models are chains of dense layers, each
   * optionally followed by a seeded dropout. Returns what the members of one population
   * must share: the spec without the fields each member may set for itself (dropout
   * rates, L2 penalties). Needs no tfjs (the sweep's coordinator groups trainings by it).
   */
  populationArchitecture?(spec: S): Json;
  /**
   * Present when the family adds terms of its own to its models' training loss (a
   * variational autoencoder's KL term, an activity penalty), beside the reconstruction
   * loss and the layers' weight penalties (see `LossTerm` in `losses.ts`). Called once per
   * training with the model `build` returned; tfjs comes in through `kit`.
   *
   * Contract: each term's `value` is a scalar computed from the model's own variables (the
   * tape differentiates it) and draws no randomness of its own. The terms are added, in
   * order, after the penalties to the total loss (what Adam minimizes, the epoch's loss,
   * early stopping's validation loss); the reconstruction loss (pruners, scoring) is left
   * as it is. Only steps that train such terms (the layers and lean recurrent steps) train
   * the model, and the family has no `populationArchitecture`. Return [] for none.
   */
  lossTerms?(kit: BuildKit, spec: S, model: tf.LayersModel): ModelLossTerm[];
}

/** Rows of one split as a worker holds them: `rows` x `features` values, row-major. */
export interface DetectorRows {
  x: Float32Array;
  rows: number;
  features: number;
}

/** A fitted baseline detector: larger scores are more anomalous (as reconstruction errors are). */
export interface FittedDetector {
  /**
   * The training rows' own scores. Not always `score(train)`: a kNN detector leaves each
   * training row out of its own neighbours (else every k = 1 score would be 0).
   */
  readonly trainScores: Float32Array;
  /** Per-row anomaly scores of rows it was not fitted on. */
  score(rows: DetectorRows): Float32Array;
  /** The fitted state, JSON, saved as the trial's model (what scoring other rows would need). */
  toJSON(): Json;
}

/**
 * One kind of baseline detector: fitted once on the normal training rows (no epochs, no
 * loss curve, nothing to prune or stop early), then scored like an autoencoder's errors.
 *
 * Contract: as {@link ModelFamily} for `schema`, `inputIssues` and `size`; `fit` is pure
 * (the same spec, rows and seed give the same scores) and needs no tfjs.
 * @throws from `fit` an Error naming the field when the rows do not allow the spec (e.g.
 * more PCA components than training rows).
 */
export interface DetectorFamily<S extends { kind: string }> {
  readonly kind: S['kind'];
  /** Marks the family as a fitted detector (a baseline beside the autoencoders). */
  readonly detector: true;
  readonly schema: z.ZodType<S>;
  inputIssues(spec: S, inputSize: number): string[];
  size(spec: S, inputSize: number): ModelSize;
  fit(spec: S, train: DetectorRows, seed: number): FittedDetector;
}
