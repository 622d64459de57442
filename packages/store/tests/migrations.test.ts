import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JsonFileRunStore, STORE_VERSION } from '../src/index.js';

/** A store written by aelab before trials recorded what was sampled (format version 1). */
const V1_STORE = resolve(import.meta.dirname, '../../../fixtures/stores/v1');

describe('stores written by earlier versions', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  it('reads a version 1 store with sampled and distributions as null', async () => {
    const store = await JsonFileRunStore.open(V1_STORE, { readonly: true });
    const [study] = await store.listStudies();
    const trials = await store.listTrials(study.id);
    const evaluations = await store.listEvaluations(study.id);
    await store.close();
    expect(trials).toHaveLength(4);
    expect(trials.every((t) => t.status === 'complete' && t.sampled === null && t.distributions === null)).toBe(true);
    expect(evaluations).toHaveLength(8);
    expect(evaluations.every((e) => e.sampled === null)).toBe(true);
  });

  it('writes a migrated shard back in the current version when its study changes', async () => {
    const root = await mkdtemp(join(tmpdir(), 'aelab-v1-'));
    dirs.push(root);
    await cp(V1_STORE, root, { recursive: true });
    const store = await JsonFileRunStore.open(root);
    const [study] = await store.listStudies();
    const trial = await store.startTrial(study.id, {
      configHash: 'new',
      params: {},
      sampled: { 'model.encoder': [8] },
      distributions: { 'model.encoder': { type: 'categorical', values: [[8]] } },
      repeat: 0,
      seed: 1,
      environment: { backend: 'wasm', versions: {}, gitCommit: null },
      dataFingerprint: null,
    });
    await store.close();
    const shard = JSON.parse(await readFile(join(root, study.id, 'trials-0000.json'), 'utf8'));
    expect(shard.version).toBe(STORE_VERSION);
    expect(shard.trials[0].sampled).toBeNull();
    expect(shard.trials[trial.number].sampled).toEqual({ 'model.encoder': [8] });
  });
});
