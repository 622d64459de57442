import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rankConfigurations } from '@aelab/core';
import { JsonFileRunStore } from '@aelab/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, fourTrainings, killHeld, runToFailpoint } from './built-cli.js';

/**
 * TPE (two startup draws, then the model) with ASHA: five short trainings on tiny data. The
 * learning rate is a float, so any change in what TPE saw when asked shows in its proposals.
 */
const experiment = {
  ...fourTrainings,
  name: 'kill-every-result',
  data: { ...fourTrainings.data, options: { trainRows: 80, testRows: 60 } },
  training: { ...fourTrainings.training, epochs: 4 },
  space: {
    'model.encoder': {
      type: 'categorical',
      values: [
        [32, 4],
        [32, 12],
      ],
    },
    'training.learningRate': { type: 'float', low: 1e-5, high: 0.03, log: true },
  },
  sampler: { type: 'tpe', trials: 5, startupTrials: 2, seed: 9 },
  pruner: { type: 'asha', minEpochs: 1, reductionFactor: 2 },
};

/** What the study decided, trial by trial, and its winner (interrupted trials left out: they run again). */
async function decisions(store: string) {
  const db = await JsonFileRunStore.open(store, { readonly: true });
  try {
    const [study] = await db.listStudies();
    const trials = (await db.listTrials(study.id)).filter((t) => t.status !== 'interrupted');
    const trainingOf = new Map(trials.map((t) => [t.id, t.configHash]));
    const evaluations = (await db.listEvaluations(study.id)).filter((e) => trainingOf.has(e.trialId));
    return {
      trials: trials.map((t) => ({
        hash: t.configHash,
        params: t.sampled,
        status: t.status,
        epochs: t.history.length,
      })),
      winner: rankConfigurations(
        study.selection,
        evaluations.map((e) => ({ ...e, trainingHash: trainingOf.get(e.trialId)! })),
      )[0]?.configHash,
    };
  } finally {
    await db.close();
  }
}

/**
 * Runs the sweep until it has recorded one trial's end, held there, and SIGKILLs it; resolves
 * false if it ended instead, which must be a success with nothing left to train.
 */
async function runUntilFirstResult(args: string[], env: NodeJS.ProcessEnv): Promise<boolean> {
  const sweep = await runToFailpoint(args, 'stop-after-record:1', env);
  if (!sweep.held) {
    const { code } = await sweep.closed;
    expect(code, sweep.output.stderr).toBe(0);
    expect(sweep.output.stdout).toMatch(/this run: 0 trained, /);
    return false;
  }
  sweep.child.kill('SIGKILL');
  expect((await sweep.closed).signal).toBe('SIGKILL');
  return true;
}

describe('a TPE + ASHA study killed with SIGKILL after every recorded result', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aelab-kill-each-'));
    await writeFile(join(dir, 'exp.json'), JSON.stringify(experiment));
  });
  afterAll(() => (killHeld(), rm(dir, { recursive: true, force: true })));

  const args = (store: string) => {
    const exp = join(dir, 'exp.json');
    return [bin, 'search', 'tpe', '-e', exp, '--store', store, '--workers', '1', '--no-report'];
  };
  const env = { ...process.env, CI: 'true' };

  it('and resumed each time ends as the uninterrupted --workers 1 run: trials, params, prunings, winner', async () => {
    const whole = spawnSync(process.execPath, args(join(dir, 'whole')), { encoding: 'utf8', env });
    expect(whole.status, whole.stderr).toBe(0);
    const uninterrupted = await decisions(join(dir, 'whole'));
    expect(uninterrupted.trials).toHaveLength(5);
    expect(uninterrupted.trials.map((t) => t.status)).toContain('pruned');

    const killedStore = join(dir, 'killed');
    let kills = 0;
    while (await runUntilFirstResult(args(killedStore), env)) {
      kills++;
      expect(kills, 'killed more often than there are trials: a resumed sweep did not go on').toBeLessThanOrEqual(5);
    }
    // Held after each run's first recorded end: one kill per trial, never a run that slipped past.
    expect(kills).toBe(5);
    expect(await decisions(killedStore)).toEqual(uninterrupted);
  }, 300_000);
});
