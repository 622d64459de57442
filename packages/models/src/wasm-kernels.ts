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
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';

type Backend = Parameters<KernelFunc>[0]['backend'] & { disposeData(dataId: object): boolean };

function kernel(name: string): KernelFunc {
  const config = tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`wasm backend has no ${name} kernel; cannot build Conv2DBackpropFilter`);
  return config.kernelFunc;
}

function run(name: string, backend: Backend, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
  return kernel(name)({ inputs, backend, attrs }) as TensorInfo;
}

interface BackpropFilterAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/** `Conv2DBackpropFilter` for wasm via im2col + one BatchMatMul (NHWC, dilation 1). */
export const conv2dBackpropFilterWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as Backend;
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as BackpropFilterAttrs;
  if (dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter (wasm): dataFormat must be NHWC, got ${dataFormat}`);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const [fh, fw, inC, outC] = filterShape;
  const { top, bottom, left, right } = info.padInfo;
  const { outHeight, outWidth, strideHeight, strideWidth, batchSize } = info;
  const temps: TensorInfo[] = [];
  const keep = (t: TensorInfo) => (temps.push(t), t);

  const padded =
    top || bottom || left || right
      ? keep(
          run('PadV2', b, { x }, {
            paddings: [
              [0, 0],
              [top, bottom],
              [left, right],
              [0, 0],
            ],
            constantValue: 0,
          }),
        )
      : x;
  const windows: TensorInfo[] = [];
  for (let kh = 0; kh < fh; kh++) {
    for (let kw = 0; kw < fw; kw++) {
      const begin = [0, kh, kw, 0];
      const window =
        strideHeight === 1 && strideWidth === 1
          ? run('Slice', b, { x: padded }, { begin, size: [batchSize, outHeight, outWidth, inC] })
          : run('StridedSlice', b, { x: padded }, {
              begin,
              end: [batchSize, kh + (outHeight - 1) * strideHeight + 1, kw + (outWidth - 1) * strideWidth + 1, inC],
              strides: [1, strideHeight, strideWidth, 1],
              beginMask: 0,
              endMask: 0,
              ellipsisMask: 0,
              newAxisMask: 0,
              shrinkAxisMask: 0,
            });
      windows.push(keep(window));
    }
  }
  const rowsM = batchSize * outHeight * outWidth;
  // Concat reads its inputs as an array (tfjs passes the tensor list as the input map).
  const patches = windows.length === 1 ? windows[0] : keep(run('Concat', b, windows as unknown as Record<string, TensorInfo>, { axis: 3 }));
  const p = keep(run('Reshape', b, { x: patches }, { shape: [1, rowsM, fh * fw * inC] }));
  const g = keep(run('Reshape', b, { x: dy }, { shape: [1, rowsM, outC] }));
  const product = keep(run('BatchMatMul', b, { a: p, b: g }, { transposeA: true, transposeB: false }));
  const dw = run('Reshape', b, { x: product }, { shape: filterShape });
  for (const t of temps) b.disposeData(t.dataId);
  return dw;
};

let registered = false;

/** Register the missing wasm gradient kernels once per thread (idempotent). */
export function registerWasmGradientKernels(): void {
  if (registered) return;
  registered = true;
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
    const config: KernelConfig = { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2dBackpropFilterWasm };
    tf.registerKernel(config);
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
    const out = fast({ ...args, inputs: { a: a2, b: b2 }, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
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
