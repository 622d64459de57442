/**
 * The lean step of a Conv1D autoencoder: its forward and backward pass written out, with
 * no tape (whose Identity clones and Reshapes were ~110 of the 187 kernels per step): one
 * fused kernel per convolution forward and one backward (`conv1d-kernels.ts`), one per
 * pooling and upsampling each way, the dense step's loss kernel, and one fused Adam update
 * of every weight with the L2 penalties' gradients folded in. Dropout masks are drawn on
 * the host with the seeds `SeededDropout` uses, so the layers model's own training and
 * this one agree to float rounding (tests/steps.test.ts).
 */
import { tf } from '../tf.js';
import { ADAM_KERNEL } from '../adam.js';
import { SeededDropout } from '../builders/layers.js';
import { dropoutMasks } from '../builders/dropout-masks.js';
import type { ReconstructionLoss } from '../losses.js';
import {
  CONV1D_BACKWARD,
  CONV1D_FORWARD,
  hasConv1dKernels,
  POOL1D_BACKWARD,
  POOL1D_FORWARD,
  REPEAT_STEPS,
  registerWasmConv1dKernels,
  runConv1dKernel,
} from '../wasm/conv1d-kernels.js';
import { hasStepKernels, OUTPUT_DERIVATIVES } from '../wasm/dense-kernels.js';
import { ManualStep, manualStepDefinition } from './manual.js';

/** One layer of the model as the lean step runs it. */
type Op =
  | { type: 'conv'; kernel: tf.Variable; bias: tf.Variable; activation: string; pad: 'same' | 'valid'; l2: number }
  | { type: 'pool'; size: number; stride: number; pad: 'same' | 'valid' }
  | { type: 'dropout'; rate: number; seed: number }
  | { type: 'repeat'; size: number }
  | { type: 'crop'; keep: number };

interface ConvConfig {
  strides: number[];
  dilationRate: number[];
  padding: string;
  dataFormat?: string;
  useBias: boolean;
  activation: string;
  kernelRegularizer?: { className: string; config: { l1?: number; l2?: number } } | null;
}

function convOp(layer: tf.layers.Layer): Op | null {
  const c = layer.getConfig() as unknown as ConvConfig;
  const regularizer = c.kernelRegularizer;
  const plain =
    c.strides[0] === 1 &&
    c.dilationRate[0] === 1 &&
    (c.dataFormat ?? 'channelsLast') === 'channelsLast' &&
    c.useBias &&
    (c.padding === 'same' || c.padding === 'valid');
  if (
    !plain ||
    !(c.activation in OUTPUT_DERIVATIVES) ||
    (regularizer && (regularizer.className !== 'L1L2' || (regularizer.config.l1 ?? 0) !== 0))
  )
    return null;
  const [kernel, bias] = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  return {
    type: 'conv',
    kernel,
    bias,
    activation: c.activation,
    pad: c.padding as 'same',
    l2: regularizer?.config.l2 ?? 0,
  };
}

function opOf(layer: tf.layers.Layer): Op | null | 'skip' {
  const config = layer.getConfig() as Record<string, unknown>;
  switch (layer.getClassName()) {
    case 'InputLayer':
      return 'skip';
    case 'Conv1D':
      return convOp(layer);
    case 'MaxPooling1D':
      return {
        type: 'pool',
        size: (config['poolSize'] as number[])[0],
        stride: (config['strides'] as number[])[0],
        pad: config['padding'] as 'same',
      };
    case SeededDropout.className:
      return { type: 'dropout', rate: config['rate'] as number, seed: config['seed'] as number };
    case 'AelabUpSampling1D':
      return { type: 'repeat', size: config['size'] as number };
    case 'AelabCropping1D':
      return { type: 'crop', keep: config['keep'] as number };
    default:
      return null;
  }
}

/**
 * The model's layers as the lean Conv1D step runs them, or null when it cannot train it
 * here: the backend lacks the kernels, or the model is not a chain of the layers the
 * conv1d family builds (stride-1 channels-last convolutions with a bias and an L2 penalty
 * at most, whose activation's derivative is a function of its output).
 */
export function leanConv1dOps(model: tf.LayersModel): Op[] | null {
  if (!hasConv1dKernels() || !hasStepKernels() || !tf.getKernel(ADAM_KERNEL, tf.getBackend())) return null;
  const ops: Op[] = [];
  for (const [i, layer] of model.layers.entries()) {
    const inbound = layer.inboundNodes[0]?.inboundLayers ?? [];
    if (i > 0 && (inbound.length !== 1 || inbound[0] !== model.layers[i - 1])) return null;
    const op = opOf(layer);
    if (op === null) return null;
    if (op !== 'skip') ops.push(op);
  }
  return ops;
}

