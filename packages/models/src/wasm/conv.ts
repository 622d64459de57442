/**
 * Stride-1 1-D convolutions (channels last) on tfjs-wasm by `conv.wat`: a layer's forward
 * pass, filter gradient and input gradient, each one pass over tfjs' memory with no patch
 * matrix. Measured on the Conv1D AE's layers (2-core EPYC, one thread): 20-31 GFLOP/s for
 * all three, where XNNPACK's forward convolution ran at ~18.6 and the gradients built from
 * it (transposes, padding, reversed filters around a Conv2D) at ~7.
 *
 * Outputs whose channels come in eights take `conv.wat`'s 4 x 8 register tiles; others (a
 * reconstruction layer's single channel) one dot product per output. The passes around the
 * convolutions (activation derivative and bias gradient, max-pooling with its argmax and
 * its gradient, upsampling and its gradient) are `conv.wat` loops too, f32x4 where the
 * channels come in fours: as JS loops over wasm memory they were ~4-10 ns per value, a
 * third of a lean Conv1D step.
 *
 * Each function returns null where tfjs-wasm's memory is not reachable or the shape does
 * not fit its loops; callers then use tfjs' kernels or JS.
 */
import type { TensorInfo } from '@tensorflow/tfjs';
import type { WasmHeapBackend } from './heap.js';
import { convPassesOver, type ConvPasses } from './modules.js';

/**
 * A stride-1, dilation-1 1-D convolution of x [batch, steps, inChannels] by a filter [kernelSize, inChannels,
 * outChannels].
 */
export interface Conv1dGeometry {
  batch: number;
  steps: number;
  inChannels: number;
  outChannels: number;
  kernelSize: number;
  /** Zero steps before each row of x (`same`: the smaller half of kernelSize - 1; `valid`: 0). */
  padLeft: number;
  /** Zero steps after each row of x. */
  padRight: number;
}

/** Output columns per tile of `conv.wat` (two f32x4 registers). */
export const TILE = 8;

/**
 * Whether `columns` outputs go through the register tiles: in eights, or more than one
 * tile's worth (the last tile padded with zero columns; 140 outputs waste 3%). Fewer than
 * eight (a reconstruction layer's one channel) take one dot product each instead.
 */
export const tiles = (columns: number): boolean => columns % TILE === 0 || columns > TILE;
export const wide = (columns: number): number => Math.ceil(columns / TILE) * TILE;

/** The output's steps: steps + padLeft + padRight - kernelSize + 1. */
export function outSteps(g: Conv1dGeometry): number {
  return g.steps + g.padLeft + g.padRight - g.kernelSize + 1;
}

/** `conv.wat` over this backend's memory, or null where tfjs-wasm does not expose it. */
export function convPasses(b: WasmHeapBackend): ConvPasses | null {
  const memory = b.wasm.asm?.memory;
  return memory instanceof WebAssembly.Memory ? convPassesOver(memory) : null;
}

function passes(b: WasmHeapBackend, g: Conv1dGeometry): ConvPasses | null {
  return g.batch > 0 && outSteps(g) > 0 && g.steps > 0 ? convPasses(b) : null;
}

/** Where a tensor's values start in wasm memory, in bytes. */
export const offsetOf = (b: WasmHeapBackend, t: TensorInfo): number => b.dataIdMap.get(t.dataId)!.memoryOffset;

/**
 * x [batch, steps, channels] with `left` and `right` zero steps around each row: a new tensor, or x itself without
 * padding.
 */
function padded(
  b: WasmHeapBackend,
  x: TensorInfo,
  [batch, steps, channels]: number[],
  left: number,
  right: number,
): TensorInfo {
  if (left === 0 && right === 0) return x;
  const width = steps + left + right;
  const out = b.makeOutput([batch, width, channels], 'float32');
  const [X, O] = [x, out].map((t) => b.typedArrayFromHeap(t));
  const row = steps * channels;
  O.fill(0);
  for (let n = 0; n < batch; n++) O.set(X.subarray(n * row, (n + 1) * row), (n * width + left) * channels);
  return out;
}

/** Rows of `columns` values widened to `width` with zero columns: a new tensor, or `source` itself when as wide. */
function widened(b: WasmHeapBackend, source: TensorInfo, rows: number, columns: number, width: number): TensorInfo {
  if (width === columns) return source;
  const out = b.makeOutput([rows * width], 'float32');
  const [S, O] = [source, out].map((t) => b.typedArrayFromHeap(t));
  O.fill(0);
  for (let r = 0; r < rows; r++) O.set(S.subarray(r * columns, (r + 1) * columns), r * width);
  return out;
}

/**
 * The first `columns` of each `width`-wide row of `scratch` as a tensor of `shape` (scratch is disposed, or returned as
 * it is when as wide).
 */
