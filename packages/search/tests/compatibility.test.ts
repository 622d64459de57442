import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { rankConfigurations } from '@aelab/core';
import { InMemoryRunStore, JsonFileRunStore, type EvaluationRecord, type TrialRecord } from '@aelab/store';
import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../src/experiment.js';
import { runStudy } from '../src/study.js';

/*
 * fixtures/stores/v1 was written by aelab before the seams (format version 1) from
 * fixtures/stores/v1-experiment.json. The same experiment must give the same trainings
 * (config hashes and seeds), the same metrics per evaluated configuration (to float
 * rounding: dense models now train through the lean step, issue 15, which computes the
 * same functions with other kernels) and the same winner today. Runs real trainings in
 * the worker pool (nx builds before tests).
 */
const FIXTURES = resolve(import.meta.dirname, '../../../fixtures/stores');

async function load(store: JsonFileRunStore | InMemoryRunStore) {
  const [study] = await store.listStudies();
  return { study, trials: await store.listTrials(study.id), evaluations: await store.listEvaluations(study.id) };
}

const byConfig = (evaluations: readonly EvaluationRecord[]) =>
  new Map(evaluations.map((e) => [`${e.configHash}|${e.trialId.split('.')[1]}`, e]));
const trainings = (trials: readonly TrialRecord[]) => trials.map((t) => [t.configHash, t.repeat, t.seed, t.params]);

/** `actual` has `expected`'s shape and values, numbers within `relative` of them (counts and labels exactly). */
function expectClose(actual: unknown, expected: unknown, relative: number, path: string): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    if (Number.isInteger(expected)) expect(actual, path).toBe(expected);
    else expect(Math.abs(actual - expected), path).toBeLessThanOrEqual(relative * Math.abs(expected));
  } else if (expected !== null && typeof expected === 'object') {
    expect(Object.keys(actual as object).sort(), path).toEqual(Object.keys(expected).sort());
    for (const [key, value] of Object.entries(expected))
      expectClose((actual as Record<string, unknown>)[key], value, relative, `${path}.${key}`);
  } else expect(actual, path).toEqual(expected);
}

describe('a study written before the seams', () => {
  it('is reproduced: same trainings, same metrics per configuration, same winner', async () => {
    const old = await JsonFileRunStore.open(resolve(FIXTURES, 'v1'), { readonly: true });
    const before = await load(old);
    await old.close();
    const raw = JSON.parse(await readFile(resolve(FIXTURES, 'v1-experiment.json'), 'utf8'));
    // Written before selecting on test needed an explicit opt-in; the opt-in is not part of the experiment's hash.
    const experiment = parseExperiment({ ...raw, selection: { ...raw.selection, allowTest: true } });
    const store = new InMemoryRunStore();
    await runStudy({ experiment, experimentPath: 'v1-experiment.json', store, workers: 1 });
    const after = await load(store);

    expect(after.study.experimentHash).toBe(before.study.experimentHash);
    expect(trainings(after.trials)).toEqual(trainings(before.trials));
    const now = byConfig(after.evaluations);
    expect(now.size).toBe(before.evaluations.length);
    for (const [key, then] of byConfig(before.evaluations)) {
      expectClose(now.get(key)?.metrics, then.metrics, 1e-6, key);
      expectClose(now.get(key)?.threshold, then.threshold, 1e-6, key);
    }
    const winner = ({ trials, evaluations }: Awaited<ReturnType<typeof load>>) => {
      const trainingOf = new Map(trials.map((t) => [t.id, t.configHash]));
      return rankConfigurations(
        experiment.selection,
        evaluations.map((e) => ({ ...e, trainingHash: trainingOf.get(e.trialId)! })),
      )[0].configHash;
    };
    expect(winner(after)).toBe(winner(before));
  });
});
