/**
 * The tfjs side of the model-family seam: the one {@link BuildKit} every family builds
 * with. Importing this module registers our custom layers and applies the tfjs fixes on
 * the tfjs instance the kit hands out.
 */
import { tf } from '../tf.js';
import type { BuildKit, LayerInit } from '../families/family.js';
import type { Init } from '../families/fields.js';
import type { LayerSeeds } from '../random.js';
import '../tfjs-fixes.js';
import { Cropping1D, SeededDropout, UpSampling1D } from './layers.js';

export const buildKit: BuildKit = {
  tf,
  SeededDropout,
  UpSampling1D,
  Cropping1D,
  glorot: (seeds: LayerSeeds) => tf.initializers.glorotUniform({ seed: seeds.take() }),
  weightInit(seeds: LayerSeeds, init: Init | undefined, fanIn: number): LayerInit {
    if (init !== 'pytorch') return { kernelInitializer: tf.initializers.glorotUniform({ seed: seeds.take() }) };
    const bound = 1 / Math.sqrt(fanIn);
    return {
      kernelInitializer: tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: seeds.take() }),
      biasInitializer: tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: seeds.take() }),
    };
  },
  l2: (penalty: number) => (penalty > 0 ? tf.regularizers.l2({ l2: penalty }) : undefined),
};
