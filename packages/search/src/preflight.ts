import { schemaProblems, stableStringify, thresholdRuleSchema, trainingSchema, type Params, type SearchSpace } from '@aelab/core';
import { DataPreparationError, loadDataset, prepareData } from '@aelab/data';
import { estimateTrainingBytes, modelSpecIssues, type ModelSpec } from '@aelab/models/registry';
import { dataSchema, ExperimentError, type Experiment } from './experiment.js';
import { modelSpecOf, resolveScoring, resolveTraining } from './resolve.js';
import type { SharedPreparedData } from './shared-data.js';
import type { TrainingConfig } from './trial-task.js';
import { enumerateGrid, fromUnit } from './space.js';

/**
 * A data section prepared once, as a worker will prepare it: its shape for the model
 * checks, and what preparing it says (a normal class that matches nothing, one class
 * only, too few rows are errors; an empty validation split is a warning), found once
 * before training instead of once per trial.
 */
interface DataShape {
  features: number;
  /** Rows of the largest split (one forward pass over it is part of a training's peak). */
  rows: number;
  problem?: string;
  warnings: string[];
}

async function shapeOf(data: TrainingConfig['data'], valid: boolean, dataDir: string | undefined, keep?: SharedPreparedData): Promise<DataShape> {
  if (!valid) {
    const dataset = await loadDataset(data.dataset, data.options ?? {}, { dataDir });
    return { features: dataset.features, rows: dataset.rows, warnings: [] };
  }
  try {
    const prepared = await prepareData(data, { dataDir });
    keep?.add(data, prepared);
    const rows = Math.max(prepared.train.rows, prepared.validation.rows, prepared.test.rows);
    return { features: prepared.features, rows, warnings: prepared.warnings ?? [] };
  } catch (err) {
    if (!(err instanceof DataPreparationError)) throw err;
    return { features: 0, rows: 0, problem: `data: ${err.message}`, warnings: [] };
  }
}

/** What preflight checks a configuration against besides the schemas, and where it keeps what it prepares. */
export interface PreflightOptions {
  /** Where the data it prepares is kept for the executor (see SharedPreparedData); not kept when absent. */
  keep?: SharedPreparedData;
  /** Memory one training may take (bytes); configurations estimated above it are refused. */
  trialMemoryBytes: number;
  /** Where the limit comes from, for the message. */
  memorySource: string;
}

const gigabytes = (bytes: number) => `${(bytes / 2 ** 30).toFixed(bytes < 2 ** 30 ? 2 : 1)} GB`;

/** A configuration whose estimated memory exceeds the trial limit, in words; undefined when it fits. */
function memoryIssue(spec: ModelSpec, config: TrainingConfig, shape: Pick<DataShape, 'features' | 'rows'>, limits: PreflightOptions): string | undefined {
  const { bytes, parameters } = estimateTrainingBytes(spec, shape.features, { batchSize: config.training.batchSize, rows: shape.rows });
  if (bytes <= limits.trialMemoryBytes) return undefined;
  return `model needs about ${gigabytes(bytes)} to train (${parameters.toExponential(2)} parameters), over the limit of ${gigabytes(limits.trialMemoryBytes)} per trial (${limits.memorySource})`;
}

/**
 * Problems of one training configuration that would only surface inside a worker (or
 * take the machine down there): each names the field at fault.
 */
export async function trainingIssues(config: TrainingConfig, dataDir: string | undefined, limits: PreflightOptions, cache = new Map<string, Promise<DataShape>>()): Promise<string[]> {
  // Swept params land in the resolved config: a misspelt name is an unknown field here.
  const dataProblems = schemaProblems(dataSchema, config.data, ['data']);
  const sections = [...schemaProblems(trainingSchema, config.training, ['training']), ...dataProblems].map((p) => `${p.path} ${p.message}`);
  const key = stableStringify({ data: config.data, valid: dataProblems.length === 0 });
  let shape = cache.get(key);
  if (!shape) cache.set(key, (shape = shapeOf(config.data, dataProblems.length === 0, dataDir, limits.keep)));
  const { features, rows, problem } = await shape;
  if (problem) return [...sections, problem];
  const spec = modelSpecOf(config);
  const model = modelSpecIssues(spec, features).map((issue) => `model.${issue}`);
  const memory = model.length === 0 && sections.length === 0 ? memoryIssue(spec as ModelSpec, config, { features, rows }, limits) : undefined;
  return [...sections, ...model, ...(memory ? [memory] : [])];
}

/**
 * The configurations checked before training: every one a grid will train; for other
 * samplers, the base and each parameter alone at each of its values (a categorical's) or
 * at both ends of its range, so a misspelt name or an unbuildable value is caught before
 * the first trial, not in it.
 */
function configurationsToCheck(experiment: Experiment, space: SearchSpace): Params[] {
  if (experiment.sampler.type === 'grid') return enumerateGrid(space);
  const alone = Object.entries(space)
    .filter(([, d]) => !d.when)
    .flatMap(([name, d]) => (d.type === 'categorical' ? d.values : [fromUnit(d, 0), fromUnit(d, 1 - 1e-12)]).map((value) => ({ [name]: value })));
  return [{}, ...alone];
}

const describe = (params: Params, base: string) =>
  Object.keys(params).length ? `space (${Object.entries(params).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')})` : base;

/** Every scoring variant's problems (a percentile of 150), found before training rather than after it. */
function scoringProblems(experiment: Experiment, variants: readonly Params[]): { path: string; message: string }[] {
  return variants.flatMap((params) => {
    try {
      const scoring = resolveScoring(experiment, params);
      return schemaProblems(thresholdRuleSchema, scoring.threshold, ['threshold']).map((p) => ({ path: describe(params, 'scoring'), message: `${p.path} ${p.message}` }));
    } catch (err) {
      return [{ path: describe(params, 'scoring'), message: (err as Error).message }];
    }
  });
}

/**
 * Checks what a study will train and score before any training starts (see
 * configurationsToCheck), so a bad spec or value is one clear error listing every
 * problem, not a string of failed trials or results thrown away after training. Returns
 * the data warnings (each once), for the study to show before it starts.
 */
export async function preflight(
  experiment: Experiment,
  file: string,
  space: { training: SearchSpace; scoringVariants: readonly Params[] },
  limits: PreflightOptions,
  dataDir?: string,
): Promise<string[]> {
  const cache = new Map<string, Promise<DataShape>>();
  const problems = scoringProblems(experiment, space.scoringVariants);
  const seen = new Set<string>();
  for (const params of configurationsToCheck(experiment, space.training)) {
    const where = describe(params, 'model');
    let config: TrainingConfig;
    try {
      config = resolveTraining(experiment, params);
    } catch (err) {
      problems.push({ path: where, message: (err as Error).message });
      continue;
    }
    for (const issue of await trainingIssues(config, dataDir, limits, cache)) {
      // A data problem is the data section's, whichever configuration met it first: once.
      const key = issue.startsWith('data: ') ? issue : `${where}|${issue}`;
      if (seen.has(key)) continue;
      seen.add(key);
      problems.push({ path: where, message: issue });
    }
  }
  if (problems.length > 0) throw new ExperimentError(file, problems);
  const shapes = await Promise.all(cache.values());
  return [...new Set(shapes.flatMap((s) => s.warnings))];
}
