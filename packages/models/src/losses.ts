/**
 * The terms of a training's loss, the reconstruction loss, and the in-order sum every
 * backend adds the same way.
 */
import { tf } from './tf.js';
import type { TrainingSettings } from '@aelab/core';

/** The reconstruction loss a training minimizes: mean squared or mean absolute error. */
export type ReconstructionLoss = TrainingSettings['loss'];

/**
 * A term a model family adds to its models' training loss (a variational autoencoder's KL
 * term, an activity penalty), through its `lossTerms` hook (see `ModelFamily`).
 */
export interface ModelLossTerm {
  /** Names the term (`kl`, `activity`) in messages. */
  readonly name: string;
  /**
   * The term's value for the batch `x` (dropout on when `training`): a scalar computed
   * from the model's own variables, so the tape differentiates it.
   */
  value(x: tf.Tensor, training: boolean): tf.Scalar;
}

/**
 * The terms of a training's loss, in the order they are added (see {@link addInOrder}):
 * - `reconstruction`: the error between a batch and its output, first; what pruners,
 *   early stopping's reconstruction loss and scoring read;
 * - `penalties`: the weight penalties the model's layers add (Keras' kernel
 *   regularizers); an optimizer may fold their gradients into its update instead
 *   (`StepOptimizer.foldsL2`), so they may be left out of what the tape differentiates;
 * - `model`: a family's own term, always differentiated and added to the total.
 */
export type LossTerm =
  { kind: 'reconstruction'; loss: ReconstructionLoss } | { kind: 'penalties' } | { kind: 'model'; term: ModelLossTerm };

/** A training's loss terms: the reconstruction loss, the model's penalties, then the family's own terms. */
export function lossTerms(loss: ReconstructionLoss, modelTerms: readonly ModelLossTerm[] = []): LossTerm[] {
  return [
    { kind: 'reconstruction', loss },
    { kind: 'penalties' },
    ...modelTerms.map((term) => ({ kind: 'model' as const, term })),
  ];
}

/**
 * The reconstruction loss: the mean over all values, or over `axes` only (the population
 * trainer reduces each member's rows and features, axes [1, 2], to one loss per member).
 */
export function reconstructionLoss<T extends tf.Tensor = tf.Scalar>(
  kind: ReconstructionLoss,
  target: tf.Tensor,
  output: tf.Tensor,
  axes?: number[],
): T {
  // Plain means: tf.losses.* add weight/reduction bookkeeping kernels to every step.
  return (
    kind === 'mse' ? tf.mean(tf.squaredDifference(target, output), axes) : tf.mean(tf.abs(tf.sub(target, output)), axes)
  ) as T;
}

/** Inputs per AddN: tfjs-backend-webgpu 4.22's AddN returns a wrong sum (silently) for 8 or more (measured on Dawn). */
const ADD_N_INPUTS = 7;

/**
 * `tf.addN(terms)`, in groups small enough for every backend. cpu and wasm add AddN's inputs
 * in order, so the groups (the running sum first in each) give the same bits as one AddN.
 */
export function addInOrder<T extends tf.Tensor>(terms: readonly T[]): T {
  let sum = terms.length === 1 ? terms[0] : tf.addN(terms.slice(0, ADD_N_INPUTS));
  for (let i = ADD_N_INPUTS; i < terms.length; i += ADD_N_INPUTS - 1)
    sum = tf.addN([sum, ...terms.slice(i, i + ADD_N_INPUTS - 1)]);
  return sum as T;
}
