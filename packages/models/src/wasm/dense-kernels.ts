/**
 * The fused kernels of the lean dense step (`steps/dense.ts`), for wasm. On these small
 * models a tfjs kernel costs more in dispatch (~5-15 us: the engine's bookkeeping, and
 * the Reshapes around every 2-D matMul) than in arithmetic, so each layer's forward pass
 * (product, bias, activation, dropout) and backward pass (activation and dropout
 * derivative, bias gradient, both products) are one kernel each, and the loss with its
 * gradient and the L2 penalties one more. Inside, a relu or linear layer's products and
 * elementwise passes run in `wasm/conv.ts` (a dense layer is a 1-D convolution of kernel
 * size 1 over its rows: the same register tiles, ~2.5x XNNPACK's rate on these shapes);
 * other activations use wasm's own _FusedMatMul / BatchMatMul (XNNPACK) on 3-D views of
 * the 2-D tensors (no Reshape kernels) and one JS pass over wasm memory.
 */
import { tf } from '../tf.js';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { ReconstructionLoss } from '../losses.js';
import {
  backpropRelu,
  conv1dFilterGradient,
  conv1dForward,
  conv1dInputGradient,
  masked,
  type Conv1dGeometry,
} from './conv.js';
import { activeBackendHas, registerWasmKernels, wasmKernel, type WasmHeapBackend } from './heap.js';

/**
 * `[y, h?]` from inputs `{x [rows, in], kernel [in, units], bias [units], mask? [rows, units]}`
 * and attribute `activation`: y = activation(x·kernel + bias), and with a mask (the dropout
 * multipliers) h = y·mask, the next layer's input.
 */
export const DENSE_FORWARD = 'AelabDenseForward';

/**
 * `[dKernel, dBias, dx?]` from inputs `{dh, y, x, kernel, mask?}` and attributes
 * `{activation, inputGradient}`: the gradients of a layer (as {@link DENSE_FORWARD} computed
 * it) from dh, the loss's gradient with respect to its output after dropout; dx (the
 * gradient of its input) only when `inputGradient`. Only activations whose derivative is
 * a function of their output ({@link OUTPUT_DERIVATIVES}).
 */
export const DENSE_BACKWARD = 'AelabDenseBackward';

/**
 * `[total, reconstruction, dOutput?]` from inputs `{output, target, kernel0, kernel1, ...}`
 * and attributes `{loss: 'mse' | 'mae', l2: number[], gradient: boolean}`: the mean
 * reconstruction loss, the same plus sum_i l2[i]·sum(kernel_i²) (what Keras reports), and
 * with `gradient` the loss's gradient with respect to `output`.
 */
export const RECONSTRUCTION_LOSS = 'AelabReconstructionLoss';

const SELU_SCALE = 1.0507009873554805;
const SELU_SCALE_ALPHA = 1.7580993408473769;

/**
 * f'(z) written as a function of y = f(z), for the activations where that exists (swish
 * is not one): the derivatives tfjs' own gradients use (relu's step is 0 at 0).
 */
export const OUTPUT_DERIVATIVES: Readonly<Record<string, (y: number) => number>> = {
  linear: () => 1,
  relu: (y) => (y > 0 ? 1 : 0),
  elu: (y) => (y < 0 ? y + 1 : 1),
  selu: (y) => (y > 0 ? SELU_SCALE : y + SELU_SCALE_ALPHA),
  sigmoid: (y) => y * (1 - y),
  tanh: (y) => 1 - y * y,
};

/** The activations wasm's _FusedMatMul applies itself. */
export const FUSABLE = new Set(['linear', 'relu', 'elu', 'sigmoid']);
export const UNFUSED: Readonly<Record<string, (z: number) => number>> = {
  tanh: Math.tanh,
  selu: (z) => (z > 0 ? SELU_SCALE * z : SELU_SCALE_ALPHA * Math.expm1(z)),
};

/** A 3-D view [1, rows, cols] of a 2-D tensor for wasm's batched products: same data, no kernel. */
function view3d(t: TensorInfo): TensorInfo {
  return { dataId: t.dataId, shape: [1, ...t.shape], dtype: t.dtype };
}

