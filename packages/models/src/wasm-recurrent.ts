/**
 * A whole recurrent layer as two wasm kernels: the forward pass over every time step and
 * its backward pass (backpropagation through time), each ONE tfjs kernel.
 *
 * tfjs-layers runs an LSTM step as ~20 small kernels forward and more backward, each
 * costing ~5-15 us of dispatch, so an LSTM(32) over 140 steps spends its time in
 * dispatch, not arithmetic (TFJS-NOTES). These kernels run the per-step matrix product
 * and the gate nonlinearities through wasm's own kernel functions (XNNPACK; measured
 * ~21 us for [32,32]x[32,128], a JS loop ~400 us; wasm's Sigmoid over 4,096 values ~10 us,
 * a JS loop ~70 us) and the rest (bias, cell update, derivatives, layout) as JS loops
 * over wasm memory. The products over all steps at once (x·W, X^T·dZ, H^T·dZ, dZ·W^T)
 * are one plain (untransposed, so fast) matMul each.
 *
 * Layouts: sequences are [batch, steps, n] row-major, like the layer's input and output.
 * LSTM gate blocks are tfjs-layers' (i, f, c, o) in the kernel columns, with sigmoid
 * gates and tanh cell activation (what the lstm family builds); SimpleRNN uses tanh.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';

/** Inputs `{x, kernel, recurrentKernel, bias}`; outputs see {@link RecurrentForwardAttrs}. */
export const RECURRENT_FORWARD = 'AelabRecurrentForward';
/** Inputs `{dy, x, kernel, recurrentKernel, ...states}`; outputs `[dx, dKernel, dRecurrentKernel, dBias]`. */
export const RECURRENT_BACKWARD = 'AelabRecurrentBackward';

/** The recurrent cells the kernels implement. */
export type RecurrentKind = 'lstm' | 'simpleRNN';

/**
 * Attributes of both kernels. The forward outputs `[y, h, ...]` without
 * `returnSequences` (y the last step's h, [batch, units]) and `[h, ...]` with it, where
 * `...` are the states the backward kernel takes: LSTM `c`, `tanh(c)` and the gate
 * activations `a` ([batch, steps, 4·units]); SimpleRNN none.
 */
export interface RecurrentForwardAttrs {
  kind: RecurrentKind;
  returnSequences: boolean;
}

interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
  disposeData(dataId: object): boolean;
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

const kernels = new Map<string, KernelFunc>();

function wasmKernel(name: string): KernelFunc {
  let kernel = kernels.get(name);
  if (!kernel) {
    const config = tf.getKernel(name, 'wasm');
    if (!config) throw new Error(`wasm backend has no ${name} kernel`);
    kernel = config.kernelFunc;
    kernels.set(name, kernel);
  }
  return kernel;
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
  const { x, kernel, recurrentKernel, bias } = inputs as Record<'x' | 'kernel' | 'recurrentKernel' | 'bias', TensorInfo>;
  const { kind, returnSequences } = attrs as unknown as RecurrentForwardAttrs;
  const heap = new Heap(backend as unknown as WasmHeapBackend);
  const d = dimsOf(kind, x, recurrentKernel);
  try {
    // x·W for every step at once: [batch·steps, features] x [features, gates].
    const xw = heap.matMul({ ...x, shape: [d.batch * d.steps, d.features] }, kernel);
    const states = kind === 'lstm' ? lstmForward(heap, d, xw, recurrentKernel, bias) : rnnForward(heap, d, xw, recurrentKernel, bias);
    if (returnSequences) return states;
    const last = heap.output([d.batch, d.units]);
    const [h, y] = [heap.view(states[0]), heap.view(last)];
    for (let b = 0; b < d.batch; b++) y.set(h.subarray((b * d.steps + d.steps - 1) * d.units, (b * d.steps + d.steps) * d.units), b * d.units);
    return [last, ...states];
  } finally {
    heap.dispose();
  }
};

/** SimpleRNN: h_t = tanh((x_t·W + b) + h_{t-1}·U), in tfjs-layers' order of additions. Returns [h]. */
function rnnForward(heap: Heap, d: Dims, xw: TensorInfo, recurrentKernel: TensorInfo, bias: TensorInfo): TensorInfo[] {
  const { batch, steps, units } = d;
  const h = heap.output([batch, steps, units]);
  const hPrev = heap.temp([batch, units]);
  for (let t = 0; t < steps; t++) {
    const z = t === 0 ? heap.temp([batch, units]) : heap.matMul(hPrev, recurrentKernel);
    const [Z, XW, B] = [heap.view(z), heap.view(xw), heap.view(bias)];
    for (let b = 0; b < batch; b++) {
      const row = (b * steps + t) * units;
      for (let j = 0; j < units; j++) Z[b * units + j] = t === 0 ? XW[row + j] + B[j] : Math.fround(XW[row + j] + B[j]) + Z[b * units + j];
    }
    const act = heap.run('Tanh', { x: z });
    const [A, H, HP] = [heap.view(act), heap.view(h), heap.view(hPrev)];
    for (let b = 0; b < batch; b++) H.set(A.subarray(b * units, (b + 1) * units), (b * steps + t) * units);
    HP.set(A);
    heap.free(z);
    heap.free(act);
  }
  return [h];
}

