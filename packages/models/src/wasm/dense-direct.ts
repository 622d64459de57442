/**
 * The lean dense step with no tfjs kernel in it (issue 26): `conv.wat`'s and `adam.wat`'s
 * functions called directly on wasm memory, every intermediate (activations, masks,
 * gradients, packed weights, Adam's moments) in one block allocated once per training and
 * reused each step, the weights updated in place. The kernels of `dense-kernels.ts` made
 * each step ~18 tfjs kernels (engine bookkeeping, a tensor per intermediate, a malloc and a
 * free each: ~5-15 us apiece), more than the arithmetic of the grid's small models.
 *
 * A training's batches are gathered from the host rows straight into a block of its own
 * ({@link DirectDense.stepRows}): no tensor is uploaded, none comes back.
 *
 * The same functions run with the same arguments in the same order as those kernels, so
 * every value is the same bits (tests/dense-direct.test.ts compares the two step by step and over a training).
 * It takes the models whose every layer those kernels run in `conv.wat` (relu or linear,
 * units in fours: in the register tiles' eights, more than eight, or 4, whose products are
 * dot products as the kernels' are); {@link directDense} says null otherwise and the
 * kernels train them. The input gradient of a layer after a 4-unit one is a tile product
 * here and XNNPACK's in the kernels: both add the products in order in float32, the same bits
 * (the tests compare the two step by step).
 */
import { maskDraws, type AleaState, type MemberDropout } from '../builders/dropout-masks.js';
import type { ReconstructionLoss } from '../losses.js';
import { TILE, tiles, wide } from './conv.js';
import type { WasmHeapBackend } from './heap.js';
import { adamPassOver, convPassesOver, type AdamPass, type ConvPasses } from './modules.js';
import { lossSum, penaltyOf } from './dense-kernels.js';

/** One dense layer as the direct step sees it: where its weights live now, and its shape. */
export interface DirectLayer {
  /** Byte offsets of the kernel [inputs, units] and bias [units] now (a variable's data moves when assigned). */
  weights(): { kernel: number; bias: number };
  inputs: number;
  units: number;
  relu: boolean;
  /** The dropout after the layer (its masks those of `dropoutMasks`), or null: none. */
  dropout: MemberDropout;
  l2: number;
}

/** Adam's constants as `FusedAdam` uses them. */
export interface DirectAdam {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** Byte offsets of one layer's buffers in the scratch block (0: none). */
interface LayerBuffers {
  packed: number;
  shift: number;
  yWide: number;
  y: number;
  mask: number;
  h: number;
  dz: number;
  dBias: number;
  dWide: number;
  sums: number;
  dKernel: number;
  packedT: number;
  dxWide: number;
  dx: number;
}

/** One layer's mask to draw: where, how many, and the generator's state and keep probability (`maskDraws`). */
interface MaskStream {
  at: number;
  n: number;
  state: AleaState;
  keep: number;
}

/** Whether the kernels run a layer's passes in `conv.wat`: units in tiles and fours, inputs tiled past the first. */
function directLayer(layer: DirectLayer): boolean {
  return layer.units % 4 === 0;
}

/**
 * Whether a layer's outputs are too few for the register tiles (4 units): its products are
 * `conv.wat`'s dot products (`dots`, `outerT`), as the kernels compute them.
 */
const dotted = (l: DirectLayer): boolean => !tiles(l.units);

/**
 * The direct trainer of `layers` on backend `b`, or null where a layer is not one it
 * trains or `conv.wat` / `adam.wat` cannot reach the backend's memory.
 */
export function directDense(
  b: WasmHeapBackend,
  layers: readonly DirectLayer[],
  loss: ReconstructionLoss,
  adam: DirectAdam,
): DirectDense | null {
  const memory = b.wasm.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory) || !b.wasm._malloc || !b.wasm._free) return null;
  if (!layers.every(directLayer)) return null;
  return new DirectDense(b, memory, layers, loss, adam);
}

