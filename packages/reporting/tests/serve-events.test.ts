import { mkdtemp, rm } from 'node:fs/promises';
import { get, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonFileRunStore, writeLiveProgress } from '@aelab/store';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { LiveFeeds } from '../src/server/live-feeds.js';
import { buildServeApp } from '../src/server/app.js';
import { rerenderDue, RERENDER_FACTOR, SWEEP_RERENDER_FACTOR } from '../src/server/served-store.js';
import { waitForDrawnPage } from './serve-helpers.js';
import { fixedClock, writeSyntheticStudy } from './synthetic-study.js';

/**
 * Open pages follow the live state as server-sent events: one message per change, built
 * once and written to every stream. The feeds' timers are set an hour apart, so that
 * nothing is looked at but where a test forces a look (`lookNow`), as a timer would.
 */

interface Message {
  event: string;
  id: string | null;
  data: string;
}

/** An event-stream client over real HTTP: the messages it has received so far, parsed. */
function follow(url: string, headers: Record<string, string> = {}) {
  const messages: Message[] = [];
  let response: IncomingMessage | null = null;
  let ended = false;
  const opened = new Promise<IncomingMessage>((done, fail) => {
    const request = get(url, { headers: { accept: 'text/event-stream', ...headers } }, (answer) => {
      response = answer;
      let buffer = '';
      answer.setEncoding('utf8');
      answer.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const lines = buffer.slice(0, end).split('\n');
          buffer = buffer.slice(end + 2);
          const field = (name: string) => lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
          const data = field('data');
          if (data !== undefined) messages.push({ event: field('event') ?? 'message', id: field('id') ?? null, data });
        }
      });
      answer.on('end', () => (ended = true));
      done(answer);
    });
    request.on('error', fail);
  });
  return {
    opened,
    messages,
    get ended() {
      return ended;
    },
    close: () => response?.destroy(),
  };
}

