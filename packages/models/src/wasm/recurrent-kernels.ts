/**
 * A whole recurrent layer as two wasm kernels: the forward pass over every time step and
 * its backward pass (backpropagation through time), each ONE tfjs kernel.
 *
 * tfjs-layers runs an LSTM step as ~20 small kernels forward and more backward, each
 * costing ~5-15 us of dispatch, so an LSTM(32) over 140 steps spends its time in
 * dispatch, not arithmetic (TFJS-NOTES). These kernels call wasm's own kernel functions
 * for the per-step products and the gate nonlinearities, and do the rest (cell update,
 * derivatives, layout) as JS loops over wasm memory. Measured per call on the 2-core
 * machine: [32,32]x[32,128] ~21 us through wasm's BatchMatMul (XNNPACK) against ~400 us
 * as a JS loop; Sigmoid over 4,096 values ~10 us in wasm against ~70 us in JS; wasm's
 * Tanh is scalar code (~50 us per 1,024 real values), so tanh goes through Sigmoid.
 *
 * Per step: forward one product [h_{t-1} | x_t | 1]·[U; W; b] and two Sigmoids; backward
 * one product dz_t·U^T. Over all steps at once: the weight gradients as one product and
 * dx as another, all plain (untransposed: XNNPACK's fast path).
 *
 * Layouts: sequences are [batch, steps, n] row-major, like the layer's input and output.
 * LSTM gate blocks are tfjs-layers' (i, f, c, o) in the kernel columns, with sigmoid
 * gates and tanh cell activation (what the lstm family builds); SimpleRNN uses tanh.
 * Results match tfjs-layers on wasm to float rounding (~1e-6 relative), not bit for bit:
 * the products add x·W, h·U and b in one sum.
 */
import type { KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { registerWasmKernels, wasmKernel, type WasmHeapBackend } from './heap.js';

/** Inputs `{x, kernel, recurrentKernel, bias}`; outputs see {@link RecurrentForwardAttrs}. */
export const RECURRENT_FORWARD = 'AelabRecurrentForward';
/** Inputs `{dy, x, kernel, recurrentKernel, ...states}`; outputs `[dx, dKernel, dRecurrentKernel, dBias]`. */
export const RECURRENT_BACKWARD = 'AelabRecurrentBackward';

/** The recurrent cells the kernels implement. */
export type RecurrentKind = 'lstm' | 'simpleRNN';

/**
 * Attributes of both kernels. The forward outputs `[y, hs, ...]`: y what the layer returns
 * (every step's h, [batch, steps, units], with `returnSequences`; the last step's,
 * [batch, units], without), then the states the backward kernel takes, all step-major
 * ([steps, batch, n], an internal layout): hs every step's h and, for LSTM, `c`, `tanh(c)`
 * and the gate activations `a`. With `keepStates: false` (no gradient wanted) only `[y]`.
 */
export interface RecurrentForwardAttrs {
  kind: RecurrentKind;
  returnSequences: boolean;
  /** Whether to return the states the backward kernel needs (default true). */
  keepStates?: boolean;
}

/**
 * Allocation, wasm kernel calls and views over wasm memory for one kernel invocation.
 * Any allocation may grow wasm memory, which detaches every older view: callers re-take
 * their views (`view`) after each `run` or `temp`.
 */
class Heap {
  private readonly temps = new Set<TensorInfo>();
  constructor(readonly backend: WasmHeapBackend) {}

  /** A tensor freed by `dispose` (or `free`). */
  temp(shape: number[]): TensorInfo {
    const t = this.backend.makeOutput(shape, 'float32');
    this.temps.add(t);
    return t;
  }

  /** A kernel's output, owned by the engine once returned. */
  output(shape: number[]): TensorInfo {
    return this.backend.makeOutput(shape, 'float32');
  }

  view(t: TensorInfo): Float32Array {
    return this.backend.typedArrayFromHeap(t);
  }

  /** Runs wasm's own kernel `name`; the result is a temp unless `keep`. */
  run(name: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}, keep = false): TensorInfo {
    const out = wasmKernel(name)({ inputs, backend: this.backend as never, attrs }) as TensorInfo;
    if (!keep) this.temps.add(out);
    return out;
  }

  /** A plain [m,k]x[k,n] product (XNNPACK's fast path: no transpose flags). */
  matMul(a: TensorInfo, b: TensorInfo, keep = false): TensorInfo {
    return this.run('BatchMatMul', { a, b }, { transposeA: false, transposeB: false }, keep);
  }

  free(t: TensorInfo | null): void {
    if (t && this.temps.delete(t)) this.backend.disposeData(t.dataId);
  }

  dispose(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId);
    this.temps.clear();
  }
}

