import type { Params } from '@aelab/store';
import type { SearchSpace } from '../space.js';

/** What a sampler has seen: the training params asked so far and, once told, their score. */
export interface SampledTrial {
  params: Params;
  /** The selection metric (already oriented so that larger is better), or null while running or failed. */
  score: number | null;
}

export type SamplerDecision = { status: 'run'; params: Params } | { status: 'wait' } | { status: 'done' };

/**
 * Chooses the next training configuration. Samplers are pure with respect to their
 * inputs plus their own seed, so a resumed sweep that replays the same history gets
 * the same proposals. `wait` means "ask again after a running trial finishes" (for
 * samplers that learn from results); `done` ends the sweep.
 */
export interface Sampler {
  readonly name: string;
  next(space: SearchSpace, history: readonly SampledTrial[]): SamplerDecision;
}
