import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { prepareData } from '@aelab/data';
import { buildModel, initBackend, PRESETS, saveModel } from '@aelab/models';
import { JsonFileRunStore } from '@aelab/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, heldAt, killHeld } from './built-cli.js';

/*
 * kill -9 while `aelab report` and `aelab score --out` write their files: afterwards every
 * output file is whole, the old version or the new one (or absent), never empty or torn,
 * and the run store still opens. Each run is killed either while held (AELAB_FAILPOINT,
 * SIGSTOP) with an output's new content whole in its temp file, not yet renamed over the
 * old (a state no load can race; a writer that wrote in place never reaches it and fails
 * the test), or at a random moment. A sweep killed mid-way is in resume.test.ts.
 */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aelab-crash-'));
});
afterAll(() => (killHeld(), rm(dir, { recursive: true, force: true })));

/** A deterministic PRNG for kill moments, so a failure can be replayed. */
function seeded(seed: number): () => number {
  return () => (seed = (seed * 16807) % 2147483647) / 2147483647;
}

/** How a run is stopped: held before the rename of the file named `beforeRename`, or after `ms`. */
type Kill = { beforeRename: string } | { ms: number };

/**
 * Runs `aelab` with `args` and SIGKILLs it as `kill` says; resolves true if it was killed, false if it finished first.
 */
async function runAndKill(args: string[], kill: Kill): Promise<boolean> {
  if ('beforeRename' in kill) {
    const held = await heldAt([bin, ...args], `stop-before-rename:${kill.beforeRename}`);
    held.child.kill('SIGKILL');
    await held.closed;
    return true;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), kill.ms);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve(true);
      else if (code === 0) resolve(false);
      else reject(new Error(`aelab ${args.join(' ')} failed (${code}):\n${stderr}`));
    });
  });
}

/** Every file under `root`, relative, with its bytes. */
async function snapshot(root: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(root, path), await readFile(path));
  }
  return files;
}

/** A temp file of an atomic write (`.<name>.<pid>.tmp`), which a kill may leave beside the real file. */
const isTempFile = (path: string) => basename(path).startsWith('.') && path.endsWith('.tmp');

describe('aelab report killed with SIGKILL', () => {
  // Every trial now has a page (issue 24): the render takes twice as long as with 20 pages, and a loaded CI
  // machine runs it slower still. The timeouts below are a safety net, never a measurement.
  it('leaves every page whole or absent, never empty or torn, and the store opens', async () => {
    // 2 studies x 25 trials: a render of ~3 s writing 25 pages, the study pages ~0.4 MB each.
    const store = join(dir, 'runs');
    const writer = await JsonFileRunStore.open(store, { fsync: false });
    const random = seeded(11);
    const split = (n: number) => ({
      mse: Array.from({ length: n }, random),
      mae: Array.from({ length: n }, random),
      y: Array.from({ length: n }, (_, i) => (i % 10 === 0 ? 1 : 0)),
      labels: Array.from({ length: n }, (_, i) => (i % 10 === 0 ? 'anomaly' : 'normal')),
    });
    for (let s = 0; s < 2; s++) {
      const study = await writer.createStudy({
        name: `crash-${s}`,
        experimentPath: 'exp.json',
        experiment: { study: s },
        experimentHash: `crash-${s}`,
        gitCommit: null,
        dataset: 'synthetic-ecg',
        selection: { metric: 'f1', direction: 'maximize', split: 'test', allowTest: true },
      });
      for (let t = 0; t < 25; t++) {
        const params = {
          'model.kind': 'dense',
          'model.units': [4, 8, 16, 32, 64][t % 5],
          'training.learningRate': [0.001, 0.01, 0.1][t % 3],
        };
        const trial = await writer.startTrial(study.id, {
          configHash: `c${t}`,
          params,
          sampled: params,
          repeat: 0,
          seed: t,
          environment: { backend: 'wasm', versions: {}, gitCommit: null },
          dataFingerprint: null,
        });
        const errors = await writer.writeArtifact(
          study.id,
          trial.id,
          'errors.json',
          JSON.stringify({ train: split(300), validation: split(100), test: split(300) }),
        );
        const history = Array.from({ length: 40 }, (_, e) => ({
          epoch: e + 1,
          loss: 1 / (e + 1) + random() / 100,
          valLoss: 1.1 / (e + 1),
          seconds: 0.01,
        }));
        await writer.finishTrial(trial.id, { status: 'complete', history, trainSeconds: 1, artifacts: { errors } });
        await writer.addEvaluations(
          trial.id,
          [90, 95, 99].map((p) => ({
            configHash: `c${t}-p${p}`,
            scoring: { 'scoring.errorMetric': 'mse', 'threshold.rule': 'percentile', 'threshold.percentile': p },
            threshold: random(),
            usesLabels: false,
            metrics: {
              test: { rows: 300, positives: 30, f1: random(), rocAuc: random() },
              validation: { rows: 100, positives: 10, f1: random() },
            },
          })),
        );
      }
    }
    await writer.close();

    const out = join(dir, 'report');
    const args = ['report', '--store', store, '--out', out];
    const done = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
    expect(done.status, done.stderr).toBe(0);
    // The same store renders to the same bytes: every page the kill leaves must be this one.
    const complete = await snapshot(out);
    expect(complete.size).toBeGreaterThan(20);

    const moments = seeded(5);
    // Held mid-render before two pages of the first study (both exist from the complete render), and a random moment.
    const kills: Kill[] = [
      { beforeRename: 'compare.html' },
      { ms: 600 + moments() * 1500 },
      { beforeRename: 'index.html' },
    ];
    for (const [round, kill] of kills.entries()) {
      const killed = await runAndKill(args, kill);
      if ('beforeRename' in kill) expect(killed).toBe(true);
      for (const [path, bytes] of await snapshot(out)) {
        if (isTempFile(path)) continue;
        expect(complete.has(path), `round ${round}: unexpected file ${path}`).toBe(true);
        expect(bytes.length, `round ${round}: ${path} is empty`).toBeGreaterThan(0);
        expect(
          bytes.equals(complete.get(path)!),
          `round ${round}: ${path} is torn (${bytes.length} of ${complete.get(path)!.length} bytes)`,
        ).toBe(true);
      }
      const reader = await JsonFileRunStore.open(store, { readonly: true });
      expect(await reader.listStudies()).toHaveLength(2);
      await reader.close();
    }
  }, 180_000);
});

