import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openRunStore, readLiveProgress, writeFileAtomic, writeLiveProgress } from '../src/index.js';
import { completeOutcome, evaluation, newStudy, newTrial } from './fixtures.js';

/** What a killed writer or a careless `rm` leaves behind, and how the next open copes. */

const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempRoot(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'aelab-recovery-'));
  scratch.push(dir);
  return join(dir, 'runs');
}

describe('temp files left by a killed writer', () => {
  it(
    'are removed when a writer opens the store, in the root, in every study folder ' + 'and in artifact folders',
    async () => {
      const root = await tempRoot();
      const store = await openRunStore(root);
      const used = await store.createStudy(newStudy({ name: 'used' }));
      const untouched = await store.createStudy(newStudy({ name: 'untouched' }));
      for (const study of [used, untouched]) {
        const trial = await store.startTrial(study.id, newTrial());
        await store.writeArtifact(study.id, trial.id, 'model/model.json', '{}');
      }
      await store.close();
      const leftovers = [
        join(root, '.index.json.999999.tmp'),
        join(root, used.id, '.trials-0000.json.999999.tmp'),
        join(root, untouched.id, '.trials-0000.json.999999.tmp'),
        join(root, untouched.id, 'trials', 't000000', 'model', '.model.json.999999.tmp'),
      ];
      for (const path of leftovers) await writeFile(path, '{"half": ');

      const reader = await openRunStore(root, { readonly: true });
      await reader.listTrials(untouched.id);
      await reader.close();
      // Readers never delete anything: the temp file could be a live writer's.
      for (const path of leftovers) await expect(readFile(path, 'utf8')).resolves.toBe('{"half": ');

      const writer = await openRunStore(root);
      await writer.listTrials(used.id);
      await writer.close();
      for (const path of leftovers) await expect(readFile(path)).rejects.toThrow(/ENOENT/);
      expect((await readdir(join(root, untouched.id, 'trials', 't000000', 'model'))).sort()).toEqual(['model.json']);
    },
  );
});

describe('live progress temp files left by a killed sweep', () => {
  it('are removed when the next writer opens the store; the live progress itself stays', async () => {
    const root = await tempRoot();
    const store = await openRunStore(root);
    const study = await store.createStudy(newStudy({ name: 'killed' }));
    await store.close();
    const progress = { studyId: study.id, updatedAt: '2030-01-01T00:00:00.000Z', sweeping: true, trials: {} };
    await writeLiveProgress(root, progress);
    // What `writeFileAtomic` leaves when its process is killed between writing and renaming.
    const stale = join(root, study.id, 'live', '.progress.json.999999.tmp');
    await writeFile(stale, '{"half": ');

    const reader = await openRunStore(root, { readonly: true });
    await reader.close();
    await expect(readFile(stale, 'utf8')).resolves.toBe('{"half": ');

    const writer = await openRunStore(root);
    await writer.close();
    expect(await readdir(join(root, study.id, 'live'))).toEqual(['progress.json']);
    expect((await readLiveProgress(root, study.id))?.sweeping).toBe(true);
  });
});

describe('lock files left by a writer killed while taking the lock', () => {
  it(
    'are removed by the next writer when their process is gone, ' + 'and kept while it lives or on another host',
    async () => {
      const root = await tempRoot();
      await (await openRunStore(root)).close();
      // Pids that were alive and are not any more: children that have exited.
      const [dead, deadEarly, deadRemote] = [0, 1, 2].map(() => spawnSync(process.execPath, ['-e', '']).pid!);
      const owner = (pid: number, host = hostname()) =>
        JSON.stringify({ pid, hostname: host, acquiredAt: '2026-12-06T00:00:00Z' }) + '\n';
      await writeFile(join(root, `.lock.${dead}.tmp`), owner(dead));
      await writeFile(join(root, `.lock.${deadEarly}.tmp`), ''); // killed before it wrote its owner
      await writeFile(join(root, `.lock.${process.ppid}.tmp`), owner(process.ppid));
      await writeFile(join(root, `.lock.${deadRemote}.tmp`), owner(deadRemote, 'another-host'));

      await (await openRunStore(root, { readonly: true })).close();
      expect((await readdir(root)).filter((name) => name.startsWith('.lock.')).sort()).toHaveLength(4);
      await (await openRunStore(root)).close();
      const left = (await readdir(root)).filter((name) => name.startsWith('.lock.'));
      expect(left.sort()).toEqual([`.lock.${deadRemote}.tmp`, `.lock.${process.ppid}.tmp`].sort());
    },
  );
});

