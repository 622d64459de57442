/**
 * The lean step of a recurrent autoencoder (the lstm and rnn families): the layers step's
 * tape and Adam over a forward pass that runs each recurrent layer as one fused op
 * (`recurrent-forward.ts`: one kernel forward and one backward over the whole sequence on
 * wasm, instead of ~20 kernels per time step each way).
 */
import type { tf } from '../tf.js';
import { fusedRecurrentAvailable } from '../recurrent-op.js';
import { recurrentForward, recurrentForwardIssues } from '../recurrent-forward.js';
import type { ModelLossTerm, ReconstructionLoss } from '../losses.js';
import { registerWasmAdamKernel } from '../wasm/adam-kernel.js';
import { registerWasmRecurrentKernels } from '../wasm/recurrent-kernels.js';
import { LayersStep } from './layers.js';
import type { StepDefinition } from './step.js';

/**
 * Whether the lean recurrent step can train `model` here: the fused kernels exist and it is a recurrent seq2seq chain.
 */
export function leanRecurrentAvailable(model: tf.LayersModel): boolean {
  return fusedRecurrentAvailable() && recurrentForwardIssues(model).length === 0;
}

/**
 * A {@link LayersStep} whose forward pass is {@link recurrentForward}. It counts its own
 * training calls (the dropout masks of its n-th step are those the model's dropout layers
 * draw on their n-th call), so a session must train through it alone.
 */
export function recurrentStep(
  model: tf.LayersModel,
  spec: { kind: string },
  loss: ReconstructionLoss,
  learningRate: number,
  terms: readonly ModelLossTerm[] = [],
): LayersStep {
  let calls = 0;
  const forward = (x: tf.Tensor, training: boolean) =>
    recurrentForward(model, spec, x, training, training ? ++calls : 0);
  return new LayersStep(model, loss, learningRate, forward, 'lean-recurrent', terms);
}

/** The lean recurrent step, for lstm and rnn models where the fused recurrent kernels exist (wasm). */
export const leanRecurrentStep: StepDefinition = {
  name: 'lean-recurrent',
  modelTerms: true,
  appliesTo: (spec, backend) => (spec.kind === 'lstm' || spec.kind === 'rnn') && fusedRecurrentAvailable(backend),
  create: ({ model, spec, loss, learningRate, terms }) =>
    leanRecurrentAvailable(model) ? recurrentStep(model, spec, loss, learningRate, terms) : null,
  kernels: {
    wasm: () => {
      registerWasmAdamKernel();
      registerWasmRecurrentKernels();
    },
  },
};
