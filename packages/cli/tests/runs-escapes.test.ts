/**
 * `aelab runs list|show|best` print what a store holds: a dataset file name, an experiment
 * path, a failure reason or a parameter may carry terminal escapes (a shared or crafted
 * store), which must be shown, never obeyed, as every other command shows them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRunStore } from '@aelab/store';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCli } from '../src/cli.js';

/** Sets the terminal's title, then turns text red. */
const TITLE = '\u001b]0;owned\u0007';
const RED = '\u001b[31m';
/** One-character CSI (C1) and a right-to-left override: not escaped by JSON.stringify. */
const C1 = '\u009b2J';
const RLO = '\u202e';

let dir: string;
let store: string;
let trialId: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aelab-runs-escapes-'));
  store = join(dir, 'runs');
  const db = await openRunStore(store, { fsync: false });
  const study = await db.createStudy({
    name: `grid${RED}`,
    experimentPath: `experiments/${TITLE}x.json`,
    experiment: {},
    experimentHash: 'hash',
    gitCommit: null,
    dataset: `data/${TITLE}${RED}beats${C1}.csv`,
    selection: { metric: 'f1', direction: 'maximize', split: 'validation' },
  });
  const trial = await db.startTrial(study.id, {
    configHash: 'cfg',
    params: { 'model.kind': 'dense', 'data.dataset': `${RLO}x${RED}` },
    sampled: {},
    distributions: {},
    repeat: 0,
    seed: 1,
    environment: { backend: 'wasm', versions: {}, gitCommit: null },
    dataFingerprint: 'fp',
  });
  await db.finishTrial(trial.id, {
    status: 'failed',
    reason: `cannot read ${TITLE}${RED}${C1}`,
    trainSeconds: 0,
    history: [],
    artifacts: {},
  });
  trialId = trial.id;
  // Two complete trials, so the parameter is swept: the winner's value carries escapes.
  for (const [value, f1] of [
    [`${RLO}y${RED}`, 0.8],
    ['plain', 0.6],
  ] as const) {
    const complete = await db.startTrial(study.id, {
      configHash: `cfg-${f1}`,
      params: { 'model.kind': 'dense', 'data.dataset': value },
      sampled: { 'data.dataset': value },
      distributions: {},
      repeat: 0,
      seed: 2,
      environment: { backend: 'wasm', versions: {}, gitCommit: null },
      dataFingerprint: 'fp',
    });
    const history = [{ epoch: 0, loss: 1, valLoss: null, seconds: 0.1 }];
    await db.finishTrial(complete.id, {
      status: 'complete',
      trainSeconds: 1,
      history,
      bestEpoch: 0,
      parameterCount: 10,
      artifacts: {},
    });
    const metrics = { validation: { rows: 10, positives: 2, f1 }, test: { rows: 10, positives: 2, f1 } };
    await db.addEvaluations(complete.id, [
      { configHash: `eval-${f1}`, scoring: {}, threshold: 0.5, usesLabels: false, metrics },
    ]);
  }
  await db.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function runs(...argv: string[]): Promise<string> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
  try {
    await createCli(['runs', ...argv, '--store', store])
      .exitProcess(false)
      .parseAsync();
  } finally {
    log.mockRestore();
  }
  return lines.join('\n');
}

/** C0 controls but tab and newline, DEL, C1 controls, bidi overrides. */
const OBEYED = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe("aelab runs shows a crafted store's text escaped", () => {
  it.each([
    ['list', ''],
    ['show', ''],
    ['best', ''],
    ['show', 'trial'],
  ])('runs %s %s', async (action, what) => {
    const out = await runs(action, ...(what === 'trial' ? [trialId] : []));
    expect(out).not.toMatch(OBEYED);
    expect(out.length).toBeGreaterThan(0);
  });

  it("shows each escape visibly and keeps the tables' columns", async () => {
    const list = await runs('list');
    expect(list).toContain('data/\\x1b]0;owned\\x07\\x1b[31mbeats\\x9b2J.csv');
    expect(list.split('\n').map((line) => line.split('\t').length)).toEqual([6, 6]);
    const show = await runs('show');
    expect(show).toContain('experiment experiments/\\x1b]0;owned\\x07x.json');
    expect(show).toContain(`${trialId} failed: cannot read \\x1b]0;owned\\x07\\x1b[31m\\x9b2J`);
    // JSON.stringify (of a parameter's value) escapes C0 controls itself, not a bidi override.
    expect(show).toContain('data.dataset="\\u202ey\\u001b[31m"');
    const trial = await runs('show', trialId);
    expect(trial).toContain('\\u202ex');
    expect(await runs('best')).toContain('data.dataset="\\u202ey\\u001b[31m"');
  });
});