/** See the file's header. Owns its blocks of wasm memory until {@link dispose}. */
export class DirectDense {
  private readonly conv: ConvPasses;
  private readonly adamPass: AdamPass;
  /** Adam's moments, m then v of each weight (kernel, bias) in layer order; zero at the start. */
  private moments: number;
  private readonly momentOffsets: { m: number; v: number; n: number }[] = [];
  private scratch = 0;
  private scratchRows = 0;
  private buffers: LayerBuffers[] = [];
  private dOutput = 0;
  private t = 0;
  /** The block {@link stepRows} gathers a batch's rows into (kept, grown when a larger batch comes), and its floats. */
  private input = 0;
  private inputFloats = 0;
  /** Twelve doubles: the generators' states handed to `conv.wat`'s dropout2 and back. */
  private draws: number;

  constructor(
    private readonly b: WasmHeapBackend,
    private readonly memory: WebAssembly.Memory,
    private readonly layers: readonly DirectLayer[],
    private readonly loss: ReconstructionLoss,
    private readonly adam: DirectAdam,
  ) {
    this.conv = convPassesOver(memory);
    this.adamPass = adamPassOver(memory);
    const sizes = layers.flatMap((l) => [l.inputs * l.units, l.units]);
    const floats = 2 * sizes.reduce((a, n) => a + n, 0);
    this.moments = this.malloc(floats);
    let at = this.moments;
    for (const n of sizes) {
      this.momentOffsets.push({ m: at, v: at + 4 * n, n });
      at += 8 * n;
    }
    this.f32(this.moments, floats).fill(0);
    this.draws = this.malloc(24);
  }

  private heapView: Float32Array | null = null;

  /** A block of `floats` values, and 16 bytes to start the scratch block's buffers on a 16-byte line. */
  private malloc(floats: number): number {
    return this.b.wasm._malloc!(4 * floats + 16) >>> 0;
  }

  /** All of wasm memory as floats (kept until an allocation grows it): copies and fills within it allocate nothing. */
  private heap(): Float32Array {
    if (this.heapView?.buffer !== this.memory.buffer) this.heapView = new Float32Array(this.memory.buffer);
    return this.heapView;
  }

  /** A view of `floats` values at byte `offset`: taken anew each time, since any allocation may grow the memory. */
  private f32(offset: number, floats: number): Float32Array {
    return new Float32Array(this.memory.buffer, offset, floats);
  }

  /** The scratch block for batches of up to `rows` rows (kept, and grown when a larger batch comes). */
  private ensureRows(rows: number): void {
    if (rows <= this.scratchRows) return;
    if (this.scratch) this.b.wasm._free!(this.scratch);
    const plan: [keyof LayerBuffers, number][][] = this.layers.map((l, i) => {
      const width = wide(l.units);
      const inWidth = wide(l.inputs);
      // a dotted layer's kernel and kernel gradient are also held transposed (`packed`, `sums`)
      const narrow = width !== l.units && !dotted(l);
      return [
        ['packed', narrow || dotted(l) ? l.inputs * width : 0],
        ['shift', narrow ? width : 0],
        ['yWide', narrow ? rows * width : 0],
        ['y', rows * l.units],
        ['mask', l.dropout ? rows * l.units : 0],
        ['h', l.dropout ? rows * l.units : 0],
        ['dz', rows * l.units],
        ['dBias', l.units],
        ['dWide', narrow ? rows * width : 0],
        ['sums', l.inputs * width],
        ['dKernel', narrow || dotted(l) ? l.inputs * l.units : 0],
        ['packedT', i > 0 ? l.units * inWidth : 0],
        ['dxWide', i > 0 ? rows * inWidth : 0],
        ['dx', i > 0 && inWidth !== l.inputs ? rows * l.inputs : 0],
      ];
    });
    const last = this.layers[this.layers.length - 1];
    // each buffer 4-float (16-byte) aligned
    const round = (n: number) => Math.ceil(n / 4) * 4;
    const total = plan.flat().reduce((a, [, n]) => a + round(n), 0) + round(rows * last.units);
    const base = this.malloc(total);
    this.scratch = base;
    let at = base + ((16 - (base % 16)) % 16);
    this.buffers = plan.map((entries) => {
      const out = {} as LayerBuffers;
      for (const [name, n] of entries) {
        out[name] = n > 0 ? at : 0;
        at += 4 * round(n);
      }
      return out;
    });
    this.dOutput = at;
    this.scratchRows = rows;
  }

