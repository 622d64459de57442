/**
 * What a study searched, read from its records: since format version 2 every trial
 * keeps the parameters its sampler drew (`sampled`) and their distributions, and every
 * evaluation the scoring parameters of its variant. Stores written before (version 1)
 * have none of these; for them the swept parameters are guessed by diffing, in
 * {@link legacyVaryingKeys} alone.
 */
import type { Distribution, Params } from '@aelab/core';
import type { EvaluationRecord, TrialRecord } from '@aelab/store';
import { jsonText } from './format.js';

/** Sorted union of the keys of the recorded maps; null when none was recorded (a version 1 store). */
function sampledKeys(sampled: readonly (Params | null)[]): string[] | null {
  const recorded = sampled.filter((s): s is Params => s !== null);
  if (recorded.length === 0) return null;
  return [...new Set(recorded.flatMap((s) => Object.keys(s)))].sort();
}

/**
 * Version 1 stores only: the keys whose value differs among the maps (a key absent from
 * some maps counts as differing). A guess — a parameter swept over one value is missed,
 * one derived from a swept one is counted — which the recorded `sampled` maps replace.
 */
export function legacyVaryingKeys(maps: readonly Params[]): string[] {
  const seen = new Map<string, Set<string>>();
  for (const m of maps) for (const k of Object.keys(m)) if (!seen.has(k)) seen.set(k, new Set());
  for (const [k, values] of seen) for (const m of maps) values.add(k in m ? `v${JSON.stringify(m[k])}` : 'absent');
  return [...seen]
    .filter(([, values]) => values.size > 1)
    .map(([k]) => k)
    .sort();
}

/**
 * The training parameters the trials sampled (sorted), less `excluded`; see the module comment for version 1 stores.
 */
export function sweptTrainingParams(trials: readonly TrialRecord[], excluded: readonly string[]): string[] {
  const keys = sampledKeys(trials.map((t) => t.sampled)) ?? legacyVaryingKeys(trials.map((t) => t.params));
  return keys.filter((k) => !excluded.includes(k));
}

/** The scoring parameters the evaluations sampled (sorted); see the module comment for version 1 stores. */
export function sweptScoringParams(evaluations: readonly EvaluationRecord[]): string[] {
  return sampledKeys(evaluations.map((e) => e.sampled)) ?? legacyVaryingKeys(evaluations.map((e) => e.scoring));
}

/** One searched parameter as the study page lists it. */
export interface SearchDimension {
  name: string;
  distribution: Distribution;
}

/** The distributions the trials recorded, by parameter name (sorted); empty for a version 1 store. */
export function searchSpaceOf(trials: readonly TrialRecord[]): SearchDimension[] {
  const space = new Map<string, Distribution>();
  for (const t of trials)
    for (const [name, d] of Object.entries(t.distributions ?? {})) if (!space.has(name)) space.set(name, d);
  return [...space.keys()].sort().map((name) => ({ name, distribution: space.get(name)! }));
}

/** The values or range of a distribution, e.g. `[16,4] | [32,8]` or `0.0001 – 0.1 (log)`. */
export function describeDistribution(d: Distribution): string {
  if (d.type === 'categorical') return d.values.map((v) => jsonText(v)).join(' | ');
  const options = [d.step !== undefined ? `step ${d.step}` : '', d.log ? 'log' : ''].filter(Boolean).join(', ');
  return `${d.low} – ${d.high}${options ? ` (${options})` : ''}`;
}
