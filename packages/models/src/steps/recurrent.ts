/**
 * The lean step of a recurrent autoencoder (the lstm and rnn families): the layers step's
 * tape and Adam over a forward pass that runs each recurrent layer as one fused op
 * (`recurrent-forward.ts`: one kernel forward and one backward over the whole sequence on
 * wasm, instead of ~20 kernels per time step each way).
 */
import type * as tf from '@tensorflow/tfjs';
import { fusedRecurrentAvailable } from '../recurrent-op.js';
import { recurrentForward, recurrentForwardIssues } from '../recurrent-forward.js';
import { LayersStep } from './layers.js';

/** Whether the lean recurrent step can train `model` here: the fused kernels exist and it is a recurrent seq2seq chain. */
export function leanRecurrentAvailable(model: tf.LayersModel): boolean {
  return fusedRecurrentAvailable() && recurrentForwardIssues(model).length === 0;
}

/**
 * A {@link LayersStep} whose forward pass is {@link recurrentForward}. It counts its own
 * training calls (the dropout masks of its n-th step are those the model's dropout layers
 * draw on their n-th call), so a session must train through it alone.
 */
export function recurrentStep(model: tf.LayersModel, spec: { kind: string }, loss: 'mse' | 'mae', learningRate: number): LayersStep {
  let calls = 0;
  const forward = (x: tf.Tensor, training: boolean) => recurrentForward(model, spec, x, training, training ? ++calls : 0);
  return new LayersStep(model, loss, learningRate, forward, 'lean-recurrent');
}
