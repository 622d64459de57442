/**
 * The lean step of a dense autoencoder: its forward and backward pass written out, with no
 * tape and none of tfjs-layers' bookkeeping (~240 kernels per step through the layers
 * model, 18 here for seed-000's V3): one fused kernel per layer forward and one backward
 * (`wasm/dense-kernels.ts`), one for the loss, its gradient and the L2 penalties, and one fused
 * Adam update of every weight with the penalties' gradients folded in. Dropout masks are drawn on the host with the
 * seeds
 * `SeededDropout` uses, so the layers model's own training and this one agree to float
 * rounding (tests/steps.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { ADAM_KERNEL } from '../adam.js';
import { denseChain, type ChainLayer } from '../builders/dense-chain.js';
import { dropoutMasks } from '../builders/dropout-masks.js';
import type { ReconstructionLoss } from '../losses.js';
import { denseBackward, denseForward, hasStepKernels, OUTPUT_DERIVATIVES } from '../wasm/dense-kernels.js';
import { ManualStep, manualStepDefinition } from './manual.js';

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

export class DenseStep extends ManualStep<Trace> {
  readonly name = 'lean-dense';

  constructor(
    private readonly layers: LeanLayer[],
    loss: ReconstructionLoss,
    learningRate: number,
  ) {
    super(layers, loss, learningRate);
  }

  protected forward(x: tf.Tensor, training: boolean): { output: tf.Tensor; saved: Trace } {
    const trace = this.trace(x as tf.Tensor2D, training);
    return { output: trace.outputs[trace.outputs.length - 1], saved: trace };
  }

  private trace(x: tf.Tensor2D, training: boolean): Trace {
    const trace: Trace = { inputs: [], outputs: [], masks: [] };
    let h = x;
    for (const layer of this.layers) {
      trace.inputs.push(h);
      const [rows, units] = [h.shape[0], layer.kernel.shape[1] as number];
      const mask =
        training && layer.dropout
          ? tf.tensor2d(dropoutMasks([layer.dropout], rows, units, this.calls), [rows, units])
          : null;
      const [y, next] = denseForward(h, layer.kernel, layer.bias, mask, layer.activation);
      trace.outputs.push(y);
      trace.masks.push(mask);
      h = next;
    }
    return trace;
  }

  protected backward(trace: Trace, dOutput: tf.Tensor): tf.Tensor[] {
    const grads: tf.Tensor[] = new Array(2 * this.layers.length);
    let dh = dOutput as tf.Tensor2D;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const layer = this.layers[i];
      const [dKernel, dBias, dx] = denseBackward(
        dh,
        trace.outputs[i],
        trace.inputs[i],
        layer.kernel,
        trace.masks[i],
        layer.activation,
        i > 0,
      );
      grads[2 * i] = dKernel;
      grads[2 * i + 1] = dBias;
      if (dx) dh = dx;
    }
    return grads;
  }
}

/** The lean dense step, for dense models on a backend with its kernels (wasm). */
export const leanDenseStep = manualStepDefinition({
  name: 'lean-dense',
  kind: 'dense',
  create: ({ model, loss, learningRate }) => {
    const layers = leanDenseLayers(model);
    return layers && new DenseStep(layers, loss, learningRate);
  },
});
