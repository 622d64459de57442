import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonFileRunStore } from '@aelab/store';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServeApp, serve } from '../src/index.js';
import { RenderSlot } from '../src/server/render-slot.js';
import { PENDING_CHARTS } from '../src/server/served-store.js';
import type { FilledOptions } from '../src/options.js';
import type { StudyView } from '../src/study-view.js';
import { fixedClock, writeSyntheticStudy } from './synthetic-study.js';

/**
 * The injected point: every study page's charts wait until the test lets that study's
 * through, so a request can be made while a full rendering is certainly not done.
 */
const gates = vi.hoisted(() => {
  const open = new Map<string, () => void>();
  const waiting = new Map<string, Promise<void>>();
  const started: string[] = [];
  return {
    started,
    wait(id: string): Promise<void> {
      started.push(id);
      if (!waiting.has(id)) waiting.set(id, new Promise<void>((go) => open.set(id, go)));
      return waiting.get(id)!;
    },
    release(id: string): void {
      if (!waiting.has(id)) waiting.set(id, Promise.resolve());
      open.get(id)?.();
    },
  };
});

vi.mock('../src/pages/study-charts.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/pages/study-charts.js')>();
  return {
    ...original,
    studyCharts: async (view: StudyView, options: FilledOptions) => {
      await gates.wait(view.study.id);
      if (view.study.name === 'broken') throw new Error('the charts broke');
      return original.studyCharts(view, options);
    },
  };
});

const version = (html: string) => /id="live"[^>]*data-version="([^"]*)"/.exec(html)?.[1];
const leaderboard = (html: string) => /<table class="data sortable" id="leaderboard">[\s\S]*?<\/table>/.exec(html)?.[0];

describe('aelab serve: the first answer, before the charts are drawn', () => {
  let dir: string;
  let root: string;
  const ids: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aelab-serve-first-'));
    root = join(dir, 'runs');
    const store = await JsonFileRunStore.open(root, { fsync: false, now: fixedClock() });
    for (const [i, name] of ['oldest', 'middle', 'newest'].entries())
      ids.push(await writeSyntheticStudy(store, { name, families: ['dense', 'lstm'], repeats: 2, seed: 3 + i }));
    await store.close();
  });

  afterAll(async () => {
    for (const id of ids) gates.release(id);
    await rm(dir, { recursive: true, force: true });
  });

  it('is a 200 with the whole leaderboard and no charts; the page takes its charts once drawn', async () => {
    const app = createServeApp({ store: root });
    try {
      const id = ids[0];
      const first = await app.inject({ url: `/${id}/index.html` });
      expect(first.statusCode).toBe(200);
      expect(first.body).toContain(PENDING_CHARTS);
      expect(first.body).not.toContain('<svg');
      expect(version(first.body)).toMatch(/^without-charts:/);
      const live = async () => (await app.inject({ url: `/api/studies/${id}/live` })).json() as LiveVersions;
      // Nothing to swap in yet: the page keeps what it shows.
      expect((await live()).pageVersion).toBeNull();
      // The full rendering is under way, held at the gate.
      await expect.poll(() => gates.started, { timeout: 60_000 }).toContain(id);
      expect((await live()).pageVersion).toBeNull();

      gates.release(id);
      await expect.poll(async () => (await live()).pageVersion, { timeout: 60_000 }).toBeTruthy();
      const full = await app.inject({ url: `/${id}/index.html` });
      expect(version(full.body)).toBe((await live()).version);
      expect(full.body).not.toContain(PENDING_CHARTS);
      expect(full.body).toContain('<svg');
      // The study's trials table is there from the first answer, the same as in the full page.
      expect(leaderboard(first.body)).toBeTruthy();
      expect(leaderboard(first.body)).toBe(leaderboard(full.body));
    } finally {
      await app.close();
    }
  });

  it('a study asked for during the warm-up is drawn before the studies still to warm', async () => {
    const [oldest, middle, newest] = ids;
    gates.started.length = 0;
    const { app, warmed } = await serve({ store: root, port: 0 });
    try {
      // The warm-up draws the newest study first (held at the gate), the others after it.
      await expect.poll(() => gates.started, { timeout: 60_000 }).toContain(newest);
      const asked = await app.inject({ url: `/${middle}/index.html` });
      expect(asked.statusCode).toBe(200);
      expect(version(asked.body)).toMatch(/^without-charts:/);
      gates.release(newest);
      await expect.poll(() => gates.started.length, { timeout: 60_000 }).toBe(2);
      expect(gates.started).toEqual([newest, middle]);
      gates.release(middle);
      expect(await warmed).toBe(3);
      expect(gates.started).toEqual([newest, middle, oldest]);
    } finally {
      await app.close();
    }
  });
});

type LiveVersions = { version: string; pageVersion: string | null };

describe('aelab serve: a study whose charts fail', () => {
  it('is the page without charts, then a 500 naming the error, not rendered again per poll', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aelab-serve-broken-'));
    const root = join(dir, 'runs');
    const store = await JsonFileRunStore.open(root, { fsync: false, now: fixedClock() });
    const id = await writeSyntheticStudy(store, { name: 'broken', families: ['dense'], repeats: 1 });
    await store.close();
    gates.release(id);
    const app = createServeApp({ store: root });
    try {
      expect((await app.inject({ url: `/${id}/index.html` })).statusCode).toBe(200);
      const page = () => app.inject({ url: `/${id}/index.html` });
      await expect.poll(async () => (await page()).statusCode, { timeout: 60_000 }).toBe(500);
      expect((await page()).json()).toEqual({ error: 'internal error: the charts broke' });
      const tries = gates.started.filter((s) => s === id).length;
      for (let i = 0; i < 5; i++) expect((await app.inject({ url: `/api/studies/${id}/live` })).statusCode).toBe(200);
      await page();
      expect(gates.started.filter((s) => s === id)).toHaveLength(tries);
      expect(tries).toBe(1);
    } finally {
      await app.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('RenderSlot', () => {
  it('runs one at a time, urgent work before waiting background work', async () => {
    const slot = new RenderSlot();
    const order: string[] = [];
    let started = () => {};
    const running = new Promise<void>((go) => (started = go));
    let finishFirst = () => {};
    const first = slot.run(false, () => {
      started();
      return new Promise<void>((done) => (finishFirst = done)).then(() => void order.push('a'));
    });
    const background = slot.run(false, async () => void order.push('b'));
    const urgent = slot.run(true, async () => void order.push('urgent'));
    await running;
    expect(slot.waiting).toBe(2);
    finishFirst();
    await Promise.all([first, background, urgent]);
    expect(order).toEqual(['a', 'urgent', 'b']);
    expect(slot.waiting).toBe(0);
  });
});
