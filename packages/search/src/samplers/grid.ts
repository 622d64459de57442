import { enumerateGrid, type SearchSpace } from '../space.js';
import type { Sampler, SamplerDecision, SampledTrial } from './sampler.js';

/** Visits every combination of the space once, in a fixed order. */
export class GridSampler implements Sampler {
  readonly name = 'grid';
  private grid: ReturnType<typeof enumerateGrid> | null = null;

  next(space: SearchSpace, history: readonly SampledTrial[]): SamplerDecision {
    this.grid ??= enumerateGrid(space);
    const params = this.grid[history.length];
    return params ? { status: 'run', params } : { status: 'done' };
  }

  /** Number of combinations the grid will visit. */
  size(space: SearchSpace): number {
    return enumerateGrid(space).length;
  }
}