/** `src` [rows, cols] transposed into a new temp [cols, rows]. */
function transposed(heap: Heap, src: TensorInfo, rows: number, cols: number): TensorInfo {
  const out = heap.temp([cols, rows]);
  const [s, d] = [heap.view(src), heap.view(out)];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) d[c * rows + r] = s[r * cols + c];
  return out;
}

/** Sizes of one invocation: batch, steps, features, units and gate columns (4·units or units). */
interface Dims {
  batch: number;
  steps: number;
  features: number;
  units: number;
  gates: number;
}

function dimsOf(kind: RecurrentKind, x: TensorInfo, recurrentKernel: TensorInfo): Dims {
  const [batch, steps, features] = x.shape;
  const units = recurrentKernel.shape[0];
  return { batch, steps, features, units, gates: kind === 'lstm' ? 4 * units : units };
}

const forwardWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, kernel, recurrentKernel, bias } = inputs as Record<
    'x' | 'kernel' | 'recurrentKernel' | 'bias',
    TensorInfo
  >;
  const { kind, returnSequences, keepStates = true } = attrs as unknown as RecurrentForwardAttrs;
  const heap = new Heap(backend as unknown as WasmHeapBackend);
  const d = dimsOf(kind, x, recurrentKernel);
  try {
    const weights = stackedWeights(heap, d, kind, kernel, recurrentKernel, bias);
    const xs = stepMajor(heap, x);
    const states =
      kind === 'lstm' ? lstmForward(heap, d, xs, weights, keepStates) : rnnForward(heap, d, xs, weights, keepStates);
    const y = returnSequences
      ? heap.run('Transpose', { x: states[0] }, { perm: [1, 0, 2] }, true)
      : lastStep(heap, d, states[0]);
    return keepStates ? [y, ...states] : [y];
  } finally {
    heap.dispose();
  }
};

/**
 * A [batch, steps, n] sequence as a temp [steps, batch, n]: every step's rows then form one
 * contiguous block, and the per-step JS loops run ~2.3x faster than over rows strided by
 * steps·n (measured on the LSTM backward step).
 */
function stepMajor(heap: Heap, sequence: TensorInfo): TensorInfo {
  return heap.run('Transpose', { x: sequence }, { perm: [1, 0, 2] });
}

/** The last step's block of `hs` [steps, batch, units] as a new output [batch, units]. */
function lastStep(heap: Heap, d: Dims, hs: TensorInfo): TensorInfo {
  const { batch, steps, units } = d;
  const y = heap.output([batch, units]);
  heap.view(y).set(heap.view(hs).subarray((steps - 1) * batch * units, steps * batch * units));
  return y;
}

/**
 * [U; W; b] ([units + features + 1, gates]), so that one product per step,
 * [h_{t-1} | x_t | 1]·[U; W; b], gives the pre-activations with no JS pass over them. The
 * columns that go through tanh (LSTM's cell block, all of SimpleRNN's) are doubled (exact
 * in floating point): one Sigmoid kernel then serves every gate, see {@link tanhFromSigmoid}.
 */
function stackedWeights(
  heap: Heap,
  d: Dims,
  kind: RecurrentKind,
  kernel: TensorInfo,
  recurrentKernel: TensorInfo,
  bias: TensorInfo,
): TensorInfo {
  const { units, features, gates } = d;
  const out = heap.temp([units + features + 1, gates]);
  const [O, U, W, B] = [out, recurrentKernel, kernel, bias].map((info) => heap.view(info));
  O.set(U, 0);
  O.set(W, units * gates);
  O.set(B, (units + features) * gates);
  const [from, to] = kind === 'lstm' ? [2 * units, 3 * units] : [0, units];
  for (let r = 0; r <= units + features; r++) for (let k = from; k < to; k++) O[r * gates + k] *= 2;
  return out;
}

