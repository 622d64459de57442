/**
 * Which trainings can share a population, decided without tfjs (the sweep's coordinator
 * groups its pending trainings by it before any worker starts).
 */
import { stableStringify, type TrainingSettings } from '@aelab/core';
import { familyOf, type ModelSpec } from '../families/index.js';

/**
 * The population a training of `spec` with `training` can join: trainings with the same
 * key train as one batched graph (same architecture, batch size and loss; learning rate,
 * epochs, early stopping, dropout, L2 and seed may differ per member). Null when the
 * spec's family cannot train in a population, or adds loss terms of its own (the
 * population graph knows only the reconstruction loss and L2).
 */
export function populationKey(spec: ModelSpec, training: Pick<TrainingSettings, 'batchSize' | 'loss'>): string | null {
  const family = familyOf(spec.kind);
  if (
    !('populationArchitecture' in family) ||
    !family.populationArchitecture ||
    ('lossTerms' in family && family.lossTerms)
  )
    return null;
  return stableStringify({
    architecture: family.populationArchitecture(spec),
    batchSize: training.batchSize,
    loss: training.loss,
  });
}
