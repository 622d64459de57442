/** The reconstruction loss, and the in-order sum every backend adds the same way. */
import * as tf from '@tensorflow/tfjs';

/**
 * The reconstruction loss: the mean over all values, or over `axes` only (the population
 * trainer reduces each member's rows and features, axes [1, 2], to one loss per member).
 */
export function reconstructionLoss<T extends tf.Tensor = tf.Scalar>(kind: 'mse' | 'mae', target: tf.Tensor, output: tf.Tensor, axes?: number[]): T {
  // Plain means: tf.losses.* add weight/reduction bookkeeping kernels to every step.
  return (kind === 'mse' ? tf.mean(tf.squaredDifference(target, output), axes) : tf.mean(tf.abs(tf.sub(target, output)), axes)) as T;
}

/** Inputs per AddN: tfjs-backend-webgpu 4.22's AddN returns a wrong sum (silently) for 8 or more (measured on Dawn). */
const ADD_N_INPUTS = 7;

/**
 * `tf.addN(terms)`, in groups small enough for every backend. cpu and wasm add AddN's inputs
 * in order, so the groups (the running sum first in each) give the same bits as one AddN.
 */
export function addInOrder<T extends tf.Tensor>(terms: readonly T[]): T {
  let sum = terms.length === 1 ? terms[0] : tf.addN(terms.slice(0, ADD_N_INPUTS));
  for (let i = ADD_N_INPUTS; i < terms.length; i += ADD_N_INPUTS - 1) sum = tf.addN([sum, ...terms.slice(i, i + ADD_N_INPUTS - 1)]);
  return sum as T;
}

