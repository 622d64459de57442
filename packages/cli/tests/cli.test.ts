import { link, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLeaderboard } from '@aelab/reporting';
import { JsonFileRunStore } from '@aelab/store';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCli } from '../src/cli.js';

const experiment = {
  name: 'cli-tiny',
  seed: 3,
  data: { dataset: 'synthetic-ecg', options: { trainRows: 120, testRows: 80 }, validationAnomalies: 'keep' },
  model: { kind: 'dense', encoder: [16, 4], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
  training: { epochs: 2, batchSize: 32, learningRate: 0.003, loss: 'mse' },
  scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
  space: {
    'model.encoder': {
      type: 'categorical',
      values: [
        [16, 4],
        [16, 8],
        [32, 8],
      ],
    },
  },
  selection: { metric: 'f1', direction: 'maximize', split: 'validation' },
  executor: { backend: 'wasm' },
};

async function run(argv: string[]): Promise<string> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await createCli(argv).exitProcess(false).parseAsync();
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
  return lines.join('\n');
}

/** Runs a command, returning what it printed with console.log and on stderr. */
async function runWithStderr(argv: string[]): Promise<{ out: string; err: string }> {
  const errors: string[] = [];
  const consoleError = vi
    .spyOn(console, 'error')
    .mockImplementation((...args: unknown[]) => void errors.push(args.join(' ')));
  try {
    const out = await run(argv);
    return { out, err: errors.join('\n') };
  } finally {
    consoleError.mockRestore();
  }
}

