import { schemaProblems, stableStringify, thresholdRuleSchema, trainingSchema, type Params, type SearchSpace } from '@aelab/core';
import { loadDataset } from '@aelab/data';
import { modelSpecIssues } from '@aelab/models/registry';
import { dataSchema, ExperimentError, type Experiment } from './experiment.js';
import { modelSpecOf, resolveScoring, resolveTraining } from './resolve.js';
import type { TrainingConfig } from './trial-task.js';
import { enumerateGrid, fromUnit } from './space.js';

/** The number of values in each row of a data spec's dataset (loads it; loads are cached). */
async function inputSizeOf(data: TrainingConfig['data'], dataDir: string | undefined): Promise<number> {
  const dataset = await loadDataset(data.dataset, data.options ?? {}, { dataDir });
  return dataset.features;
}

/**
 * Problems of one training configuration that would only surface inside a worker:
 * each names the parameter values that produce it and the field at fault.
 */
export async function trainingIssues(config: TrainingConfig, dataDir: string | undefined, cache = new Map<string, Promise<number>>()): Promise<string[]> {
  const key = stableStringify({ dataset: config.data.dataset, options: config.data.options ?? {} });
  let size = cache.get(key);
  if (!size) cache.set(key, (size = inputSizeOf(config.data, dataDir)));
  // Swept params land in the resolved config: a misspelt name is an unknown field here.
  const sections = [...schemaProblems(trainingSchema, config.training, ['training']), ...schemaProblems(dataSchema, config.data, ['data'])].map(
    (p) => `${p.path} ${p.message}`,
  );
  return [...sections, ...modelSpecIssues(modelSpecOf(config), await size).map((issue) => `model.${issue}`)];
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
 * problem, not a string of failed trials or results thrown away after training.
 */
export async function preflight(experiment: Experiment, file: string, space: { training: SearchSpace; scoringVariants: readonly Params[] }, dataDir?: string): Promise<void> {
  const cache = new Map<string, Promise<number>>();
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
    for (const issue of await trainingIssues(config, dataDir, cache)) {
      if (seen.has(`${where}|${issue}`)) continue;
      seen.add(`${where}|${issue}`);
      problems.push({ path: where, message: issue });
    }
  }
  if (problems.length > 0) throw new ExperimentError(file, problems);
}
