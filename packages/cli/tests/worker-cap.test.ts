import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, fourTrainings } from './built-cli.js';

/** Two one-epoch trainings on tiny data. */
const twoTrainings = {
  ...fourTrainings,
  name: 'worker-cap',
  data: { ...fourTrainings.data, options: { trainRows: 60, testRows: 40 } },
  training: { ...fourTrainings.training, epochs: 1 },
  space: {
    'model.encoder': {
      type: 'categorical',
      values: [
        [32, 4],
        [32, 8],
      ],
    },
  },
};

describe('aelab search --workers 1000 on a 2-training grid', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aelab-worker-cap-'));
    await writeFile(join(dir, 'exp.json'), JSON.stringify(twoTrainings));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('runs on 2 workers and says the cap in its output', () => {
    const [exp, store] = [join(dir, 'exp.json'), join(dir, 'runs')];
    const args = [bin, 'search', 'grid', '-e', exp, '--store', store, '--workers', '1000', '--no-report'];
    const run = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/ on 2 worker\(s\), backend wasm$/m);
    expect(run.stderr).toMatch(/^note: workers 1000 capped at 2: 2 trainings left to run$/m);
  }, 120_000);

  it('refuses --workers 0 or abc before anything is created, naming the option', () => {
    const refusals = [
      ['0', 'must be a whole number of at least 1, got 0'],
      ['abc', "must be a finite number, got 'NaN'"],
    ];
    for (const [bad, why] of refusals) {
      const store = join(dir, `bad-${bad}`);
      const args = [bin, 'search', 'grid', '-e', join(dir, 'exp.json'), '--store', store, '--workers', bad];
      const run = spawnSync(process.execPath, args, { encoding: 'utf8' });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`--workers ${why}`);
      expect(existsSync(store)).toBe(false);
    }
  });

  // Before, the value went into the experiment and was blamed on the file (`base.json: sampler.trials: ... got NaN`).
  it('refuses --trials, --epochs and --repeats that are not whole numbers of at least 1, naming the option', () => {
    const refusals = [
      ['--trials=abc', "--trials must be a finite number, got 'NaN'"],
      ['--epochs=0', '--epochs must be a whole number of at least 1, got 0'],
      ['--repeats=-3', '--repeats must be a whole number of at least 1, got -3'],
      ['--epochs=1.5', '--epochs must be a whole number of at least 1, got 1.5'],
    ];
    for (const [bad, why] of refusals) {
      const store = join(dir, `bad-${bad}`);
      const args = [bin, 'search', 'random', '-e', join(dir, 'exp.json'), '--store', store, bad];
      const run = spawnSync(process.execPath, args, { encoding: 'utf8' });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(why);
      expect(existsSync(store)).toBe(false);
    }
  }, 60_000);
});