function narrowed(
  b: WasmHeapBackend,
  scratch: TensorInfo,
  rows: number,
  width: number,
  columns: number,
  shape: number[],
): TensorInfo {
  if (width === columns) return { ...scratch, shape };
  const out = b.makeOutput(shape, 'float32');
  const [S, O] = [scratch, out].map((t) => b.typedArrayFromHeap(t));
  for (let r = 0; r < rows; r++) O.set(S.subarray(r * width, r * width + columns), r * columns);
  b.disposeData(scratch.dataId);
  return out;
}

/**
 * A [depth, columns] matrix as `conv.wat`'s gemm reads it, [tiles][depth][8], zero past the
 * last column, from `blocks` blocks of rows: block q's rows are `source`'s values from
 * element `q.start`, row stride `q.rowStride`, column stride `q.colStride`.
 */
function packed(
  b: WasmHeapBackend,
  pass: ConvPasses,
  source: TensorInfo,
  depth: number,
  columns: number,
  blocks: readonly { rows: number; start: number; rowStride: number; colStride: number }[],
): TensorInfo {
  const out = b.makeOutput([depth * wide(columns)], 'float32');
  const [from, to] = [offsetOf(b, source), offsetOf(b, out)];
  let row = 0;
  for (const q of blocks) {
    pass.pack(from + 4 * q.start, q.rows, columns, q.rowStride, q.colStride, to + 4 * TILE * row, depth);
    row += q.rows;
  }
  return out;
}

/**
 * A [depth, columns] matrix transposed, [columns][depth] (for `dots`; the reconstruction layer's one column needs no
 * copy).
 */
function transposed(b: WasmHeapBackend, source: TensorInfo, depth: number, columns: number): TensorInfo {
  if (columns === 1) return source;
  const out = b.makeOutput([columns * depth], 'float32');
  const [S, T] = [source, out].map((t) => b.typedArrayFromHeap(t));
  for (let c = 0, o = 0; c < columns; c++) for (let r = 0; r < depth; r++, o++) T[o] = S[r * columns + c];
  return out;
}

/** Disposes each temporary that is not one of the caller's own tensors. */
function dispose(b: WasmHeapBackend, own: readonly (TensorInfo | null)[], temps: TensorInfo[]): void {
  for (const t of temps) if (!own.some((o) => o?.dataId === t.dataId)) b.disposeData(t.dataId);
}

/** x's padded rows as conv.wat's passes read them (see {@link overPaddedRows}). */
interface PaddedRows {
  pass: NonNullable<ReturnType<typeof passes>>;
  rows: number;
  width: number;
  depth: number;
  xp: TensorInfo;
  xArgs: readonly [number, number, number, number, number, number];
}

/**
 * What the forward pass and the filter gradient share, both reading x's padded rows against
 * `depth` = kernelSize x inChannels: conv.wat's passes, x padded, the output's rows and
 * (tiled) width, and the leading arguments of their passes, handed to `body`, whose result it
 * returns; null where conv.wat does not apply.
 */
function overPaddedRows<T>(
  b: WasmHeapBackend,
  x: TensorInfo,
  g: Conv1dGeometry,
  body: (over: PaddedRows) => T,
): T | null {
  const pass = passes(b, g);
  if (!pass) return null;
  const { batch, inChannels: cin, outChannels: cout, kernelSize: k } = g;
  const [rows, width, depth] = [batch * outSteps(g), tiles(cout) ? wide(cout) : cout, k * cin];
  const xp = padded(b, x, [batch, g.steps, cin], g.padLeft, g.padRight);
  const rowStride = 4 * (g.steps + g.padLeft + g.padRight) * cin;
  const xArgs = [offsetOf(b, xp), 4 * cin, rowStride, batch, outSteps(g), depth] as const;
  return body({ pass, rows, width, depth, xp, xArgs });
}

/**
 * y [batch, outSteps, outChannels] = conv(x, filter) + bias, then relu when asked; null where conv.wat does not apply.
 */
export function conv1dForward(
  b: WasmHeapBackend,
  x: TensorInfo,
  filter: TensorInfo,
  bias: TensorInfo | null,
  g: Conv1dGeometry,
  relu: boolean,
): TensorInfo | null {
  return overPaddedRows(b, x, g, ({ pass, rows, width, depth, xp, xArgs }) => {
    const { batch, outChannels: cout } = g;
    const weights = tiles(cout)
      ? packed(b, pass, filter, depth, cout, [{ rows: depth, start: 0, rowStride: cout, colStride: 1 }])
      : transposed(b, filter, depth, cout);
    const shift = bias && widened(b, bias, 1, cout, width);
    const y = b.makeOutput([rows * width], 'float32');
    const args = [...xArgs, offsetOf(b, weights)] as const;
    const rest = [offsetOf(b, y), shift ? offsetOf(b, shift) : 0, shift ? 1 : 0, relu ? 1 : 0] as const;
    if (tiles(cout)) pass.gemm(...args, width / TILE, ...rest, 4 * TILE * depth, 4 * TILE);
    else pass.dots(...args, cout, ...rest);
    dispose(b, [x, filter, bias], [xp, weights, ...(shift ? [shift] : [])]);
    return narrowed(b, y, rows, width, cout, [batch, outSteps(g), cout]);
  });
}