describe('aelab score --out killed with SIGKILL', () => {
  it('leaves the old results or the new ones, never a torn file', async () => {
    const work = join(dir, 'score');
    const model = join(work, 'model');
    const data = await prepareData({ dataset: 'synthetic-ecg', options: { trainRows: 40, testRows: 10 } });
    await initBackend('wasm');
    const network = buildModel(PRESETS['tf-tutorial'], data.features, 1);
    await saveModel(model, {
      model: network,
      spec: PRESETS['tf-tutorial'],
      preparation: data.preparation,
      threshold: 0.5,
    });
    network.dispose();

    // Two inputs whose results differ (2 MB and 1.5 MB of CSV), so "old" and "new" are told apart.
    const inputs = [join(work, 'a.csv'), join(work, 'b.csv')];
    const row = (v: number) => Array(data.features).fill(v).join(',');
    await writeFile(inputs[0], `${Array(60_000).fill(row(0)).join('\n')}\n`);
    await writeFile(inputs[1], `${Array(45_000).fill(row(1)).join('\n')}\n`);
    const out = join(work, 'scores.csv');
    const score = (input: string) => ['score', '--model', model, '--input', input, '--backend', 'wasm', '--out', out];
    const results: Buffer[] = [];
    for (const input of inputs) {
      const done = spawnSync(process.execPath, [bin, ...score(input)], { encoding: 'utf8' });
      expect(done.status, done.stderr).toBe(0);
      results.push(await readFile(out));
    }
    expect(results[0].equals(results[1])).toBe(false);

    const moments = seeded(3);
    const kills: Kill[] = [
      { beforeRename: 'scores.csv' },
      { ms: 500 + moments() * 2000 },
      { beforeRename: 'scores.csv' },
    ];
    for (const [round, kill] of kills.entries()) {
      const killed = await runAndKill(score(inputs[round % 2]), kill);
      if ('beforeRename' in kill) expect(killed).toBe(true);
      const bytes = await readFile(out);
      expect(
        results.some((result) => result.equals(bytes)),
        `round ${round}: scores.csv is neither the old nor the new results (${bytes.length} bytes)`,
      ).toBe(true);
    }
  }, 180_000);
});