describe('aelab serve: live state as server-sent events', () => {
  let dir: string;
  let root: string;
  let app: FastifyInstance;
  let feeds: LiveFeeds;
  let base: string;
  let studyId: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aelab-serve-events-'));
    root = join(dir, 'runs');
    const store = await JsonFileRunStore.open(root, { fsync: false, now: fixedClock() });
    studyId = await writeSyntheticStudy(store, { name: 'followed', families: ['dense'], repeats: 1 });
    await store.close();
    ({ app, feeds } = buildServeApp({ store: root, pollMs: 3_600_000 }));
    // Drawn first: a page rendered meanwhile would be a change of the live state of its own.
    await waitForDrawnPage(app, studyId);
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const progress = (updatedAt: string) => writeLiveProgress(root, { studyId, updatedAt, sweeping: false, trials: {} });

  it('one change is one serialisation and one message, written to each of 50 streams', async () => {
    await progress('2030-01-01T00:00:00.000Z');
    const stringify = vi.spyOn(JSON, 'stringify');
    onTestFinished(() => stringify.mockRestore());
    const liveStates = () =>
      stringify.mock.calls.filter(([value]) => value !== null && typeof value === 'object' && 'runningTrials' in value);
    const built = feeds.messagesBuilt;
    const clients = Array.from({ length: 50 }, () => follow(`${base}/api/studies/${studyId}/live`));
    onTestFinished(() => clients.forEach((c) => c.close()));
    for (const client of clients) {
      const response = await client.opened;
      expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
    }
    await vi.waitFor(() => expect(clients.every((c) => c.messages.length === 1)).toBe(true), { timeout: 30_000 });
    expect(feeds.streams).toBe(50);
    expect(new Set(clients.map((c) => c.messages[0].data)).size).toBe(1);
    expect(JSON.parse(clients[0].messages[0].data).updatedAt).toBe('2030-01-01T00:00:00.000Z');
    expect(feeds.messagesBuilt - built).toBe(1);
    expect(liveStates()).toHaveLength(1);

    await progress('2030-01-02T00:00:00.000Z');
    await feeds.lookNow();
    await vi.waitFor(() => expect(clients.every((c) => c.messages.length === 2)).toBe(true), { timeout: 30_000 });
    expect(clients.every((c) => JSON.parse(c.messages[1].data).updatedAt === '2030-01-02T00:00:00.000Z')).toBe(true);
    expect(clients.every((c) => c.messages[1].id !== c.messages[0].id)).toBe(true);
    expect(feeds.messagesBuilt - built).toBe(2);
    expect(liveStates()).toHaveLength(2);

    // Nothing changed: looks build and write nothing.
    const written = feeds.messagesWritten;
    await feeds.lookNow();
    await feeds.lookNow();
    expect(feeds.messagesWritten).toBe(written);
    expect(feeds.messagesBuilt - built).toBe(2);
    expect(liveStates()).toHaveLength(2);
  });

  it('a stream that comes back with the current Last-Event-ID gets nothing until the state changes', async () => {
    const first = follow(`${base}/api/studies/${studyId}/live`);
    onTestFinished(() => void first.close());
    await vi.waitFor(() => expect(first.messages).toHaveLength(1), { timeout: 30_000 });
    const id = first.messages[0].id!;
    expect(id).toMatch(/^"[^"]+"$/);
    first.close();
    const written = feeds.messagesWritten;
    const again = follow(`${base}/api/studies/${studyId}/live`, { 'last-event-id': id });
    onTestFinished(() => void again.close());
    await again.opened;
    await feeds.lookNow();
    expect(feeds.messagesWritten).toBe(written);
    await progress('2030-02-01T00:00:00.000Z');
    await feeds.lookNow();
    await vi.waitFor(() => expect(again.messages).toHaveLength(1), { timeout: 30_000 });
    expect(JSON.parse(again.messages[0].data).updatedAt).toBe('2030-02-01T00:00:00.000Z');
  });

  it('the study list is followed the same way; a poll of it is still answered once', async () => {
    const list = follow(`${base}/api/studies`);
    onTestFinished(() => void list.close());
    await vi.waitFor(() => expect(list.messages).toHaveLength(1), { timeout: 30_000 });
    expect(JSON.parse(list.messages[0].data).studies.map((s: { id: string }) => s.id)).toEqual([studyId]);
    const polled = await app.inject({ url: '/api/studies' });
    expect(polled.headers['content-type']).toMatch(/^application\/json/);
    expect(polled.body).toBe(list.messages[0].data);
  });

  it('a bad or unknown study is a 4xx before any stream opens', async () => {
    const headers = { accept: 'text/event-stream' };
    const bad = await app.inject({ url: '/api/studies/not-a-study/live', headers });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ error: expect.stringContaining('not a study id') });
    const unknown = await app.inject({ url: '/api/studies/s-20990101-000000-0000/live', headers });
    expect(unknown.statusCode).toBe(404);
    const long = await app.inject({ url: `/api/studies?q=${'x'.repeat(300)}`, headers });
    expect(long.statusCode).toBe(400);
  });

  it('past maxStreams, a stream is refused with a 503 naming the bound; polls are still answered', async () => {
    const { app: other, feeds: otherFeeds } = buildServeApp({ store: root, pollMs: 3_600_000, maxStreams: 2 });
    onTestFinished(() => other.close());
    await other.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(other.server.address() as AddressInfo).port}/api/studies/${studyId}/live`;
    const open = [follow(url), follow(url)];
    onTestFinished(() => open.forEach((c) => c.close()));
    await vi.waitFor(() => expect(open.every((c) => c.messages.length === 1)).toBe(true), { timeout: 30_000 });
    expect(otherFeeds.streams).toBe(2);
    const refused = await other.inject({
      url: `/api/studies/${studyId}/live`,
      headers: { accept: 'text/event-stream' },
    });
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toEqual({ error: expect.stringContaining('2 event streams are open') });
    expect((await other.inject({ url: `/api/studies/${studyId}/live` })).statusCode).toBe(200);
    expect(() => buildServeApp({ store: root, maxStreams: -1 })).toThrow(
      'serve: maxStreams must be a non-negative integer, got -1',
    );
  });

  it('closing the server ends every open stream', async () => {
    const { app: other, feeds: otherFeeds } = buildServeApp({ store: root, pollMs: 3_600_000 });
    await other.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(other.server.address() as AddressInfo).port}/api/studies/${studyId}/live`;
    const clients = [follow(url), follow(url)];
    await vi.waitFor(() => expect(clients.every((c) => c.messages.length === 1)).toBe(true), { timeout: 30_000 });
    await other.close();
    await vi.waitFor(() => expect(clients.every((c) => c.ended)).toBe(true), { timeout: 30_000 });
    expect(otherFeeds.streams).toBe(0);
  });
});