/** a·b (with transposes) of 2-D tensors as a 2-D output, on wasm's BatchMatMul. */
function product(
  backend: WasmHeapBackend,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): TensorInfo {
  const out = wasmKernel('BatchMatMul')({
    inputs: { a: view3d(a), b: view3d(b) },
    backend: backend as never,
    attrs: { transposeA, transposeB },
  }) as TensorInfo;
  return { ...out, shape: out.shape.slice(1) };
}

/** A dense layer over `rows` rows as a 1-D convolution of kernel size 1 (one row of rows steps). */
const asConvolution = (rows: number, [inputs, units]: number[]): Conv1dGeometry => ({
  batch: 1,
  steps: rows,
  inChannels: inputs,
  outChannels: units,
  kernelSize: 1,
  padLeft: 0,
  padRight: 0,
});
/** Whether `conv.wat` applies the activation itself (relu fused into its tiles; linear is none). */
export const inWasm = (activation: string): boolean => activation === 'relu' || activation === 'linear';

/** x·kernel + bias through the activation: by conv.wat for relu and linear, else XNNPACK. */
function denseProduct(
  b: WasmHeapBackend,
  x: TensorInfo,
  kernel: TensorInfo,
  bias: TensorInfo,
  activation: string,
): { y: TensorInfo; fused: boolean } {
  const shape = [x.shape[0], kernel.shape[1]];
  const direct = inWasm(activation)
    ? conv1dForward(b, x, kernel, bias, asConvolution(x.shape[0], kernel.shape), activation === 'relu')
    : null;
  if (direct) return { y: { ...direct, shape }, fused: true };
  const fused = FUSABLE.has(activation);
  const z = wasmKernel('_FusedMatMul')({
    inputs: { a: view3d(x), b: view3d(kernel), bias },
    backend: b as never,
    attrs: { transposeA: false, transposeB: false, activation: fused ? activation : 'linear', leakyreluAlpha: 0 },
  }) as TensorInfo;
  return { y: { ...z, shape }, fused };
}

const denseForwardWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WasmHeapBackend;
  const { x, kernel, bias, mask } = inputs as Record<'x' | 'kernel' | 'bias', TensorInfo> & { mask?: TensorInfo };
  const { activation } = attrs as { activation: string };
  const { y, fused } = denseProduct(b, x, kernel, bias, activation);
  const h = mask ? b.makeOutput(y.shape, 'float32') : null;
  if (fused && h && mask && masked(b, y, mask, h)) return [y, h];
  // Views only after every allocation: growing wasm memory detaches older views.
  const Y = b.typedArrayFromHeap(y);
  if (!fused) {
    const f = UNFUSED[activation];
    for (let i = 0; i < Y.length; i++) Y[i] = f(Y[i]);
  }
  if (!h || !mask) return [y];
  const [H, M] = [b.typedArrayFromHeap(h), b.typedArrayFromHeap(mask)];
  for (let i = 0; i < Y.length; i++) H[i] = Y[i] * M[i];
  return [y, h];
};

/**
 * DZ = DH · M · f'(Y). relu and linear (most layers) get loops of their own: a call
 * through the derivative table per element is not inlined and costs several times more.
 */
export function activationDerivative(
  activation: string,
  DH: Float32Array,
  Y: Float32Array,
  M: Float32Array | null,
  DZ: Float32Array,
): void {
  const n = DZ.length;
  if (M) for (let i = 0; i < n; i++) DZ[i] = DH[i] * M[i];
  else DZ.set(DH);
  if (activation === 'relu') {
    for (let i = 0; i < n; i++) if (!(Y[i] > 0)) DZ[i] = 0;
  } else if (activation !== 'linear') {
    const derivative = OUTPUT_DERIVATIVES[activation];
    for (let i = 0; i < n; i++) DZ[i] *= derivative(Y[i]);
  }
}

/**
 * dz = dh · mask · f'(y) and dBias = dz summed over rows (channels last), into `dz` and
 * `dBias`: by `conv.wat` for relu and linear layers with channels in fours, else in JS
 * (the same bits: both sum each channel in row order in float32).
 */
