/**
 * The step every model can take: the forward pass through the layers model (or a family's
 * own differentiable forward over the same weights), gradients from tfjs' tape, and Adam.
 */
import * as tf from '@tensorflow/tfjs';
import { createAdam, kernelL2Penalties, type StepOptimizer } from '../adam.js';
import { addInOrder, reconstructionLoss } from '../losses.js';
import type { StepLosses, TrainingStep } from './step.js';

/** A differentiable forward pass over the model's variables: its output for `x`, dropout on when `training`. */
export type Forward = (x: tf.Tensor, training: boolean) => tf.Tensor;

export class LayersStep implements TrainingStep {
  private readonly optimizer: StepOptimizer;
  private readonly forward: Forward;

  constructor(
    private readonly model: tf.LayersModel,
    private readonly loss: 'mse' | 'mae',
    learningRate: number,
    /** A family's own forward pass over the model's variables (default: the layers model's). */
    forward?: Forward,
    readonly name = 'layers',
  ) {
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    this.optimizer = createAdam(variables, learningRate, { l2: kernelL2Penalties(model) });
    this.forward = forward ?? ((x, training) => model.apply(x, { training }) as tf.Tensor);
  }

  step(x: tf.Tensor): tf.Scalar {
    return this.optimizer.minimize(() => this.losses(x, true, !this.optimizer.foldsL2).total);
  }

  evaluate(x: tf.Tensor): StepLosses {
    return tf.tidy(() => this.losses(x, false, true) as unknown as tf.TensorContainer) as unknown as StepLosses;
  }

  /** The reconstruction loss of `x` and the total with the model's L2 penalties added (where `withPenalties`). */
  private losses(x: tf.Tensor, training: boolean, withPenalties: boolean): StepLosses {
    const output = this.forward(x, training);
    const penalties = withPenalties ? this.model.calculateLosses() : [];
    const reconstruction = reconstructionLoss(this.loss, x, output);
    return { reconstruction, total: penalties.length === 0 ? reconstruction : addInOrder([reconstruction, ...penalties]) };
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
