import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonFileRunStore } from '@aelab/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, fourTrainings, heldAt, killHeld } from './built-cli.js';

const base = { ...fourTrainings, name: 'guards' };

describe('sweep guards', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aelab-guards-'));
  });
  afterAll(() => (killHeld(), rm(dir, { recursive: true, force: true })));

  it('a grid of a million trainings does not start without --yes, and says how many', async () => {
    const values = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    const huge = {
      ...base,
      space: {
        'training.batchSize': { type: 'categorical', values: values(1000) },
        'training.epochs': { type: 'categorical', values: values(1000) },
      },
    };
    await writeFile(join(dir, 'huge.json'), JSON.stringify(huge));
    const store = join(dir, 'huge-runs');
    const run = spawnSync(process.execPath, [bin, 'search', 'grid', '-e', join(dir, 'huge.json'), '--store', store], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/the grid sampler would train 1,000,000 models \(more than 10,000\); pass --yes/);
    expect(existsSync(store)).toBe(false);
  });

  it('output closed by its reader (| head) stops the sweep as Ctrl-C does: no trial left running', async () => {
    // A pruner that never prunes: the trial waits after every epoch for the main thread's
    // verdict, so it cannot end before the failed write is handled.
    await writeFile(
      join(dir, 'exp.json'),
      JSON.stringify({ ...base, pruner: { type: 'median', startupTrials: 1000 } }),
    );
    const store = join(dir, 'runs');
    const args = [
      bin,
      'search',
      'grid',
      '-e',
      join(dir, 'exp.json'),
      '--store',
      store,
      '--workers',
      '1',
      '--no-report',
    ];
    // Held as the first trial starts, before its start line; the pipe is closed as `head -1`
    // does, so that line is the write that fails.
    const sweep = await heldAt(args, 'stop-at-start:1');
    sweep.child.stderr.destroy();
    sweep.child.kill('SIGCONT');
    const { code } = await sweep.closed;
    expect(code).toBe(130);
    const reopened = await JsonFileRunStore.open(store, { readonly: true });
    const [study] = await reopened.listStudies();
    const trials = await reopened.listTrials(study.id);
    await reopened.close();
    expect(trials.map((t) => t.status)).toEqual(['interrupted']);
  });

  it("a malformed AELAB_FAILPOINT (the kill tests' seam) is refused before the store is created", async () => {
    await writeFile(join(dir, 'plain.json'), JSON.stringify(base));
    const store = join(dir, 'failpoint-runs');
    const env = { ...process.env, AELAB_FAILPOINT: 'stop-at-start:0' };
    const args = [bin, 'search', 'grid', '-e', join(dir, 'plain.json'), '--store', store];
    const run = spawnSync(process.execPath, args, { encoding: 'utf8', env });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('aelab: AELAB_FAILPOINT=stop-at-start:0: expected one of stop-at-start:N, ');
    expect(existsSync(store)).toBe(false);
  });

  it('an error quoting a name with terminal escapes shows them instead of obeying them', () => {
    const file = join(dir, 'evil\u001b[2J\u001b[31m.json');
    const run = spawnSync(process.execPath, [bin, 'search', 'grid', '-e', file, '--store', join(dir, 'evil-runs')], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('evil\\x1b[2J\\x1b[31m.json');
    expect(run.stderr).not.toContain('\u001b');
  });
});
