import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { JsonFileRunStore, writeLiveProgress } from '@aelab/store';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { createServeApp, serve } from '../src/index.js';
import type { TopLevelSpec } from 'vega-lite';
import { chartView } from '../src/pages/page.js';
import { coalesced } from '../src/server/snapshots.js';
import { waitForDrawnPage } from './serve-helpers.js';
import { fixedClock, writeSyntheticStudy } from './synthetic-study.js';

/** What keeps `aelab serve` cheap under many clients: shared looks, 304s, renders never waited on twice. */

describe('coalesced store looks', () => {
  it('callers arriving while a look is in flight share it; a later caller makes a new one', async () => {
    let looks = 0;
    let finish = (_: number) => {};
    const look = coalesced(() => new Promise<number>((done) => ((looks += 1), (finish = done))));
    const clients = Array.from({ length: 50 }, () => look());
    expect(looks).toBe(1);
    finish(7);
    expect(await Promise.all(clients)).toEqual(Array(50).fill(7));
    const later = look();
    expect(looks).toBe(2);
    finish(8);
    expect(await later).toBe(8);
  });

  it('with reuseMs, a look that succeeded answers every caller until that long after it, then a new look', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    onTestFinished(() => void vi.useRealTimers());
    let looks = 0;
    const look = coalesced(async () => (looks += 1), 250);
    expect(await look()).toBe(1);
    vi.setSystemTime(Date.now() + 249);
    expect(await Promise.all([look(), look()])).toEqual([1, 1]);
    vi.setSystemTime(Date.now() + 1);
    expect(await look()).toBe(2);
    expect(looks).toBe(2);
  });

  it('a failed look is not kept: the next caller looks again', async () => {
    let looks = 0;
    const look = coalesced(async () => {
      looks += 1;
      if (looks === 1) throw new Error('torn');
      return looks;
    });
    await expect(look()).rejects.toThrow('torn');
    await expect(look()).resolves.toBe(2);
  });
});

describe('charts drawn once', () => {
  it('a study page rendered again draws only the charts whose spec changed', async () => {
    const spec = (n: number) =>
      ({ mark: 'point', data: { values: [{ x: n, y: 1 }] }, encoding: { x: { field: 'x' } } }) as TopLevelSpec;
    const first = await chartView('drawn-once', 'A chart', () => spec(1));
    const again = await chartView('drawn-once', 'A chart', () => spec(1));
    expect(again.chart).toBe(first.chart);
    const changed = await chartView('drawn-once', 'A chart', () => spec(2));
    expect(changed.chart).not.toBe(first.chart);
    expect(changed.chart!.svg).not.toBe(first.chart!.svg);
    // The same spec under another id is another chart (its SVG ids carry the chart's id).
    expect((await chartView('drawn-twice', 'A chart', () => spec(1))).chart!.id).toBe('drawn-twice');
  });
});