/** A per-step operand [batch, units + features + 1]: h_{t-1} (zeros), x_0 and the ones column. */
function stepOperand(heap: Heap, d: Dims, xs: TensorInfo): TensorInfo {
  const { batch, units, features } = d;
  const width = units + features + 1;
  const operand = heap.temp([batch, width]);
  const O = heap.view(operand);
  O.fill(0);
  for (let b = 0; b < batch; b++) O[b * width + width - 1] = 1;
  nextInput(O, heap.view(xs), d, 0);
  return operand;
}

/** x_t (from XS, step-major) into the operand's x columns. */
function nextInput(O: Float32Array, XS: Float32Array, d: Dims, t: number): void {
  const { batch, units, features } = d;
  const width = units + features + 1;
  for (let b = 0; b < batch; b++) {
    const from = (t * batch + b) * features;
    const to = b * width + units;
    for (let f = 0; f < features; f++) O[to + f] = XS[from + f];
  }
}

/**
 * tanh(x) from s = sigmoid(2x) (wasm's Tanh is scalar code, ~5x slower per value than its
 * Sigmoid): 2s - 1, whose absolute error (~1e-7) is large relative to tanh near 0, where
 * the Taylor series (error < 1e-9 relative for |x| < 0.25) takes over.
 */
function tanhFromSigmoid(x: number, s: number): number {
  if (x > 0.25 || x < -0.25) return 2 * s - 1;
  const x2 = x * x;
  return x * (1 + x2 * (-1 / 3 + x2 * (2 / 15 + x2 * (-17 / 315 + x2 * (62 / 2835)))));
}

/** SimpleRNN: h_t = tanh(x_t·W + h_{t-1}·U + b). Returns [hs], h step-major (an output when `keep`). */
function rnnForward(heap: Heap, d: Dims, xs: TensorInfo, weights: TensorInfo, keep: boolean): TensorInfo[] {
  const { batch, steps, units, features } = d;
  const width = units + features + 1;
  const hs = keep ? heap.output([steps, batch, units]) : heap.temp([steps, batch, units]);
  const operand = stepOperand(heap, d, xs);
  for (let t = 0; t < steps; t++) {
    const z = heap.matMul(operand, weights);
    const s = heap.run('Sigmoid', { x: z });
    const [Z, S, H, O] = [heap.view(z), heap.view(s), heap.view(hs), heap.view(operand)];
    const base = t * batch * units;
    for (let b = 0; b < batch; b++) {
      for (let j = 0; j < units; j++) {
        const k = b * units + j;
        H[base + k] = O[b * width + j] = tanhFromSigmoid(Z[k] / 2, S[k]);
      }
    }
    if (t + 1 < steps) nextInput(O, heap.view(xs), d, t + 1);
    heap.free(z);
    heap.free(s);
  }
  return [hs];
}

/**
 * LSTM with sigmoid gates (tfjs-layers' gate blocks i, f, c, o): z = x_t·W + h_{t-1}·U + b,
 * c_t = f·c_{t-1} + i·tanh(z_c), h_t = o·tanh(c_t). Returns [hs, c, tanh(c), a], all
 * step-major, a the gate activations (i, f, tanh(z_c), o); without `keep` only [hs] (a
 * temp), the states kept for one step.
 */
function lstmForward(heap: Heap, d: Dims, xs: TensorInfo, weights: TensorInfo, keep: boolean): TensorInfo[] {
  const { batch, steps, units, features, gates } = d;
  const width = units + features + 1;
  const hs = keep ? heap.output([steps, batch, units]) : heap.temp([steps, batch, units]);
  const slots = keep ? steps : 1;
  const state = (n: number) => (keep ? heap.output([steps, batch, n]) : heap.temp([1, batch, n]));
  const [c, tc, a] = [state(units), state(units), state(gates)];
  const operand = stepOperand(heap, d, xs);
  const cNow = heap.temp([batch, units]);
  for (let t = 0; t < steps; t++) {
    const z = heap.matMul(operand, weights);
    const s = heap.run('Sigmoid', { x: z });
    cellUpdate(heap.view(z), heap.view(s), heap.view(c), heap.view(a), heap.view(cNow), d, t, slots);
    const sc = heap.run('Sigmoid', { x: cNow });
    const [S, SC, C, TC, H, O] = [s, sc, c, tc, hs, operand].map((info) => heap.view(info));
    const cBase = (slots === 1 ? 0 : t) * batch * units;
    const hBase = t * batch * units;
    for (let b = 0; b < batch; b++) {
      const oRow = b * gates + 3 * units;
      for (let j = 0; j < units; j++) {
        const k = b * units + j;
        const tcv = tanhFromSigmoid(C[cBase + k], SC[k]);
        TC[cBase + k] = tcv;
        H[hBase + k] = O[b * width + j] = S[oRow + j] * tcv;
      }
    }
    if (t + 1 < steps) nextInput(O, heap.view(xs), d, t + 1);
    [z, s, sc].forEach((info) => heap.free(info));
  }
  return keep ? [hs, c, tc, a] : [hs];
}

