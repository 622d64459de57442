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
  /** lr / (1 - beta1^t) */
  c1: number;
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
  for (let i = 0; i < X.length; i++) {
    const gi = G[i];
    const mi = M[i] + (gi - M[i]) * k1;
    const vi = V[i] + (gi * gi - V[i]) * k2;
    OM[i] = mi;
    OV[i] = vi;
    OX[i] = X[i] - (c1 * mi) / (Math.sqrt(c2 * vi) + epsilon);
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
  const fused = (options.fused ?? true) && tf.getBackend() === 'wasm' && tf.getKernel(KERNEL, 'wasm') !== undefined;
  return fused ? new FusedAdam(variables, learningRate) : new TfAdam(variables, learningRate);
}