describe('aelab serve: ETags, 304 and renders', () => {
  let dir: string;
  let root: string;
  let app: FastifyInstance;
  let studyId: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aelab-serve-cache-'));
    root = join(dir, 'runs');
    const store = await JsonFileRunStore.open(root, { fsync: false, now: fixedClock() });
    studyId = await writeSyntheticStudy(store, { name: 'cached', families: ['dense'], repeats: 2 });
    await store.close();
    app = createServeApp({ store: root });
    await waitForDrawnPage(app, studyId);
  });

  afterAll(async () => {
    await app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const get = (url: string, etag?: string) =>
    app.inject({ method: 'GET', url, headers: etag ? { 'if-none-match': etag } : {} });

  it('answers a poll that has the current live state, study list or page with a bodiless 304', async () => {
    // The page first: its rendering is part of the live state (pageVersion).
    for (const url of [`/${studyId}/index.html`, `/api/studies/${studyId}/live`, '/api/studies', '/index.html']) {
      const first = await get(url);
      expect(first.statusCode, url).toBe(200);
      const etag = first.headers.etag as string;
      expect(etag, url).toMatch(/^"[^"]+"$/);
      expect(first.headers['cache-control'], url).toBe('no-cache');
      const again = await get(url, etag);
      expect(again.statusCode, url).toBe(304);
      expect(again.body, url).toBe('');
      expect((await get(url, '"another"')).statusCode, url).toBe(200);
    }
  });

  it('sends the study page gzipped to a client that takes gzip, as a representation with its own tag', async () => {
    const url = `/${studyId}/index.html`;
    const plain = await get(url);
    const zipped = await app.inject({ method: 'GET', url, headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toBe('accept-encoding');
    expect(gunzipSync(zipped.rawPayload).toString()).toBe(plain.body);
    expect(zipped.headers.etag).not.toBe(plain.headers.etag);
    const headers = { 'accept-encoding': 'gzip', 'if-none-match': zipped.headers.etag as string };
    const again = await app.inject({ method: 'GET', url, headers });
    expect(again.statusCode).toBe(304);
    const refused = await app.inject({ method: 'GET', url, headers: { 'accept-encoding': 'gzip;q=0, identity' } });
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(refused.body).toBe(plain.body);
  });

  it('serialises the study list once per change, however many clients poll it', async () => {
    await writeLiveProgress(root, { studyId, updatedAt: '2030-06-01T00:00:00.000Z', sweeping: false, trials: {} });
    const stringify = vi.spyOn(JSON, 'stringify');
    onTestFinished(() => stringify.mockRestore());
    const lists = () =>
      stringify.mock.calls.filter(([value]) => value !== null && typeof value === 'object' && 'studies' in value);
    const together = await Promise.all(Array.from({ length: 50 }, () => get('/api/studies')));
    const after = [];
    for (let i = 0; i < 50; i++) after.push(await get('/api/studies'));
    const bodies = new Set([...together, ...after].map((answer) => answer.body));
    expect(bodies.size).toBe(1);
    expect(JSON.parse([...bodies][0]).updatedAt).toBe('2030-06-01T00:00:00.000Z');
    expect(lists()).toHaveLength(1);
  });

  it('a change of the live progress is a new tag and a new body', async () => {
    const url = `/api/studies/${studyId}/live`;
    const before = await get(url);
    await writeLiveProgress(root, { studyId, updatedAt: '2031-01-01T00:00:00.000Z', sweeping: false, trials: {} });
    const after = await get(url, before.headers.etag as string);
    expect(after.statusCode).toBe(200);
    expect(after.headers.etag).not.toBe(before.headers.etag);
    expect((after.json() as { updatedAt: string }).updatedAt).toBe('2031-01-01T00:00:00.000Z');
  });

  it('once rendered, a changed study is answered from its last rendering while the next renders', async () => {
    const version = (html: string) => /id="live"[^>]*data-version="([^"]*)"/.exec(html)?.[1];
    const old = version((await get(`/${studyId}/index.html`)).body);
    expect(old).toBeTruthy();
    // Long after that rendering (the clock moved, not waited for): the re-render throttle does not hold the page back.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 3_600_000);
    onTestFinished(() => void vi.useRealTimers());
    const writer = await JsonFileRunStore.open(root, { fsync: false, now: fixedClock(Date.UTC(2026, 0, 1)) });
    const environment = { backend: 'wasm', versions: {}, gitCommit: null };
    const trial = { configHash: 'new', params: {}, repeat: 0, seed: 9, environment, dataFingerprint: null };
    await writer.startTrial(studyId, trial);
    await writer.close();
    // The study list tells the study's version without asking for a render.
    const list = (await get('/api/studies')).json() as { studies: { id: string; version: string }[] };
    const now = list.studies.find((s) => s.id === studyId)!.version;
    expect(now).not.toBe(old);
    // No waiting: the request finds the previous rendering and starts the next in the background.
    expect(version((await get(`/${studyId}/index.html`)).body)).toBe(old);
    const live = async () =>
      (await get(`/api/studies/${studyId}/live`)).json() as { version: string; pageVersion: string };
    // Polls (as an open page makes them) see the new rendering once it is made.
    await expect.poll(async () => (await live()).pageVersion, { timeout: 60_000, interval: 200 }).toBe(now);
    expect(version((await get(`/${studyId}/index.html`)).body)).toBe(now);
  });

  it("a study created beside it leaves a study's version, so its page is not rendered again", async () => {
    const versions = async () => {
      const list = (await get('/api/studies')).json() as { studies: { id: string; version: string }[] };
      return new Map(list.studies.map((s) => [s.id, s.version]));
    };
    const before = await versions();
    const writer = await JsonFileRunStore.open(root, { fsync: false, now: fixedClock(Date.UTC(2027, 0, 1)) });
    const other = await writeSyntheticStudy(writer, { name: 'beside', families: ['dense'], repeats: 1, seed: 11 });
    await writer.close();
    const after = await versions();
    expect(after.has(other)).toBe(true);
    expect(after.get(studyId)).toBe(before.get(studyId));
  });
});

describe('aelab serve: warm start', () => {
  it("renders every study's page in the background once it listens, before any page is asked for", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aelab-serve-warm-'));
    const root = join(dir, 'runs');
    const store = await JsonFileRunStore.open(root, { fsync: false, now: fixedClock() });
    const ids = [
      await writeSyntheticStudy(store, { name: 'one', families: ['dense'], repeats: 1 }),
      await writeSyntheticStudy(store, { name: 'two', families: ['dense'], repeats: 1, seed: 3 }),
    ];
    await store.close();
    const { app, warmed } = await serve({ store: root, port: 0 });
    try {
      expect(await warmed).toBe(2);
      for (const id of ids) {
        const response = await app.inject({ url: `/api/studies/${id}/live` });
        const live = response.json() as { version: string; pageVersion: string | null };
        expect(live.pageVersion).toBe(live.version);
      }
    } finally {
      await app.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
