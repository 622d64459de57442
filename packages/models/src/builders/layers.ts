/**
 * Custom layers the builders need, registered for serialisation so saved models load.
 * Importing this module registers them (side effect), on the one tfjs instance we use.
 */
import { tf } from '../tf.js';

/** The one input of a single-input layer (tfjs hands `call` a tensor or a list of them). */
function firstInput(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

/**
 * A single-input layer over time steps, set by one integer, which its config saves under `settingName` so
 * that a saved model's layer is rebuilt with it (tfjs calls the constructor with the saved config).
 */
abstract class TimeStepsLayer extends tf.layers.Layer {
  protected readonly setting: number;

  protected constructor(
    args: { name?: string } & Record<string, unknown>,
    private readonly settingName: string,
  ) {
    super(args);
    this.setting = args[settingName] as number;
  }

  /** The output's time steps for an input of `steps` (null: unknown). */
  protected abstract outputSteps(steps: number | null): number | null;

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [batch, steps, channels] = inputShape as tf.Shape;
    return [batch, this.outputSteps(steps), channels];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), [this.settingName]: this.setting };
  }
}

interface UpSampling1DArgs {
  size: number;
  name?: string;
}

/**
 * Repeats each time step `size` times: [batch, steps, channels] -> [batch, steps*size, channels].
 * tfjs has no upSampling1d; emulating it with upSampling2d trips a cpu-backend bug
 * (ResizeNearestNeighborGrad is wrong for batch > 1), while concat + reshape is correct
 * on every backend and its gradient is a cheap split.
 */
export class UpSampling1D extends TimeStepsLayer {
  static readonly className = 'AelabUpSampling1D';

  constructor(args: UpSampling1DArgs) {
    super({ ...args }, 'size');
  }

  protected outputSteps(steps: number | null): number | null {
    return steps == null ? null : steps * this.setting;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = firstInput(inputs) as tf.Tensor3D;
      const [batch, steps, channels] = x.shape;
      const expanded = x.expandDims(2);
      const repeated = tf.concat(
        Array.from({ length: this.setting }, () => expanded),
        2,
      );
      return repeated.reshape([batch, steps * this.setting, channels]);
    });
  }
}

/**
 * The seed of a {@link SeededDropout} layer's `call`-th training call (1-based): the one
 * rule, shared with the population trainer, which draws the same masks for its members.
 */
export function dropoutCallSeed(baseSeed: number, call: number): number {
  return (baseSeed * 7919 + call) % 2147483647;
}

interface SeededDropoutArgs {
  rate: number;
  seed: number;
  name?: string;
}

/**
 * Dropout with a reproducible mask sequence. tfjs' Dropout either draws from Math.random
 * (no seed) or, given a seed, reuses the *same* mask on every batch; this layer derives a
 * fresh seed per training call from its base seed, so a run is random across batches yet
 * identical for the same trial seed.
 */
export class SeededDropout extends tf.layers.Layer {
  static readonly className = 'AelabSeededDropout';
  readonly rate: number;
  readonly seed: number;
  private calls = 0;

  constructor(args: SeededDropoutArgs) {
    super(args);
    this.rate = args.rate;
    this.seed = args.seed;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const x = firstInput(inputs);
    if (kwargs['training'] !== true || this.rate === 0) return x;
    this.calls += 1;
    return tf.dropout(x, this.rate, undefined, dropoutCallSeed(this.seed, this.calls));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}

/** Keeps the first `keep` time steps (tfjs has cropping2D but no cropping1D). */
export class Cropping1D extends TimeStepsLayer {
  static readonly className = 'AelabCropping1D';

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return (firstInput(inputs) as tf.Tensor3D).slice([0, 0, 0], [-1, this.setting, -1]);
  }

  constructor(args: { keep: number; name?: string }) {
    super({ ...args }, 'keep');
  }

  protected outputSteps(): number {
    return this.setting;
  }
}

tf.serialization.registerClass(UpSampling1D);
tf.serialization.registerClass(Cropping1D);
tf.serialization.registerClass(SeededDropout);
