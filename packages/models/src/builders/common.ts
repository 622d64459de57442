import * as tf from '@tensorflow/tfjs';

/** Seeds for the layers of one model, derived from the trial seed so layers differ. */
export class LayerSeeds {
  private next = 0;
  constructor(private readonly seed: number) {}
  take(): number {
    this.next += 1;
    return ((Math.imul(this.seed >>> 0, 2654435761) + this.next * 97) >>> 0) % 2147483647;
  }
}

/** Seeded Glorot-uniform, the Keras default kernel initializer. */
export function glorot(seeds: LayerSeeds): ReturnType<typeof tf.initializers.glorotUniform> {
  return tf.initializers.glorotUniform({ seed: seeds.take() });
}

/** An L2 kernel regularizer, or none for 0 (keeps the graph and the saved JSON small). */
export function l2(penalty: number): ReturnType<typeof tf.regularizers.l2> | undefined {
  return penalty > 0 ? tf.regularizers.l2({ l2: penalty }) : undefined;
}