  /**
   * The forward pass of `rows` rows at byte `x`: each layer's output (after dropout, with
   * masks of training call `call`, or none when `call` is 0); returns where the last one is.
   */
  private forward(x: number, rows: number, call: number): number {
    const { conv } = this;
    if (call > 0) this.drawMasks(rows, call);
    let input = x;
    this.layers.forEach((l, i) => {
      const buf = this.buffers[i];
      const width = wide(l.units);
      const weights = l.weights();
      if (dotted(l)) {
        this.transpose(weights.kernel, buf.packed, l.inputs, l.units);
        conv.dots(
          input,
          4 * l.inputs,
          4 * rows * l.inputs,
          1,
          rows,
          l.inputs,
          buf.packed,
          l.units,
          buf.y,
          weights.bias,
          1,
          +l.relu,
        );
      }
      // gemm reads a kernel whose rows are whole tiles as it is; a narrow one, padded to tiles
      else if (buf.packed) conv.pack(weights.kernel, l.inputs, l.units, l.units, 1, buf.packed, l.inputs);
      if (buf.shift) {
        const shift = this.f32(buf.shift, width);
        shift.fill(0);
        shift.set(this.f32(weights.bias, l.units));
      }
      if (!dotted(l)) this.product(input, rows, l, buf, width, weights);
      if (buf.yWide) this.narrow(buf.yWide, buf.y, rows, width, l.units);
      input = buf.y;
      if (call > 0 && l.dropout) {
        conv.mul(buf.y, buf.mask, buf.h, rows * l.units);
        input = buf.h;
      }
    });
    return input;
  }

  /**
   * Every layer's `dropoutMasks` multipliers at training call `call`, into its mask buffer, drawn before the
   * forward pass so that the layers' generators run in pairs (`conv.wat`'s dropout2: two streams at three times
   * one's rate, measured), largest with largest: a mirrored autoencoder's encoder and decoder layers pair exactly.
   */
  private drawMasks(rows: number, call: number): void {
    // Plain loops and one object shape: this runs every step, and spreads made V8 drop its optimised code often.
    const drawn: MaskStream[] = [];
    for (let i = 0; i < this.layers.length; i++) {
      const { dropout, units } = this.layers[i];
      if (!dropout) continue;
      const at = this.buffers[i].mask;
      if (dropout.rate === 0) this.f32(at, rows * units).fill(1);
      else {
        const { state, keep } = maskDraws(dropout, call);
        drawn.push({ at, n: rows * units, state, keep });
      }
    }
    drawn.sort((a, b) => b.n - a.n);
    for (let i = 0; i + 1 < drawn.length; i += 2) this.drawPair(drawn[i], drawn[i + 1]);
    if (drawn.length % 2 === 1) {
      const { at, n, state, keep } = drawn[drawn.length - 1];
      this.conv.dropout(at, n, state.c, state.s0, state.s1, state.s2, keep, 1 / keep);
    }
  }

  /** Masks of two layers side by side (`x` the longer), the rest of `x`'s from where its generator stopped. */
  private drawPair(x: MaskStream, y: MaskStream): void {
    const state = new Float64Array(this.memory.buffer, this.draws, 12);
    const [a, b] = [x.state, y.state];
    state.set([a.c, b.c, a.s0, b.s0, a.s1, b.s1, a.s2, b.s2, x.keep, y.keep, 1 / x.keep, 1 / y.keep]);
    this.conv.dropout2(x.at, y.at, y.n, this.draws);
    if (x.n > y.n) {
      const [c, , s0, , s1, , s2] = state;
      this.conv.dropout(x.at + 4 * y.n, x.n - y.n, c, s0, s1, s2, x.keep, 1 / x.keep);
    }
  }

  /** y = act(x·kernel + bias) into the layer's (wide) output, with conv1dForward's arguments. */
  private product(
    input: number,
    rows: number,
    l: DirectLayer,
    buf: LayerBuffers,
    width: number,
    { kernel, bias }: { kernel: number; bias: number },
  ): void {
    const shift = buf.shift || bias;
    const yOut = buf.yWide || buf.y;
    const [b, tileStride, bRowStride] = buf.packed
      ? [buf.packed, 4 * TILE * l.inputs, 4 * TILE]
      : [kernel, 4 * TILE, 4 * l.units];
    this.conv.gemm(
      input,
      4 * l.inputs,
      4 * rows * l.inputs,
      1,
      rows,
      l.inputs,
      b,
      width / TILE,
      yOut,
      shift,
      1,
      l.relu ? 1 : 0,
      tileStride,
      bRowStride,
    );
  }

