/**
 * The lean step of a dense autoencoder: its forward and backward pass written out, with no
 * tape and none of tfjs-layers' bookkeeping (~240 kernels per step through the layers
 * model, 18 here for seed-000's V3): one fused kernel per layer forward and one backward
 * (`steps/kernels.ts`), one for the loss, its gradient and the L2 penalties, and one fused
 * Adam update of every weight with the penalties' gradients folded in. Dropout masks are drawn on the host with the seeds
 * `SeededDropout` uses, so the layers model's own training and this one agree to float
 * rounding (tests/steps.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { ADAM_KERNEL, createGradientAdam, type GradientOptimizer } from '../adam.js';
import { denseChain, type ChainLayer } from '../population/chain.js';
import { dropoutMasks } from '../population/masks.js';
import { denseBackward, denseForward, hasStepKernels, OUTPUT_DERIVATIVES, reconstructionLossOf } from './kernels.js';
import type { StepLosses, TrainingStep } from './step.js';


interface LeanLayer {
  kernel: tf.Variable;
  bias: tf.Variable;
  activation: string;
  l2: number;
  dropout: ChainLayer['dropout'];
}

/** What the forward pass keeps for the backward pass: each layer's input, output before dropout and mask. */
interface Trace {
  inputs: tf.Tensor2D[];
  outputs: tf.Tensor2D[];
  masks: (tf.Tensor2D | null)[];
}

/**
 * The model's dense layers as the lean step reads them, or null when the step cannot train
 * it here: the backend lacks the fused kernels (the step's or Adam's), the model is not a chain of dense layers
 * (each optionally followed by a seeded dropout), or an activation's derivative is not a
 * function of its output (swish).
 */
export function leanDenseLayers(model: tf.LayersModel): LeanLayer[] | null {
  if (!hasStepKernels() || !tf.getKernel(ADAM_KERNEL, tf.getBackend())) return null;
  let chain: ChainLayer[];
  try {
    chain = denseChain(model);
  } catch {
    return null;
  }
  if (chain.some((l) => !(l.activation in OUTPUT_DERIVATIVES))) return null;
  const dense = model.layers.filter((l) => l.getClassName() === 'Dense');
  return chain.map((l, i) => {
    const [kernel, bias] = dense[i].trainableWeights.map((w) => w.read() as tf.Variable);
    return { kernel, bias, activation: l.activation, l2: l.l2, dropout: l.dropout };
  });
}

export class DenseStep implements TrainingStep {
  readonly name = 'lean-dense';
  private readonly optimizer: GradientOptimizer;
  private readonly penalties: { kernel: tf.Tensor; l2: number }[];
  /** Training calls so far: the dropout layers' call count in the layers model. */
  private calls = 0;

  constructor(
    private readonly layers: LeanLayer[],
    private readonly loss: 'mse' | 'mae',
    learningRate: number,
  ) {
    const variables = layers.flatMap((l) => [l.kernel, l.bias]);
    const optimizer = createGradientAdam(variables, learningRate, layers.flatMap((l) => [l.l2, 0]));
    if (!optimizer) throw new Error(`the lean dense step needs the fused Adam kernel, which backend ${tf.getBackend()} lacks`);
    this.optimizer = optimizer;
    this.penalties = layers.filter((l) => l.l2 > 0).map((l) => ({ kernel: l.kernel, l2: l.l2 }));
  }

  step(x: tf.Tensor): tf.Scalar {
    this.calls += 1;
    const { total, grads } = tf.tidy(() => {
      const trace = this.forward(x as tf.Tensor2D, true);
      const output = trace.outputs[trace.outputs.length - 1];
      const [totalLoss, , dOutput] = reconstructionLossOf(output, x, this.penalties, this.loss, true);
      return { total: totalLoss as tf.Scalar, grads: this.backward(trace, dOutput as tf.Tensor2D) };
    });
    this.optimizer.apply(grads);
    return total;
  }

  evaluate(x: tf.Tensor): StepLosses {
    const [total, reconstruction] = tf.tidy(() => {
      const trace = this.forward(x as tf.Tensor2D, false);
      return reconstructionLossOf(trace.outputs[trace.outputs.length - 1], x, this.penalties, this.loss, false);
    });
    return { total: total as tf.Scalar, reconstruction: reconstruction as tf.Scalar };
  }

  private forward(x: tf.Tensor2D, training: boolean): Trace {
    const trace: Trace = { inputs: [], outputs: [], masks: [] };
    let h = x;
    for (const layer of this.layers) {
      trace.inputs.push(h);
      const [rows, units] = [h.shape[0], layer.kernel.shape[1] as number];
      const mask = training && layer.dropout ? tf.tensor2d(dropoutMasks([layer.dropout], rows, units, this.calls), [rows, units]) : null;
      const [y, next] = denseForward(h, layer.kernel, layer.bias, mask, layer.activation);
      trace.outputs.push(y);
      trace.masks.push(mask);
      h = next;
    }
    return trace;
  }

  /** The gradients of every kernel and bias, in the variables' order, from the output's gradient. */
  private backward(trace: Trace, dOutput: tf.Tensor2D): tf.Tensor[] {
    const grads: tf.Tensor[] = new Array(2 * this.layers.length);
    let dh = dOutput;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const layer = this.layers[i];
      const [dKernel, dBias, dx] = denseBackward(dh, trace.outputs[i], trace.inputs[i], layer.kernel, trace.masks[i], layer.activation, i > 0);
      grads[2 * i] = dKernel;
      grads[2 * i + 1] = dBias;
      if (dx) dh = dx;
    }
    return grads;
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
