import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonFileRunStore } from '@aelab/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, fourTrainings, heldAt, killHeld } from './built-cli.js';

/** TPE (two random startup trials, then the model) with a pruner: 8 of 12 short trainings, some pruned. */
const base = {
  ...fourTrainings,
  training: { ...fourTrainings.training, epochs: 8 },
  space: {
    'model.encoder': {
      type: 'categorical',
      values: [
        [32, 4],
        [32, 8],
        [32, 12],
        [32, 16],
      ],
    },
    'training.learningRate': { type: 'categorical', values: [0.0003, 0.003, 0.03] },
  },
  sampler: { type: 'tpe', trials: 8, startupTrials: 2, seed: 9 },
};
const PRUNERS = {
  asha: { type: 'asha', minEpochs: 2, reductionFactor: 2 },
  // Brackets by training: a re-run of the interrupted training lands in its bracket again.
  hyperband: { type: 'hyperband', minEpochs: 1, reductionFactor: 2 },
};

/** What the study decided, trial by trial (interrupted trials left out: they are re-run). */
async function decisions(store: string) {
  const db = await JsonFileRunStore.open(store, { readonly: true });
  try {
    const [study] = await db.listStudies();
    const trials = (await db.listTrials(study.id)).sort((a, b) => a.number - b.number);
    return {
      statuses: trials.map((t) => t.status),
      sequence: trials
        .filter((t) => t.status !== 'interrupted')
        .map((t) => ({
          sampled: t.sampled,
          status: t.status,
          epochs: t.history.length,
          valLoss: t.history.at(-1)?.valLoss,
        })),
    };
  } finally {
    await db.close();
  }
}

describe.each(Object.entries(PRUNERS))('a TPE + %s study killed with SIGKILL and resumed', (name, pruner) => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `aelab-kill-tpe-${name}-`));
    await writeFile(join(dir, 'exp.json'), JSON.stringify({ ...base, name: `kill-tpe-${name}`, pruner }));
  });
  afterAll(() => (killHeld(), rm(dir, { recursive: true, force: true })));

  const args = (store: string) => [
    bin,
    'search',
    'tpe',
    '-e',
    join(dir, 'exp.json'),
    '--store',
    store,
    '--workers',
    '1',
    '--no-report',
  ];
  const env = { ...process.env, CI: 'true' };

  it(
    'continues with the same configurations, the same pruning decisions and the same curves ' +
      'as an uninterrupted --workers 1 run',
    async () => {
      const whole = spawnSync(process.execPath, args(join(dir, 'whole')), { encoding: 'utf8', env });
      expect(whole.status, whole.stderr).toBe(0);
      const uninterrupted = await decisions(join(dir, 'whole'));
      expect(uninterrupted.sequence).toHaveLength(8);
      expect(uninterrupted.statuses).toContain('pruned');

      // Killed while held as the fifth trial starts: four decided (startup and model-based ones),
      // the fifth recorded as running.
      const killedStore = join(dir, 'killed');
      const sweep = await heldAt(args(killedStore), 'stop-at-start:5');
      sweep.child.kill('SIGKILL');
      expect((await sweep.closed).signal).toBe('SIGKILL');
      expect((await decisions(killedStore)).statuses.at(-1)).toBe('running');

      const resumed = spawnSync(process.execPath, args(killedStore), { encoding: 'utf8', env });
      expect(resumed.status, resumed.stderr).toBe(0);
      const after = await decisions(killedStore);
      expect(after.statuses).toContain('interrupted');
      expect(after.sequence).toEqual(uninterrupted.sequence);
    },
    240_000,
  );
});
