import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InMemoryRunStore, JsonFileRunStore, type EvaluationRecord, type TrialRecord } from '@aelab/store';
import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../src/experiment.js';
import { runStudy } from '../src/study.js';

/*
 * fixtures/stores/v1 was written by aelab before the seams (format version 1) from
 * fixtures/stores/v1-experiment.json. The same experiment must give the same trainings
 * (config hashes and seeds), the same metrics per evaluated configuration and the same
 * winner today. Runs real trainings in the worker pool (nx builds before tests).
 */
const FIXTURES = resolve(import.meta.dirname, '../../../fixtures/stores');

async function load(store: JsonFileRunStore | InMemoryRunStore) {
  const [study] = await store.listStudies();
  return { study, trials: await store.listTrials(study.id), evaluations: await store.listEvaluations(study.id) };
}

const byConfig = (evaluations: readonly EvaluationRecord[]) => new Map(evaluations.map((e) => [`${e.configHash}|${e.trialId.split('.')[1]}`, e]));
const trainings = (trials: readonly TrialRecord[]) => trials.map((t) => [t.configHash, t.repeat, t.seed, t.params]);

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
      expect(now.get(key)?.metrics, key).toEqual(then.metrics);
      expect(now.get(key)?.threshold, key).toBe(then.threshold);
    }
  });
});
