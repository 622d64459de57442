import type { Params, SearchSpace } from '@aelab/core';
import type { z } from 'zod';

/** What a sampler knows of one training configuration it proposed. */
export interface SampledTrial {
  params: Params;
  /**
   * The study's objective for this configuration (see @aelab/core `objective.ts`: the best
   * scoring variant's mean over repeats of the selection metric), oriented so that larger
   * is better; null while it runs, or when it failed or was pruned.
   */
  objective: number | null;
  state: 'running' | 'complete' | 'failed' | 'pruned';
}

export type SamplerDecision = { status: 'run'; params: Params } | { status: 'wait' } | { status: 'done' };

/**
 * Chooses training configurations, in the ask/tell shape: `ask` proposes; the study tells
 * through `history` (every configuration asked so far, in order, with its objective once
 * known) and, for samplers that keep state, through `tell` when a configuration's
 * objective or state changes.
 *
 * Contract: `ask` is a pure function of the space, the history and the sampler's own
 * settings (its seed included), its random stream too, so a resumed study that replays
 * the same history gets the same proposals, and the same seed with one worker gives the
 * same sequence. The study asks only when a worker is free: with one worker, every
 * earlier configuration has ended (state and objective told), which is also what a
 * resumed study's history holds when it replays them, so a run stopped and resumed after
 * any result decides as one that never stopped. It
 * sees the objective, never raw metrics. `wait` means "ask again when a running trial
 * finishes" (for samplers that learn from results); `done` ends the study. It never
 * proposes params outside the space, and omits conditional params whose `when` does
 * not hold.
 */
export interface Sampler {
  readonly name: string;
  ask(space: SearchSpace, history: readonly SampledTrial[]): SamplerDecision;
  /** Optional: a repeat of `trial` ended; its objective and state are the study's current ones. */
  tell?(trial: SampledTrial): void;
}

/** What a sampler factory may draw on besides its own settings. */
export interface SamplerContext {
  /** The experiment seed (samplers without a seed of their own use it). */
  seed: number;
}

/**
 * One sampler kind: its settings schema (a strict zod object discriminated by `type`, as
 * `settingsObject` makes one; embedded in the experiment file's schema) and its factory.
 * One file per kind, registered in `samplers/index.ts`.
 */
export interface SamplerDefinition<S extends { type: string } = { type: string }> {
  readonly type: S['type'];
  readonly schema: z.ZodType<S> & z.ZodObject;
  create(settings: S, context: SamplerContext): Sampler;
  /** How many configurations it will propose at most for `space` (progress display), or null if unknown. */
  plannedTrials(settings: S, space: SearchSpace): number | null;
}

/** Typed identity: keeps each definition's settings type. */
export function defineSampler<S extends { type: string }>(definition: SamplerDefinition<S>): SamplerDefinition<S> {
  return definition;
}
