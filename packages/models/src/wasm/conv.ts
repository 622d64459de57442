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

/** A stride-1, dilation-1 1-D convolution of x [batch, steps, inChannels] by a filter [kernelSize, inChannels, outChannels]. */
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
const TILE = 8;

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

/** x [batch, steps, channels] with `left` and `right` zero steps around each row: a new tensor, or x itself without padding. */
function padded(b: WasmHeapBackend, x: TensorInfo, [batch, steps, channels]: number[], left: number, right: number): TensorInfo {
  if (left === 0 && right === 0) return x;
  const width = steps + left + right;
  const out = b.makeOutput([batch, width, channels], 'float32');
  const [X, O] = [x, out].map((t) => b.typedArrayFromHeap(t));
  const row = steps * channels;
  O.fill(0);
  for (let n = 0; n < batch; n++) O.set(X.subarray(n * row, (n + 1) * row), (n * width + left) * channels);
  return out;
}

/**
 * A [depth, columns] matrix as `conv.wat` reads it, [columns / 8][depth][8]; `at(r, c)` is
 * the index of element (r, c) in `source`'s values.
 */
function packed(b: WasmHeapBackend, source: TensorInfo, depth: number, columns: number, at: (r: number, c: number) => number): TensorInfo {
  const out = b.makeOutput([depth * columns], 'float32');
  const [S, P] = [source, out].map((t) => b.typedArrayFromHeap(t));
  for (let t = 0, o = 0; t < columns; t += TILE) {
    for (let r = 0; r < depth; r++) for (let j = 0; j < TILE; j++, o++) P[o] = S[at(r, t + j)];
  }
  return out;
}

/** A [depth, columns] matrix transposed, [columns][depth] (for `dots`; the reconstruction layer's one column needs no copy). */
function transposed(b: WasmHeapBackend, source: TensorInfo, depth: number, columns: number): TensorInfo {
  if (columns === 1) return source;
  const out = b.makeOutput([columns * depth], 'float32');
  const [S, T] = [source, out].map((t) => b.typedArrayFromHeap(t));
  for (let c = 0, o = 0; c < columns; c++) for (let r = 0; r < depth; r++, o++) T[o] = S[r * columns + c];
  return out;
}

function dispose(b: WasmHeapBackend, keep: TensorInfo, temps: TensorInfo[]): void {
  for (const t of temps) if (t.dataId !== keep.dataId) b.disposeData(t.dataId);
}

/** y [batch, outSteps, outChannels] = conv(x, filter) + bias, then relu when asked; null where conv.wat does not apply. */
export function conv1dForward(b: WasmHeapBackend, x: TensorInfo, filter: TensorInfo, bias: TensorInfo | null, g: Conv1dGeometry, relu: boolean): TensorInfo | null {
  const pass = passes(b, g);
  if (!pass) return null;
  const { batch, inChannels: cin, outChannels: cout, kernelSize: k } = g;
  const tiled = cout % TILE === 0;
  const xp = padded(b, x, [batch, g.steps, cin], g.padLeft, g.padRight);
  const weights = tiled ? packed(b, filter, k * cin, cout, (r, c) => r * cout + c) : transposed(b, filter, k * cin, cout);
  const y = b.makeOutput([batch, outSteps(g), cout], 'float32');
  const args = [offsetOf(b, xp), 4 * cin, 4 * (g.steps + g.padLeft + g.padRight) * cin, batch, outSteps(g), k * cin, offsetOf(b, weights)] as const;
  const rest = [offsetOf(b, y), bias ? offsetOf(b, bias) : 0, bias ? 1 : 0, relu ? 1 : 0] as const;
  if (tiled) pass.gemm(...args, cout / TILE, ...rest);
  else pass.dots(...args, cout, ...rest);
  dispose(b, x, [xp]);
  dispose(b, filter, [weights]);
  return y;
}

/** dFilter [kernelSize, inChannels, outChannels] from x and dy [batch, outSteps, outChannels]; null where conv.wat does not apply. */
export function conv1dFilterGradient(b: WasmHeapBackend, x: TensorInfo, dy: TensorInfo, g: Conv1dGeometry): TensorInfo | null {
  const pass = passes(b, g);
  if (!pass) return null;
  const { batch, inChannels: cin, outChannels: cout, kernelSize: k } = g;
  const depth = k * cin;
  const xp = padded(b, x, [batch, g.steps, cin], g.padLeft, g.padRight);
  const sums = b.makeOutput([k, cin, cout], 'float32');
  b.typedArrayFromHeap(sums).fill(0);
  const args = [offsetOf(b, xp), 4 * cin, 4 * (g.steps + g.padLeft + g.padRight) * cin, batch, outSteps(g), depth, offsetOf(b, dy), cout, offsetOf(b, sums)] as const;
  if (cout % TILE === 0) pass.outer(...args);
  else pass.outerT(...args);
  dispose(b, x, [xp]);
  if (cout % TILE === 0 || cout === 1) return sums;
  const dFilter = b.makeOutput([k, cin, cout], 'float32');
  const [T, D] = [sums, dFilter].map((t) => b.typedArrayFromHeap(t));
  for (let r = 0, o = 0; r < depth; r++) for (let c = 0; c < cout; c++, o++) D[o] = T[c * depth + r];
  b.disposeData(sums.dataId);
  return dFilter;
}

/**
 * dx [batch, steps, inChannels] from dy [batch, outSteps, outChannels]: the forward pass of
 * dy, padded by kernelSize - 1 - pad on each side, by the filter reversed in its steps with
 * its channels swapped; null where conv.wat does not apply.
 */
export function conv1dInputGradient(b: WasmHeapBackend, dy: TensorInfo, filter: TensorInfo, g: Conv1dGeometry): TensorInfo | null {
  const { batch, inChannels: cin, outChannels: cout, kernelSize: k } = g;
  const [left, right] = [k - 1 - g.padLeft, k - 1 - g.padRight];
  const pass = left >= 0 && right >= 0 && cin % TILE === 0 ? passes(b, g) : null;
  if (!pass) return null;
  const dyp = padded(b, dy, [batch, outSteps(g), cout], left, right);
  // row r = (k', o) of the reversed filter holds filter[k - 1 - k'][i][o] in column i
  const weights = packed(b, filter, k * cout, cin, (r, i) => ((k - 1 - Math.floor(r / cout)) * cin + i) * cout + (r % cout));
  const dx = b.makeOutput([batch, g.steps, cin], 'float32');
  pass.gemm(offsetOf(b, dyp), 4 * cout, 4 * (g.steps + k - 1) * cout, batch, g.steps, k * cout, offsetOf(b, weights), cin / TILE, offsetOf(b, dx), 0, 0, 0);
  dispose(b, dy, [dyp, weights]);
  return dx;
}

/**
 * dz = dy · f'(y) for relu (zero where y <= 0) or linear (dy), and dBias = dz summed over
 * rows, for a [rows, channels] layer with channels in fours; false (nothing written) otherwise.
 */
export function backpropRelu(b: WasmHeapBackend, dy: TensorInfo, y: TensorInfo, dz: TensorInfo, dBias: TensorInfo, relu: boolean): boolean {
  const pass = convPasses(b);
  const channels = y.shape[y.shape.length - 1];
  const rows = y.shape.reduce((a, d) => a * d, 1) / channels;
  if (!pass || channels % 4 !== 0 || rows === 0) return false;
  pass.backprop(offsetOf(b, dy), offsetOf(b, y), offsetOf(b, dz), rows, channels, offsetOf(b, dBias), relu ? 1 : 0);
  return true;
}
