/**
 * The fused kernels of the lean Conv1D step (`steps/conv1d.ts`), for wasm. Through the
 * tape, each 1-D convolution costs ~11 kernels forward and back besides the convolutions
 * themselves (Reshapes to and from 4-D, the tape's Identity clones of every saved tensor,
 * bias, activation and their gradients): here a layer is one kernel forward and one
 * backward, calling wasm's FusedConv2D and aelab's convolution-gradient kernels on 4-D
 * views of the 3-D tensors, and pooling and upsampling are one JS pass each way.
 */
import { tf } from '../tf.js';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { conv1dForward, convPasses, offsetOf } from './conv.js';
import { activeBackendHas, registerWasmKernels, wasmKernel, type WasmHeapBackend } from './heap.js';
import { rowGeometry } from './layers-kernels.js';
import { derivativeAndBiasGradient, FUSABLE, inWasm, UNFUSED } from './dense-kernels.js';

/**
 * `[y]` from `{x [B, W, Cin], kernel [K, Cin, Cout], bias [Cout]}`, attributes `{activation, pad}`: y =
 * activation(conv1d(x) + bias), stride 1.
 */
export const CONV1D_FORWARD = 'AelabConv1dForward';
/** `[dKernel, dBias, dx?]` from `{dy, y, x, kernel}`, attributes `{activation, pad, inputGradient}`. */
export const CONV1D_BACKWARD = 'AelabConv1dBackward';
/** `[y, argmax (int32)]` from `{x [B, W, C]}`, attributes `{size, stride, pad}`: max-pooling over steps. */
export const POOL1D_FORWARD = 'AelabMaxPool1dForward';
/** `[dx]` from `{dy, argmax}`, attribute `inputShape`: each gradient to its window's largest input. */
export const POOL1D_BACKWARD = 'AelabMaxPool1dBackward';
/**
 * `[y]` from `{x [B, W, C]}`, attribute `size`: each step repeated `size` times; backward with `backward: true` sums
 * them.
 */
export const REPEAT_STEPS = 'AelabRepeatSteps';

const view4d = (t: TensorInfo): TensorInfo => ({
  dataId: t.dataId,
  shape: [t.shape[0], 1, ...t.shape.slice(1)],
  dtype: t.dtype,
});
const view3d = (t: TensorInfo): TensorInfo => ({ ...t, shape: [t.shape[0], ...t.shape.slice(2)] });
const filterView = (kernel: TensorInfo): TensorInfo => ({
  dataId: kernel.dataId,
  shape: [1, ...kernel.shape],
  dtype: kernel.dtype,
});

const convForwardWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WasmHeapBackend;
  const { x, kernel, bias } = inputs as Record<'x' | 'kernel' | 'bias', TensorInfo>;
  const { activation, pad } = attrs as { activation: string; pad: 'same' | 'valid' };
  const info = tf.backend_util.computeConv2DInfo(
    view4d(x).shape as [number, number, number, number],
    filterView(kernel).shape as [number, number, number, number],
    1,
    1,
    pad,
    undefined,
    false,
    'channelsLast',
  );
  const rows = inWasm(activation) ? rowGeometry(info) : null;
  const direct = rows && conv1dForward(b, x, kernel, bias, rows, activation === 'relu');
  if (direct) return [direct];
  const fused = FUSABLE.has(activation);
  const out = wasmKernel('FusedConv2D')({
    inputs: { x: view4d(x), filter: filterView(kernel), bias },
    backend,
    attrs: {
      strides: [1, 1],
      pad,
      dilations: [1, 1],
      dataFormat: 'NHWC',
      activation: fused ? activation : 'linear',
      leakyreluAlpha: 0,
    } as never,
  }) as TensorInfo;
  const y = view3d(out);
  if (!fused) {
    const Y = b.typedArrayFromHeap(y);
    const f = UNFUSED[activation];
    for (let i = 0; i < Y.length; i++) Y[i] = f(Y[i]);
  }
  return [y];
};

const convBackwardWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WasmHeapBackend;
  const { dy, y, x, kernel } = inputs as Record<'dy' | 'y' | 'x' | 'kernel', TensorInfo>;
  const { activation, pad, inputGradient } = attrs as {
    activation: string;
    pad: 'same' | 'valid';
    inputGradient: boolean;
  };
  const channels = y.shape[2];
  const dz = b.makeOutput(y.shape, 'float32');
  const dBias = b.makeOutput([channels], 'float32');
  derivativeAndBiasGradient(b, activation, dy, y, null, dz, dBias);
  const common = { strides: [1, 1], pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
  const dKernel = wasmKernel('Conv2DBackpropFilter')({
    inputs: { x: view4d(x), dy: view4d(dz) },
    backend,
    attrs: { ...common, filterShape: [1, ...kernel.shape] } as never,
  }) as TensorInfo;
  const outs = [{ ...dKernel, shape: kernel.shape }, dBias];
  if (inputGradient) {
    const dx = wasmKernel('Conv2DBackpropInput')({
      inputs: { dy: view4d(dz), filter: filterView(kernel) },
      backend,
      attrs: { ...common, inputShape: [x.shape[0], 1, ...x.shape.slice(1)] } as never,
    }) as TensorInfo;
    outs.push(view3d(dx));
  }
  b.disposeData(dz.dataId);
  return outs;
};

const sizeOf = (t: TensorInfo): number => t.shape.reduce((a, d) => a * d, 1);

interface PoolAttrs {
  size: number;
  stride: number;
  pad: 'same' | 'valid';
}

