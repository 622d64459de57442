/**
 * Which parameters mattered: fANOVA ({@link ./fanova.ts}) on a random forest
 * ({@link ./regression-forest.ts}) fitted to the study's objective. One row per scored
 * evaluated configuration (training x scoring variant), its target the core objective
 * (the selection metric on the selection split, mean over repeats), its features the
 * parameters the sampler drew, each mapped into its recorded distribution's unit interval
 * with core's `toUnit` (categoricals and ints by bin, log ranges in log space), so the
 * uniform measure fANOVA integrates over is the sampler's own prior.
 */
import { toUnit, type Distribution, type Json, type Summary } from '@aelab/core';
import type { LeaderboardRow } from '../leaderboard.js';
import { forestMainEffects } from './fanova.js';
import { fitForest } from './regression-forest.js';

/** Optuna's `FanovaImportanceEvaluator` defaults: 64 trees of depth at most 64. */
export const IMPORTANCE_TREES = 64;
/** Fewer scored configurations than this give no estimate worth showing. */
export const MIN_IMPORTANCE_CONFIGURATIONS = 8;
/** The forest's seed: the same store gives the same figures. */
const IMPORTANCE_SEED = 0;

export interface ParameterImportance {
  name: string;
  /** The fraction of the objective's variance its main effect explains: mean and std over the forest's trees. */
  importance: Summary;
}

export type ImportanceResult =
  | {
      computed: true;
      /** Most important first. */
      params: ParameterImportance[];
      configurations: number;
      /** Trees that were not constant (a constant tree has no variance to split). */
      trees: number;
      /** Swept parameters left out, each with why (conditional, one value only, a value outside its distribution). */
      excluded: { name: string; why: string }[];
    }
  | { computed: false; reason: string };

/** One scored configuration's sampled values (training and scoring) and distributions. */
function sampledOf(
  row: LeaderboardRow,
): { values: Record<string, Json>; distributions: Record<string, Distribution> } | null {
  const trial = row.trials[0];
  const evaluation = row.evaluations[0];
  if (!trial.sampled || !trial.distributions) return null;
  return { values: { ...trial.sampled, ...(evaluation.sampled ?? {}) }, distributions: trial.distributions };
}

/**
 * The parameters fANOVA can use: sampled in every row, with at least two values, each value inside its distribution.
 */
function usableParams(rows: readonly NonNullable<ReturnType<typeof sampledOf>>[]) {
  const names = [...new Set(rows.flatMap((r) => Object.keys(r.values)))].sort();
  const excluded: { name: string; why: string }[] = [];
  const params: { name: string; encoded: number[] }[] = [];
  for (const name of names) {
    if (!rows.every((r) => name in r.values && r.distributions[name])) {
      excluded.push({ name, why: 'not sampled in every configuration (conditional)' });
      continue;
    }
    let encoded: number[];
    try {
      encoded = rows.map((r) => toUnit(r.distributions[name], r.values[name]));
    } catch (err) {
      excluded.push({ name, why: (err as Error).message });
      continue;
    }
    if (new Set(encoded).size < 2) excluded.push({ name, why: 'took one value only' });
    else params.push({ name, encoded });
  }
  return { params, excluded };
}

/** Parameter importance of a study's scored configurations (leaderboard rows); see the module comment. */
export function parameterImportance(rows: readonly LeaderboardRow[]): ImportanceResult {
  const scored = rows.filter((r) => r.score !== null);
  const sampled = scored.map(sampledOf);
  if (sampled.some((s) => s === null))
    return { computed: false, reason: 'the trials did not record what they sampled (a version 1 store)' };
  if (scored.length < MIN_IMPORTANCE_CONFIGURATIONS) {
    return {
      computed: false,
      reason:
        `${scored.length} scored configuration${scored.length === 1 ? '' : 's'}; ` +
        `it needs at least ${MIN_IMPORTANCE_CONFIGURATIONS}`,
    };
  }
  const { params, excluded } = usableParams(sampled as NonNullable<ReturnType<typeof sampledOf>>[]);
  if (params.length === 0)
    return { computed: false, reason: 'no parameter was sampled with two or more values in every configuration' };
  const x = scored.map((_, i) => params.map((p) => p.encoded[i]));
  const y = scored.map((r) => r.score!.mean);
  const effects = forestMainEffects(fitForest(x, y, { trees: IMPORTANCE_TREES, seed: IMPORTANCE_SEED }), params.length);
  if (!effects) return { computed: false, reason: 'every configuration has the same objective' };
  const result = params.map((p, d) => ({ name: p.name, importance: effects.importance[d] }));
  result.sort((a, b) => b.importance.mean - a.importance.mean || (a.name < b.name ? -1 : 1));
  return { computed: true, params: result, configurations: scored.length, trees: effects.trees, excluded };
}
