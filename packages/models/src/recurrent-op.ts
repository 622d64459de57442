/**
 * A recurrent layer over a whole sequence as one differentiable op: on wasm one forward
 * kernel and, registered as its gradient through `tf.customGrad`, one backward kernel
 * (`wasm/recurrent-kernels.ts`), so the tape holds one node per recurrent layer instead of ~20
 * per time step. Elsewhere (cpu, webgpu) the same math runs as ordinary tf ops, which
 * autodiff differentiates.
 */
import { tf } from './tf.js';
import {
  RECURRENT_BACKWARD,
  RECURRENT_FORWARD,
  type RecurrentForwardAttrs,
  type RecurrentKind,
} from './wasm/recurrent-kernels.js';

export type { RecurrentKind } from './wasm/recurrent-kernels.js';

/** What a recurrent layer computes besides its weights. */
export interface RecurrentOptions {
  /** True: every step's output h, [batch, steps, units]; false: the last step's, [batch, units]. */
  returnSequences: boolean;
  /** The output (and LSTM cell) activation; only tanh is implemented. */
  activation?: 'tanh';
  /** The LSTM gate activation; only sigmoid is implemented (the lstm family builds it). */
  recurrentActivation?: 'sigmoid';
  /** Forces the tf-ops path even where the fused kernels exist (tests, benchmarks). */
  fused?: boolean;
}

/** Whether `backend` (default: the active one) runs {@link recurrentSequence} as the fused kernels. */
export function fusedRecurrentAvailable(backend = tf.getBackend()): boolean {
  return (
    tf.getKernel(RECURRENT_FORWARD, backend) !== undefined && tf.getKernel(RECURRENT_BACKWARD, backend) !== undefined
  );
}

/**
 * The output of a tfjs-layers `lstm` (sigmoid gates) or `simpleRNN` layer with zero initial
 * state over `x` [batch, steps, features], from its weights: `kernel` [features, g·units],
 * `recurrentKernel` [units, g·units], `bias` [g·units] (g = 4 for LSTM, gate blocks i, f,
 * c, o as in tfjs-layers; 1 for SimpleRNN). Differentiable with respect to all four inputs.
 * @throws Error for an activation other than the implemented ones.
 */
export function recurrentSequence(
  kind: RecurrentKind,
  x: tf.Tensor3D,
  kernel: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  bias: tf.Tensor1D,
  options: RecurrentOptions,
): tf.Tensor {
  const { returnSequences, activation = 'tanh', recurrentActivation = 'sigmoid' } = options;
  if (activation !== 'tanh') throw new Error(`recurrentSequence: activation must be tanh, got ${String(activation)}`);
  if (kind === 'lstm' && recurrentActivation !== 'sigmoid')
    throw new Error(`recurrentSequence: recurrentActivation must be sigmoid, got ${String(recurrentActivation)}`);
  if (options.fused === false || !fusedRecurrentAvailable())
    return recurrentSequenceOps(kind, x, kernel, recurrentKernel, bias, returnSequences);
  const attrs: RecurrentForwardAttrs = { kind, returnSequences };
  if (!tf.engine().isTapeOn()) {
    // No gradient will be asked for: the forward alone, without the states BPTT needs.
    const out = tf.engine().runKernel(RECURRENT_FORWARD, { x, kernel, recurrentKernel, bias }, {
      ...attrs,
      keepStates: false,
    } as unknown as tf.NamedAttrMap);
    return Array.isArray(out) ? (out[0] as tf.Tensor) : (out as tf.Tensor);
  }
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, w, u, b] = args as tf.Tensor[];
    const save = args[4] as tf.GradSaveFunc;
    const outs = tf
      .engine()
      .runKernel(
        RECURRENT_FORWARD,
        { x: xs, kernel: w, recurrentKernel: u, bias: b },
        attrs as unknown as tf.NamedAttrMap,
      ) as tf.Tensor[];
    // The layer's output, then the states the backward kernel needs.
    const [value, ...states] = outs;
    save([xs, w, u, ...states]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sw, su, h, c, tc, a] = saved;
      const inputs: tf.NamedTensorMap = {
        dy,
        x: sx,
        kernel: sw,
        recurrentKernel: su,
        h,
        ...(kind === 'lstm' ? { c, tc, a } : {}),
      };
      return tf.engine().runKernel(RECURRENT_BACKWARD, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    };
    return { value, gradFunc };
  });
  return op(x, kernel, recurrentKernel, bias);
}

/**
 * The same computation as tf ops (one time step after another, as tfjs-layers does,
 * with its order of additions), for backends without the fused kernels.
 */
export function recurrentSequenceOps(
  kind: RecurrentKind,
  x: tf.Tensor3D,
  kernel: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  bias: tf.Tensor1D,
  returnSequences: boolean,
): tf.Tensor {
  return tf.tidy(() => {
    const [batch, steps, features] = x.shape;
    const units = recurrentKernel.shape[0];
    const xw = tf.reshape(tf.matMul(tf.reshape(x, [batch * steps, features]), kernel), [batch, steps, -1]);
    const inputs = tf.unstack(xw, 1);
    let h: tf.Tensor2D = tf.zeros([batch, units]);
    let c: tf.Tensor2D = tf.zeros([batch, units]);
    const outputs: tf.Tensor2D[] = [];
    for (const xt of inputs) {
      if (kind === 'simpleRNN') {
        h = tf.tanh(tf.add(tf.add(xt, bias), tf.matMul(h, recurrentKernel))) as tf.Tensor2D;
      } else {
        const z = tf.add(tf.add(xt, tf.matMul(h, recurrentKernel)), bias);
        const [zi, zf, zg, zo] = tf.split(z, 4, 1);
        c = tf.add(tf.mul(tf.sigmoid(zf), c), tf.mul(tf.sigmoid(zi), tf.tanh(zg))) as tf.Tensor2D;
        h = tf.mul(tf.sigmoid(zo), tf.tanh(c)) as tf.Tensor2D;
      }
      outputs.push(h);
    }
    return returnSequences ? tf.stack(outputs, 1) : h;
  });
}
