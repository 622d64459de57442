import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { JsonFileRunStore, writeLiveProgress } from '@aelab/store';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServeApp, renderReport } from '../src/index.js';
import { waitForDrawnPage } from './serve-helpers.js';
import { fixedClock, writeSyntheticStudy } from './synthetic-study.js';

/** A file beside the store that no route may read. */
const SECRET = 'the-secret-beside-the-store';

describe('aelab serve', () => {
  let dir: string;
  let root: string;
  let app: FastifyInstance;
  let studyId: string;
  let otherId: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aelab-serve-'));
    root = join(dir, 'runs');
    await writeFile(join(dir, 'secret.txt'), SECRET);
    const store = await JsonFileRunStore.open(root, { fsync: false, now: fixedClock() });
    studyId = await writeSyntheticStudy(store, { name: 'first', families: ['dense', 'lstm'], repeats: 2, failures: 1 });
    otherId = await writeSyntheticStudy(store, { name: 'second', families: ['dense'], repeats: 2, seed: 7 });
    await store.close();
    app = createServeApp({ store: root });
    await app.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const get = (url: string) => app.inject({ method: 'GET', url });
  /** A request over a socket with the path exactly as written (inject and fetch would normalise `..` away first). */
  const raw = (path: string) =>
    new Promise<{ statusCode: number; body: string }>((done, fail) => {
      const { port } = app.server.address() as AddressInfo;
      const req = httpRequest({ host: '127.0.0.1', port, path }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => done({ statusCode: res.statusCode!, body }));
      });
      req.on('error', fail);
      req.end();
    });

  it('lists the studies with state, counts, best value and its split, filterable', async () => {
    const response = await get('/api/studies');
    expect(response.statusCode).toBe(200);
    const { studies } = response.json() as {
      studies: { id: string; state: string; trials: { total: number; failed: number }; best: { split: string } }[];
    };
    expect(studies.map((s) => s.id)).toEqual([studyId, otherId]);
    expect(studies[0].state).toBe('finished');
    expect(studies[0].trials.failed).toBe(1);
    expect(studies[0].best.split).toBe('test');
    const filtered = (await get('/api/studies?q=SECOND')).json() as { studies: { id: string }[] };
    expect(filtered.studies.map((s) => s.id)).toEqual([otherId]);
    const page = await get('/index.html');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`href="${otherId}/index.html"`);
    expect(page.body).toContain('id="live"');
  });

  it("serves a study's page with the static report's content and a live panel", async () => {
    const out = join(dir, 'report');
    const reader = await JsonFileRunStore.open(root, { readonly: true });
    const report = await renderReport(reader, { outDir: out, studyId });
    const { readFile } = await import('node:fs/promises');
    const staticHtml = await readFile(report.studyPaths[studyId], 'utf8');
    await waitForDrawnPage(app, studyId);
    const served = (await get(`/${studyId}/index.html`)).body;
    // The served page is the static page with the live panel and its scripts added, nothing else.
    const withoutLive = served
      .replace(/<section id="live"[\s\S]*?<\/section>\n/, '')
      .replace(/<script src="\/_assets\/[^"]+"><\/script>\n/g, '');
    expect(withoutLive).toBe(staticHtml);
    const compare = await get(`/${studyId}/compare.html`);
    expect(compare.statusCode).toBe(200);
    expect(compare.body).toBe(await readFile(join(out, studyId, 'compare.html'), 'utf8'));
    const trialLink = /href="(trials\/[^"]+\.html)"/.exec(staticHtml)![1];
    const trial = await get(`/${studyId}/${trialLink}`);
    expect(trial.statusCode).toBe(200);
    expect(trial.body).toBe(await readFile(join(out, studyId, trialLink), 'utf8'));
  });

  it('exports one row per evaluation with every metric named by its split, as CSV and JSON', async () => {
    const reader = await JsonFileRunStore.open(root, { readonly: true });
    const evaluations = await reader.listEvaluations(studyId);
    const csv = await get(`/api/studies/${studyId}/export.csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const rows = parse(csv.body, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(evaluations.length);
    const header = Object.keys(rows[0]);
    expect(header).toContain('test.f1');
    expect(header).toContain('test.confusion.tp');
    const metricColumns = header.filter((c) => /^(train|validation|test)\./.test(c));
    expect(metricColumns.length).toBeGreaterThan(5);
    expect(header.filter((c) => !/^(train|validation|test|params|scoring)\./.test(c))).toEqual([
      'study',
      'trial',
      'trial_number',
      'repeat',
      'seed',
      'status',
      'training_config_hash',
      'config_hash',
      'threshold',
      'uses_labels',
      'train_seconds',
    ]);
    const byId = new Map(evaluations.map((e) => [`${e.trialId}/${e.configHash}`, e]));
    for (const row of rows)
      expect(Number(row['test.f1'])).toBe(byId.get(`${row.trial}/${row.config_hash}`)!.metrics.test!.f1);
    const json = (await get(`/api/studies/${studyId}/export.json`)).json() as {
      rows: unknown[];
      columns: string[];
      unevaluated: { status: string }[];
    };
    expect(json.rows).toHaveLength(evaluations.length);
    expect(json.columns).toEqual(header);
    expect(json.unevaluated.map((t) => t.status)).toEqual(['failed']);
  });

  it('shows running trials from the live progress the sweep records, and no live data for other trials', async () => {
    const trials = await (await JsonFileRunStore.open(root, { readonly: true })).listTrials(studyId);
    const history = [{ epoch: 1, loss: 0.5, valLoss: 0.6, seconds: 0.1 }];
    // A finished trial in the file (a stale entry) is ignored: only records' running trials count.
    await writeLiveProgress(root, {
      studyId,
      updatedAt: '2030-01-01T00:00:00.000Z',
      sweeping: false,
      trials: { [trials[0].id]: { epochs: 9, history } },
    });
    const live = (await get(`/api/studies/${studyId}/live`)).json() as {
      runningTrials: unknown[];
      updatedAt: string;
      charts: { intermediate: object };
    };
    expect(live.runningTrials).toEqual([]);
    expect(live.updatedAt).toBe('2030-01-01T00:00:00.000Z');
    expect(live.charts.intermediate).toHaveProperty('data');
  });

  it("compares studies side by side with only the differing parameters and the winners' intervals", async () => {
    const response = await get(`/compare.html?studies=${studyId}&studies=${otherId}`);
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('first (');
    expect(response.body).toContain('second (');
    expect(response.body).toContain('95% CI');
    expect(response.body).toContain('id="fig-winners-ci"');
    expect(response.body).not.toMatch(/<tr><th scope="row">/); // every parameter row shown differs
  });

  describe('refuses what is not a study of the store, and reads nothing outside it', () => {
    const traversals = [
      '..',
      '../secret.txt',
      '..%2Fsecret.txt',
      '%2e%2e%2fsecret.txt',
      '%2e%2e',
      '..%252f..%252fsecret.txt',
      '....//secret.txt',
      '%00',
      's-x%2F..%2F..',
    ];
    const routes = (bad: string) => [
      `/${bad}/index.html`,
      `/${bad}/compare.html`,
      `/${bad}/trials/x.html`,
      `/STUDY/trials/${bad}`,
      `/STUDY/trials/..%2F..%2F..%2Fsecret.txt`,
      `/api/studies/${bad}/live`,
      `/api/studies/${bad}/export.csv`,
      `/api/studies/STUDY/export.${bad}`,
      `/compare.html?studies=${bad}`,
      `/_assets/${bad}`,
      `/${bad}`,
    ];

    it.each(traversals)('%s: a clean 4xx in every route', async (bad) => {
      for (const url of routes(bad).map((u) => u.replace('STUDY', studyId))) {
        const response = await raw(url);
        expect(response.statusCode, url).toBeGreaterThanOrEqual(400);
        expect(response.statusCode, url).toBeLessThan(500);
        expect(response.body, url).not.toContain(SECRET);
        expect(response.body, url).not.toContain('"stack"');
      }
    });

    it('an unknown study id is a 404 naming it', async () => {
      const unknown = 's-20990101-000000-beef';
      for (const url of [
        `/${unknown}/index.html`,
        `/api/studies/${unknown}/live`,
        `/api/studies/${unknown}/export.json`,
        `/compare.html?studies=${unknown}`,
      ]) {
        const response = await get(url);
        expect(response.statusCode, url).toBe(404);
        expect(response.json().error, url).toContain(unknown);
      }
    });

    it('a huge query string or path is a 4xx, over real HTTP too', async () => {
      expect((await get(`/api/studies?q=${'x'.repeat(5000)}`)).statusCode).toBe(400);
      expect((await get(`/compare.html?studies=${Array(50).fill(studyId).join(',')}`)).statusCode).toBe(400);
      expect((await get(`/api/studies/${'s-'.padEnd(3000, 'a')}/live`)).statusCode).toBe(414);
      const status = (await raw(`/api/studies?q=${'y'.repeat(100_000)}`)).statusCode;
      expect(status).toBe(431);
    });

    it('answers nothing but GET and HEAD: the store is read-only', async () => {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH'] as const) {
        const response = await app.inject({ method, url: `/api/studies/${studyId}/live` });
        expect(response.statusCode, method).toBe(404);
      }
    });
  });
});

describe('aelab serve: study state', () => {
  it(
    'running while the sweep says so and its writer lives; ' + 'interrupted once a writer left a trial running',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'aelab-serve-state-'));
      const root = join(dir, 'runs');
      const app = createServeApp({ store: root });
      try {
        const writer = await JsonFileRunStore.open(root, { fsync: false, now: fixedClock() });
        const study = await writer.createStudy({
          name: 'state',
          experimentPath: 'x.json',
          experiment: { sampler: { type: 'grid' } },
          experimentHash: 'h',
          gitCommit: null,
          dataset: 'synthetic-ecg',
          selection: { metric: 'f1', direction: 'maximize', split: 'validation' },
        });
        const trial = await writer.startTrial(study.id, {
          configHash: 'c',
          params: {},
          repeat: 0,
          seed: 1,
          environment: { backend: 'wasm', versions: {}, gitCommit: null },
          dataFingerprint: null,
        });
        const epochs = [
          { epoch: 1, loss: 0.5, valLoss: 0.6, seconds: 0.1 },
          { epoch: 2, loss: 0.4, valLoss: 0.5, seconds: 0.1 },
        ];
        await writeLiveProgress(root, {
          studyId: study.id,
          updatedAt: '2030-01-01T00:00:00.000Z',
          sweeping: true,
          trials: { [trial.id]: { epochs: 10, history: epochs } },
        });
        const live = (await app.inject({ url: `/api/studies/${study.id}/live` })).json() as {
          state: string;
          runningTrials: { number: number; epoch: number; epochs: number }[];
          sampler: string;
        };
        expect(live.state).toBe('running');
        expect(live.sampler).toBe('grid');
        expect(live.runningTrials).toEqual([{ id: trial.id, number: 0, epoch: 2, epochs: 10 }]);
        // The writer goes away without finishing its trial (as a killed sweep would).
        await writer.close();
        const after = (await app.inject({ url: '/api/studies' })).json() as { studies: { state: string }[] };
        expect(after.studies[0].state).toBe('interrupted');
      } finally {
        await app.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  /** One finished trial, no trial running, and the sweep's last word that it was sweeping: killed between trials. */
  async function killedBetweenTrials(root: string, lastWrite: string) {
    const writer = await JsonFileRunStore.open(root, { fsync: false, now: fixedClock() });
    const study = await writer.createStudy({
      name: 'between',
      experimentPath: 'x.json',
      experiment: { sampler: { type: 'grid' } },
      experimentHash: 'h',
      gitCommit: null,
      dataset: 'synthetic-ecg',
      selection: { metric: 'f1', direction: 'maximize', split: 'validation' },
    });
    const environment = { backend: 'wasm', versions: {}, gitCommit: null };
    const started = { configHash: 'c', params: {}, repeat: 0, seed: 1, environment, dataFingerprint: null };
    const trial = await writer.startTrial(study.id, started);
    const history = [{ epoch: 1, loss: 0.5, valLoss: 0.6, seconds: 0.1 }];
    const outcome = { status: 'complete', trainSeconds: 1, history, bestEpoch: 1, parameterCount: 10 } as const;
    await writer.finishTrial(trial.id, outcome);
    await writeLiveProgress(root, { studyId: study.id, updatedAt: lastWrite, sweeping: true, trials: {} });
    return { writer, studyId: study.id };
  }

  it('interrupted when its sweep was killed between trials: none running, no word that it ended', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aelab-serve-state-'));
    const root = join(dir, 'runs');
    const app = createServeApp({ store: root });
    try {
      const { writer, studyId } = await killedBetweenTrials(root, '2030-01-01T00:00:00.000Z');
      const state = async () =>
        ((await app.inject({ url: `/api/studies/${studyId}/live` })).json() as { state: string }).state;
      expect(await state()).toBe('running');
      // The writer's lock stays behind naming a process that is gone, as `kill -9` leaves it.
      await writer.close();
      const gone = { pid: 2 ** 22 + 1, hostname: hostname(), acquiredAt: '2026-01-01T00:00:00.000Z' };
      await writeFile(join(root, '.lock'), JSON.stringify(gone));
      expect(await state()).toBe('interrupted');
      await rm(join(root, '.lock'));
      expect(await state()).toBe('interrupted');
    } finally {
      await app.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('interrupted, not running, while another sweep holds the store: a lock younger than its progress', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aelab-serve-state-'));
    const root = join(dir, 'runs');
    const app = createServeApp({ store: root });
    try {
      const { writer, studyId } = await killedBetweenTrials(root, '2020-01-01T00:00:00.000Z');
      await writer.close();
      const next = await JsonFileRunStore.open(root, { fsync: false });
      try {
        const list = (await app.inject({ url: '/api/studies' })).json() as { studies: { id: string; state: string }[] };
        expect(list.studies.find((s) => s.id === studyId)?.state).toBe('interrupted');
      } finally {
        await next.close();
      }
    } finally {
      await app.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
