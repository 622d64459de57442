/**
 * Adam for the custom training step. tfjs' Adam updates each weight tensor with ~14
 * kernels (~230 kernels per step for a 9-layer dense AE, ~40% of the step's CPU time),
 * and on these small models each kernel costs more in dispatch than in arithmetic. On
 * wasm we register one `AelabAdamUpdate` kernel that updates a weight and its two moments
 * in a single pass over wasm memory; elsewhere `tf.train.adam` is used unchanged.
 * Update rule identical to `tf.train.adam` (epsilon added after bias correction).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';

const KERNEL = 'AelabAdamUpdate';

interface AdamUpdateAttrs {
  /**
   * lr / (1 - beta1^t); for a population's weights ([members, ...]), one per member: the
   * tensor's values split into that many equal blocks, block k updated with c1[k].
   */
  c1: number | number[];
  /** 1 / (1 - beta2^t) */
  c2: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}

const adamUpdateWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WasmBackendLike;
  const { x, m, v, g } = inputs as Record<'x' | 'm' | 'v' | 'g', TensorInfo>;
  const { c1, c2, beta1, beta2, epsilon } = attrs as unknown as AdamUpdateAttrs;
  const outs = [x, m, v].map((t) => b.makeOutput(t.shape, 'float32'));
  // Views only after every allocation: growing wasm memory detaches older views.
  const [X, M, V, G] = [x, m, v, g].map((t) => b.typedArrayFromHeap(t));
  const [OX, OM, OV] = outs.map((t) => b.typedArrayFromHeap(t));
  const k1 = 1 - beta1;
  const k2 = 1 - beta2;
  const rates = typeof c1 === 'number' ? [c1] : c1;
  const block = X.length / rates.length;
  for (let i = 0; i < X.length; i++) {
    const gi = G[i];
    const mi = M[i] + (gi - M[i]) * k1;
    const vi = V[i] + (gi * gi - V[i]) * k2;
    OM[i] = mi;
    OV[i] = vi;
    OX[i] = X[i] - (rates[Math.floor(i / block)] * mi) / (Math.sqrt(c2 * vi) + epsilon);
  }
  return outs;
};

let registered = false;

/** Register the fused Adam kernel for wasm (idempotent). */
export function registerWasmAdamKernel(): void {
  if (registered) return;
  registered = true;
  if (!tf.getKernel(KERNEL, 'wasm')) tf.registerKernel({ kernelName: KERNEL, backendName: 'wasm', kernelFunc: adamUpdateWasm });
}

/** What the training loop needs from an optimizer. */
export interface StepOptimizer {
  /** One step on `loss`; returns the loss (caller disposes). */
  minimize(loss: () => tf.Scalar): tf.Scalar;
  dispose(): void;
}

class FusedAdam implements StepOptimizer {
  private readonly moments: [tf.Tensor, tf.Tensor][];
  private t = 0;
  private readonly beta1 = 0.9;
  private readonly beta2 = 0.999;
  private readonly epsilon = tf.backend().epsilon();

  constructor(
    private readonly variables: tf.Variable[],
    private readonly learningRate: number,
  ) {
    this.moments = variables.map((v) => [tf.zerosLike(v), tf.zerosLike(v)]);
  }

  minimize(loss: () => tf.Scalar): tf.Scalar {
    const { value, grads } = tf.variableGrads(loss, this.variables);
    this.t += 1;
    const attrs: AdamUpdateAttrs = {
      c1: this.learningRate / (1 - this.beta1 ** this.t),
      c2: 1 / (1 - this.beta2 ** this.t),
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
    };
    this.variables.forEach((variable, i) => {
      const [m, v] = this.moments[i];
      const [x2, m2, v2] = tf.engine().runKernel(KERNEL, { x: variable, m, v, g: grads[variable.name] }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      variable.assign(x2);
      x2.dispose(); // the variable holds its own reference to the data
      m.dispose();
      v.dispose();
      this.moments[i] = [m2, v2];
    });
    tf.dispose(grads);
    return value;
  }

  dispose(): void {
    this.moments.forEach((pair) => tf.dispose(pair));
  }
}

class TfAdam implements StepOptimizer {
  private readonly optimizer: tf.AdamOptimizer;
  constructor(
    private readonly variables: tf.Variable[],
    learningRate: number,
  ) {
    this.optimizer = tf.train.adam(learningRate);
  }
  minimize(loss: () => tf.Scalar): tf.Scalar {
    return this.optimizer.minimize(loss, true, this.variables) as tf.Scalar;
  }
  dispose(): void {
    this.optimizer.dispose();
  }
}

/** Adam over `variables`: fused on wasm, `tf.train.adam` on other backends. */
export function createAdam(variables: tf.Variable[], learningRate: number, options: { fused?: boolean } = {}): StepOptimizer {
  const fused = (options.fused ?? true) && fusedAvailable();
  return fused ? new FusedAdam(variables, learningRate) : new TfAdam(variables, learningRate);
}

/** Whether the fused kernel serves the active backend (wasm, once registered). */
function fusedAvailable(): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(KERNEL, 'wasm') !== undefined;
}