/**
 * LSTM with sigmoid gates: z = (x_t·W + h_{t-1}·U) + b (tfjs-layers' order), gates i, f, o
 * = sigmoid, g = tanh, c_t = f·c_{t-1} + i·g, h_t = o·tanh(c_t). Returns [h, c, tanh(c), a].
 */
function lstmForward(heap: Heap, d: Dims, xw: TensorInfo, recurrentKernel: TensorInfo, bias: TensorInfo): TensorInfo[] {
  const { batch, steps, units, gates } = d;
  const [h, c, tc] = [0, 1, 2].map(() => heap.output([batch, steps, units]));
  const a = heap.output([batch, steps, gates]);
  const [hPrev, gPre, cNow] = [0, 1, 2].map(() => heap.temp([batch, units]));
  for (let t = 0; t < steps; t++) {
    const z = t === 0 ? heap.temp([batch, gates]) : heap.matMul(hPrev, recurrentKernel);
    preActivations(heap.view(z), heap.view(xw), heap.view(bias), heap.view(gPre), d, t);
    const s = heap.run('Sigmoid', { x: z });
    const tg = heap.run('Tanh', { x: gPre });
    cellUpdate(heap.view(s), heap.view(tg), heap.view(c), heap.view(a), heap.view(cNow), d, t);
    const tcNow = heap.run('Tanh', { x: cNow });
    const [TCN, TC, H, HP, A] = [tcNow, tc, h, hPrev, a].map((info) => heap.view(info));
    for (let b = 0; b < batch; b++) {
      const row = (b * steps + t) * units;
      const gateRow = (b * steps + t) * gates + 3 * units;
      for (let j = 0; j < units; j++) {
        const tcv = TCN[b * units + j];
        TC[row + j] = tcv;
        H[row + j] = HP[b * units + j] = A[gateRow + j] * tcv;
      }
    }
    [z, s, tg, tcNow].forEach((info) => heap.free(info));
  }
  return [h, c, tc, a];
}

/** Z <- (x_t·W + Z) + b in place (Z = h_{t-1}·U, unset at t = 0), and the cell block's pre-activations into G. */
function preActivations(Z: Float32Array, XW: Float32Array, B: Float32Array, G: Float32Array, d: Dims, t: number): void {
  const { batch, steps, units, gates } = d;
  for (let b = 0; b < batch; b++) {
    const row = (b * steps + t) * gates;
    const zr = b * gates;
    for (let k = 0; k < gates; k++) Z[zr + k] = (t === 0 ? XW[row + k] : Math.fround(XW[row + k] + Z[zr + k])) + B[k];
    G.set(Z.subarray(zr + 2 * units, zr + 3 * units), b * units);
  }
}

/** c_t = f·c_{t-1} + i·g into C (and CN, for its tanh); the gate activations (i, f, g, o) into A. */
function cellUpdate(S: Float32Array, TG: Float32Array, C: Float32Array, A: Float32Array, CN: Float32Array, d: Dims, t: number): void {
  const { batch, steps, units, gates } = d;
  for (let b = 0; b < batch; b++) {
    const row = (b * steps + t) * units;
    const gateRow = (b * steps + t) * gates;
    const sr = b * gates;
    for (let j = 0; j < units; j++) {
      const [i, f, g, o] = [S[sr + j], S[sr + units + j], TG[b * units + j], S[sr + 3 * units + j]];
      const cPrev = t === 0 ? 0 : C[row - units + j];
      const cv = Math.fround(Math.fround(f * cPrev) + Math.fround(i * g));
      C[row + j] = CN[b * units + j] = cv;
      A[gateRow + j] = i;
      A[gateRow + units + j] = f;
      A[gateRow + 2 * units + j] = g;
      A[gateRow + 3 * units + j] = o;
    }
  }
}

const backwardWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, x, kernel, recurrentKernel, h, c, tc, a } = inputs as Record<string, TensorInfo>;
  const { kind, returnSequences } = attrs as unknown as RecurrentForwardAttrs;
  const heap = new Heap(backend as unknown as WasmHeapBackend);
  const d = dimsOf(kind, x, recurrentKernel);
  try {
    // dZ: the gradient of every step's pre-activations, [batch·steps, gates].
    const dz = heap.temp([d.batch * d.steps, d.gates]);
    const uT = transposed(heap, recurrentKernel, d.units, d.gates);
    const step: StepGradient = kind === 'lstm' ? lstmStepGradient(heap, d, c, tc, a) : rnnStepGradient(heap, d, h);
    throughTime(heap, d, returnSequences, dy, uT, dz, step);
    return weightGradients(heap, d, x, kernel, h, dz);
  } finally {
    heap.dispose();
  }
};

/**
 * Writes step t's pre-activation gradients into DZ (all steps) and DZS (this step) from
 * DH, the gradient reaching each h_t; keeps its own carry (the LSTM's dc).
 */
