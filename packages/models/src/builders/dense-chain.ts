/**
 * A built model read as a chain of dense layers, each optionally followed by a seeded
 * dropout: what the population trainer and the lean dense step train. Reading the built model (rather
 * than the spec) takes the initial weights, dropout seeds and penalties from the one
 * place that defines them, the family's builder.
 */
import { tf } from '../tf.js';
import { SeededDropout } from './layers.js';

/** One dense layer of a member's model. */
export interface ChainLayer {
  /** Kernel [inputs, units] and bias [units]: the model's own variables (read them, never dispose them). */
  kernel: tf.Tensor2D;
  bias: tf.Tensor1D;
  /** The tfjs-layers activation name (`relu`, `tanh`, ...). */
  activation: string;
  /** The L2 penalty on the kernel; 0 when it has none. */
  l2: number;
  /** The seeded dropout right after it, if any. */
  dropout: { rate: number; seed: number } | null;
}

interface DenseConfig {
  activation: string;
  useBias?: boolean;
  kernelRegularizer?: { className: string; config: { l1?: number; l2?: number } } | null;
}

function penaltyOf(layer: tf.layers.Layer, config: DenseConfig): number {
  const regularizer = config.kernelRegularizer;
  if (!regularizer) return 0;
  if (regularizer.className !== 'L1L2' || (regularizer.config.l1 ?? 0) !== 0)
    throw new Error(
      `population training: layer ${layer.name} has a ${regularizer.className} regularizer; only L2 is supported`,
    );
  return regularizer.config.l2 ?? 0;
}

/**
 * The dense chain of `model`, in order.
 * @throws Error naming the first layer that is neither dense nor a seeded dropout after one.
 */
export function denseChain(model: tf.LayersModel): ChainLayer[] {
  const chain: ChainLayer[] = [];
  model.layers.forEach((layer, i) => {
    if (i === 0 && layer.getClassName() === 'InputLayer') return;
    const inbound = layer.inboundNodes[0]?.inboundLayers ?? [];
    if (inbound.length !== 1 || inbound[0] !== model.layers[i - 1])
      throw new Error(`population training needs a chain of layers; ${layer.name} is not fed by the layer before it`);
    // By class name, not instanceof: a second copy of this module (two paths to one package) has its own class.
    if (
      layer.getClassName() === SeededDropout.className &&
      chain.length > 0 &&
      chain[chain.length - 1].dropout === null
    ) {
      const { rate, seed } = layer.getConfig() as { rate: number; seed: number };
      chain[chain.length - 1].dropout = { rate, seed };
      return;
    }
    if (layer.getClassName() !== 'Dense')
      throw new Error(
        `population training supports dense layers and seeded dropout; ${layer.name} is a ${layer.getClassName()}`,
      );
    const config = layer.getConfig() as unknown as DenseConfig;
    const [kernel, bias] = layer.getWeights();
    if (config.useBias === false || !bias)
      throw new Error(`population training: dense layer ${layer.name} has no bias`);
    chain.push({
      kernel: kernel as tf.Tensor2D,
      bias: bias as tf.Tensor1D,
      activation: config.activation,
      l2: penaltyOf(layer, config),
      dropout: null,
    });
  });
  return chain;
}