/**
 * dFilter [kernelSize, inChannels, outChannels] from x and dy [batch, outSteps, outChannels]; null where conv.wat does
 * not apply.
 */
export function conv1dFilterGradient(
  b: WasmHeapBackend,
  x: TensorInfo,
  dy: TensorInfo,
  g: Conv1dGeometry,
): TensorInfo | null {
  return overPaddedRows(b, x, g, ({ pass, rows, width, depth, xp, xArgs }) => {
    const { inChannels: cin, outChannels: cout, kernelSize: k } = g;
    const d = widened(b, dy, rows, cout, width);
    const sums = b.makeOutput([depth * width], 'float32');
    const args = [...xArgs, offsetOf(b, d), width, offsetOf(b, sums)] as const;
    if (tiles(cout)) pass.outer(...args, 1);
    else {
      b.typedArrayFromHeap(sums).fill(0);
      pass.outerT(...args);
    }
    dispose(b, [x, dy], [xp, d]);
    if (tiles(cout)) return narrowed(b, sums, depth, width, cout, [k, cin, cout]);
    // outerT wrote [cout][depth]; one output channel is already [depth][1]
    const dFilter = cout === 1 ? sums : transposed(b, sums, cout, depth);
    if (dFilter !== sums) b.disposeData(sums.dataId);
    return { ...dFilter, shape: [k, cin, cout] };
  });
}

/**
 * dx [batch, steps, inChannels] from dy [batch, outSteps, outChannels]: the forward pass of
 * dy, padded by kernelSize - 1 - pad on each side, by the filter reversed in its steps with
 * its channels swapped; null where conv.wat does not apply (fewer than 8 input channels).
 */
export function conv1dInputGradient(
  b: WasmHeapBackend,
  dy: TensorInfo,
  filter: TensorInfo,
  g: Conv1dGeometry,
): TensorInfo | null {
  const { batch, inChannels: cin, outChannels: cout, kernelSize: k } = g;
  const [left, right] = [k - 1 - g.padLeft, k - 1 - g.padRight];
  const pass = left >= 0 && right >= 0 && tiles(cin) ? passes(b, g) : null;
  if (!pass) return null;
  const [rows, width] = [batch * g.steps, wide(cin)];
  const dyp = padded(b, dy, [batch, outSteps(g), cout], left, right);
  // row (k', o) of the reversed filter holds filter[k - 1 - k'][i][o] in column i
  const reversed = Array.from({ length: k }, (_, q) => ({
    rows: cout,
    start: (k - 1 - q) * cin * cout,
    rowStride: 1,
    colStride: cout,
  }));
  const weights = packed(b, pass, filter, k * cout, cin, reversed);
  const dx = b.makeOutput([rows * width], 'float32');
  pass.gemm(
    offsetOf(b, dyp),
    4 * cout,
    4 * (g.steps + k - 1) * cout,
    batch,
    g.steps,
    k * cout,
    offsetOf(b, weights),
    width / TILE,
    offsetOf(b, dx),
    0,
    0,
    0,
    4 * TILE * k * cout,
    4 * TILE,
  );
  dispose(b, [dy, filter], [dyp, weights]);
  return narrowed(b, dx, rows, width, cin, [batch, g.steps, cin]);
}

/**
 * dz = dy · mask · f'(y) for relu (zero where y <= 0) or linear (dy), and dBias = dz summed
 * over rows, for a [rows, channels] layer with channels in fours; false (nothing written)
 * otherwise.
 */
export function backpropRelu(
  b: WasmHeapBackend,
  dy: TensorInfo,
  y: TensorInfo,
  dz: TensorInfo,
  dBias: TensorInfo,
  relu: boolean,
  mask: TensorInfo | null = null,
): boolean {
  const pass = convPasses(b);
  const channels = y.shape[y.shape.length - 1];
  const rows = y.shape.reduce((a, d) => a * d, 1) / channels;
  if (!pass || channels % 4 !== 0 || rows === 0) return false;
  pass.backprop(
    offsetOf(b, dy),
    offsetOf(b, y),
    offsetOf(b, dz),
    rows,
    channels,
    offsetOf(b, dBias),
    relu ? 1 : 0,
    mask ? offsetOf(b, mask) : 0,
    mask ? 1 : 0,
  );
  return true;
}

/** out = x · mask elementwise (a dropout mask applied), for a length in fours; false (nothing written) otherwise. */
export function masked(b: WasmHeapBackend, x: TensorInfo, mask: TensorInfo, out: TensorInfo): boolean {
  const pass = convPasses(b);
  const n = x.shape.reduce((a, d) => a * d, 1);
  if (!pass || n % 4 !== 0) return false;
  pass.mul(offsetOf(b, x), offsetOf(b, mask), offsetOf(b, out), n);
  return true;
}