/**
 * Output steps and left padding of a 1-D max-pool, as tfjs-layers' MaxPooling1D computes them (a pool2d over [B, W, 1,
 * C]).
 */
export function poolGeometry(shape: number[], { size, stride, pad }: PoolAttrs): { steps: number; left: number } {
  const info = tf.backend_util.computePool2DInfo([shape[0], shape[1], 1, shape[2]], [size, 1], [stride, 1], 1, pad);
  return { steps: info.outHeight, left: info.padInfo.top };
}

const poolForwardWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WasmHeapBackend;
  const { x } = inputs as { x: TensorInfo };
  const settings = attrs as unknown as PoolAttrs;
  const [batch, width, channels] = x.shape;
  const { steps, left } = poolGeometry(x.shape, settings);
  const y = b.makeOutput([batch, steps, channels], 'float32');
  const argmax = b.makeOutput([batch, steps, channels], 'int32');
  const pass = channels % 4 === 0 ? convPasses(b) : null;
  if (pass) {
    pass.pool(
      offsetOf(b, x),
      batch,
      width,
      channels,
      steps,
      settings.size,
      settings.stride,
      left,
      offsetOf(b, y),
      offsetOf(b, argmax),
    );
    return [y, argmax];
  }
  const [X, Y] = [x, y].map((t) => b.typedArrayFromHeap(t));
  const A = b.typedArrayFromHeap(argmax) as unknown as Int32Array;
  for (let n = 0, o = 0; n < batch; n++) {
    for (let s = 0; s < steps; s++) {
      const w0 = Math.max(0, s * settings.stride - left);
      const w1 = Math.min(width, s * settings.stride - left + settings.size);
      const end = (n * width + w1) * channels;
      for (let c = 0, first = (n * width + w0) * channels; c < channels; c++, o++) {
        let at = first + c;
        let best = X[at];
        for (let i = at + channels; i < end; i += channels) {
          if (X[i] > best) {
            best = X[i];
            at = i;
          }
        }
        Y[o] = best;
        A[o] = at;
      }
    }
  }
  return [y, argmax];
};

const poolBackwardWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WasmHeapBackend;
  const { dy, argmax } = inputs as Record<'dy' | 'argmax', TensorInfo>;
  const dx = b.makeOutput((attrs as { inputShape: number[] }).inputShape, 'float32');
  const pass = convPasses(b);
  if (pass) {
    pass.unpool(offsetOf(b, dy), offsetOf(b, argmax), sizeOf(dy), offsetOf(b, dx), sizeOf(dx));
    return [dx];
  }
  const [DY, DX] = [dy, dx].map((t) => b.typedArrayFromHeap(t));
  const A = b.typedArrayFromHeap(argmax) as unknown as Int32Array;
  DX.fill(0);
  for (let o = 0; o < DY.length; o++) DX[A[o]] += DY[o];
  return [dx];
};

const repeatStepsWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WasmHeapBackend;
  const { x } = inputs as { x: TensorInfo };
  const { size, backward } = attrs as { size: number; backward: boolean };
  const [batch, width, channels] = x.shape;
  const out = b.makeOutput([batch, backward ? width / size : width * size, channels], 'float32');
  const pass = channels % 4 === 0 ? convPasses(b) : null;
  if (pass) {
    pass.repeat(
      offsetOf(b, x),
      (batch * width) / (backward ? size : 1),
      channels,
      size,
      offsetOf(b, out),
      backward ? 1 : 0,
    );
    return [out];
  }
  const [X, O] = [x, out].map((t) => b.typedArrayFromHeap(t));
  if (backward) sumRepeats(X, O, size, channels);
  else repeatRows(X, O, size, channels);
  return [out];
};

/** O = each `channels`-wide row of X written `size` times in a row. */
function repeatRows(X: Float32Array, O: Float32Array, size: number, channels: number): void {
  for (let i = 0, o = 0; i < X.length; i += channels) {
    for (let r = 0; r < size; r++) for (let c = 0; c < channels; c++, o++) O[o] = X[i + c];
  }
}

/** O = each run of `size` rows of X summed (repeatRows' gradient). */
function sumRepeats(X: Float32Array, O: Float32Array, size: number, channels: number): void {
  for (let o = 0, i = 0; o < O.length; o += channels) {
    for (let c = 0; c < channels; c++) O[o + c] = X[i + c];
    i += channels;
    for (let r = 1; r < size; r++, i += channels) for (let c = 0; c < channels; c++) O[o + c] += X[i + c];
  }
}

/** Registers the lean Conv1D step's kernels for wasm (idempotent). */
export function registerWasmConv1dKernels(): void {
  registerWasmKernels([
    [CONV1D_FORWARD, convForwardWasm],
    [CONV1D_BACKWARD, convBackwardWasm],
    [POOL1D_FORWARD, poolForwardWasm],
    [POOL1D_BACKWARD, poolBackwardWasm],
    [REPEAT_STEPS, repeatStepsWasm],
  ]);
}

/** Whether `backend` (default: the active one) has the lean Conv1D step's kernels. */
export function hasConv1dKernels(backend?: string): boolean {
  return activeBackendHas([CONV1D_FORWARD, CONV1D_BACKWARD, POOL1D_FORWARD, POOL1D_BACKWARD, REPEAT_STEPS], backend);
}

/** Runs one of this file's kernels: its outputs as tensors. */
export function runConv1dKernel(name: string, inputs: tf.NamedTensorMap, attrs: Record<string, unknown>): tf.Tensor[] {
  return tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
}