/**
 * Adam for a population: P models' weights stacked as tensors [P, ...], each member with
 * its own learning rate. Member k's update is exactly the single trainer's for its weights
 * on the same backend: the fused kernel with member k's c1 on wasm, and elsewhere
 * `tf.train.adam`'s operations in its order (its learning rate a [P, 1, ...] tensor
 * instead of a scalar: the same float32 products), so the kernel count per step does not
 * grow with P. Returns new weight tensors; members leave with {@link keep}.
 */
export class PopulationAdam {
  private moments: [tf.Tensor, tf.Tensor][];
  private t = 0;
  private readonly beta1 = 0.9;
  private readonly beta2 = 0.999;
  private readonly epsilon = tf.backend().epsilon();
  private readonly fused = fusedAvailable();
  /** tf.train.adam's running beta powers, as float32 tensors like its own (unfused path). */
  private accBeta1 = tf.scalar(this.beta1);
  private accBeta2 = tf.scalar(this.beta2);
  private readonly negativeRates = new Map<number, tf.Tensor>();

  constructor(
    weights: readonly tf.Tensor[],
    private learningRates: number[],
  ) {
    this.moments = weights.map((w) => [tf.zerosLike(w), tf.zerosLike(w)]);
  }

  /** One step: the weights after applying `grads` (same order); the caller disposes the old ones. */
  apply(weights: readonly tf.Tensor[], grads: readonly tf.Tensor[]): tf.Tensor[] {
    this.t += 1;
    return this.fused ? this.applyFused(weights, grads) : this.applyOps(weights, grads);
  }

  private applyFused(weights: readonly tf.Tensor[], grads: readonly tf.Tensor[]): tf.Tensor[] {
    const attrs: AdamUpdateAttrs = {
      c1: this.learningRates.map((lr) => lr / (1 - this.beta1 ** this.t)),
      c2: 1 / (1 - this.beta2 ** this.t),
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
    };
    return weights.map((x, i) => {
      const [m, v] = this.moments[i];
      const [x2, m2, v2] = tf.engine().runKernel(KERNEL, { x, m, v, g: grads[i] }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      tf.dispose([m, v]);
      this.moments[i] = [m2, v2];
      return x2;
    });
  }

  private applyOps(weights: readonly tf.Tensor[], grads: readonly tf.Tensor[]): tf.Tensor[] {
    const next = tf.tidy(() => {
      const oneMinusAccBeta1 = tf.sub(1, this.accBeta1);
      const oneMinusAccBeta2 = tf.sub(1, this.accBeta2);
      const out = weights.map((x, i) => {
        const [m, v] = this.moments[i];
        const g = grads[i];
        const m2 = tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1));
        const v2 = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        const mHat = tf.div(m2, oneMinusAccBeta1);
        const vHat = tf.div(v2, oneMinusAccBeta2);
        const x2 = tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), this.epsilon)), this.rates(x.rank)), x);
        return [x2, m2, v2];
      });
      return { out, accBeta1: tf.mul(this.accBeta1, this.beta1), accBeta2: tf.mul(this.accBeta2, this.beta2) };
    });
    tf.dispose([this.accBeta1, this.accBeta2, ...this.moments.flat()]);
    this.accBeta1 = next.accBeta1 as tf.Scalar;
    this.accBeta2 = next.accBeta2 as tf.Scalar;
    this.moments = next.out.map(([, m2, v2]) => [m2, v2]);
    return next.out.map(([x2]) => x2);
  }

  /** -learningRate per member, shaped [P, 1, ...] to broadcast over a weight of `rank` (made once per rank). */
  private rates(rank: number): tf.Tensor {
    let rates = this.negativeRates.get(rank);
    if (!rates) {
      rates = tf.keep(tf.tensor(this.learningRates.map((lr) => -lr), [this.learningRates.length, ...Array<number>(rank - 1).fill(1)]));
      this.negativeRates.set(rank, rates);
    }
    return rates;
  }

  /** Keeps only the members at `positions` (in that order): their moments and learning rates. */
  keep(positions: readonly number[]): void {
    const index = tf.tensor1d(positions as number[], 'int32');
    const moments = this.moments.map(([m, v]) => [tf.gather(m, index), tf.gather(v, index)] as [tf.Tensor, tf.Tensor]);
    tf.dispose([index, ...this.moments.flat()]);
    this.moments = moments;
    this.learningRates = positions.map((p) => this.learningRates[p]);
    this.dropRates();
  }

  dispose(): void {
    tf.dispose([this.accBeta1, this.accBeta2, ...this.moments.flat()]);
    this.dropRates();
  }

  private dropRates(): void {
    tf.dispose([...this.negativeRates.values()]);
    this.negativeRates.clear();
  }
}
