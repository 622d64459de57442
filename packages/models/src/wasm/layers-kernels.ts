/**
 * Gradient kernels the wasm backend lacks, built from wasm's own kernels.
 *
 * tfjs-backend-wasm 4.22 has no `Conv2DBackpropFilter`, so any Conv1D/Conv2D training on
 * wasm falls back to nothing (it throws). We express the filter gradient as im2col plus a
 * single matrix product: for every filter tap (kh, kw) take the strided window of the
 * padded input that the tap saw, concatenate the windows along channels into an
 * [N*outH*outW, fh*fw*inC] patch matrix P, and dW = P^T . dY, reshaped to the filter shape.
 * That is a handful of large ops instead of thousands of small ones, which is what makes
 * tfjs fast on small models (see TFJS-NOTES: per-op overhead dominates).
 */
import { tf } from '../tf.js';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { conv1dFilterGradient, conv1dInputGradient, type Conv1dGeometry } from './conv.js';
import { wasmKernel, type WasmHeapBackend } from './heap.js';

type Backend = Parameters<KernelFunc>[0]['backend'] & { disposeData(dataId: object): boolean };

function run(name: string, backend: Backend, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
  return wasmKernel(name)({ inputs, backend, attrs }) as TensorInfo;
}

type Shape4 = [number, number, number, number];

/** The attributes both convolution gradients share. */
interface ConvGradAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

interface BackpropFilterAttrs extends ConvGradAttrs {
  filterShape: Shape4;
}

interface BackpropInputAttrs extends ConvGradAttrs {
  inputShape: Shape4;
}

