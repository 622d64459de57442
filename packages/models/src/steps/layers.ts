/**
 * The step every model can take: the forward pass through the layers model (or a family's
 * own differentiable forward over the same weights), gradients from tfjs' tape, and Adam.
 */
import { tf } from '../tf.js';
import { createAdam, kernelL2Penalties, type StepOptimizer } from '../adam.js';
import { registerWasmAdamKernel } from '../wasm/adam-kernel.js';
import {
  registerWasmFastSlicing,
  registerWasmGradientKernels,
  registerWasmMatMulTransposeFirst,
} from '../wasm/layers-kernels.js';
import { addInOrder, lossTerms, reconstructionLoss, type LossTerm, type ModelLossTerm } from '../losses.js';
import type { ReconstructionLoss } from '../losses.js';
import type { StepDefinition, StepLosses, TrainingStep } from './step.js';

/** A differentiable forward pass over the model's variables: its output for `x`, dropout on when `training`. */
export type Forward = (x: tf.Tensor, training: boolean) => tf.Tensor;

export class LayersStep implements TrainingStep {
  private readonly optimizer: StepOptimizer;
  private readonly forward: Forward;
  private readonly terms: LossTerm[];

  constructor(
    private readonly model: tf.LayersModel,
    loss: ReconstructionLoss,
    learningRate: number,
    /** A family's own forward pass over the model's variables (default: the layers model's). */
    forward?: Forward,
    readonly name = 'layers',
    /** The family's own loss terms (see `ModelFamily.lossTerms`). */
    modelTerms: readonly ModelLossTerm[] = [],
  ) {
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    this.optimizer = createAdam(variables, learningRate, { l2: kernelL2Penalties(model) });
    this.forward = forward ?? ((x, training) => model.apply(x, { training }) as tf.Tensor);
    this.terms = lossTerms(loss, modelTerms);
  }

  step(x: tf.Tensor): tf.Scalar {
    return this.optimizer.minimize(() => this.losses(x, true, !this.optimizer.foldsL2).total);
  }

  evaluate(x: tf.Tensor): StepLosses {
    return tf.tidy(() => this.losses(x, false, true) as unknown as tf.TensorContainer) as unknown as StepLosses;
  }

  /**
   * The reconstruction loss of `x` and the total of every term: the model's penalties only
   * where `withPenalties` (left out where the optimizer folds them into its update).
   */
  private losses(x: tf.Tensor, training: boolean, withPenalties: boolean): StepLosses {
    const output = this.forward(x, training);
    const values = this.terms.flatMap((term): tf.Scalar[] => {
      switch (term.kind) {
        case 'reconstruction':
          return [reconstructionLoss(term.loss, x, output)];
        case 'penalties':
          return withPenalties ? this.model.calculateLosses() : [];
        case 'model':
          return [term.term.value(x, training)];
      }
    });
    return { reconstruction: values[0], total: values.length === 1 ? values[0] : addInOrder(values) };
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

/** The layers step: trains any model on any backend, with a family's own loss terms; the fallback of `STEPS`. */
export const layersStep: StepDefinition = {
  name: 'layers',
  modelTerms: true,
  appliesTo: () => true,
  create: ({ model, loss, learningRate, terms }) =>
    new LayersStep(model, loss, learningRate, undefined, 'layers', terms),
  kernels: {
    wasm: () => {
      registerWasmGradientKernels();
      registerWasmMatMulTransposeFirst();
      registerWasmFastSlicing();
      registerWasmAdamKernel();
    },
  },
};
