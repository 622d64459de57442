/**
 * The training-step seam: how one model takes an optimizer step and how its losses are
 * measured. `trainAutoencoder` owns the loop (shuffling, batches, epochs, early stopping,
 * pruning); a step owns the forward and backward pass and the optimizer. Each step is one
 * file exporting a {@link StepDefinition}; {@link STEPS} in `steps/index.ts` is the one list
 * of them, which picks a step for a model and registers the kernels steps need.
 */
import type { tf } from '../tf.js';
import type { PreparedSplit } from '@aelab/data';
import type { ModelSpec } from '../families/index.js';
import type { ModelLossTerm, ReconstructionLoss } from '../losses.js';

/**
 * The losses of a batch or split as Keras reports them: with the model's L2 penalties, and without (the reconstruction
 * error pruners read).
 */
export interface StepLosses {
  total: tf.Scalar;
  reconstruction: tf.Scalar;
}

/**
 * One model's training step.
 *
 * Contract:
 * - It trains the model's own weight variables in place, so the layers model it was made
 *   for is the trained model (what is saved, scored and restored); it never disposes them.
 * - `step(x)` takes one Adam step on the batch `x` (an autoencoder: the targets are the
 *   inputs) with dropout on, and returns the batch's total loss at the weights it saw (the
 *   caller disposes it). It never reads a value back to the host, and the dropout masks of
 *   its n-th call are those the model's `SeededDropout` layers draw on their n-th training
 *   call, so every step gives the losses of the layers model's own training to float
 *   rounding, and the same bits for the same seed, data and backend.
 * - `evaluate(x)` measures the losses of `x` without dropout (the caller disposes them).
 * - `evaluateRows(rows, inputShape)`, where a step has it, gives the same losses, to the
 *   bit, as `evaluate` of all `rows` in one tensor (read back as float32), uploading a few
 *   thousand rows at a time: a backend then never holds a whole split (wasm's heap never
 *   shrinks).
 * - `dispose()` frees what the step holds (optimizer moments), never the model.
 */
export interface TrainingStep {
  /** Which step this is (`layers`, `lean-dense`, ...), for benchmarks and tests. */
  readonly name: string;
  step(x: tf.Tensor): tf.Scalar;
  evaluate(x: tf.Tensor): StepLosses;
  evaluateRows?(
    rows: Pick<PreparedSplit, 'x' | 'rows' | 'features'>,
    inputShape: number[],
  ): { total: number; reconstruction: number };
  /**
   * Where a step has it: `step` of the batch of `split`'s rows `order[start]` .. `order[start + rows - 1]`, the rows
   * copied by the step itself into memory of its own (no tensor, no upload), its loss returned as a float32 number:
   * the same bits as `step` of that batch read back, with the same dropout call count. `trainAutoencoder` then calls
   * it instead of `step` and weights the epoch's losses on the host as wasm's kernels do (`weightedEpochLoss`): only
   * a step on the wasm backend has it.
   */
  readonly stepRows?: (
    split: Pick<PreparedSplit, 'x' | 'features'>,
    order: Int32Array,
    start: number,
    rows: number,
  ) => number;
  dispose(): void;
}

/**
 * How a step is chosen: `lean` (default) where the model's family has one on this backend, else the layers step;
 * `layers` always the layers step.
 */
export type StepKind = 'lean' | 'layers';

/** What a step is made from: the built model, its spec, and the training's loss and learning rate. */
export interface StepOptions {
  model: tf.LayersModel;
  spec: ModelSpec;
  loss: ReconstructionLoss;
  learningRate: number;
  kind?: StepKind;
  /** The family's own loss terms for this model (its `lossTerms` hook), added to the total after the penalties. */
  terms?: readonly ModelLossTerm[];
}

/**
 * One training step in the {@link STEPS} registry.
 *
 * Contract:
 * - `appliesTo(spec, backend)` needs no built model: whether the step may train models of
 *   `spec`'s kind on the tfjs backend named `backend` (the kernels it needs are there).
 * - `create` is only called where `appliesTo` holds; it returns null when the built model
 *   is not one the step can train (a layer it does not know), and the next step is tried.
 * - `modelTerms`: whether it trains a family's own loss terms ({@link StepOptions.terms});
 *   a step without them is skipped for a model that has any.
 * - `kernels[backend]`, where present, registers what the step needs on that backend
 *   (idempotent, also where another step registered the same kernel); it runs when that
 *   backend activates, before the first step is created.
 */
export interface StepDefinition {
  /** The name of the steps it creates (`lean-dense`, `layers`, ...). */
  readonly name: string;
  readonly modelTerms: boolean;
  appliesTo(spec: ModelSpec, backend: string): boolean;
  create(options: StepOptions): TrainingStep | null;
  readonly kernels: Readonly<Record<string, () => void>>;
}
