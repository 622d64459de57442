import {
  isScoringParam,
  THRESHOLD_RULE_NAMES,
  thresholdRuleFields,
  type ErrorMetric,
  type Json,
  type Params,
  type SearchSpace,
  type ThresholdRule,
} from '@aelab/core';
import { PRESETS, type ModelSpec } from '@aelab/models/registry';
import type { BaselineSpec, Experiment } from './experiment.js';
import type { TrainingConfig } from './trial-task.js';

export { MODEL_LABELS, modelSpecOf } from './trial-task.js';

/** The resolved scoring of one evaluation. */
export interface ScoringConfig {
  errorMetric: ErrorMetric;
  threshold: ThresholdRule;
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

/** The base model spec for `kind`: from `models` when the study has several families, else `model`. */
function baseModel(experiment: Experiment, kind: string | undefined): Record<string, unknown> {
  const base =
    (experiment.models && kind ? experiment.models[kind as keyof typeof experiment.models] : undefined) ??
    experiment.model;
  if (!base) throw new Error(`model.kind "${kind}" has no base spec under "models"`);
  return { ...structuredClone(base), kind: kind ?? base.kind };
}

function presetSpec(name: string): Record<string, unknown> {
  const preset = PRESETS[name as keyof typeof PRESETS] as ModelSpec | undefined;
  if (!preset)
    throw new Error(`model.preset: unknown preset ${JSON.stringify(name)}; known: ${Object.keys(PRESETS).join(', ')}`);
  return { ...structuredClone(preset), preset: name };
}

/**
 * Applies training params (dotted paths) to the experiment's base config. `model.kind`
 * picks the family's base spec from `models`; `model.preset` (a name from the models
 * package's PRESETS, e.g. `ecg-v3`) replaces the base with that preset, keeping the
 * name in the spec as a label; every other `model.*` param then sets a field of the spec.
 */
export function resolveTraining(experiment: Experiment, swept: Params): TrainingConfig {
  const params = withVariant(experiment, swept);
  let model = baseModel(experiment, (params['model.kind'] as string | undefined) ?? experiment.model?.kind);
  const presetName = (params['model.preset'] ?? model.preset) as string | undefined;
  if (presetName !== undefined) model = presetSpec(presetName);
  const config: Record<string, unknown> = {
    data: structuredClone(experiment.data),
    model,
    training: structuredClone(experiment.training),
  };
  for (const [name, value] of Object.entries(params)) {
    if (isScoringParam(name) || name === 'model.kind' || name === 'model.preset') continue;
    setPath(config, name.split('.'), value);
  }
  return config as unknown as TrainingConfig;
}

/**
 * The training of one of the experiment's baseline detectors (`baselines[i]`): its spec,
 * labelled as a baseline, fitted on the experiment's data with only its normal training
 * rows (a variant may train autoencoders on every class; a baseline is always fitted on
 * normal rows), under the experiment's training section (which a fitted detector ignores).
 */
export function resolveBaseline(experiment: Experiment, spec: BaselineSpec): TrainingConfig {
  const data = structuredClone(experiment.data);
  // Only when it says otherwise: an absent trainOn already means normal rows, and the same data spec is prepared once.
  if (data.trainOn === 'all') data.trainOn = 'normal';
  return {
    data,
    model: { ...structuredClone(spec), baseline: true },
    training: structuredClone(experiment.training),
  } as TrainingConfig;
}

/** The params a baseline's trials record as sampled: its spec's fields as `model.*`, with the baseline label. */
export function baselineParams(spec: BaselineSpec): Params {
  return flattenConfig({ model: { ...spec, baseline: true } });
}

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
    else if (name === 'scoring.errorMetric') errorMetric = value as ErrorMetric;
  }
  if (!THRESHOLD_RULE_NAMES.includes(threshold.rule as ThresholdRule['rule'])) {
    const known = THRESHOLD_RULE_NAMES.join(', ');
    throw new Error(`threshold.rule: unknown rule ${JSON.stringify(threshold.rule)}; known: ${known}`);
  }
  const allowed = thresholdRuleFields(threshold.rule as ThresholdRule['rule']);
  for (const key of Object.keys(threshold)) if (key !== 'rule' && !allowed.includes(key)) delete threshold[key];
  return { errorMetric, threshold: threshold as ThresholdRule };
}

/** A scoring variant of the space (a set of `threshold.*` / `scoring.*` params), resolved once when the study opens. */
export interface ScoringVariant {
  /** The params as the scoring space gives them (recorded as the evaluation's `sampled`). */
  sampled: Params;
  scoring: ScoringConfig;
  /** `scoring` flattened into dotted names (recorded as the evaluation's `scoring`). */
  flat: Params;
}

/** Each scoring variant resolved (see {@link resolveScoring}); throws on the first that does not resolve. */
export function resolveScoringVariants(experiment: Experiment, variants: readonly Params[]): ScoringVariant[] {
  return variants.map((sampled) => {
    const scoring = resolveScoring(experiment, sampled);
    const flat = flattenConfig({ scoring: { errorMetric: scoring.errorMetric }, threshold: scoring.threshold });
    return { sampled, scoring, flat };
  });
}

/** The params of the variant named by `model.variant`, overlaid by the swept params. */
function withVariant(experiment: Experiment, params: Params): Params {
  const name = params['model.variant'];
  if (name === undefined) return params;
  const variant = experiment.variants?.find((v) => v.name === name);
  if (!variant) throw new Error(`model.variant: unknown variant ${JSON.stringify(name)}`);
  return { ...(variant.params as Params), ...params };
}

/**
 * The space a sampler walks: the experiment's space, with `variants` as a leading
 * categorical `model.variant` parameter.
 */
export function effectiveSpace(experiment: Experiment): SearchSpace {
  const space = experiment.space as SearchSpace;
  if (!experiment.variants) return space;
  return { 'model.variant': { type: 'categorical', values: experiment.variants.map((v) => v.name) }, ...space };
}

/**
 * Flattens a resolved config into dotted parameter names (`model.encoder`,
 * `training.earlyStopping.patience`); arrays stay values. Trial records keep the full
 * flattened config, so a record alone says exactly what was trained.
 */
export function flattenConfig(value: Record<string, unknown>, prefix = ''): Params {
  const out: Params = {};
  for (const [key, v] of Object.entries(value)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (v && typeof v === 'object' && !Array.isArray(v))
      Object.assign(out, flattenConfig(v as Record<string, unknown>, name));
    else if (v !== undefined) out[name] = v as Json;
  }
  return out;
}