describe('aelab serve: renders while a sweep writes', () => {
  it('renders a running study at most every sweepRenderMs, however many changes; at its end, at once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aelab-serve-sweeping-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const root = join(dir, 'runs');
    const store = await JsonFileRunStore.open(root, { fsync: false, now: fixedClock() });
    const id = await writeSyntheticStudy(store, { name: 'sweeping', families: ['dense'], repeats: 1 });
    await store.close();
    const { app, served } = buildServeApp({ store: root, sweepRenderMs: 3_600_000 });
    onTestFinished(() => app.close());
    await waitForDrawnPage(app, id);
    const renders = served.renderCount;
    const live = async () =>
      (await app.inject({ url: `/api/studies/${id}/live` })).json() as {
        state: string;
        version: string;
        pageVersion: string;
      };
    const drawn = (await live()).pageVersion;
    // The sweep holds the store's writer lock (this live process) and says it is sweeping.
    const writer = await JsonFileRunStore.open(root, { fsync: false, now: fixedClock(Date.UTC(2026, 0, 1)) });
    onTestFinished(() => writer.close());
    const sweepSays = (sweeping: boolean) =>
      writeLiveProgress(root, { studyId: id, updatedAt: '2030-01-01T00:00:00.000Z', sweeping, trials: {} });
    await sweepSays(true);
    const environment = { backend: 'wasm', versions: {}, gitCommit: null };
    const start = (n: number) =>
      writer.startTrial(id, {
        configHash: `new-${n}`,
        params: {},
        repeat: 0,
        seed: n,
        environment,
        dataFingerprint: null,
      });
    // A minute after the last rendering (the clock moved, not waited for): far past what RERENDER_FACTOR asks.
    vi.useFakeTimers({ toFake: ['Date'] });
    onTestFinished(() => void vi.useRealTimers());
    vi.setSystemTime(Date.now() + 60_000);
    for (let n = 0; n < 3; n++) {
      await start(n);
      for (let poll = 0; poll < 5; poll++) expect((await live()).state).toBe('running');
    }
    const changed = await live();
    expect(changed.version).not.toBe(drawn);
    expect(changed.pageVersion).toBe(drawn);
    expect(served.renderCount).toBe(renders);
    // Past the sweep's interval: one render, of the newest version.
    vi.setSystemTime(Date.now() + 3_600_000);
    await expect.poll(async () => (await live()).pageVersion, { timeout: 60_000, interval: 50 }).toBe(changed.version);
    expect(served.renderCount).toBe(renders + 1);
    // The sweep ends: its last change is rendered without waiting for the interval.
    await start(3);
    await sweepSays(false);
    await writer.close();
    const ended = await live();
    expect(ended.state).not.toBe('running');
    await expect.poll(async () => (await live()).pageVersion, { timeout: 60_000, interval: 50 }).toBe(ended.version);
    expect(served.renderCount).toBe(renders + 2);
  }, 120_000);

  it('rerenderDue: RERENDER_FACTOR times the render time; while a sweep runs, sweepRenderMs and 20 times it', () => {
    const last = { finishedAt: 1_000_000, seconds: 0.1 };
    const after = (ms: number, sweeping: boolean) => rerenderDue(last, last.finishedAt + ms, sweeping, 10_000);
    expect(after(100 * RERENDER_FACTOR - 1, false)).toBe(false);
    expect(after(100 * RERENDER_FACTOR, false)).toBe(true);
    expect(after(9_999, true)).toBe(false);
    expect(after(10_000, true)).toBe(true);
    // A render of seconds (a study of thousands of trials): a twentieth of a core while the sweep runs.
    const slow = { finishedAt: 0, seconds: 3 };
    expect(SWEEP_RERENDER_FACTOR).toBe(20);
    expect(rerenderDue(slow, 3000 * RERENDER_FACTOR, false, 10_000)).toBe(true);
    expect(rerenderDue(slow, 3000 * SWEEP_RERENDER_FACTOR - 1, true, 10_000)).toBe(false);
    expect(rerenderDue(slow, 3000 * SWEEP_RERENDER_FACTOR, true, 10_000)).toBe(true);
  });
});

