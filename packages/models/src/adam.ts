/**
 * Adam for the custom training step. tfjs' Adam updates each weight tensor with ~14
 * kernels (~230 kernels per step for a 9-layer dense AE, ~40% of the step's CPU time),
 * and on these small models each kernel costs more in dispatch than in arithmetic. So a
 * backend may register one `AelabAdamUpdate` kernel that updates a weight and its two
 * moments together: wasm in a single pass over wasm memory (`wasm/adam-kernel.ts`), webgpu in three small
 * shaders (`adam-webgpu.ts`); elsewhere `tf.train.adam` is used unchanged. Update rule
 * identical to `tf.train.adam` (epsilon added after bias correction), with an optional L2
 * penalty folded into the gradient (g + 2·l2·x, the gradient of Keras' l2·sum(x²)).
 */
import { tf } from './tf.js';

/** The fused update: inputs `{x, m, v, g}`, outputs `[x', m', v']`, attributes {@link AdamUpdateAttrs}. */
export const ADAM_KERNEL = 'AelabAdamUpdate';

/** The fused update's attributes (one step of Adam for one weight tensor). */
export interface AdamUpdateAttrs {
  /**
   * lr / (1 - beta1^t); for a population's weights ([members, ...]), one per member: the
   * tensor's values split into that many equal blocks, block k updated with c1[k] (wasm only).
   */
  c1: number | number[];
  /** 1 / (1 - beta2^t) */
  c2: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** L2 penalty whose gradient (2·l2·x) is added to g first; 0 or absent: none. */
  l2?: number;
}

/**
 * The fused update of every weight of a model at once: inputs `{x0, m0, v0, g0, x1, ...}`,
 * outputs `[x0', m0', v0', x1', ...]`, attributes {@link AdamUpdateAttrs} with `l2` one
 * penalty per weight. One kernel per step instead of one per weight (a dispatch costs
 * about as much as updating a bias).
 */
export const ADAM_ALL_KERNEL = 'AelabAdamUpdateAll';

/** Whether `backend` has the fused Adam kernel (the lean steps need it). */
export function hasAdamKernel(backend: string): boolean {
  return tf.getKernel(ADAM_KERNEL, backend) !== undefined;
}

/** What the training loop needs from an optimizer. */
export interface StepOptimizer {
  /**
   * True when `minimize` applies the model's L2 penalties itself (folded into the update,
   * the penalty added to the returned loss): the loss function must then leave them out.
   */
  readonly foldsL2: boolean;
  /** One step on `loss`; returns the loss (caller disposes). */
  minimize(loss: () => tf.Scalar): tf.Scalar;
  dispose(): void;
}

/**
 * A fused optimizer that also takes gradients computed elsewhere (the lean steps write their
 * own backward pass): `apply` updates every variable from `grads` (one per variable, in the
 * variables' order; folded L2 penalties added), and disposes them.
 */
export interface GradientOptimizer extends StepOptimizer {
  apply(grads: readonly tf.Tensor[]): void;
}

/** Adam's decay rates (tf.train.adam's defaults), for every fused update. */
export const ADAM_BETAS = { beta1: 0.9, beta2: 0.999 } as const;

class FusedAdam implements GradientOptimizer {
  private readonly moments: [tf.Tensor, tf.Tensor][];
  private t = 0;
  private readonly beta1 = ADAM_BETAS.beta1;
  private readonly beta2 = ADAM_BETAS.beta2;
  private readonly epsilon = tf.backend().epsilon();
  readonly foldsL2: boolean;

  constructor(
    private readonly variables: tf.Variable[],
    private readonly learningRate: number,
    /** Per variable, the L2 penalty folded into its update (null: none folded). */
    private readonly l2: readonly number[] | null,
  ) {
    this.moments = variables.map((v) => [tf.zerosLike(v), tf.zerosLike(v)]);
    this.foldsL2 = l2 !== null;
  }

  minimize(loss: () => tf.Scalar): tf.Scalar {
    const { value, grads } = tf.variableGrads(loss, this.variables);
    // The penalties at the weights the loss saw (before the update), as Keras reports them.
    const total = this.l2 ? this.withPenalties(value) : value;
    this.apply(this.variables.map((v) => grads[v.name]));
    return total;
  }

  apply(grads: readonly tf.Tensor[]): void {
    this.t += 1;
    const attrs: AdamUpdateAttrs = {
      c1: this.learningRate / (1 - this.beta1 ** this.t),
      c2: 1 / (1 - this.beta2 ** this.t),
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
    };
    const updated = tf.getKernel(ADAM_ALL_KERNEL, tf.getBackend())
      ? this.updateAll(grads, attrs)
      : this.variables.map((variable, i) => this.updateOne(variable, i, grads[i], attrs));
    this.variables.forEach((variable, i) => {
      const [x2, m2, v2] = updated[i];
      variable.assign(x2);
      x2.dispose(); // the variable holds its own reference to the data
      tf.dispose(this.moments[i]);
      this.moments[i] = [m2, v2];
    });
    tf.dispose(grads as tf.Tensor[]);
  }

