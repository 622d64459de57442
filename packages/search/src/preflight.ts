import { loadDataset, stableStringify } from '@aelab/data';
import { modelSpecIssues } from '@aelab/models/spec';
import { ExperimentError, type Experiment } from './experiment.js';
import { resolveTraining, type TrainingConfig } from './resolve.js';
import { enumerateGrid, type SearchSpace } from './space.js';

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
  return modelSpecIssues(config.model, await size).map((issue) => `model.${issue}`);
}

/**
 * Checks every configuration a grid will train before any training starts, so a bad
 * spec is one clear error listing every problem, not a string of failed trials.
 * Random samplers propose configurations one by one; those are checked as they come.
 */
export async function preflight(experiment: Experiment, file: string, trainingSpace: SearchSpace, dataDir?: string): Promise<void> {
  const cache = new Map<string, Promise<number>>();
  const combos = experiment.sampler.type === 'grid' ? enumerateGrid(trainingSpace) : [{}];
  const problems: { path: string; message: string }[] = [];
  const seen = new Set<string>();
  for (const params of combos) {
    const where = Object.keys(params).length ? `space (${Object.entries(params).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')})` : 'model';
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