/** A response as `LiveFeeds` uses it: what was written, in order. */
function fakeResponse() {
  const written: string[] = [];
  const listeners = new Map<string, () => void>();
  const response = {
    writableNeedDrain: false,
    writableEnded: false,
    destroyed: false,
    writeHead: () => response,
    write: (chunk: string | Buffer) => written.push(String(chunk)),
    end: () => ((response.writableEnded = true), listeners.get('close')?.()),
    once: (event: string, listener: () => void) => listeners.set(event, listener),
  };
  return { response, written, asResponse: response as unknown as ServerResponse };
}

describe('LiveFeeds', () => {
  it('a failed look is one failure event; the next answer goes to every stream again', async () => {
    const feeds = new LiveFeeds(3_600_000);
    onTestFinished(() => feeds.close());
    let answer: { etag: string; body: string } | Error = { etag: '"a"', body: '{"n":1}' };
    const source = async () => {
      if (answer instanceof Error) throw answer;
      return answer;
    };
    const client = fakeResponse();
    await feeds.open('k', source, client.asResponse);
    expect(client.written.slice(1)).toEqual(['id: "a"\ndata: {"n":1}\n\n']);
    answer = new Error('the study folder is gone');
    await feeds.lookNow();
    await feeds.lookNow();
    expect(client.written.slice(2)).toEqual(['event: failure\ndata: {"error":"the study folder is gone"}\n\n']);
    answer = { etag: '"a"', body: '{"n":1}' };
    await feeds.lookNow();
    expect(client.written.slice(3)).toEqual(['id: "a"\ndata: {"n":1}\n\n']);
  });

  it('a stream that has had nothing for heartbeatMs gets a comment line, so a dead connection shows', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    onTestFinished(() => void vi.useRealTimers());
    const feeds = new LiveFeeds(3_600_000, 10, 15_000);
    onTestFinished(() => feeds.close());
    const client = fakeResponse();
    await feeds.open('k', async () => ({ etag: '"a"', body: '{}' }), client.asResponse);
    vi.setSystemTime(Date.now() + 14_999);
    await feeds.lookNow();
    expect(client.written).toHaveLength(2);
    vi.setSystemTime(Date.now() + 1);
    await feeds.lookNow();
    expect(client.written.slice(2)).toEqual([':\n\n']);
  });

  it('a stream whose socket has not taken the last message skips states, then gets the newest', async () => {
    const feeds = new LiveFeeds(3_600_000);
    onTestFinished(() => feeds.close());
    let n = 1;
    const source = async () => ({ etag: `"${n}"`, body: `{"n":${n}}` });
    const client = fakeResponse();
    await feeds.open('k', source, client.asResponse);
    client.response.writableNeedDrain = true;
    for (n = 2; n <= 4; n++) await feeds.lookNow();
    n = 4;
    expect(client.written).toHaveLength(2);
    client.response.writableNeedDrain = false;
    await feeds.lookNow();
    expect(client.written.slice(2)).toEqual(['id: "4"\ndata: {"n":4}\n\n']);
    expect(feeds.messagesBuilt).toBe(4);
    expect(feeds.messagesWritten).toBe(2);
  });
});
