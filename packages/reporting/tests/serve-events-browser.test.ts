import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonFileRunStore, writeLiveProgress } from '@aelab/store';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServeApp } from '../src/server/app.js';
import type { LiveFeeds } from '../src/server/live-feeds.js';
import { waitForDrawnPage } from './serve-helpers.js';
import { fixedClock, writeSyntheticStudy } from './synthetic-study.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`[reporting] serve event-stream browser test skipped: ${CHROMIUM} not found`);

/** Liveness guard for every wait, not a time the test expects: CI machines are shared and loaded. */
const PATIENCE = 60_000;

/**
 * The study page in Chromium follows its live state as an event stream: updated in place
 * on each message, its stream closed while paused or out of sight and opened again after.
 * The feeds' timers are an hour apart: a message comes only where the test forces a look.
 */
describe.skipIf(!hasChromium)('aelab serve: a page follows its event stream in Chromium', () => {
  let dir: string;
  let root: string;
  let studyId: string;
  let app: FastifyInstance;
  let feeds: LiveFeeds;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aelab-serve-events-browser-'));
    root = join(dir, 'runs');
    const store = await JsonFileRunStore.open(root, { fsync: false, now: fixedClock() });
    studyId = await writeSyntheticStudy(store, { name: 'watched', families: ['dense'], repeats: 1 });
    await store.close();
    ({ app, feeds } = buildServeApp({ store: root, pollMs: 3_600_000 }));
    await waitForDrawnPage(app, studyId);
    await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    page = await browser.newPage();
    page.on('pageerror', (e) => problems.push(e.message));
    const port = (app.server.address() as AddressInfo).port;
    await page.goto(`http://127.0.0.1:${port}/${studyId}/index.html`);
  }, PATIENCE * 2);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const updated = () => page.locator('#live-updated').textContent();
  const progress = (updatedAt: string) => writeLiveProgress(root, { studyId, updatedAt, sweeping: false, trials: {} });
  const streams = () => feeds.streams;

  it('gets each new state over its stream and shows its time', async () => {
    await expect.poll(streams, { timeout: PATIENCE }).toBe(1);
    expect(
      await page.evaluate(() => (globalThis as unknown as { aelabLive: { transport: string } }).aelabLive.transport),
    ).toBe('events');
    await progress('2031-03-04T05:06:07.000Z');
    await feeds.lookNow();
    await expect.poll(updated, { timeout: PATIENCE }).toBe('2031-03-04T05:06:07.000Z');
    expect(problems).toEqual([]);
  });

  it('paused, the page closes its stream; on again, it opens one and shows the state it missed', async () => {
    await page.click('#live-toggle');
    expect(await page.locator('#live-toggle').textContent()).toBe('Live: paused');
    await expect.poll(streams, { timeout: PATIENCE }).toBe(0);
    await progress('2031-03-05T00:00:00.000Z');
    await feeds.lookNow();
    expect(await updated()).toBe('2031-03-04T05:06:07.000Z');
    await page.click('#live-toggle');
    expect(await page.locator('#live-toggle').textContent()).toBe('Live: on');
    await expect.poll(updated, { timeout: PATIENCE }).toBe('2031-03-05T00:00:00.000Z');
    expect(streams()).toBe(1);
  });

  it('out of sight, the page gives its connection back; shown again, it follows again', async () => {
    const visibility = (hidden: boolean) =>
      page.evaluate((value) => {
        const { document } = globalThis as unknown as { document: EventTarget };
        Object.defineProperty(document, 'hidden', { value, configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      }, hidden);
    await visibility(true);
    await expect.poll(streams, { timeout: PATIENCE }).toBe(0);
    await progress('2031-03-06T00:00:00.000Z');
    await visibility(false);
    await expect.poll(updated, { timeout: PATIENCE }).toBe('2031-03-06T00:00:00.000Z');
    expect(streams()).toBe(1);
    expect(problems).toEqual([]);
  });
});

describe.skipIf(!hasChromium)('aelab serve: a page refused its event stream polls', () => {
  it(
    'falls back to polls when the server keeps no more streams, and shows the state',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'aelab-serve-polls-browser-'));
      const root = join(dir, 'runs');
      const store = await JsonFileRunStore.open(root, { fsync: false, now: fixedClock() });
      const studyId = await writeSyntheticStudy(store, { name: 'polled', families: ['dense'], repeats: 1 });
      await store.close();
      await writeLiveProgress(root, { studyId, updatedAt: '2032-01-01T00:00:00.000Z', sweeping: false, trials: {} });
      const { app } = buildServeApp({ store: root, pollMs: 3_600_000, maxStreams: 0 });
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox'] });
      try {
        await waitForDrawnPage(app, studyId);
        await app.listen({ host: '127.0.0.1', port: 0 });
        const page = await browser.newPage();
        const problems: string[] = [];
        page.on('pageerror', (e) => problems.push(e.message));
        await page.goto(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/${studyId}/index.html`);
        const transport = () =>
          page.evaluate(() => (globalThis as unknown as { aelabLive: { transport: string } }).aelabLive.transport);
        await expect.poll(transport, { timeout: PATIENCE }).toBe('polls');
        await expect
          .poll(() => page.locator('#live-updated').textContent(), { timeout: PATIENCE })
          .toBe('2032-01-01T00:00:00.000Z');
        await expect.poll(() => page.locator('#live-error').textContent(), { timeout: PATIENCE }).toBe('');
        expect(problems).toEqual([]);
      } finally {
        await browser.close();
        await app.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
    PATIENCE * 2,
  );
});
