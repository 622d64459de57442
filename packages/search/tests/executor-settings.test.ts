import { describe, expect, it } from 'vitest';
import { EXECUTORS, executorSettingsSchema, withExecutorKind } from '../src/executors/index.js';
import { experimentJsonSchema, parseExperiment, type ExperimentInput } from '../src/experiment.js';

/*
 * Each executor brings its own strict settings in the experiment's `executor` section,
 * discriminated by `kind`, as samplers and pruners do by `type`; the registry composes them.
 */
const base: ExperimentInput = {
  name: 'executor-settings',
  seed: 1,
  data: { dataset: 'synthetic-ecg' },
  model: { kind: 'dense', encoder: [8, 2], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
  training: { epochs: 1, batchSize: 32, learningRate: 0.003, loss: 'mse' },
  scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
  selection: { metric: 'f1', direction: 'maximize', split: 'test', allowTest: true },
};
const withExecutor = (executor: Record<string, unknown>) => parseExperiment({ ...base, executor } as ExperimentInput);

describe("the experiment's executor section", () => {
  it('keeps every file of the flat format: no kind is the pool, an address alone picks its executor later', () => {
    expect(withExecutor({ backend: 'wasm', workers: 2 }).executor).toEqual({ backend: 'wasm', workers: 2 });
    expect(withExecutor({ address: 'redis://host:6379' }).executor).toMatchObject({ address: 'redis://host:6379' });
    expect(withExecutor({ kind: 'population', populationSize: 16, populations: 'always' }).executor).toMatchObject({
      populationSize: 16,
    });
  });

  it("refuses another kind's settings, and suggests a name for a misspelt one", () => {
    expect(() => withExecutor({ kind: 'pool', populationSize: 16 })).toThrow(
      /executor\.populationSize: is not a known field/,
    );
    expect(() => withExecutor({ kind: 'population', populationSise: 16 })).toThrow(/did you mean "populationSize"/);
    expect(() => withExecutor({ kind: 'pool', worker: 2 })).toThrow(/did you mean "workers"/);
    expect(() => withExecutor({ kind: 'nope' })).toThrow(/executor\.kind: must be one of pool/);
  });

  it.each([
    [{ workers: 1e6 }, /executor\.workers: must be <= 4096/],
    [{ maxTrialSeconds: 1e12 }, /executor\.maxTrialSeconds: must be <= /],
    [{ maxTrialMemoryMb: 1e9 }, /executor\.maxTrialMemoryMb: must be <= /],
    [{ kind: 'population', populationSize: 1e7 }, /executor\.populationSize: must be <= 65536/],
  ])('bounds its numbers: %j', (executor, problem) => {
    expect(() => withExecutor(executor)).toThrow(problem);
  });

  it("puts every registered executor's settings in the JSON Schema", () => {
    const text = JSON.stringify(experimentJsonSchema());
    for (const definition of EXECUTORS) {
      for (const field of Object.keys(definition.schema.shape)) expect(text).toContain(`"${field}"`);
      expect(text).toContain(`"const":"${definition.kind}"`);
    }
  });

  it("switching kinds on the command line keeps the common fields and drops the other kind's", () => {
    const switched = withExecutorKind({ kind: 'population', populationSize: 8, workers: 2, backend: 'wasm' }, 'pool');
    expect(switched).toEqual({ kind: 'pool', workers: 2, backend: 'wasm' });
    expect(executorSettingsSchema.parse(switched)).toEqual(switched);
  });
});

describe('sampler and pruner settings', () => {
  it.each([
    [{ sampler: { type: 'random', trials: 1e9 } }, /sampler\.trials: must be <= 1000000/],
    [{ sampler: { type: 'tpe', trials: 10, candidates: 1e9 } }, /sampler\.candidates: must be <= /],
    [{ pruner: { type: 'asha', reductionFactor: 1e9 } }, /pruner\.reductionFactor: must be <= 1000/],
    [{ pruner: { type: 'asha', minEarlyStoppingRate: 1e6 } }, /pruner\.minEarlyStoppingRate: must be <= 64/],
    [{ pruner: { type: 'hyperband', maxEpochs: 1e9 } }, /pruner\.maxEpochs: must be <= 100000/],
    [{ pruner: { type: 'median', warmupSteps: 1e9 } }, /pruner\.warmupSteps: must be <= 100000/],
  ])('bounds their numbers: %j', (section, problem) => {
    expect(() => parseExperiment({ ...base, ...section } as ExperimentInput)).toThrow(problem);
  });
});
