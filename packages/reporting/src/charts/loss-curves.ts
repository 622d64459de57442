import type { EpochRecord } from '@aelab/core';
import type { TopLevelSpec } from 'vega-lite';
import { downsample } from '../stats.js';
import { chartHead, round } from './common.js';

/** The training history of one trial, under the label the chart's legend shows. */
export interface LossCurve {
  label: string;
  history: readonly EpochRecord[];
}

/** Epochs kept per curve; longer histories are evenly thinned (ends kept). */
export const MAX_EPOCHS_PER_CURVE = 200;

/**
 * Training (solid) and validation (dashed) loss per epoch, one colour per trial, so
 * overfitting and unequal convergence show at a glance.
 */
export function lossCurvesSpec(curves: readonly LossCurve[], options: { title?: string } = {}): TopLevelSpec {
  const values: { trial: string; epoch: number; split: string; loss: number }[] = [];
  for (const curve of curves) {
    for (const e of downsample(curve.history, MAX_EPOCHS_PER_CURVE)) {
      if (Number.isFinite(e.loss))
        values.push({ trial: curve.label, epoch: e.epoch, split: 'train', loss: round(e.loss) });
      if (e.valLoss !== null && Number.isFinite(e.valLoss)) {
        values.push({ trial: curve.label, epoch: e.epoch, split: 'validation', loss: round(e.valLoss) });
      }
    }
  }
  return {
    ...chartHead({ title: options.title ?? 'Training and validation loss', width: 520, height: 260 }),
    data: { values },
    mark: { type: 'line', strokeWidth: 1.6 },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'Epoch' },
      y: { field: 'loss', type: 'quantitative', title: 'Loss', scale: { zero: false } },
      color: { field: 'trial', type: 'nominal', title: 'Trial', sort: curves.map((c) => c.label) },
      strokeDash: { field: 'split', type: 'nominal', title: 'Split', sort: ['train', 'validation'] },
      detail: { field: 'split' },
    },
  };
}