/** The geometry of an NHWC convolution of `xShape` by `filterShape`, dilation 1. */
function nhwcConvInfo(xShape: Shape4, filterShape: Shape4, strides: ConvGradAttrs['strides'], attrs: ConvGradAttrs) {
  return tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

/** Whether a gradient has the NHWC, stride-1 form that the faster paths below handle. */
function nhwcStrideOne({ strides, dataFormat }: ConvGradAttrs): boolean {
  const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
  return dataFormat === 'NHWC' && sh === 1 && sw === 1;
}

/** Temporaries of one kernel call, disposed together once its result is made. */
function scratch(b: Backend) {
  const temps: TensorInfo[] = [];
  return {
    keep: (t: TensorInfo) => (temps.push(t), t),
    done<T>(result: T): T {
      for (const t of temps) b.disposeData(t.dataId);
      return result;
    },
  };
}

/** `x` [N, H, W, C] zero-padded by `[top, bottom, left, right]` in H and W; `x` itself when none is needed. */
function padSpatial(
  b: Backend,
  x: TensorInfo,
  [top, bottom, left, right]: number[],
  keep: (t: TensorInfo) => TensorInfo,
) {
  if (!(top || bottom || left || right)) return x;
  const paddings = [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
  return keep(run('PadV2', b, { x }, { paddings, constantValue: 0 }));
}

/** A stride-1 'valid' NHWC convolution on wasm's own Conv2D (XNNPACK). */
function validConv(b: Backend, x: TensorInfo, filter: TensorInfo): TensorInfo {
  const attrs = {
    strides: [1, 1],
    pad: 'valid',
    dataFormat: 'NHWC',
    dilations: [1, 1],
    dimRoundingMode: undefined as unknown as string,
  };
  return run('Conv2D', b, { x, filter }, attrs);
}

/** `Conv2DBackpropFilter` for wasm via im2col + one BatchMatMul (NHWC, dilation 1, any stride). */
export const conv2dBackpropFilterIm2col: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as Backend;
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs as unknown as BackpropFilterAttrs;
  const { dataFormat, filterShape } = a;
  if (dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter (wasm): dataFormat must be NHWC, got ${dataFormat}`);
  const info = nhwcConvInfo(x.shape as Shape4, filterShape, a.strides, a);
  const [fh, fw, inC, outC] = filterShape;
  const { top, bottom, left, right } = info.padInfo;
  const { outHeight, outWidth, strideHeight, strideWidth, batchSize } = info;
  const { keep, done } = scratch(b);
  const padded = padSpatial(b, x, [top, bottom, left, right], keep);
  const windows: TensorInfo[] = [];
  for (let kh = 0; kh < fh; kh++) {
    for (let kw = 0; kw < fw; kw++) {
      const begin = [0, kh, kw, 0];
      const window =
        strideHeight === 1 && strideWidth === 1
          ? run('Slice', b, { x: padded }, { begin, size: [batchSize, outHeight, outWidth, inC] })
          : run(
              'StridedSlice',
              b,
              { x: padded },
              {
                begin,
                end: [batchSize, kh + (outHeight - 1) * strideHeight + 1, kw + (outWidth - 1) * strideWidth + 1, inC],
                strides: [1, strideHeight, strideWidth, 1],
                beginMask: 0,
                endMask: 0,
                ellipsisMask: 0,
                newAxisMask: 0,
                shrinkAxisMask: 0,
              },
            );
      windows.push(keep(window));
    }
  }
  const rowsM = batchSize * outHeight * outWidth;
  // Concat reads its inputs as an array (tfjs passes the tensor list as the input map).
  const patches =
    windows.length === 1
      ? windows[0]
      : keep(run('Concat', b, windows as unknown as Record<string, TensorInfo>, { axis: 3 }));
  const p = keep(run('Reshape', b, { x: patches }, { shape: [1, rowsM, fh * fw * inC] }));
  const g = keep(run('Reshape', b, { x: dy }, { shape: [1, rowsM, outC] }));
  const product = keep(run('BatchMatMul', b, { a: p, b: g }, { transposeA: true, transposeB: false }));
  return done(run('Reshape', b, { x: product }, { shape: filterShape }));
};

/** The 1-D geometry of a stride-1 convolution over one-row images (a Conv1D's 4-D view), else null. */
export function rowGeometry(info: tf.backend_util.Conv2DInfo): Conv1dGeometry | null {
  const { padInfo: p } = info;
  const oneRow = info.inHeight === 1 && info.filterHeight === 1 && p.top === 0 && p.bottom === 0;
  const plain =
    info.strideWidth === 1 &&
    info.strideHeight === 1 &&
    info.dilationWidth === 1 &&
    info.dilationHeight === 1 &&
    info.dataFormat === 'channelsLast';
  if (!oneRow || !plain) return null;
  return {
    batch: info.batchSize,
    steps: info.inWidth,
    inChannels: info.inChannels,
    outChannels: info.outChannels,
    kernelSize: info.filterWidth,
    padLeft: p.left,
    padRight: p.right,
  };
}

/**
 * `Conv2DBackpropFilter` for stride 1: a one-row (Conv1D) case whose output channels come
 * in eights goes to `wasm/conv.ts`; others as one forward convolution, which wasm runs with
 * XNNPACK: dW[kh, kw, i, o] = sum over (n, h, w) of xpad[n, h+kh, w+kw, i] * dy[n, h, w, o]
 * is a valid convolution of xpad with batch and channels swapped ([inC, H, W, N]) by dy
 * used as a filter ([outH, outW, N, outC]). Measured ~3x faster than im2col on the Conv1D AE.
 * Strided convolutions keep the im2col path.
 */
export const conv2dBackpropFilterWasm: KernelFunc = (args) => {
  const b = args.backend as Backend;
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs as unknown as BackpropFilterAttrs;
  const { filterShape } = attrs;
  if (!nhwcStrideOne(attrs)) return conv2dBackpropFilterIm2col(args);
  const info = nhwcConvInfo(x.shape as Shape4, filterShape, 1, attrs);
  const rows = rowGeometry(info);
  const direct = rows && conv1dFilterGradient(b as unknown as WasmHeapBackend, x, dy, rows);
  if (direct) return { ...direct, shape: filterShape };
  const { top, bottom, left, right } = info.padInfo;
  const { keep, done } = scratch(b);
  const padded = padSpatial(b, x, [top, bottom, left, right], keep);
  const image = keep(run('Transpose', b, { x: padded }, { perm: [3, 1, 2, 0] }));
  const kernel = keep(run('Transpose', b, { x: dy }, { perm: [1, 2, 0, 3] }));
  const conv = keep(validConv(b, image, kernel));
  return done(run('Transpose', b, { x: conv }, { perm: [1, 2, 0, 3] }));
};

/**
 * wasm's own `Conv2DBackpropInput` is a naive loop (~10x slower than its forward Conv2D on
 * the Conv1D AE). A one-row (Conv1D) case whose input channels come in eights goes to
 * `wasm/conv.ts`; for other stride-1 cases the input gradient is the forward convolution of dy, padded
 * by (kernel - 1 - pad), with the filter flipped in space and its in/out channels swapped;
 * other cases use wasm's kernel.
 */
function conv2dBackpropInputVia(original: KernelFunc): KernelFunc {
  return (args) => {
    const b = args.backend as Backend;
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const attrs = args.attrs as unknown as BackpropInputAttrs;
    const { inputShape } = attrs;
    if (!nhwcStrideOne(attrs)) return original(args);
    const [fh, fw] = filter.shape;
    const info = nhwcConvInfo(inputShape, filter.shape as Shape4, 1, attrs);
    const rows = rowGeometry(info);
    const direct = rows && conv1dInputGradient(b as unknown as WasmHeapBackend, dy, filter, rows);
    if (direct) return { ...direct, shape: inputShape };
    const { top, bottom, left, right } = info.padInfo;
    const pads = [fh - 1 - top, fh - 1 - bottom, fw - 1 - left, fw - 1 - right];
    if (pads.some((p) => p < 0)) return original(args);
    const { keep, done } = scratch(b);
    const flipped = keep(run('Reverse', b, { x: filter }, { dims: [0, 1] }));
    const swapped = keep(run('Transpose', b, { x: flipped }, { perm: [0, 1, 3, 2] }));
    const padded = padSpatial(b, dy, pads, keep);
    return done(validConv(b, padded, swapped));
  };
}

interface PoolGradAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * `MaxPoolGrad` (NHWC) as one JS pass over wasm memory: each output's gradient goes to the
 * first largest input of its window (tfjs' rule). wasm's own kernel was measured at ~4 ms
 * per call on the Conv1D AE's [32, 1, 140, 32] pools, about 10% of its training step.
 */
const maxPoolGradWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WasmHeapBackend;
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as PoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const dx = b.makeOutput(input.shape, 'float32');
  const [X, DY, DX] = [input, dy, dx].map((t) => b.typedArrayFromHeap(t));
  DX.fill(0);
  const {
    batchSize,
    inHeight,
    inWidth,
    inChannels: C,
    outHeight,
    outWidth,
    strideHeight,
    strideWidth,
    effectiveFilterHeight: fh,
    effectiveFilterWidth: fw,
  } = info;
  const { top, left } = info.padInfo;
  let o = 0;
  for (let n = 0; n < batchSize; n++) {
    const base = n * inHeight * inWidth * C;
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = Math.max(0, oh * strideHeight - top);
      const h1 = Math.min(inHeight, oh * strideHeight - top + fh);
      for (let ow = 0; ow < outWidth; ow++) {
        const w0 = Math.max(0, ow * strideWidth - left);
        const w1 = Math.min(inWidth, ow * strideWidth - left + fw);
        for (let c = 0; c < C; c++, o++) {
          let best = -Infinity;
          let at = -1;
          for (let h = h0; h < h1; h++) {
            for (let w = w0, i = base + (h * inWidth + w0) * C + c; w < w1; w++, i += C) {
              if (X[i] > best || at < 0) {
                best = X[i];
                at = i;
              }
            }
          }
          if (at >= 0) DX[at] += DY[o];
        }
      }
    }
  }
  return dx;
};

let registered = false;

/** Register the missing (and replace the slow) wasm convolution gradient kernels, once per thread. */
export function registerWasmGradientKernels(): void {
  if (registered) return;
  registered = true;
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
    const config: KernelConfig = {
      kernelName: 'Conv2DBackpropFilter',
      backendName: 'wasm',
      kernelFunc: conv2dBackpropFilterWasm,
    };
    tf.registerKernel(config);
  }
  if (tf.getKernel('MaxPoolGrad', 'wasm')) tf.unregisterKernel('MaxPoolGrad', 'wasm');
  tf.registerKernel({ kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: maxPoolGradWasm });
  const input = tf.getKernel('Conv2DBackpropInput', 'wasm');
  if (input) {
    tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
    tf.registerKernel({ ...input, kernelFunc: conv2dBackpropInputVia(input.kernelFunc) });
  }
}

interface BatchMatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

/**
 * wasm's BatchMatMul is fast (XNNPACK) only without transposes; with `transposeA` or
 * `transposeB` it takes a naive path measured ~5x slower on the 32x140x128 products of a
 * dense AE. Backpropagation through every dense layer asks for exactly those transposed
 * products (dX = dY.W^T, dW = X^T.dY), so we transpose the operand explicitly (a cheap
 * copy) and call the fast path.
 */
function transposeFirst(fast: KernelFunc): KernelFunc {
  return (args) => {
    const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs;
    if (!transposeA && !transposeB) return fast(args);
    const b = args.backend as Backend;
    const { a, b: bIn } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const flip = (t: TensorInfo) => {
      const rank = t.shape.length;
      const perm = [...Array(rank).keys()];
      [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
      return run('Transpose', b, { x: t }, { perm });
    };
    const a2 = transposeA ? flip(a) : a;
    const b2 = transposeB ? flip(bIn) : bIn;
    const out = fast({
      ...args,
      inputs: { a: a2, b: b2 },
      attrs: { ...args.attrs, transposeA: false, transposeB: false },
    });
    if (a2 !== a) b.disposeData(a2.dataId);
    if (b2 !== bIn) b.disposeData(b2.dataId);
    return out;
  };
}

let matMulWrapped = false;

/** Route transposed BatchMatMuls through an explicit Transpose (idempotent). */
export function registerWasmMatMulTransposeFirst(): void {
  if (matMulWrapped) return;
  matMulWrapped = true;
  const original = tf.getKernel('BatchMatMul', 'wasm');
  if (!original) return;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ ...original, kernelFunc: transposeFirst(original.kernelFunc) });
}

/**
 * Copy the box `begin`/`size` of `x` into a new tensor of shape `outShape` (same element
 * count), as contiguous runs read through a view of wasm memory.
 */
function copyBox(b: WasmHeapBackend, x: TensorInfo, begin: number[], size: number[], outShape: number[]): TensorInfo {
  const out = b.makeOutput(outShape, x.dtype);
  // Views after the allocation: growing wasm memory detaches older views.
  const src = b.typedArrayFromHeap(x);
  const dst = b.typedArrayFromHeap(out);
  const shape = x.shape;
  const rank = shape.length;
  const strides = tf.util.computeStrides(shape);
  strides.push(1);
  // The innermost axes the box covers fully are copied as one run.
  let runAxis = rank - 1;
  let run = size[runAxis];
  while (runAxis > 0 && size[runAxis] === shape[runAxis]) {
    runAxis -= 1;
    run *= size[runAxis];
  }
  const outer = size.slice(0, runAxis);
  const index = new Array<number>(runAxis).fill(0);
  const total = outer.reduce((a, c) => a * c, 1);
  let base = 0;
  for (let a = 0; a < rank; a++) base += begin[a] * strides[a];
  for (let n = 0, o = 0; n < total; n++, o += run) {
    let offset = base;
    for (let a = 0; a < runAxis; a++) offset += index[a] * strides[a];
    dst.set(src.subarray(offset, offset + run), o);
    for (let a = runAxis - 1; a >= 0; a--) {
      if (++index[a] < outer[a]) break;
      index[a] = 0;
    }
  }
  return out;
}

/**
 * wasm's Slice reads its input with `readSync`, which copies the WHOLE input out of wasm
 * memory for every slice; recurrent layers slice a [batch, steps, units] tensor once per
 * step (and Unpack does the same per output), so one LSTM step copied ~80 MB. These
 * versions read through a view and copy only the slice.
 */
const sliceWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: TensorInfo };
  const { begin, size } = attrs as unknown as { begin: number | number[]; size: number | number[] };
  const [begin_, size_] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, begin, size);
  return copyBox(backend as unknown as WasmHeapBackend, x, begin_, size_, size_);
};

const unpackWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const { value } = inputs as { value: TensorInfo };
  let { axis } = attrs as unknown as { axis: number };
  if (axis < 0) axis += value.shape.length;
  const outShape = value.shape.filter((_, i) => i !== axis);
  const begin = new Array<number>(value.shape.length).fill(0);
  const size = [...value.shape];
  size[axis] = 1;
  const outs: TensorInfo[] = [];
  for (let i = 0; i < value.shape[axis]; i++) {
    begin[axis] = i;
    outs.push(copyBox(backend as unknown as WasmHeapBackend, value, begin, size, outShape));
  }
  return outs;
};

let slicingReplaced = false;

/** Replace wasm's copying Slice and Unpack for numeric tensors (idempotent). */
export function registerWasmFastSlicing(): void {
  if (slicingReplaced) return;
  slicingReplaced = true;
  for (const [name, fast] of [
    ['Slice', sliceWasm],
    ['Unpack', unpackWasm],
  ] as const) {
    const original = tf.getKernel(name, 'wasm');
    if (!original) continue;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      ...original,
      // Strings live outside wasm memory: keep wasm's own implementation for them.
      kernelFunc: (args) =>
        Object.values(args.inputs)[0]?.dtype === 'string' ? original.kernelFunc(args) : fast(args),
    });
  }
}