describe('writeFileAtomic', () => {
  it('leaves no temp file when the rename fails (a directory in the way)', async () => {
    const root = await tempRoot();
    await mkdir(join(root, 'results.csv'), { recursive: true });
    await expect(writeFileAtomic(join(root, 'results.csv'), 'row\n', { fsync: false })).rejects.toThrow(
      /EISDIR|EEXIST|ENOTEMPTY|EPERM/,
    );
    expect(await readdir(root)).toEqual(['results.csv']);
  });
});

describe('a deleted index.json', () => {
  async function storeWithTwoStudies(root: string) {
    const store = await openRunStore(root, { trialsPerShard: 2 });
    const first = await store.createStudy(newStudy({ name: 'first', createdAt: '2026-01-01T00:00:00.000Z' }));
    const second = await store.createStudy(newStudy({ name: 'second', createdAt: '2026-01-02T00:00:00.000Z' }));
    for (let i = 0; i < 3; i++) {
      const trial = await store.startTrial(first.id, newTrial(`cfg-${i}`));
      await store.finishTrial(trial.id, completeOutcome());
      await store.addEvaluations(trial.id, [evaluation(90)]);
    }
    await store.startTrial(second.id, newTrial('cfg-x'));
    const before = {
      studies: await store.listStudies(),
      first: await store.listTrials(first.id),
      evaluations: await store.listEvaluations(first.id),
      second: await store.listTrials(second.id),
    };
    await store.close();
    return { first, second, before };
  }

  it('is rebuilt from the study folders, which a reader reports and a writer writes back', async () => {
    const root = await tempRoot();
    const { first, second, before } = await storeWithTwoStudies(root);
    await rm(join(root, 'index.json'));

    const reader = await openRunStore(root, { readonly: true });
    expect(reader.rebuiltIndex).toEqual([first.id, second.id]);
    expect(await reader.listStudies()).toEqual(before.studies);
    expect(await reader.listTrials(first.id)).toEqual(before.first);
    expect(await reader.listEvaluations(first.id)).toEqual(before.evaluations);
    await reader.close();
    await expect(readFile(join(root, 'index.json'))).rejects.toThrow(/ENOENT/);

    const writer = await openRunStore(root, { trialsPerShard: 5 });
    expect(writer.rebuiltIndex).toEqual([first.id, second.id]);
    // The shard size each study was created with is kept: trial 4 of `first` goes to shard 2.
    await writer.startTrial(first.id, newTrial('cfg-3'));
    const next = await writer.startTrial(first.id, newTrial('cfg-4'));
    expect(next.number).toBe(4);
    expect(await writer.listTrials(second.id)).toEqual(before.second);
    await writer.close();
    expect((await readdir(join(root, first.id))).filter((n) => n.startsWith('trials-')).sort()).toEqual([
      'trials-0000.json',
      'trials-0001.json',
      'trials-0002.json',
    ]);

    const again = await openRunStore(root, { readonly: true });
    expect(again.rebuiltIndex).toBeNull();
    expect((await again.listStudies()).map((s) => s.name)).toEqual(['first', 'second']);
  });

  it('refuses, naming the folders, when studies hold trials but cannot be rebuilt', async () => {
    const root = await tempRoot();
    const { first } = await storeWithTwoStudies(root);
    await rm(join(root, 'index.json'));
    await rm(join(root, first.id, 'study.json'));
    await expect(openRunStore(root)).rejects.toThrow(
      `run store: ${join(root, 'index.json')} is missing and study folder ${first.id} ` +
        'holds trials but no study.json to rebuild it from',
    );
  });

  it('can be rebuilt for studies created before study.json existed, once a writer has opened the store', async () => {
    const root = await tempRoot();
    const { first, before } = await storeWithTwoStudies(root);
    await rm(join(root, first.id, 'study.json'));
    await (await openRunStore(root)).close();
    await rm(join(root, 'index.json'));
    const reader = await openRunStore(root, { readonly: true });
    expect(await reader.listStudies()).toEqual(before.studies);
    expect(await reader.listTrials(first.id)).toEqual(before.first);
  });

  it('leaves an empty or new store empty', async () => {
    const root = await tempRoot();
    const store = await openRunStore(root);
    expect(store.rebuiltIndex).toBeNull();
    expect(await store.listStudies()).toEqual([]);
    await store.close();
  });
});