export function derivativeAndBiasGradient(
  b: WasmHeapBackend,
  activation: string,
  dh: TensorInfo,
  y: TensorInfo,
  mask: TensorInfo | null,
  dz: TensorInfo,
  dBias: TensorInfo,
): void {
  if (inWasm(activation) && backpropRelu(b, dh, y, dz, dBias, activation === 'relu', mask)) return;
  const [DH, Y, DZ, DB] = [dh, y, dz, dBias].map((t) => b.typedArrayFromHeap(t));
  activationDerivative(activation, DH, Y, mask ? b.typedArrayFromHeap(mask) : null, DZ);
  const channels = DB.length;
  DB.fill(0);
  for (let o = 0; o < DZ.length; o += channels) for (let c = 0; c < channels; c++) DB[c] += DZ[o + c];
}

interface BackwardAttrs {
  activation: string;
  inputGradient: boolean;
}

/**
 * dx = dz·kernel^T, computed as (kernel·dz^T)^T: XNNPACK packs its right operand on every
 * call (the weights change every step), and dz^T ([units, rows]) is far smaller to
 * transpose and pack than kernel^T ([units, inputs]); measured 10-25% faster on ecg-v3's
 * layers (tools/bench, see docs/speed.md).
 */
function inputGradientOf(b: WasmHeapBackend, dz: TensorInfo, kernel: TensorInfo): TensorInfo {
  const transpose = wasmKernel('Transpose');
  const dzT = transpose({ inputs: { x: dz }, backend: b as never, attrs: { perm: [1, 0] } }) as TensorInfo;
  const r = product(b, kernel, dzT, false, false);
  const dx = transpose({ inputs: { x: r }, backend: b as never, attrs: { perm: [1, 0] } }) as TensorInfo;
  b.disposeData(dzT.dataId);
  b.disposeData(r.dataId);
  return dx;
}

const denseBackwardWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WasmHeapBackend;
  const { dh, y, x, kernel, mask } = inputs as Record<'dh' | 'y' | 'x' | 'kernel', TensorInfo> & { mask?: TensorInfo };
  const { activation, inputGradient } = attrs as unknown as BackwardAttrs;
  const [rows, units] = y.shape;
  const dz = b.makeOutput(y.shape, 'float32');
  const dBias = b.makeOutput([units], 'float32');
  derivativeAndBiasGradient(b, activation, dh, y, mask ?? null, dz, dBias);
  const g = asConvolution(rows, kernel.shape);
  const dKernel = conv1dFilterGradient(b, x, dz, g);
  const outs = [dKernel ? { ...dKernel, shape: kernel.shape } : product(b, x, dz, true, false), dBias];
  if (inputGradient) {
    const dx = conv1dInputGradient(b, dz, kernel, g);
    outs.push(dx ? { ...dx, shape: x.shape } : inputGradientOf(b, dz, kernel));
  }
  b.disposeData(dz.dataId);
  return outs;
};

/**
 * `start` plus each value's error (`mse`: squared, `mae`: absolute) of `output` against
 * `target`, added in order in a double (chunks of rows added on, as one pass would); with
 * `gradient`, the loss's gradient with respect to `output` written there. The one definition
 * of the loss's arithmetic (its bits are pinned).
 */
export function lossSum(
  output: Float32Array,
  target: Float32Array,
  gradient: Float32Array | null,
  loss: ReconstructionLoss,
  start = 0,
): number {
  const n = output.length;
  let sum = start;
  // one loop per case: a branch per value costs more than the arithmetic here
  if (loss === 'mse') {
    if (gradient) {
      for (let i = 0; i < n; i++) {
        const d = output[i] - target[i];
        sum += d * d;
        gradient[i] = (2 * d) / n;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const d = output[i] - target[i];
        sum += d * d;
      }
    }
    return sum;
  }
  for (let i = 0; i < n; i++) {
    const d = output[i] - target[i];
    sum += Math.abs(d);
    // tfjs' Abs gradient is -1 at 0 (a step with alpha -1); mae follows it.
    if (gradient) gradient[i] = (d > 0 ? 1 : -1) / n;
  }
  return sum;
}

