import type { Params, SearchSpace } from '@aelab/core';
import { settingsObject } from '../settings-registry.js';
import { enumerateGrid, gridSize } from '../space.js';
import { defineSampler, type Sampler, type SamplerDecision, type SampledTrial } from './sampler.js';

/** Visits every combination of the space once, in a fixed order. */
export class GridSampler implements Sampler {
  readonly name = 'grid';
  private grid: Params[] | null = null;

  ask(space: SearchSpace, history: readonly SampledTrial[]): SamplerDecision {
    this.grid ??= enumerateGrid(space);
    const params = this.grid[history.length];
    return params ? { status: 'run', params } : { status: 'done' };
  }
}

export const gridSampler = defineSampler({
  type: 'grid',
  schema: settingsObject('grid', {}, 'Every combination of the space, in order.'),
  create: () => new GridSampler(),
  plannedTrials: (_settings, space) => gridSize(space),
});
