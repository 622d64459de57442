import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonFileRunStore, StoreLockedError, openRunStore } from '../src/index.js';
import { runStoreConformance } from './conformance.js';
import { completeOutcome, evaluation, newStudy, newTrial } from './fixtures.js';

const here = dirname(fileURLToPath(import.meta.url));
const scratch: string[] = [];

async function tempRoot(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'aelab-store-'));
  scratch.push(dir);
  return join(dir, 'runs');
}

afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

runStoreConformance('JsonFileRunStore', async () => JsonFileRunStore.open(await tempRoot()));
// Two trials per shard, so every rule also holds across shard boundaries.
runStoreConformance('JsonFileRunStore, 2 trials per shard', async () =>
  JsonFileRunStore.open(await tempRoot(), { trialsPerShard: 2 }),
);

describe('JsonFileRunStore on disk', () => {
  it(
    'writes an artifact given in pieces through a temp file it renames, ' +
      'and leaves none behind when the pieces fail',
    async () => {
      const root = await tempRoot();
      const store = await openRunStore(root);
      const study = await store.createStudy(newStudy());
      const trial = await store.startTrial(study.id, newTrial());
      let seenTemp: string[] = [];
      const path = await store.writeArtifact(study.id, trial.id, 'errors.json', 'old');
      const folder = dirname(join(root, path));
      async function* pieces() {
        yield '{"test":';
        // While the pieces are written the artifact still holds its old content.
        seenTemp = (await readdir(folder)).filter((name) => name.endsWith('.tmp'));
        expect(await readFile(join(root, path), 'utf8')).toBe('old');
        yield '[1,2]}';
      }
      await store.writeArtifact(study.id, trial.id, 'errors.json', pieces());
      expect(seenTemp).toEqual([`.errors.json.${process.pid}.tmp`]);
      expect(await readFile(join(root, path), 'utf8')).toBe('{"test":[1,2]}');
      function* failing() {
        yield 'half';
        throw new Error('the pieces failed');
      }
      await expect(store.writeArtifact(study.id, trial.id, 'errors.json', failing())).rejects.toThrow(
        'the pieces failed',
      );
      expect(await readdir(folder)).toEqual(['errors.json']);
      expect(await readFile(join(root, path), 'utf8')).toBe('{"test":[1,2]}');
      await store.close();
    },
  );

  it('shows everything it wrote after a reopen, readonly or not', async () => {
    const root = await tempRoot();
    const store = await openRunStore(root, { trialsPerShard: 2 });
    const study = await store.createStudy(newStudy());
    for (let i = 0; i < 5; i++) {
      const trial = await store.startTrial(study.id, newTrial(`cfg-${i}`));
      if (i === 3) continue; // left running
      const errors = await store.writeArtifact(study.id, trial.id, 'errors.json', `errors of ${i}`);
      await store.finishTrial(trial.id, completeOutcome({ errors }));
      await store.addEvaluations(trial.id, [evaluation(90 + i)]);
    }
    const before = {
      studies: await store.listStudies(),
      trials: await store.listTrials(study.id),
      evaluations: await store.listEvaluations(study.id),
    };
    await store.close();

    expect((await readdir(join(root, study.id))).sort()).toEqual([
      'study.json',
      'trials',
      'trials-0000.json',
      'trials-0001.json',
      'trials-0002.json',
    ]);
    expect((await readdir(root)).sort()).toEqual(['index.json', study.id]);

    const reader = await openRunStore(root, { readonly: true, trialsPerShard: 2 });
    expect(await reader.listStudies()).toEqual(before.studies);
    expect(await reader.listTrials(study.id)).toEqual(before.trials);
    expect(await reader.listEvaluations(study.id)).toEqual(before.evaluations);
    const errorsPath = before.trials[4].artifacts.errors;
    expect(new TextDecoder().decode(await reader.readArtifact(errorsPath))).toBe('errors of 4');
    await expect(reader.startTrial(study.id, newTrial())).rejects.toThrow(/opened readonly/);
    await expect(reader.writeArtifact(study.id, before.trials[0].id, 'x', 'x')).rejects.toThrow(/opened readonly/);
    await reader.close();

    const writer = await openRunStore(root, { trialsPerShard: 2 });
    expect(await writer.listTrials(study.id)).toEqual(before.trials);
    const next = await writer.startTrial(study.id, newTrial('cfg-5'));
    expect(next.number).toBe(5);
    await writer.finishTrial(before.trials[3].id, completeOutcome());
    await writer.close();
    const again = await openRunStore(root, { readonly: true, trialsPerShard: 2 });
    expect((await again.listTrials(study.id)).map((t) => t.status)).toEqual([
      'complete',
      'complete',
      'complete',
      'complete',
      'complete',
      'running',
    ]);
  });

  it('writes mutations in call order when the caller does not await each one', async () => {
    const root = await tempRoot();
    const store = await openRunStore(root, { trialsPerShard: 3 });
    const study = await store.createStudy(newStudy());
    const trials = await Promise.all(
      Array.from({ length: 8 }, (_, i) => store.startTrial(study.id, newTrial(`cfg-${i}`))),
    );
    expect(trials.map((t) => t.number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await store.close();
    const reader = await openRunStore(root, { readonly: true, trialsPerShard: 3 });
    expect((await reader.listTrials(study.id)).map((t) => t.configHash)).toEqual(trials.map((t) => t.configHash));
  });

  it('sees a missing store as empty when readonly', async () => {
    const reader = await openRunStore(join(await tempRoot(), 'absent'), { readonly: true });
    expect(await reader.listStudies()).toEqual([]);
  });

  it('keeps the shard size a study was created with when reopened with another', async () => {
    const root = await tempRoot();
    const store = await openRunStore(root, { trialsPerShard: 2 });
    const study = await store.createStudy(newStudy());
    for (let i = 0; i < 3; i++) await store.startTrial(study.id, newTrial(`cfg-${i}`));
    await store.close();

    const reopened = await openRunStore(root, { trialsPerShard: 3 });
    expect(await reopened.listTrials(study.id)).toHaveLength(3);
    await reopened.startTrial(study.id, newTrial('cfg-3'));
    const later = await reopened.createStudy(newStudy({ name: 'later' }));
    for (let i = 0; i < 4; i++) await reopened.startTrial(later.id, newTrial(`cfg-${i}`));
    await reopened.close();
    expect((await readdir(join(root, study.id))).sort()).toEqual([
      'study.json',
      'trials-0000.json',
      'trials-0001.json',
    ]);
    expect((await readdir(join(root, later.id))).sort()).toEqual([
      'study.json',
      'trials-0000.json',
      'trials-0001.json',
    ]);
    const shard = JSON.parse(await readFile(join(root, study.id, 'trials-0001.json'), 'utf8'));
    expect(shard.trials.map((t: { number: number }) => t.number)).toEqual([2, 3]);
  });

  it('names the file when a shard is not valid JSON', async () => {
    const root = await tempRoot();
    const store = await openRunStore(root, { trialsPerShard: 2 });
    const study = await store.createStudy(newStudy());
    for (let i = 0; i < 3; i++) await store.startTrial(study.id, newTrial(`cfg-${i}`));
    await store.close();

    const shard = join(root, study.id, 'trials-0001.json');
    await writeFile(shard, '{"format": "aelab-run-store", ');
    const reader = await openRunStore(root, { readonly: true });
    await expect(reader.listTrials(study.id)).rejects.toThrow(shard);
  });

  it('names the trial that sits in the wrong shard', async () => {
    const root = await tempRoot();
    const store = await openRunStore(root, { trialsPerShard: 2 });
    const study = await store.createStudy(newStudy());
    for (let i = 0; i < 3; i++) await store.startTrial(study.id, newTrial(`cfg-${i}`));
    await store.close();
    const path = join(root, study.id, 'trials-0000.json');
    const shard = JSON.parse(await readFile(path, 'utf8'));
    shard.trials[1] = { ...shard.trials[1], number: 2, id: `${study.id}.t000002` };
    await writeFile(path, JSON.stringify(shard));
    const reader = await openRunStore(root, { readonly: true });
    await expect(reader.listTrials(study.id)).rejects.toThrow(/t000002' \(number 2\) does not belong in shard 0/);
  });

  it('refuses a store written in another format', async () => {
    const root = await tempRoot();
    await (await openRunStore(root)).close();
    const index = JSON.stringify({ format: 'aelab-run-store', version: 99, studies: [], trialsPerShard: {} });
    await writeFile(join(root, 'index.json'), index);
    await expect(openRunStore(root)).rejects.toThrow(/version 1 or 2, got format "aelab-run-store" version 99/);
  });
});

describe('JsonFileRunStore writer lock', () => {
  it('refuses a second writer, naming the pid that holds the lock, and lets readers in', async () => {
    const root = await tempRoot();
    const first = await openRunStore(root);
    const second = openRunStore(root);
    await expect(second).rejects.toThrow(StoreLockedError);
    await expect(openRunStore(root)).rejects.toThrow(`held by pid ${process.pid}`);
    const reader = await openRunStore(root, { readonly: true });
    await reader.close();
    await first.close();
    const third = await openRunStore(root);
    await third.close();
  });

  it('takes over a lock whose process is dead', async () => {
    const root = await tempRoot();
    await (await openRunStore(root)).close();
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    await writeFile(join(root, '.lock'), JSON.stringify({ pid: dead, hostname: hostname(), acquiredAt: 'then' }));
    const store = await openRunStore(root);
    expect(JSON.parse(await readFile(join(root, '.lock'), 'utf8')).pid).toBe(process.pid);
    await store.close();
    await expect(readFile(join(root, '.lock'))).rejects.toThrow(/ENOENT/);
  });

  it('takes over a lock naming its own pid that it does not hold (a restarted container)', async () => {
    const root = await tempRoot();
    await (await openRunStore(root)).close();
    await writeFile(
      join(root, '.lock'),
      JSON.stringify({ pid: process.pid, hostname: hostname(), acquiredAt: 'then' }),
    );
    const store = await openRunStore(root);
    expect(JSON.parse(await readFile(join(root, '.lock'), 'utf8')).acquiredAt).not.toBe('then');
    await expect(openRunStore(root)).rejects.toThrow(StoreLockedError);
    await store.close();
  });

  it('refuses a lock from another host, which it cannot check', async () => {
    const root = await tempRoot();
    await (await openRunStore(root)).close();
    await writeFile(join(root, '.lock'), JSON.stringify({ pid: 1, hostname: 'elsewhere', acquiredAt: 'then' }));
    await expect(openRunStore(root)).rejects.toThrow(/pid 1 on host elsewhere/);
  });
});

describe('JsonFileRunStore under kill -9', () => {
  const packageRoot = resolve(here, '..');
  beforeAll(() => {
    // The child imports the built package, as the CLI and the worker pool do.
    execFileSync('npx', ['tsc', '-b', packageRoot], { cwd: resolve(packageRoot, '../..'), stdio: 'inherit' });
  }, 120_000);

  it('loads with every acknowledged write after a writer is killed at random moments', async () => {
    const root = await tempRoot();
    const trialsPerShard = 4;
    const setup = await openRunStore(root, { trialsPerShard });
    const study = await setup.createStudy(newStudy());
    await setup.close();

    let seed = 20240611;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const started = new Set<string>();
    const finished = new Set<string>();
    const evaluated = new Set<string>();
    const artifacts = new Map<string, string>();
    let interrupted = 0;

    for (let round = 0; round < 6; round++) {
      const lines = await runAndKill(
        [join(here, 'fixtures/append-trials.mjs'), root, study.id, String(trialsPerShard)],
        20 + random() * 250,
      );
      for (const line of lines) {
        const [kind, id, path] = line.split(' ');
        if (kind === 'started') started.add(id);
        if (kind === 'finished') finished.add(id);
        if (kind === 'evaluated') evaluated.add(id);
        if (kind === 'artifact') artifacts.set(id, path);
        if (kind === 'interrupted') interrupted++;
      }
      expect(lines, `round ${round}: the child never opened the store`).toContain('opened');

      const reader = await openRunStore(root, { readonly: true, trialsPerShard });
      const trials = await reader.listTrials(study.id);
      const byId = new Map(trials.map((t) => [t.id, t]));
      expect(trials.length).toBeGreaterThanOrEqual(started.size);
      // Only the trial in flight when the child died may still be running; the next
      // child marks it interrupted before it starts its own.
      expect(trials.filter((t) => t.status === 'running').length).toBeLessThanOrEqual(1);
      for (const id of started) expect(byId.has(id), `acknowledged trial ${id}`).toBe(true);
      for (const id of finished) {
        expect(byId.get(id)?.status, `acknowledged finish of ${id}`).toBe('complete');
        expect(byId.get(id)?.history).toHaveLength(100);
      }
      const evaluations = await reader.listEvaluations(study.id);
      for (const id of evaluated) {
        expect(
          evaluations.filter((e) => e.trialId === id),
          `evaluations of ${id}`,
        ).toHaveLength(3);
      }
      for (const [id, path] of artifacts) {
        const content = JSON.parse(new TextDecoder().decode(await reader.readArtifact(path)));
        expect(content.trial).toBe(id);
      }
      await reader.close();
    }
    expect(finished.size).toBeGreaterThan(0);
    const final = await openRunStore(root, { readonly: true, trialsPerShard });
    const statuses = (await final.listTrials(study.id)).map((t) => t.status);
    expect(statuses.filter((s) => s === 'interrupted')).toHaveLength(interrupted);
  }, 120_000);
});

/** Runs a node script, kills it with SIGKILL `delayMs` after its first line, returns its lines. */
function runAndKill(args: string[], delayMs: number): Promise<string[]> {
  return new Promise((resolveLines, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      timer ??= setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code} before it was killed:\n${err}`));
      else resolveLines(out.split('\n').filter(Boolean));
    });
  });
}
