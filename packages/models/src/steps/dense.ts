/**
 * The lean step of a dense autoencoder: its forward and backward pass written out, with no
 * tape and none of tfjs-layers' bookkeeping (~240 kernels per step through the layers
 * model, 18 here for seed-000's V3): one fused kernel per layer forward and one backward
 * (`wasm/dense-kernels.ts`), one for the loss, its gradient and the L2 penalties, and one fused
 * Adam update of every weight with the penalties' gradients folded in. Where every layer is
 * one those kernels run in `conv.wat` (relu or linear, units in its tiles), the step calls
 * those functions itself instead (`wasm/dense-direct.ts`: no kernel per step, the same bits).
 * Dropout masks are drawn on the host with the seeds `SeededDropout` uses, so the layers
 * model's own training and this one agree to float rounding (tests/steps.test.ts).
 */
import { tf } from '../tf.js';
import type { PreparedSplit } from '@aelab/data';
import { ADAM_BETAS, ADAM_KERNEL } from '../adam.js';
import { denseChain, type ChainLayer } from '../builders/dense-chain.js';
import { dropoutMasks } from '../builders/dropout-masks.js';
import type { ReconstructionLoss } from '../losses.js';
import { denseBackward, denseForward, hasStepKernels, OUTPUT_DERIVATIVES } from '../wasm/dense-kernels.js';
import { directDense, type DirectDense, type DirectLayer } from '../wasm/dense-direct.js';
import { offsetOf } from '../wasm/conv.js';
import type { WasmHeapBackend } from '../wasm/heap.js';
import { ManualStep, manualStepDefinition, EVALUATION_CHUNK_ROWS } from './manual.js';
import type { TrainingStep } from './step.js';

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

/** The layers as `wasm/dense-direct.ts` reads them, on the wasm backend `b`. */
function directLayers(b: WasmHeapBackend, layers: readonly LeanLayer[]): DirectLayer[] {
  return layers.map((layer) => {
    const [inputs, units] = layer.kernel.shape as [number, number];
    const { dropout } = layer;
    return {
      weights: () => ({ kernel: offsetOf(b, layer.kernel), bias: offsetOf(b, layer.bias) }),
      inputs,
      units,
      relu: layer.activation === 'relu',
      dropout: dropout ?? null,
      l2: layer.l2,
    };
  });
}

export class DenseStep extends ManualStep<Trace> {
  readonly name = 'lean-dense';
  /** The step without tfjs kernels, where every layer is one it trains on wasm (else null: the kernels train it). */
  private readonly direct: DirectDense | null;

  constructor(
    private readonly layers: LeanLayer[],
    loss: ReconstructionLoss,
    learningRate: number,
    /** False: always the kernels (tests compare the two). */
    direct = true,
  ) {
    super(layers, loss, learningRate);
    const relu = layers.every((l) => l.activation === 'relu' || l.activation === 'linear');
    const b = tf.backend() as unknown as WasmHeapBackend;
    this.direct =
      direct && relu && tf.getBackend() === 'wasm'
        ? directDense(b, directLayers(b, layers), loss, {
            learningRate,
            ...ADAM_BETAS,
            epsilon: tf.backend().epsilon(),
          })
        : null;
  }

  override step(x: tf.Tensor): tf.Scalar {
    if (!this.direct) return super.step(x);
    this.calls += 1;
    this.ownWeights();
    const b = tf.backend() as unknown as WasmHeapBackend;
    return tf.scalar(this.direct.step(offsetOf(b, x), x.shape[0], this.calls));
  }

  /** {@link TrainingStep.stepRows} where the step is direct (the batch gathered into its own block); else none. */
  get stepRows(): TrainingStep['stepRows'] {
    return this.direct ? this.directStepRows : undefined;
  }

  private readonly directStepRows: NonNullable<TrainingStep['stepRows']> = (split, order, start, rows) => {
    this.calls += 1;
    this.ownWeights();
    return this.direct!.stepRows(split, order, start, rows, this.calls);
  };

  /**
   * Makes each weight's values its variable's alone before they are updated in place: a
   * tensor sharing them (on wasm a reshape of a weight does) keeps the values it had.
   */
  private ownWeights(): void {
    const b = tf.backend() as unknown as WasmHeapBackend;
    for (const variable of this.layers.flatMap((l) => [l.kernel, l.bias])) {
      if (b.refCount(variable.dataId) <= 1) continue;
      const copy = tf.tensor(variable.dataSync().slice(), variable.shape, 'float32');
      variable.assign(copy);
      copy.dispose();
    }
  }

  override evaluateRows(
    rows: Pick<PreparedSplit, 'x' | 'rows' | 'features'>,
    inputShape: number[],
    chunkRows = EVALUATION_CHUNK_ROWS,
  ): { total: number; reconstruction: number } {
    const direct = this.direct;
    if (!direct) return super.evaluateRows(rows, inputShape, chunkRows);
    const { x, features } = rows;
    const block = direct.allocate(Math.min(chunkRows, rows.rows) * features);
    let sum = 0;
    try {
      for (let start = 0; start < rows.rows; start += chunkRows) {
        const end = Math.min(start + chunkRows, rows.rows);
        direct.view(block, (end - start) * features).set(x.subarray(start * features, end * features));
        sum = direct.errorSum(block, end - start, sum);
      }
    } finally {
      direct.free(block);
    }
    const n = rows.rows * features;
    return { reconstruction: Math.fround(sum / n), total: Math.fround(sum / n + direct.penalties()) };
  }

  override dispose(): void {
    this.direct?.dispose();
    super.dispose();
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
