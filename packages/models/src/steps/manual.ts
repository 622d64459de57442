/**
 * What the steps with a hand-written backward pass (dense, Conv1D) share: the loss with its
 * gradient and the L2 penalties in one kernel, the fused Adam over the model's weights with
 * those penalties folded in, and the count of training calls that picks dropout masks.
 */
import { tf } from '../tf.js';
import { createGradientAdam, hasAdamKernel, type GradientOptimizer } from '../adam.js';
import {
  hasStepKernels,
  lossSum,
  penaltyOf,
  reconstructionLossOf,
  registerWasmStepKernels,
} from '../wasm/dense-kernels.js';
import { registerWasmAdamKernel } from '../wasm/adam-kernel.js';
import type { PreparedSplit } from '@aelab/data';
import type { ModelSpec } from '../families/index.js';
import type { ReconstructionLoss } from '../losses.js';
import type { StepDefinition, StepLosses, StepOptions, TrainingStep } from './step.js';

/** What sets one lean step on {@link ManualStep} apart. */
export interface ManualStepDefinition {
  name: string;
  /** The one model kind it trains. */
  kind: ModelSpec['kind'];
  /** Whether `backend` has the kernels of its own (beside the step and Adam kernels every such step needs). */
  hasKernels?: (backend: string) => boolean;
  /** Registers the wasm kernels of its own, after the step and Adam kernels. */
  registerKernels?: () => void;
  /** Its step for the built model, or null when the model is not one it can train. */
  create(options: StepOptions): TrainingStep | null;
}

/**
 * The {@link StepDefinition} of a lean step on {@link ManualStep}: it trains models of one
 * kind without loss terms of their own, where the backend has the step kernels and the
 * fused Adam (`wasm/dense-kernels.ts`, `wasm/adam-kernel.ts`) and its own.
 */
export function manualStepDefinition(step: ManualStepDefinition): StepDefinition {
  return {
    name: step.name,
    modelTerms: false,
    appliesTo: (spec, backend) =>
      spec.kind === step.kind &&
      (step.hasKernels?.(backend) ?? true) &&
      hasStepKernels(backend) &&
      hasAdamKernel(backend),
    create: (options) => step.create(options),
    kernels: {
      wasm: () => {
        registerWasmAdamKernel();
        registerWasmStepKernels();
        step.registerKernels?.();
      },
    },
  };
}

/** Rows per forward pass of {@link ManualStep.evaluateRows}, as many as scoring takes at once. */
export const EVALUATION_CHUNK_ROWS = 4096;

/** A weight of the model: a kernel with its L2 penalty (0 for none), or a bias. */
export interface ManualWeights {
  kernel: tf.Variable;
  bias: tf.Variable;
  l2: number;
}

/**
 * A {@link TrainingStep} whose subclass writes the forward pass (keeping what its backward
 * pass needs, `T`) and the backward pass (every kernel's and bias's gradient, in
 * `weights` order, kernel then bias).
 */
export abstract class ManualStep<T> implements TrainingStep {
  abstract readonly name: string;
  /** Training calls so far: the dropout layers' call count in the layers model. */
  protected calls = 0;
  private readonly optimizer: GradientOptimizer;
  private readonly penalties: { kernel: tf.Tensor; l2: number }[];

  constructor(
    weights: readonly ManualWeights[],
    protected readonly loss: ReconstructionLoss,
    learningRate: number,
  ) {
    const optimizer = createGradientAdam(
      weights.flatMap((w) => [w.kernel, w.bias]),
      learningRate,
      weights.flatMap((w) => [w.l2, 0]),
    );
    if (!optimizer) throw new Error(`a lean step needs the fused Adam kernel, which backend ${tf.getBackend()} lacks`);
    this.optimizer = optimizer;
    this.penalties = weights.filter((w) => w.l2 > 0).map((w) => ({ kernel: w.kernel, l2: w.l2 }));
  }

  /** The model's output for `x`, dropout on when `training`, and what the backward pass needs. */
  protected abstract forward(x: tf.Tensor, training: boolean): { output: tf.Tensor; saved: T };
  /** The gradients of every kernel and bias (kernel then bias, in `weights` order) from the output's gradient. */
  protected abstract backward(saved: T, dOutput: tf.Tensor): tf.Tensor[];

  step(x: tf.Tensor): tf.Scalar {
    this.calls += 1;
    const { total, grads } = tf.tidy(() => {
      const { output, saved } = this.forward(x, true);
      const [totalLoss, , dOutput] = reconstructionLossOf(output, x, this.penalties, this.loss, true);
      return { total: totalLoss as tf.Scalar, grads: this.backward(saved, dOutput) };
    });
    this.optimizer.apply(grads);
    return total;
  }

  evaluate(x: tf.Tensor): StepLosses {
    const [total, reconstruction] = tf.tidy(() =>
      reconstructionLossOf(this.forward(x, false).output, x, this.penalties, this.loss, false),
    );
    return { total: total as tf.Scalar, reconstruction: reconstruction as tf.Scalar };
  }

  /**
   * {@link evaluate}'s losses of all `rows`, to the bit, a chunk of rows through the model at
   * a time: the loss kernel adds each value's error, in row order, to one double, and so
   * does this, on the host, across chunks (a row's output does not depend on the rows
   * beside it), then adds the penalties and rounds to float32 as the kernel's outputs do.
   */
  evaluateRows(
    rows: Pick<PreparedSplit, 'x' | 'rows' | 'features'>,
    inputShape: number[],
    chunkRows = EVALUATION_CHUNK_ROWS,
  ): { total: number; reconstruction: number } {
    const { x, features } = rows;
    let sum = 0;
    for (let start = 0; start < rows.rows; start += chunkRows) {
      const end = Math.min(start + chunkRows, rows.rows);
      const target = x.subarray(start * features, end * features);
      const output = tf.tidy(
        () => this.forward(tf.tensor(target, [end - start, ...inputShape], 'float32'), false).output,
      );
      sum = lossSum(output.dataSync() as Float32Array, target, null, this.loss, sum);
      output.dispose();
    }
    const penalty = penaltyOf(
      this.penalties.map(({ kernel, l2 }) => ({ values: kernel.dataSync() as Float32Array, l2 })),
    );
    const n = rows.rows * features;
    return { reconstruction: Math.fround(sum / n), total: Math.fround(sum / n + penalty) };
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
