import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonFileRunStore } from '@aelab/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, fourTrainings } from './built-cli.js';
import { hasRedisServer, startRedis, type RedisServer } from './redis-server.js';

/*
 * A coordinator that cannot run trainings where it was told to refuses before it creates a
 * study: it once created one and recorded every trial failed (a wrong Redis password), or
 * silently switched a `population` executor with an address to Redis.
 */
function search(dir: string, experiment: object, args: string[] = []) {
  const name = Math.random().toString(36).slice(2);
  const file = join(dir, `${name}.json`);
  const store = join(dir, name);
  return writeFile(file, JSON.stringify(experiment)).then(() => {
    const run = spawnSync(
      process.execPath,
      [bin, 'search', 'grid', '--no-report', '-e', file, '--store', store, ...args],
      {
        encoding: 'utf8',
        env: { ...process.env, CI: 'true', AELAB_REDIS_PASSWORD: '' },
        timeout: 120_000,
      },
    );
    return { code: run.status, stderr: run.stderr, store };
  });
}

async function studies(store: string): Promise<number> {
  if (!existsSync(store)) return 0;
  const db = await JsonFileRunStore.open(store, { readonly: true });
  try {
    return (await db.listStudies()).length;
  } finally {
    await db.close();
  }
}

describe('a coordinator that cannot reach its executor', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aelab-refusals-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('refuses kind "population" with an address instead of switching to Redis, and creates no study', async () => {
    const experiment = {
      ...fourTrainings,
      executor: { ...fourTrainings.executor, kind: 'population', address: 'redis://127.0.0.1:1' },
    };
    const run = await search(dir, experiment);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(
      /kind "population" runs trainings on this machine and takes no address.*set kind "redis"/,
    );
    expect(await studies(run.store)).toBe(0);
  }, 150_000);

  describe.skipIf(!hasRedisServer)('with a Redis that wants a password', () => {
    let redis: RedisServer;
    beforeAll(async () => {
      redis = await startRedis(['--requirepass', 'right']);
    });
    afterAll(() => redis?.stop());

    it('refuses a wrong password before creating the study', async () => {
      const address = redis.url.replace('redis://', 'redis://:wrong@');
      const run = await search(dir, fourTrainings, ['--executor', address]);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toMatch(/Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/? refused the credentials: WRONGPASS/);
      expect(run.stderr).not.toMatch(/wrong/);
      expect(await studies(run.store)).toBe(0);
    }, 150_000);
  });
});
