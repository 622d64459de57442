import { createRng, stableStringify, type Json, type SearchSpace } from '@aelab/core';
import { settingsObject, SHARED_SETTINGS } from '../settings-registry.js';
import { fromUnit, isActive, orderedNames } from '../space.js';
import { defineSampler, type Sampler, type SamplerDecision, type SampledTrial } from './sampler.js';

/** How many draws in a row may hit already-sampled configurations before the space counts as exhausted. */
const MAX_DUPLICATE_DRAWS = 1000;

/**
 * Independent uniform draws (in unit space, so every distribution type is handled by
 * `fromUnit`). A configuration already sampled is drawn again rather than trained twice;
 * a small categorical space runs out before `trials` and the sweep ends early.
 */
export class RandomSampler implements Sampler {
  readonly name = 'random';

  constructor(
    private readonly trials: number,
    private readonly seed: number,
  ) {
    if (!Number.isInteger(trials) || trials <= 0) throw new Error(`trials must be a positive integer, got ${trials}`);
  }

  ask(space: SearchSpace, history: readonly SampledTrial[]): SamplerDecision {
    if (history.length >= this.trials) return { status: 'done' };
    const seen = new Set(history.map((t) => stableStringify(t.params)));
    // The stream depends only on the seed and how many trials exist, so a resumed sweep
    // (same history length) proposes the same configuration.
    const rng = createRng(this.seed, `random-sampler:${history.length}`);
    const names = orderedNames(space);
    for (let draw = 0; draw < MAX_DUPLICATE_DRAWS; draw++) {
      const params: Record<string, Json> = {};
      for (const name of names) if (isActive(space[name], params)) params[name] = fromUnit(space[name], rng.next());
      if (!seen.has(stableStringify(params))) return { status: 'run', params };
    }
    return { status: 'done' };
  }
}

export const randomSampler = defineSampler({
  type: 'random',
  schema: settingsObject(
    'random',
    { trials: SHARED_SETTINGS.trials, seed: SHARED_SETTINGS.seed },
    'Independent uniform draws from the space.',
  ),
  create: (settings, context) => new RandomSampler(settings.trials, settings.seed ?? context.seed),
  plannedTrials: (settings) => settings.trials,
});