  /** The [rows][columns] matrix at `from`, transposed to [columns][rows] at `to`. */
  private transpose(from: number, to: number, rows: number, columns: number): void {
    const heap = this.heap();
    const [f, t] = [from >>> 2, to >>> 2];
    for (let c = 0, o = t; c < columns; c++) for (let r = 0; r < rows; r++, o++) heap[o] = heap[f + r * columns + c];
  }

  /** The first `columns` of each `width`-wide row at `from`, to `to`. */
  private narrow(from: number, to: number, rows: number, width: number, columns: number): void {
    const heap = this.heap();
    const [f, t] = [from >>> 2, to >>> 2];
    for (let r = 0; r < rows; r++) heap.copyWithin(t + r * columns, f + r * width, f + r * width + columns);
  }

  /** `dz`'s rows, `columns` wide, widened to `width` with zero columns at `to`. */
  private widen(from: number, to: number, rows: number, columns: number, width: number): void {
    const heap = this.heap();
    const [f, t] = [from >>> 2, to >>> 2];
    for (let r = 0; r < rows; r++) {
      heap.copyWithin(t + r * width, f + r * columns, f + (r + 1) * columns);
      heap.fill(0, t + r * width + columns, t + (r + 1) * width);
    }
  }

  /** Every layer's gradients from the output's gradient, layer by layer from the last. */
  private backward(x: number, rows: number, withMasks: boolean): void {
    const { conv } = this;
    let dh = this.dOutput;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const l = this.layers[i];
      const buf = this.buffers[i];
      const input = i === 0 ? x : this.outputOf(i - 1, withMasks);
      const width = wide(l.units);
      const mask = withMasks && l.dropout ? buf.mask : 0;
      conv.backprop(dh, buf.y, buf.dz, rows, l.units, buf.dBias, l.relu ? 1 : 0, mask, mask ? 1 : 0);
      const d = buf.dWide || buf.dz;
      if (buf.dWide) this.widen(buf.dz, buf.dWide, rows, l.units, width);
      if (dotted(l)) {
        // [units][inputs], added to what is there
        this.heap().fill(0, buf.sums >>> 2, (buf.sums >>> 2) + l.units * l.inputs);
        conv.outerT(input, 4 * l.inputs, 4 * rows * l.inputs, 1, rows, l.inputs, buf.dz, l.units, buf.sums);
        this.transpose(buf.sums, buf.dKernel, l.units, l.inputs);
      } else {
        conv.outer(input, 4 * l.inputs, 4 * rows * l.inputs, 1, rows, l.inputs, d, width, buf.sums, 1);
        if (buf.dKernel) this.narrow(buf.sums, buf.dKernel, l.inputs, width, l.units);
      }
      if (i === 0) break;
      const inWidth = wide(l.inputs);
      conv.pack(l.weights().kernel, l.units, l.inputs, 1, l.units, buf.packedT, l.units);
      const dxOut = buf.dxWide;
      const packedT = [buf.packedT, inWidth / TILE, dxOut, 0, 0, 0, 4 * TILE * l.units, 4 * TILE] as const;
      conv.gemm(buf.dz, 4 * l.units, 4 * rows * l.units, 1, rows, l.units, ...packedT);
      if (buf.dx) this.narrow(buf.dxWide, buf.dx, rows, inWidth, l.inputs);
      dh = buf.dx || buf.dxWide;
    }
  }

  /** Where layer `i`'s output (after its dropout when masks were drawn) is. */
  private outputOf(i: number, withMasks: boolean): number {
    const buf = this.buffers[i];
    return withMasks && this.layers[i].dropout ? buf.h : buf.y;
  }

  /** The penalties sum_i l2_i · sum(kernel_i²) at the weights now. */
  private penalty(): number {
    return penaltyOf(
      this.layers
        .filter((l) => l.l2 > 0)
        .map((l) => ({ values: this.f32(l.weights().kernel, l.inputs * l.units), l2: l.l2 })),
    );
  }

  /**
   * One Adam step on the `rows` rows at byte `x` with dropout masks of training call `call`;
   * returns the batch's total loss (float32, with penalties) at the weights it saw.
   */
  step(x: number, rows: number, call: number): number {
    this.ensureRows(rows);
    const output = this.forward(x, rows, call);
    const last = this.layers[this.layers.length - 1];
    const n = rows * last.units;
    const sum = lossSum(this.f32(output, n), this.f32(x, n), this.f32(this.dOutput, n), this.loss);
    this.backward(x, rows, true);
    return Math.fround(sum / n + this.update());
  }

  /**
   * {@link step} of `split`'s rows `order[start]` .. `order[start + rows - 1]`, copied from the host straight into
   * a block of its own: no tensor, no upload, no allocation once the block has a batch's size.
   */
  stepRows(
    split: { x: Float32Array; features: number },
    order: Int32Array,
    start: number,
    rows: number,
    call: number,
  ): number {
    const { x, features } = split;
    if (features !== this.layers[0].inputs)
      throw new Error(`the model takes ${this.layers[0].inputs} values per row, the rows have ${features}`);
    const floats = rows * features;
    if (floats > this.inputFloats) {
      if (this.input) this.b.wasm._free!(this.input);
      this.input = this.malloc(floats);
      this.inputFloats = floats;
    }
    const heap = this.heap();
    const at = this.input >>> 2;
    for (let i = 0; i < rows; i++) {
      const row = order[start + i];
      heap.set(x.subarray(row * features, (row + 1) * features), at + i * features);
    }
    return this.step(this.input, rows, call);
  }

  /**
   * One fused Adam update of every weight in place, as `FusedAdam.apply` with the penalties folded in; returns the
   * penalties at the weights before it (`penaltyOf`'s sums, which `adam.wat` adds as it reads each kernel).
   */
  private update(): number {
    this.t += 1;
    const { learningRate, beta1, beta2, epsilon } = this.adam;
    const c1 = learningRate / (1 - beta1 ** this.t);
    const c2 = 1 / (1 - beta2 ** this.t);
    let penalty = 0;
    this.layers.forEach((l, i) => {
      const buf = this.buffers[i];
      const { kernel, bias } = l.weights();
      const grads = [buf.dKernel || buf.sums, buf.dBias];
      [kernel, bias].forEach((x, j) => {
        const { m, v, n } = this.momentOffsets[2 * i + j];
        const penalised = j === 0 && l.l2 > 0;
        const l2x2 = j === 0 ? 2 * l.l2 : 0;
        const squares = this.adamPass(
          x,
          m,
          v,
          grads[j],
          x,
          m,
          v,
          n,
          c1,
          c2,
          1 - beta1,
          1 - beta2,
          epsilon,
          l2x2,
          +penalised,
        );
        if (penalised) penalty += l.l2 * squares;
      });
    });
    return penalty;
  }

  /**
   * `start` plus each value's error (squared or absolute, in row order, in a double) over
   * the `rows` rows at byte `x` through the model without dropout (`lossSum`).
   */
  errorSum(x: number, rows: number, start: number): number {
    this.ensureRows(rows);
    const output = this.forward(x, rows, 0);
    const n = rows * this.layers[this.layers.length - 1].units;
    return lossSum(this.f32(output, n), this.f32(x, n), null, this.loss, start);
  }

  /** {@link penalty}, for the evaluation's total. */
  penalties(): number {
    return this.penalty();
  }

  /** A block of `floats` values in wasm memory, for the caller's rows; free it with {@link free}. */
  allocate(floats: number): number {
    return this.malloc(floats);
  }

  free(offset: number): void {
    this.b.wasm._free!(offset);
  }

  /** A view of the block at `offset` (take it after the last allocation). */
  view(offset: number, floats: number): Float32Array {
    return this.f32(offset, floats);
  }

  /** Frees its blocks (once: a second call does nothing). */
  dispose(): void {
    if (this.scratch) this.b.wasm._free!(this.scratch);
    if (this.moments) this.b.wasm._free!(this.moments);
    if (this.input) this.b.wasm._free!(this.input);
    if (this.draws) this.b.wasm._free!(this.draws);
    this.draws = 0;
    this.input = 0;
    this.inputFloats = 0;
    this.scratch = 0;
    this.scratchRows = 0;
    this.moments = 0;
  }
}