describe('aelab search grid, end to end', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aelab-cli-'));
    await writeFile(join(dir, 'exp.json'), JSON.stringify(experiment));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    process.exitCode = undefined;
  });

  it('records one trial per configuration and writes a report with one row each', async () => {
    const store = join(dir, 'runs');
    const out = await run(['search', 'grid', '-e', join(dir, 'exp.json'), '--store', store, '--workers', '1']);
    expect(out).toMatch(/^3 trainings for 3 evaluated configurations/m);
    const report = /^report: (.+)$/m.exec(out)?.[1];
    expect(report).toBeDefined();
    const html = await readFile(report!, 'utf8');
    const table = html.slice(html.indexOf('id="leaderboard"'));
    const body = table.slice(table.indexOf('<tbody>'), table.indexOf('</tbody>'));
    expect(body.match(/<tr[ >]/g)).toHaveLength(3);

    const db = await JsonFileRunStore.open(store, { readonly: true });
    const [study] = await db.listStudies();
    const trials = await db.listTrials(study.id);
    expect(trials.map((t) => t.status)).toEqual(['complete', 'complete', 'complete']);
    for (const t of trials) {
      expect(t.params['model.kind']).toBe('dense');
      expect(t.history).toHaveLength(2);
      expect(t.environment.backend).toBe('wasm');
    }
    await db.close();

    const best = await run(['runs', 'best', '--store', store]);
    expect(best).toMatch(/^best \(highest mean F1 on the validation split/m);
    // Every metric names its split; an honest study prints no optimism warning.
    expect(best).toMatch(/^ {2}validation f1 [\d.]+ {2}95% CI /m);
    expect(best).toMatch(
      /^ {2}test accuracy [\d.]+ {2}test precision .* test F1 [\d.]+ {2}test ROC-AUC [\d.]+ {2}test PR-AUC [\d.]+$/m,
    );
    expect(best).not.toMatch(/optimistic/);
    const show = await run(['runs', 'show', '--store', store]);
    expect(show).toMatch(
      new RegExp(
        /^rank\tconfig\tmodel\tvalidation f1\t95% CI\tp vs best\t/.source +
          /test F1\ttest ROC-AUC\ttest PR-AUC\t(validation|test) MSE\tparams$/.source,
        'm',
      ),
    );
    expect(html).toContain('F1 (test)');
    expect(html).not.toContain('selected on test data');
  });

  it('runs table --markdown prints the leaderboard in rank order, selection metric, interval and p first', async () => {
    const store = join(dir, 'runs-table');
    await run(['search', 'grid', '-e', join(dir, 'exp.json'), '--store', store, '--workers', '1', '--no-report']);
    const markdown = (await run(['runs', 'table', 'cli-tiny', '--markdown', '--store', store])).split('\n');
    expect(markdown[0]).toBe(
      '| # | configuration | model.encoder | F1 (validation) | 95% CI | p vs ★ | Accuracy (test) | Precision (test)' +
        ' | Recall (test) | F1 (test) | ROC-AUC (test) | PR-AUC (test) | threshold | repeats |',
    );
    expect(markdown[1]).toBe(`|${Array(14).fill('---').join('|')}|`);
    expect(markdown).toHaveLength(5);

    const db = await JsonFileRunStore.open(store, { readonly: true });
    const [study] = await db.listStudies();
    const board = buildLeaderboard(study, await db.listTrials(study.id), await db.listEvaluations(study.id));
    await db.close();
    board.rows.forEach((row, i) => {
      const cells = markdown[i + 2].slice(2, -2).split(' | ');
      expect(cells.slice(0, 3)).toEqual([
        `${i + 1}${i === 0 ? ' ★' : ''}`,
        'dense · p95 (train)',
        JSON.stringify(row.params['model.encoder']),
      ]);
      expect(cells[3]).toBe(
        row.score!.std === null
          ? row.score!.mean.toFixed(3)
          : `${row.score!.mean.toFixed(3)} ± ${row.score!.std.toFixed(3)}`,
      );
      expect(cells[9]).toMatch(new RegExp(`^${row.metrics.f1!.mean.toFixed(3)}\\b`));
      expect(cells[13]).toBe('1');
    });
    const tabs = await run(['runs', 'table', 'cli-tiny', '--store', store]);
    expect(tabs.split('\n')[0].split('\t').slice(0, 4)).toEqual([
      '#',
      'configuration',
      'model.encoder',
      'F1 (validation)',
    ]);
  });

  it(
    'selecting on test needs selection.allowTest, and is then flagged in the sweep, runs best, ' +
      'runs show and the report',
    async () => {
      const file = join(dir, 'leaky.json');
      const leaky = {
        ...experiment,
        name: 'leaky',
        space: { 'model.encoder': { type: 'categorical', values: [[16, 4]] } },
      };
      await writeFile(
        file,
        JSON.stringify({ ...leaky, selection: { metric: 'f1', direction: 'maximize', split: 'test' } }),
      );
      await expect(
        run(['search', 'grid', '-e', file, '--store', join(dir, 'leaky-runs'), '--workers', '1']),
      ).rejects.toThrow(/selection\.split: selecting on "test" lets test labels choose the winner/);
      await writeFile(
        file,
        JSON.stringify({
          ...leaky,
          selection: { metric: 'f1', direction: 'maximize', split: 'test', allowTest: true },
        }),
      );
      // (The progress display's own warning line, on stderr, is checked on the study's events in the search package.)
      const out = await run(['search', 'grid', '-e', file, '--store', join(dir, 'leaky-runs'), '--workers', '1']);
      expect(out).toMatch(/^warning: selected on test data: optimistic/m);
      expect(await run(['runs', 'show', '--store', join(dir, 'leaky-runs')])).toMatch(
        /^warning: selected on test data: optimistic/m,
      );
      const html = await readFile(/^report: (.+)$/m.exec(out)![1], 'utf8');
      expect(html).toMatch(/Warning: selected on test data: optimistic/);
    },
  );

  it('re-running the same command resumes and trains nothing', async () => {
    const out = await run([
      'search',
      'grid',
      '-e',
      join(dir, 'exp.json'),
      '--store',
      join(dir, 'runs'),
      '--workers',
      '1',
      '--no-report',
    ]);
    expect(out).toMatch(/this run: 0 trained, 3 skipped as already done/);
  });

  it('scores new data with a saved trial model', async () => {
    const db = await JsonFileRunStore.open(join(dir, 'runs'), { readonly: true });
    const [study] = await db.listStudies();
    const [trial] = await db.listTrials(study.id);
    await db.close();
    const csv = join(dir, 'beats.csv');
    // 3 flat lines and their labels: flat beats look nothing like ECG, so all are flagged.
    await writeFile(
      csv,
      Array.from({ length: 3 }, (_, i) => [...Array(140).fill(i), 'normal'].join(',')).join('\n') + '\n',
    );
    const out = await run([
      'score',
      '--model',
      join(dir, 'runs', trial.artifacts.model),
      '--input',
      csv,
      '--backend',
      'wasm',
      '--out',
      join(dir, 'scores.csv'),
    ]);
    expect(out).toMatch(/3 of 3 rows flagged as anomalies/);
    const scores = (await readFile(join(dir, 'scores.csv'), 'utf8')).trim().split('\n');
    expect(scores[0]).toBe('row,label,error,anomaly');
    expect(scores).toHaveLength(4);
  });

  describe('aelab score', () => {
    let model: string;
    const flat = (rows: number, extra: (i: number) => string[] = () => []) =>
      Array.from({ length: rows }, (_, i) => [...Array(140).fill(i), ...extra(i)].join(',')).join('\n') + '\n';
    beforeAll(async () => {
      const db = await JsonFileRunStore.open(join(dir, 'runs'), { readonly: true });
      const [study] = await db.listStudies();
      const [trial] = await db.listTrials(study.id);
      await db.close();
      model = join(dir, 'runs', trial.artifacts.model);
    });
    const score = (input: string, ...more: string[]) => [
      'score',
      '--model',
      model,
      '--input',
      input,
      '--backend',
      'wasm',
      ...more,
    ];

    it('scores unlabelled data when told, saying which columns it used', async () => {
      const csv = join(dir, 'unlabelled-told.csv');
      await writeFile(csv, flat(3));
      const { out, err } = await runWithStderr(score(csv, '--label-column', 'none', '--out', join(dir, 'told.csv')));
      expect(out).toMatch(/3 of 3 rows flagged as anomalies/);
      expect(err).toContain(`${csv}: features: 140 columns (c0, c1, ..., c139); label: none (--label-column none)`);
      const scores = (await readFile(join(dir, 'told.csv'), 'utf8')).trim().split('\n');
      expect(scores.slice(1).map((line) => line.split(',')[1])).toEqual(['""', '""', '""']);
    });

    it('detects unlabelled data: as many numeric columns as the model has features', async () => {
      const csv = join(dir, 'unlabelled.csv');
      await writeFile(csv, `${Array.from({ length: 140 }, (_, j) => `t${j}`).join(',')}\n${flat(2)}`);
      const { out, err } = await runWithStderr(score(csv, '--out', join(dir, 'detected.csv')));
      expect(out).toMatch(/2 of 2 rows flagged as anomalies/);
      expect(err).toContain(
        `${csv}: features: 140 columns (t0, t1, ..., t139); label: none ` +
          `(the model takes 140 features and the file has 140 numeric columns; --label-column to name one)`,
      );
    });

    it('takes the last column as the label of a file with one column more', async () => {
      const csv = join(dir, 'labelled.csv');
      await writeFile(
        csv,
        flat(2, (i) => [i === 0 ? 'normal' : '1']),
      );
      const { err } = await runWithStderr(score(csv, '--out', join(dir, 'labelled-scores.csv')));
      expect(err).toContain(
        `${csv}: features: 140 columns (c0, c1, ..., c139); label: c140 ` +
          `(the last column; --label-column to choose another, or none)`,
      );
    });

    it('says which column it took as the label when the count does not match', async () => {
      const csv = join(dir, 'short.csv');
      await writeFile(csv, Array.from({ length: 2 }, () => Array(139).fill(0).join(',')).join('\n') + '\n');
      await expect(run(score(csv))).rejects.toThrow(
        `${csv}: rows have 138 feature values, the model expects 140 ` +
          `(label: c138, the last column; --label-column none if the file has no label)`,
      );
    });

    it('refuses a threshold that is not a finite number', async () => {
      const csv = join(dir, 'beats.csv');
      await expect(run(score(csv, '--threshold', 'abc'))).rejects.toThrow(
        "--threshold must be a finite number, got 'abc'",
      );
      await expect(run(score(csv, '--threshold', 'Infinity'))).rejects.toThrow(
        "--threshold must be a finite number, got 'Infinity'",
      );
      const { out } = await runWithStderr(score(csv, '--threshold', '1e9', '--out', join(dir, 'high.csv')));
      expect(out).toMatch(/0 of 3 rows flagged as anomalies \(mse > 1000000000\)/);
    });

    it('replaces --out in one step: a file linked to the old output keeps the old content', async () => {
      const out = join(dir, 'replaced.csv');
      await writeFile(out, 'old results\n');
      await link(out, join(dir, 'replaced-link.csv'));
      await run(score(join(dir, 'beats.csv'), '--out', out));
      expect((await readFile(out, 'utf8')).split('\n')[0]).toBe('row,label,error,anomaly');
      expect(await readFile(join(dir, 'replaced-link.csv'), 'utf8')).toBe('old results\n');
    });
  });
});

describe('backend selection', () => {
  it('asking for an uninstalled native backend is one clear line', async () => {
    await expect(run(['info', '--backend', 'tensorflow'])).rejects.toThrow(/tensorflow.*npm i @tensorflow\/tfjs-node/);
  });
});

describe('experiment validation', () => {
  it('an invalid experiment is rejected before training, listing every problem', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aelab-cli-bad-'));
    const file = join(dir, 'bad.json');
    await writeFile(
      file,
      JSON.stringify({ ...experiment, seed: -1, training: { ...experiment.training, batchSize: 0 } }),
    );
    await expect(run(['search', 'grid', '-e', file, '--store', join(dir, 'runs')])).rejects.toThrow(
      /bad\.json: invalid experiment \(2 problems\)[\s\S]*seed[\s\S]*training\.batchSize/,
    );
    await rm(dir, { recursive: true, force: true });
  });
});
