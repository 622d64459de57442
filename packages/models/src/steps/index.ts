/**
 * The one place a model's training step is chosen: a family's lean step where it has one
 * that runs on the active backend, else the layers step, which trains any model.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ModelSpec } from '../families/index.js';
import { DenseStep, leanDenseLayers } from './dense.js';
import { Conv1dStep, leanConv1dOps } from './conv1d.js';
import { LayersStep } from './layers.js';
import { leanRecurrentAvailable, recurrentStep } from './recurrent.js';
import type { StepKind, TrainingStep } from './step.js';

export type { StepKind, StepLosses, TrainingStep } from './step.js';

/** What a step is made from: the built model, its spec, and the training's loss and learning rate. */
export interface StepOptions {
  model: tf.LayersModel;
  spec: ModelSpec;
  loss: 'mse' | 'mae';
  learningRate: number;
  kind?: StepKind;
}

/** The training step for `model` (see {@link StepKind}); its `name` says which was chosen. */
export function createTrainingStep(options: StepOptions): TrainingStep {
  const { model, spec, loss, learningRate, kind = 'lean' } = options;
  if (kind === 'lean' && spec.kind === 'dense') {
    const layers = leanDenseLayers(model);
    if (layers) return new DenseStep(layers, loss, learningRate);
  }
  if (kind === 'lean' && (spec.kind === 'lstm' || spec.kind === 'rnn') && leanRecurrentAvailable(model)) return recurrentStep(model, spec, loss, learningRate);
  if (kind === 'lean' && spec.kind === 'conv1d') {
    const ops = leanConv1dOps(model);
    if (ops) return new Conv1dStep(ops, loss, learningRate);
  }
  return new LayersStep(model, loss, learningRate);
}
