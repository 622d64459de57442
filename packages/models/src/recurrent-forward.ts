/**
 * A lean forward pass of a recurrent sequence-to-sequence autoencoder (the lstm and rnn
 * families' models) over the built model's own weight variables: each recurrent layer one
 * {@link recurrentSequence} op, the repeat one broadcast product and the time-distributed
 * dense one matrix product over all steps (tfjs' TimeDistributed loops over the steps).
 * The model stays what is built and saved; this only reads its weights.
 */
import { tf } from './tf.js';
import { dropoutCallSeed, type SeededDropout } from './builders/layers.js';
import { recurrentSequence, type RecurrentKind } from './recurrent-op.js';

/** The layers' class names and the recurrent kind each is. */
const RECURRENT: Record<string, RecurrentKind> = { LSTM: 'lstm', SimpleRNN: 'simpleRNN' };

interface RecurrentLayerConfig {
  activation?: string;
  recurrentActivation?: string;
  useBias?: boolean;
  returnSequences?: boolean;
  returnState?: boolean;
  goBackwards?: boolean;
  stateful?: boolean;
  dropout?: number;
  recurrentDropout?: number;
}

function recurrentIssues(layer: tf.layers.Layer): string[] {
  const config = layer.getConfig() as RecurrentLayerConfig;
  const issues: string[] = [];
  if (config.activation !== 'tanh') issues.push(`${layer.name}: activation ${String(config.activation)} (only tanh)`);
  if (layer.getClassName() === 'LSTM' && config.recurrentActivation !== 'sigmoid')
    issues.push(`${layer.name}: recurrentActivation ${String(config.recurrentActivation)} (only sigmoid)`);
  if (config.useBias === false) issues.push(`${layer.name}: no bias`);
  if (config.returnState || config.goBackwards || config.stateful)
    issues.push(`${layer.name}: returnState, goBackwards and stateful are not supported`);
  if ((config.dropout ?? 0) > 0 || (config.recurrentDropout ?? 0) > 0)
    issues.push(`${layer.name}: cell dropout is not supported`);
  return issues;
}

/**
 * Why {@link recurrentForward} cannot run `model` ([] when it can): it takes a chain of
 * input, SeededDropout, LSTM (tanh, sigmoid gates, bias) or SimpleRNN (tanh, bias),
 * RepeatVector and TimeDistributed(Dense) layers, which is what the lstm and rnn families build.
 */
export function recurrentForwardIssues(model: tf.LayersModel): string[] {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return ['the model must have one input and one output'];
  return model.layers.flatMap((layer) => {
    const name = layer.getClassName();
    if (name in RECURRENT) return recurrentIssues(layer);
    if (name === 'TimeDistributed') {
      const inner = (layer as unknown as { layer: tf.layers.Layer }).layer;
      return inner.getClassName() === 'Dense'
        ? []
        : [`${layer.name}: TimeDistributed(${inner.getClassName()}) is not supported`];
    }
    if (['InputLayer', 'AelabSeededDropout', 'RepeatVector'].includes(name)) return [];
    return [`${layer.name}: layer ${name} is not supported`];
  });
}

/**
 * The output of `model.apply(x, {training})` for a recurrent autoencoder of the lstm or rnn
 * family, computed with one fused op per recurrent layer; differentiable through the tape
 * with respect to the model's variables (`tf.variableGrads` over `model.trainableWeights`).
 * Dropout layers draw the masks of their `call`-th training call (1-based, see
 * `dropoutCallSeed`), which is what `model.apply` draws on a layer's `call`-th training
 * call; the layers' own call counters are left untouched.
 * @throws Error naming what is not supported when {@link recurrentForwardIssues} has any.
 */
export function recurrentForward(
  model: tf.LayersModel,
  spec: { kind: string },
  x: tf.Tensor,
  training: boolean,
  call: number,
): tf.Tensor {
  if (spec.kind !== 'lstm' && spec.kind !== 'rnn')
    throw new Error(`recurrentForward: spec kind must be lstm or rnn, got ${spec.kind}`);
  const issues = recurrentForwardIssues(model);
  if (issues.length > 0) throw new Error(`recurrentForward cannot run ${model.name}: ${issues.join('; ')}`);
  return tf.tidy(() => model.layers.reduce((h, layer) => applyLayer(layer, h, training, call), x));
}

function applyLayer(layer: tf.layers.Layer, h: tf.Tensor, training: boolean, call: number): tf.Tensor {
  const name = layer.getClassName();
  if (name in RECURRENT) {
    const [kernel, recurrentKernel, bias] = layer.weights.map((w) => w.read());
    const { returnSequences = false } = layer.getConfig() as RecurrentLayerConfig;
    return recurrentSequence(
      RECURRENT[name],
      h as tf.Tensor3D,
      kernel as tf.Tensor2D,
      recurrentKernel as tf.Tensor2D,
      bias as tf.Tensor1D,
      { returnSequences },
    );
  }
  if (name === 'AelabSeededDropout') {
    const dropout = layer as SeededDropout;
    return training && dropout.rate > 0
      ? tf.dropout(h, dropout.rate, undefined, dropoutCallSeed(dropout.seed, call))
      : h;
  }
  if (name === 'RepeatVector') {
    // A product with ones rather than tile: tile's gradient is a slice and an add per step.
    const { n } = layer.getConfig() as { n: number };
    return tf.mul(tf.expandDims(h, 1), tf.ones([1, n, 1]));
  }
  if (name === 'TimeDistributed') {
    const [batch, steps, units] = h.shape;
    const dense = (layer as unknown as { layer: tf.layers.Layer }).layer;
    const flat = dense.apply(tf.reshape(h, [batch * steps, units])) as tf.Tensor;
    return tf.reshape(flat, [batch, steps, -1]);
  }
  return h; // InputLayer
}