/**
 * c_t = f·c_{t-1} + i·g into C (and 2·c_t into CN, for its tanh); the gate activations
 * (i, f, g, o) into A. Z: the pre-activations. C and A hold `slots` steps, step-major:
 * all of them, or one (then c_t overwrites c_{t-1}).
 */
function cellUpdate(
  Z: Float32Array,
  S: Float32Array,
  C: Float32Array,
  A: Float32Array,
  CN: Float32Array,
  d: Dims,
  t: number,
  slots: number,
): void {
  const { batch, units, gates } = d;
  const slot = slots === 1 ? 0 : t;
  const cBase = slot * batch * units;
  const previous = slots === 1 ? cBase : cBase - batch * units;
  const aBase = slot * batch * gates;
  // i, f and o are the Sigmoid's output as it is; only the cell block changes.
  A.set(S, aBase);
  for (let b = 0; b < batch; b++) {
    const sr = b * gates;
    for (let j = 0; j < units; j++) {
      const k = b * units + j;
      const g = Math.fround(tanhFromSigmoid(Z[sr + 2 * units + j] / 2, S[sr + 2 * units + j]));
      const cPrev = t === 0 ? 0 : C[previous + k];
      const cv = Math.fround(Math.fround(S[sr + units + j] * cPrev) + Math.fround(S[sr + j] * g));
      C[cBase + k] = cv;
      CN[k] = 2 * cv;
      A[aBase + sr + 2 * units + j] = g;
    }
  }
}

const backwardWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, x, kernel, recurrentKernel, h, c, tc, a } = inputs as Record<string, TensorInfo>;
  const { kind, returnSequences } = attrs as unknown as RecurrentForwardAttrs;
  const heap = new Heap(backend as unknown as WasmHeapBackend);
  const d = dimsOf(kind, x, recurrentKernel);
  try {
    // dZ: the gradient of every step's pre-activations, step-major [steps·batch, gates].
    const dz = heap.temp([d.steps * d.batch, d.gates]);
    const uT = transposed(heap, recurrentKernel, d.units, d.gates);
    const dys = returnSequences ? stepMajor(heap, dy) : dy;
    const step: StepGradient = kind === 'lstm' ? lstmStepGradient(heap, d, c, tc, a) : rnnStepGradient(heap, d, h);
    throughTime(heap, d, returnSequences, dys, uT, dz, step);
    return weightGradients(heap, d, x, kernel, h, dz);
  } finally {
    heap.dispose();
  }
};

/**
 * Writes step t's pre-activation gradients [batch, gates] into DZS from DH, the gradient reaching h_t; keeps its own
 * carry (the LSTM's dc).
 */
type StepGradient = (t: number, DH: Float32Array, DZS: Float32Array) => void;

/**
 * Backpropagation through time: steps last to first, dh_{t-1} += dz_t·U^T as one product
 * per step. `dys`: the output's gradient, step-major [steps, batch, units] with
 * `returnSequences`, else [batch, units] (the last step's).
 */
function throughTime(
  heap: Heap,
  d: Dims,
  returnSequences: boolean,
  dys: TensorInfo,
  uT: TensorInfo,
  dz: TensorInfo,
  step: StepGradient,
): void {
  const { batch, steps, units, gates } = d;
  const dzStep = heap.temp([batch, gates]);
  const dh = new Float32Array(batch * units);
  let recurrent: TensorInfo | null = null;
  for (let t = steps - 1; t >= 0; t--) {
    const DY = heap.view(dys);
    const R = recurrent ? heap.view(recurrent) : null;
    const own = returnSequences || t === steps - 1;
    const from = returnSequences ? t * batch * units : 0;
    for (let k = 0; k < batch * units; k++) dh[k] = (own ? DY[from + k] : 0) + (R ? R[k] : 0);
    const DZS = heap.view(dzStep);
    step(t, dh, DZS);
    heap.view(dz).set(DZS, t * batch * gates);
    heap.free(recurrent);
    recurrent = t > 0 ? heap.matMul(dzStep, uT) : null;
  }
}

