import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonFileRunStore } from '@aelab/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, fourTrainings, heldAt, killHeld } from './built-cli.js';

const experiment = fourTrainings;

describe('a sweep killed with SIGKILL', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aelab-kill-'));
    await writeFile(join(dir, 'exp.json'), JSON.stringify(experiment));
    await writeFile(
      join(dir, 'held.json'),
      JSON.stringify({ ...experiment, pruner: { type: 'median', startupTrials: 1000 } }),
    );
  });
  afterAll(() => (killHeld(), rm(dir, { recursive: true, force: true })));

  it('leaves a loadable store, and re-running finishes without retraining completed trials', async () => {
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
    // Killed while held right after the second trial's end is recorded: mid-sweep on any machine.
    const sweep = await heldAt(args, 'stop-after-record:2');
    sweep.child.kill('SIGKILL');
    expect((await sweep.closed).signal).toBe('SIGKILL');

    const killed = await JsonFileRunStore.open(store, { readonly: true });
    const [study] = await killed.listStudies();
    const before = await killed.listTrials(study.id);
    const completedBefore = before.filter((t) => t.status === 'complete').map((t) => t.configHash);
    expect(completedBefore).toHaveLength(2);
    await killed.close();

    const rerun = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
    expect(rerun.status, rerun.stderr).toBe(0);
    expect(rerun.stdout).toMatch(
      new RegExp(`this run: ${4 - completedBefore.length} trained, ${completedBefore.length} skipped as already done`),
    );

    const after = await JsonFileRunStore.open(store, { readonly: true });
    const trials = await after.listTrials(study.id);
    const complete = trials.filter((t) => t.status === 'complete');
    expect(new Set(complete.map((t) => t.configHash)).size).toBe(4);
    // Completed trainings were not repeated; a trial running at the kill is kept as interrupted.
    for (const hash of completedBefore) expect(complete.filter((t) => t.configHash === hash)).toHaveLength(1);
    expect(trials.filter((t) => t.status !== 'complete').every((t) => t.status === 'interrupted')).toBe(true);
    await after.close();
  }, 180_000);

  it('Ctrl-C stops cleanly: the running trial is recorded as interrupted and the exit code is 130', async () => {
    const store = join(dir, 'runs-int');
    const exp = join(dir, 'held.json');
    const pruningArgs = [bin, 'search', 'grid', '-e', exp, '--store', store, '--workers', '1', '--no-report'];
    // Held as the second trial starts (recorded `running`); the signal is pending when it goes
    // on. The study prunes (a pruner that never prunes), so the trial waits after every epoch
    // for a verdict from the main thread, whose first turn handles the signal: it cannot end
    // before Ctrl-C is handled, however the machine schedules the threads.
    const sweep = await heldAt(pruningArgs, 'stop-at-start:2');
    const running = await JsonFileRunStore.open(store, { readonly: true });
    const [held] = await running.listStudies();
    const [first, second] = (await running.listTrials(held.id)).map((t) => t.status);
    expect(second).toBe('running');
    // The first trial's record is written while the second trains: it may not be on disk yet.
    expect(['complete', 'running']).toContain(first);
    await running.close();
    sweep.child.kill('SIGINT');
    sweep.child.kill('SIGCONT');
    const { code } = await sweep.closed;
    const seen = sweep.output.stderr;
    expect(code, seen).toBe(130);
    expect(sweep.output.stdout, seen).toMatch(/interrupted: re-run the same command to resume/);
    const db = await JsonFileRunStore.open(store, { readonly: true });
    const [study] = await db.listStudies();
    const statuses = (await db.listTrials(study.id)).map((t) => t.status);
    expect(statuses).toEqual(['complete', 'interrupted']);
    await db.close();
  }, 120_000);
});

describe('the aelab command on bad input', () => {
  it('prints one line naming the problem, no stack, and exits 1', () => {
    const run = spawnSync(
      process.execPath,
      [bin, 'search', 'grid', '-e', '/nonexistent/exp.json', '--store', join(tmpdir(), 'aelab-none')],
      { encoding: 'utf8' },
    );
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')[0]).toBe('aelab: /nonexistent/exp.json: invalid experiment (1 problem):');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