type StepGradient = (t: number, DH: Float32Array, DZ: Float32Array, DZS: Float32Array) => void;

/** Backpropagation through time: steps last to first, dh_{t-1} += dz_t·U^T as one product per step. */
function throughTime(heap: Heap, d: Dims, returnSequences: boolean, dy: TensorInfo, uT: TensorInfo, dz: TensorInfo, step: StepGradient): void {
  const { batch, steps, units, gates } = d;
  const dzStep = heap.temp([batch, gates]);
  const dh = new Float32Array(batch * units);
  let recurrent: TensorInfo | null = null;
  for (let t = steps - 1; t >= 0; t--) {
    const DY = heap.view(dy);
    const R = recurrent ? heap.view(recurrent) : null;
    for (let b = 0; b < batch; b++) {
      const from = returnSequences ? (b * steps + t) * units : b * units;
      const own = returnSequences || t === steps - 1;
      for (let j = 0; j < units; j++) dh[b * units + j] = (own ? DY[from + j] : 0) + (R ? R[b * units + j] : 0);
    }
    step(t, dh, heap.view(dz), heap.view(dzStep));
    heap.free(recurrent);
    recurrent = t > 0 ? heap.matMul(dzStep, uT) : null;
  }
}

function rnnStepGradient(heap: Heap, d: Dims, h: TensorInfo): StepGradient {
  const { batch, steps, units } = d;
  return (t, DH, DZ, DZS) => {
    const H = heap.view(h);
    for (let b = 0; b < batch; b++) {
      const row = (b * steps + t) * units;
      for (let j = 0; j < units; j++) {
        const hv = H[row + j];
        DZ[row + j] = DZS[b * units + j] = DH[b * units + j] * (1 - hv * hv);
      }
    }
  };
}

function lstmStepGradient(heap: Heap, d: Dims, c: TensorInfo, tc: TensorInfo, a: TensorInfo): StepGradient {
  const { batch, steps, units, gates } = d;
  const dc = new Float32Array(batch * units);
  return (t, DH, DZ, DZS) => {
    const [C, TC, A] = [heap.view(c), heap.view(tc), heap.view(a)];
    for (let b = 0; b < batch; b++) {
      const row = (b * steps + t) * units;
      const gateRow = (b * steps + t) * gates;
      for (let j = 0; j < units; j++) {
        const k = gateRow + j;
        const [i, f, g, o] = [A[k], A[k + units], A[k + 2 * units], A[k + 3 * units]];
        const dh = DH[b * units + j];
        const tcv = TC[row + j];
        const dcv = dc[b * units + j] + dh * o * (1 - tcv * tcv);
        const cPrev = t === 0 ? 0 : C[row - units + j];
        dc[b * units + j] = dcv * f;
        const s = b * gates + j;
        DZ[k] = DZS[s] = dcv * g * i * (1 - i);
        DZ[k + units] = DZS[s + units] = dcv * cPrev * f * (1 - f);
        DZ[k + 2 * units] = DZS[s + 2 * units] = dcv * i * (1 - g * g);
        DZ[k + 3 * units] = DZS[s + 3 * units] = dh * tcv * o * (1 - o);
      }
    }
  };
}

/** dW = X^T·dZ, dU = H_prev^T·dZ, db = 1^T·dZ, dx = dZ·W^T: one plain product each over all steps. */
function weightGradients(heap: Heap, d: Dims, x: TensorInfo, kernel: TensorInfo, h: TensorInfo, dz: TensorInfo): TensorInfo[] {
  const { batch, steps, features, units, gates } = d;
  const rows = batch * steps;
  const xT = transposed(heap, x, rows, features);
  const hPrevT = heap.temp([units, rows]);
  const ones = heap.temp([1, rows]);
  const wT = transposed(heap, kernel, features, gates);
  const [H, HPT] = [heap.view(h), heap.view(hPrevT)];
  heap.view(ones).fill(1);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < units; j++) HPT[j * rows + b * steps] = 0;
    for (let t = 1; t < steps; t++) {
      const from = (b * steps + t - 1) * units;
      for (let j = 0; j < units; j++) HPT[j * rows + b * steps + t] = H[from + j];
    }
  }
  const dKernel = heap.matMul(xT, dz, true);
  const dRecurrent = heap.matMul(hPrevT, dz, true);
  const dBias = heap.matMul(ones, dz, true);
  const dx = heap.matMul(dz, wT, true);
  return [{ ...dx, shape: [batch, steps, features] }, dKernel, dRecurrent, { ...dBias, shape: [gates] }];
}

let registered = false;

/** Register the fused recurrent kernels for wasm (idempotent). */
export function registerWasmRecurrentKernels(): void {
  if (registered) return;
  registered = true;
  for (const [kernelName, kernelFunc] of [
    [RECURRENT_FORWARD, forwardWasm],
    [RECURRENT_BACKWARD, backwardWasm],
  ] as const) {
    if (!tf.getKernel(kernelName, 'wasm')) tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  }
}