function rnnStepGradient(heap: Heap, d: Dims, hs: TensorInfo): StepGradient {
  const { batch, units } = d;
  return (t, DH, DZS) => {
    const H = heap.view(hs);
    const base = t * batch * units;
    for (let k = 0; k < batch * units; k++) {
      const hv = H[base + k];
      DZS[k] = DH[k] * (1 - hv * hv);
    }
  };
}

function lstmStepGradient(heap: Heap, d: Dims, c: TensorInfo, tc: TensorInfo, a: TensorInfo): StepGradient {
  const { batch, units, gates } = d;
  const dc = new Float32Array(batch * units);
  return (t, DH, DZS) => {
    const [C, TC, A] = [heap.view(c), heap.view(tc), heap.view(a)];
    const aBase = t * batch * gates;
    const cBase = t * batch * units;
    for (let b = 0; b < batch; b++) {
      const gr = aBase + b * gates;
      const sr = b * gates;
      for (let j = 0; j < units; j++) {
        const k = b * units + j;
        const i = A[gr + j];
        const f = A[gr + units + j];
        const g = A[gr + 2 * units + j];
        const o = A[gr + 3 * units + j];
        const dh = DH[k];
        const tcv = TC[cBase + k];
        const dcv = dc[k] + dh * o * (1 - tcv * tcv);
        const cPrev = t === 0 ? 0 : C[cBase - batch * units + k];
        dc[k] = dcv * f;
        DZS[sr + j] = dcv * g * i * (1 - i);
        DZS[sr + units + j] = dcv * cPrev * f * (1 - f);
        DZS[sr + 2 * units + j] = dcv * i * (1 - g * g);
        DZS[sr + 3 * units + j] = dh * tcv * o * (1 - o);
      }
    }
  };
}

/**
 * dW, dU and db as ONE plain product over all steps, dZ^T·[x_t | h_{t-1} | 1]
 * ([gates, steps·batch] x [steps·batch, features + units + 1]); its small operand is what
 * XNNPACK packs (packing dZ itself as the right operand was ~3x slower). dx = dZ·W^T.
 * Rows are step-major throughout; dx goes back to [batch, steps, features].
 */
function weightGradients(
  heap: Heap,
  d: Dims,
  x: TensorInfo,
  kernel: TensorInfo,
  hs: TensorInfo,
  dz: TensorInfo,
): TensorInfo[] {
  const { batch, steps, features, units, gates } = d;
  const rows = batch * steps;
  const cols = features + units + 1;
  const operand = heap.temp([rows, cols]);
  const wT = transposed(heap, kernel, features, gates);
  const dzT = heap.run('Transpose', { x: dz }, { perm: [1, 0] });
  const xs = stepMajor(heap, x);
  const [XS, H, O] = [heap.view(xs), heap.view(hs), heap.view(operand)];
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let f = 0; f < features; f++) O[o + f] = XS[r * features + f];
    for (let j = 0; j < units; j++) O[o + features + j] = r < batch ? 0 : H[(r - batch) * units + j];
    O[o + cols - 1] = 1;
  }
  const all = heap.matMul(dzT, operand);
  const [dKernel, dRecurrent, dBias] = [
    heap.output([features, gates]),
    heap.output([units, gates]),
    heap.output([gates]),
  ];
  const [ALL, DW, DU, DB] = [all, dKernel, dRecurrent, dBias].map((info) => heap.view(info));
  for (let k = 0; k < gates; k++) {
    const from = k * cols;
    for (let f = 0; f < features; f++) DW[f * gates + k] = ALL[from + f];
    for (let j = 0; j < units; j++) DU[j * gates + k] = ALL[from + features + j];
    DB[k] = ALL[from + cols - 1];
  }
  const dxs = heap.matMul(dz, wT);
  const dx = heap.run('Transpose', { x: { ...dxs, shape: [steps, batch, features] } }, { perm: [1, 0, 2] }, true);
  return [dx, dKernel, dRecurrent, dBias];
}

/** Register the fused recurrent kernels for wasm (idempotent). */
export function registerWasmRecurrentKernels(): void {
  registerWasmKernels([
    [RECURRENT_FORWARD, forwardWasm],
    [RECURRENT_BACKWARD, backwardWasm],
  ]);
}
