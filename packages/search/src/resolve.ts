import type { Json, Params } from '@aelab/store';
import type { Experiment } from './experiment.js';
import { isScoringParam } from './space.js';

/** The fully resolved inputs of one training: what a worker needs and what the config hash covers. */
export interface TrainingConfig {
  data: Experiment['data'];
  model: { kind: string } & Record<string, unknown>;
  training: Experiment['training'];
}

/** The resolved scoring of one evaluation. */
export interface ScoringConfig {
  errorMetric: 'mse' | 'mae';
  threshold: Experiment['scoring']['threshold'];
}

function setPath(target: Record<string, unknown>, path: string[], value: Json): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const child = node[key];
    node[key] = child && typeof child === 'object' && !Array.isArray(child) ? { ...(child as object) } : {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

/**
 * Applies training params (dotted paths) to the experiment's base config. `model.kind`
 * picks the family's base spec from `models`; every other `model.*` param sets a field
 * of that spec.
 */
export function resolveTraining(experiment: Experiment, params: Params): TrainingConfig {
  const kind = (params['model.kind'] as string | undefined) ?? experiment.model?.kind;
  const base = (experiment.models && kind ? experiment.models[kind as keyof typeof experiment.models] : undefined) ?? experiment.model;
  if (!base) throw new Error(`model.kind "${kind}" has no base spec under "models"`);
  const config: Record<string, unknown> = {
    data: structuredClone(experiment.data),
    model: { ...structuredClone(base), kind: kind ?? base.kind },
    training: structuredClone(experiment.training),
  };
  for (const [name, value] of Object.entries(params)) {
    if (isScoringParam(name) || name === 'model.kind') continue;
    setPath(config, name.split('.'), value);
  }
  return config as unknown as TrainingConfig;
}

const THRESHOLD_FIELDS: Record<string, string[]> = {
  percentile: ['percentile', 'on'],
  meanStd: ['k', 'on'],
  max: ['on'],
  fixed: ['value'],
  bestF1: ['on'],
};

/**
 * Applies scoring params (`threshold.*`, `scoring.*`) to the experiment's base scoring.
 * When `threshold.rule` changes the rule, fields of the base rule that the new rule
 * does not have are dropped, so `{percentile: 95}` does not leak into a `max` rule.
 */
export function resolveScoring(experiment: Experiment, params: Params): ScoringConfig {
  const threshold: Record<string, unknown> = { ...experiment.scoring.threshold };
  let errorMetric = experiment.scoring.errorMetric;
  for (const [name, value] of Object.entries(params)) {
    if (name.startsWith('threshold.')) threshold[name.slice('threshold.'.length)] = value;
    else if (name === 'scoring.errorMetric') errorMetric = value as 'mse' | 'mae';
  }
  const allowed = THRESHOLD_FIELDS[threshold.rule as string];
  if (!allowed) throw new Error(`threshold.rule: unknown rule ${JSON.stringify(threshold.rule)}`);
  for (const key of Object.keys(threshold)) if (key !== 'rule' && !allowed.includes(key)) delete threshold[key];
  return { errorMetric, threshold: threshold as ScoringConfig['threshold'] };
}

/** Splits a full param set into its training and scoring parts. */
export function partitionParams(params: Params): { training: Params; scoring: Params } {
  const training: Params = {};
  const scoring: Params = {};
  for (const [k, v] of Object.entries(params)) (isScoringParam(k) ? scoring : training)[k] = v;
  return { training, scoring };
}