  private updateOne(variable: tf.Variable, i: number, g: tf.Tensor, attrs: AdamUpdateAttrs): tf.Tensor[] {
    const [m, v] = this.moments[i];
    const l2 = this.l2?.[i] ?? 0;
    return tf
      .engine()
      .runKernel(
        ADAM_KERNEL,
        { x: variable, m, v, g },
        (l2 > 0 ? { ...attrs, l2 } : attrs) as unknown as tf.NamedAttrMap,
      ) as tf.Tensor[];
  }

  private updateAll(grads: readonly tf.Tensor[], attrs: AdamUpdateAttrs): tf.Tensor[][] {
    const inputs: tf.NamedTensorMap = {};
    this.variables.forEach((variable, i) =>
      Object.assign(inputs, {
        [`x${i}`]: variable,
        [`m${i}`]: this.moments[i][0],
        [`v${i}`]: this.moments[i][1],
        [`g${i}`]: grads[i],
      }),
    );
    const l2 = this.variables.map((_, i) => this.l2?.[i] ?? 0);
    const outs = tf
      .engine()
      .runKernel(ADAM_ALL_KERNEL, inputs, { ...attrs, l2 } as unknown as tf.NamedAttrMap) as tf.Tensor[];
    return this.variables.map((_, i) => outs.slice(3 * i, 3 * i + 3));
  }

  private withPenalties(value: tf.Scalar): tf.Scalar {
    const total = tf.tidy(() => {
      const terms = this.variables.flatMap((variable, i) =>
        this.l2![i] > 0 ? [tf.mul(tf.sum(tf.square(variable)), this.l2![i])] : [],
      );
      return terms.length === 0 ? value.clone() : (tf.addN([value, ...terms]) as tf.Scalar);
    });
    value.dispose();
    return total;
  }

  dispose(): void {
    this.moments.forEach((pair) => tf.dispose(pair));
  }
}

class TfAdam implements StepOptimizer {
  readonly foldsL2 = false;
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

/**
 * Per trainable weight of `model`, its kernel's L2 penalty (0 for none), when every loss
 * the model adds is such a penalty; null when it adds any other (L1, bias or activity
 * regularizers), which then stay in the loss function.
 */
export function kernelL2Penalties(model: tf.LayersModel): number[] | null {
  const byWeight = new Map<string, number>();
  for (const layer of model.layers) {
    const config = layer.getConfig() as {
      kernelRegularizer?: { className: string; config: { l1: number; l2: number } } | null;
    };
    const regularizer = config.kernelRegularizer;
    if (!regularizer) continue;
    const kernel = layer.trainableWeights.find((w) => /(^|\/)kernel$/.test(w.originalName));
    if (regularizer.className !== 'L1L2' || regularizer.config.l1 !== 0 || !kernel) return null;
    byWeight.set(kernel.name, regularizer.config.l2);
  }
  // Every loss the layers add (what calculateLosses() sums) must be one of these penalties.
  if (byWeight.size !== model.layers.reduce((n, layer) => n + layer.losses.length, 0)) return null;
  return model.trainableWeights.map((w) => byWeight.get(w.name) ?? 0);
}

/**
 * Adam over `variables`: fused where the active backend has the kernel (wasm, webgpu),
 * `tf.train.adam` elsewhere. `l2` (per variable, from {@link kernelL2Penalties}) is
 * folded into the update on webgpu only: there each of the penalty's ~10 gradient
 * kernels costs a GPU dispatch, while on wasm they are cheap and recorded trainings must
 * stay bit for bit what they were.
 */
export function createAdam(
  variables: tf.Variable[],
  learningRate: number,
  options: { fused?: boolean; l2?: readonly number[] | null } = {},
): StepOptimizer {
  const backend = tf.getBackend();
  const fused = (options.fused ?? true) && tf.getKernel(ADAM_KERNEL, backend) !== undefined;
  if (!fused) return new TfAdam(variables, learningRate);
  const l2 = backend === 'webgpu' && options.l2 && options.l2.some((p) => p > 0) ? options.l2 : null;
  return new FusedAdam(variables, learningRate, l2);
}

/**
 * The fused Adam over `variables` with `l2` (per variable, 0 for none) always folded into
 * the update, for a step that computes its gradients and penalties itself; null where the
 * active backend lacks the fused kernel.
 */
export function createGradientAdam(
  variables: tf.Variable[],
  learningRate: number,
  l2: readonly number[],
): GradientOptimizer | null {
  if (tf.getKernel(ADAM_KERNEL, tf.getBackend()) === undefined) return null;
  return new FusedAdam(variables, learningRate, l2.some((p) => p > 0) ? l2 : null);
}

/** Whether the fused wasm kernel serves the active backend (a population's per-member rates need the wasm kernel). */
function fusedAvailable(): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(ADAM_KERNEL, 'wasm') !== undefined;
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
  private readonly beta1 = ADAM_BETAS.beta1;
  private readonly beta2 = ADAM_BETAS.beta2;
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
      const [x2, m2, v2] = tf
        .engine()
        .runKernel(ADAM_KERNEL, { x, m, v, g: grads[i] }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
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
      rates = tf.keep(
        tf.tensor(
          this.learningRates.map((lr) => -lr),
          [this.learningRates.length, ...Array<number>(rank - 1).fill(1)],
        ),
      );
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
