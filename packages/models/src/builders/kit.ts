/**
 * The tfjs side of the model-family seam: the one {@link BuildKit} every family builds
 * with. Importing this module registers our custom layers and applies the tfjs fixes on
 * the tfjs instance the kit hands out.
 */
import * as tf from '@tensorflow/tfjs';
import type { BuildKit } from '../families/family.js';
import type { LayerSeeds } from '../random.js';
import '../tfjs-fixes.js';
import { Cropping1D, SeededDropout, UpSampling1D } from './layers.js';

export const buildKit: BuildKit = {
  tf,
  SeededDropout,
  UpSampling1D,
  Cropping1D,
  glorot: (seeds: LayerSeeds) => tf.initializers.glorotUniform({ seed: seeds.take() }),
  l2: (penalty: number) => (penalty > 0 ? tf.regularizers.l2({ l2: penalty }) : undefined),
};