/** sum_i l2_i · sum(values_i²), each sum of squares in order in a double (Keras' L2 penalties). */
export function penaltyOf(kernels: readonly { values: Float32Array; l2: number }[]): number {
  let penalty = 0;
  for (const { values, l2 } of kernels) {
    let squares = 0;
    for (let j = 0; j < values.length; j++) squares += values[j] * values[j];
    penalty += l2 * squares;
  }
  return penalty;
}

interface LossAttrs {
  loss: ReconstructionLoss;
  l2: number[];
  gradient: boolean;
}

const reconstructionLossWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WasmHeapBackend;
  const { output, target, ...kernels } = inputs as Record<string, TensorInfo>;
  const { loss, l2, gradient } = attrs as unknown as LossAttrs;
  const outs = [b.makeOutput([], 'float32'), b.makeOutput([], 'float32')];
  if (gradient) outs.push(b.makeOutput(output.shape, 'float32'));
  const O = b.typedArrayFromHeap(output);
  const T = b.typedArrayFromHeap(target);
  const [total, reconstruction] = outs.map((t) => b.typedArrayFromHeap(t));
  const sum = lossSum(O, T, gradient ? b.typedArrayFromHeap(outs[2]) : null, loss);
  const penalty = penaltyOf(l2.map((rate, i) => ({ values: b.typedArrayFromHeap(kernels[`kernel${i}`]), l2: rate })));
  const n = O.length;
  reconstruction[0] = sum / n;
  total[0] = sum / n + penalty;
  return outs;
};

/** Registers the lean step's kernels for wasm (idempotent). */
export function registerWasmStepKernels(): void {
  registerWasmKernels([
    [DENSE_FORWARD, denseForwardWasm],
    [DENSE_BACKWARD, denseBackwardWasm],
    [RECONSTRUCTION_LOSS, reconstructionLossWasm],
  ]);
}

/** Whether `backend` (default: the active one) has the lean step's kernels. */
export function hasStepKernels(backend?: string): boolean {
  return activeBackendHas([DENSE_FORWARD, DENSE_BACKWARD, RECONSTRUCTION_LOSS], backend);
}

/** {@link DENSE_FORWARD}: `[y, h]` (h is y without a mask). */
export function denseForward(
  x: tf.Tensor2D,
  kernel: tf.Tensor,
  bias: tf.Tensor,
  mask: tf.Tensor2D | null,
  activation: string,
): [tf.Tensor2D, tf.Tensor2D] {
  const inputs: tf.NamedTensorMap = mask ? { x, kernel, bias, mask } : { x, kernel, bias };
  const [y, h] = tf.engine().runKernel(DENSE_FORWARD, inputs, { activation }) as tf.Tensor2D[];
  return [y, h ?? y];
}

/** {@link DENSE_BACKWARD}: `[dKernel, dBias, dx]` (dx null unless `inputGradient`). */
export function denseBackward(
  dh: tf.Tensor2D,
  y: tf.Tensor2D,
  x: tf.Tensor2D,
  kernel: tf.Tensor,
  mask: tf.Tensor2D | null,
  activation: string,
  inputGradient: boolean,
): [tf.Tensor2D, tf.Tensor1D, tf.Tensor2D | null] {
  const inputs: tf.NamedTensorMap = mask ? { dh, y, x, kernel, mask } : { dh, y, x, kernel };
  const [dKernel, dBias, dx] = tf
    .engine()
    .runKernel(DENSE_BACKWARD, inputs, { activation, inputGradient }) as tf.Tensor[];
  return [dKernel as tf.Tensor2D, dBias as tf.Tensor1D, (dx as tf.Tensor2D | undefined) ?? null];
}

/** {@link RECONSTRUCTION_LOSS}: `[total, reconstruction]`, plus the output's gradient when `gradient`. */
export function reconstructionLossOf(
  output: tf.Tensor,
  target: tf.Tensor,
  penalties: readonly { kernel: tf.Tensor; l2: number }[],
  loss: ReconstructionLoss,
  gradient: boolean,
): tf.Tensor[] {
  const inputs: Record<string, tf.Tensor> = { output, target };
  penalties.forEach((p, i) => (inputs[`kernel${i}`] = p.kernel));
  const attrs = { loss, l2: penalties.map((p) => p.l2), gradient };
  return tf.engine().runKernel(RECONSTRUCTION_LOSS, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
}