/**
 * What the forward pass keeps for the backward pass, per op: its input and output, and a pool's argmax or a dropout's
 * mask.
 */
interface Saved {
  input: tf.Tensor;
  output: tf.Tensor;
  extra: tf.Tensor | null;
}

type ConvOp = Extract<Op, { type: 'conv' }>;
const convsOf = (ops: readonly Op[]): ConvOp[] => ops.filter((op): op is ConvOp => op.type === 'conv');

export class Conv1dStep extends ManualStep<Saved[]> {
  readonly name = 'lean-conv1d';
  private readonly convCount: number;

  constructor(
    private readonly ops: Op[],
    loss: ReconstructionLoss,
    learningRate: number,
  ) {
    const convs = convsOf(ops);
    super(convs, loss, learningRate);
    this.convCount = convs.length;
  }

  protected forward(x: tf.Tensor, training: boolean): { output: tf.Tensor; saved: Saved[] } {
    const saved = this.run(x, training);
    return { output: saved[saved.length - 1].output, saved };
  }

  private run(x: tf.Tensor, training: boolean): Saved[] {
    const saved: Saved[] = [];
    let h = x;
    for (const op of this.ops) {
      const [output, extra] = this.apply(op, h, training);
      saved.push({ input: h, output, extra });
      h = output;
    }
    return saved;
  }

  private apply(op: Op, h: tf.Tensor, training: boolean): [tf.Tensor, tf.Tensor | null] {
    switch (op.type) {
      case 'conv':
        return [
          runConv1dKernel(
            CONV1D_FORWARD,
            { x: h, kernel: op.kernel, bias: op.bias },
            { activation: op.activation, pad: op.pad },
          )[0],
          null,
        ];
      case 'pool': {
        const [y, argmax] = runConv1dKernel(
          POOL1D_FORWARD,
          { x: h },
          { size: op.size, stride: op.stride, pad: op.pad },
        );
        return [y, argmax];
      }
      case 'dropout': {
        if (!training || op.rate === 0) return [h, null];
        const [batch, ...rest] = h.shape;
        const mask = tf.tensor(
          dropoutMasks(
            [op],
            batch,
            rest.reduce((a, b) => a * b, 1),
            this.calls,
          ),
          h.shape,
        );
        return [tf.mul(h, mask), mask];
      }
      case 'repeat':
        return [runConv1dKernel(REPEAT_STEPS, { x: h }, { size: op.size, backward: false })[0], null];
      case 'crop':
        return [tf.slice(h, [0, 0, 0], [-1, op.keep, -1]), null];
    }
  }

  protected backward(saved: Saved[], dOutput: tf.Tensor): tf.Tensor[] {
    const grads: tf.Tensor[] = [];
    let dy = dOutput;
    let conv = this.convCount;
    for (let i = this.ops.length - 1; i >= 0; i--) {
      const op = this.ops[i];
      const { input, output, extra } = saved[i];
      if (op.type === 'conv') {
        conv -= 1;
        const [dKernel, dBias, dx] = runConv1dKernel(
          CONV1D_BACKWARD,
          { dy, y: output, x: input, kernel: op.kernel },
          { activation: op.activation, pad: op.pad, inputGradient: i > 0 },
        );
        grads[2 * conv] = dKernel;
        grads[2 * conv + 1] = dBias;
        if (dx) dy = dx;
      } else if (op.type === 'pool')
        dy = runConv1dKernel(POOL1D_BACKWARD, { dy, argmax: extra! }, { inputShape: input.shape })[0];
      else if (op.type === 'dropout') dy = extra ? tf.mul(dy, extra) : dy;
      else if (op.type === 'repeat')
        dy = runConv1dKernel(REPEAT_STEPS, { x: dy }, { size: op.size, backward: true })[0];
      else
        dy = tf.pad(dy, [
          [0, 0],
          [0, input.shape[1]! - op.keep],
          [0, 0],
        ]);
    }
    return grads;
  }
}

/** The lean Conv1D step, for conv1d models on a backend with its kernels (wasm). */
export const leanConv1dStep = manualStepDefinition({
  name: 'lean-conv1d',
  kind: 'conv1d',
  hasKernels: hasConv1dKernels,
  registerKernels: registerWasmConv1dKernels,
  create: ({ model, loss, learningRate }) => {
    const ops = leanConv1dOps(model);
    return ops && new Conv1dStep(ops, loss, learningRate);
  },
});
