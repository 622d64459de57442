/**
 * Server-sent events for the answers open pages follow (a study's live state, the study
 * list), so that fifty open pages cost what one does. Each followed answer (a feed) is
 * asked for once per interval, whatever the number of its streams; when its tag changed,
 * its message is built once, as bytes, and the same bytes are written to every stream.
 * A poll, by contrast, costs a whole HTTP request per page per interval.
 *
 * Written on Node's response stream (Fastify's raw reply) rather than with better-sse: its
 * channels push to each session in turn, serialising and sanitising the data per session,
 * where the point here is one message for all; the wire format itself is three lines.
 */
import type { ServerResponse } from 'node:http';
import type { Tagged } from './served-store.js';

/** The answer a feed follows: equal tags mean equal bodies (see {@link Tagged}). */
export type FeedSource = () => Promise<Tagged<string>>;

/** A comment line sent on a stream that has had nothing for this long, so that a dead connection shows. */
export const FEED_HEARTBEAT_MS = 15_000;

/**
 * Event streams open at once, all feeds together, at most (`aelab serve`'s default): each
 * holds a socket; past it, a page is refused its stream (503) and polls instead.
 */
export const MAX_STREAMS = 256;

interface Stream {
  response: ServerResponse;
  /** The tag of the last message this stream was sent (or the `Last-Event-ID` it came back with). */
  sent: string | null;
}

interface Feed {
  source: FeedSource;
  streams: Set<Stream>;
  /** The newest message: its tag and its bytes, made once for every stream. */
  last: { etag: string; frame: Buffer } | null;
  /** The error of the last look, sent once as a `failure` event until a look succeeds. */
  failed: string | null;
  looking: Promise<void> | null;
  timer: NodeJS.Timeout;
  wroteAt: number;
}

const EVENT_STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  // Proxies that buffer answers would hold every message back.
  'x-accel-buffering': 'no',
};

export class LiveFeeds {
  readonly #feeds = new Map<string, Feed>();
  #built = 0;
  #written = 0;

  /**
   * @param everyMs how often each feed with streams is looked at (and at most how often a
   *   stream gets a message): `aelab serve` uses the pages' poll interval, as a poll would.
   */
  constructor(
    readonly everyMs: number,
    readonly maxStreams = MAX_STREAMS,
    readonly heartbeatMs = FEED_HEARTBEAT_MS,
  ) {
    if (!Number.isInteger(maxStreams) || maxStreams < 0)
      throw new Error(`serve: maxStreams must be a non-negative integer, got ${maxStreams}`);
  }

  /** Messages built since the start: one per change of a feed's answer, however many streams follow it. */
  get messagesBuilt(): number {
    return this.#built;
  }

  /** Messages written to streams since the start (a stream that has the newest one gets nothing). */
  get messagesWritten(): number {
    return this.#written;
  }

  /** Open streams, all feeds together. */
  get streams(): number {
    return [...this.#feeds.values()].reduce((n, feed) => n + feed.streams.size, 0);
  }

  /** Whether {@link maxStreams} streams are open: the next is to be refused. */
  get full(): boolean {
    return this.streams >= this.maxStreams;
  }

  /**
   * Makes `response` an event stream of the feed `key` (answered by `source`): it gets the
   * current answer at once, unless `lastEventId` (a reconnecting browser's) names it, then
   * each new one. Resolves once the first is written; the stream stays open until the
   * client goes or {@link close}.
   */
  async open(key: string, source: FeedSource, response: ServerResponse, lastEventId?: string): Promise<void> {
    response.writeHead(200, EVENT_STREAM_HEADERS);
    // A browser reconnects after a lost stream one interval later, as a poll would come.
    response.write(`retry: ${this.everyMs}\n\n`);
    let feed = this.#feeds.get(key);
    if (!feed) {
      const created: Feed = {
        source,
        streams: new Set(),
        last: null,
        failed: null,
        looking: null,
        timer: setInterval(() => void this.#look(created), this.everyMs).unref(),
        wroteAt: Date.now(),
      };
      this.#feeds.set(key, (feed = created));
    }
    const stream: Stream = { response, sent: lastEventId ?? null };
    feed.streams.add(stream);
    const joined = feed;
    response.once('close', () => {
      joined.streams.delete(stream);
      if (joined.streams.size === 0 && this.#feeds.get(key) === joined) {
        clearInterval(joined.timer);
        this.#feeds.delete(key);
      }
    });
    await this.#look(feed);
    // A look already under way when the stream joined may have written before it did.
    this.#send(feed, stream);
  }

  /** Looks at every feed now (as its timer does): for tests, which force a look rather than wait for one. */
  async lookNow(): Promise<void> {
    await Promise.all([...this.#feeds.values()].map((feed) => this.#look(feed)));
  }

  /** Ends every stream (before the server closes: open streams would hold it open). */
  close(): void {
    for (const feed of this.#feeds.values()) {
      clearInterval(feed.timer);
      for (const stream of feed.streams) stream.response.end();
    }
    this.#feeds.clear();
  }

  /** One look at a feed's answer at a time; callers meanwhile share it. */
  #look(feed: Feed): Promise<void> {
    feed.looking ??= this.#refresh(feed).finally(() => (feed.looking = null));
    return feed.looking;
  }

  async #refresh(feed: Feed): Promise<void> {
    let answer: Tagged<string>;
    try {
      answer = await feed.source();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (feed.failed !== message)
        this.#writeAll(feed, `event: failure\ndata: ${JSON.stringify({ error: message })}\n\n`);
      feed.failed = message;
      return;
    }
    if (feed.failed !== null) {
      // Pages show the failure until a message comes: every stream gets the answer again.
      feed.failed = null;
      for (const stream of feed.streams) stream.sent = null;
    }
    if (feed.last?.etag !== answer.etag) {
      // JSON has no raw line breaks, so the body is one `data:` line.
      feed.last = { etag: answer.etag, frame: Buffer.from(`id: ${answer.etag}\ndata: ${answer.body}\n\n`) };
      this.#built += 1;
    }
    for (const stream of feed.streams) this.#send(feed, stream);
    if (Date.now() - feed.wroteAt >= this.heartbeatMs) this.#writeAll(feed, ':\n\n');
  }

  /**
   * The newest message to a stream that lacks it. A stream whose socket has not taken the
   * last one yet is skipped: each message is the whole state, so a slow client gets the
   * newest once it has caught up (the next look) instead of a queue of old ones.
   */
  #send(feed: Feed, stream: Stream): void {
    if (!feed.last || stream.sent === feed.last.etag || stream.response.writableNeedDrain) return;
    if (stream.response.writableEnded || stream.response.destroyed) return;
    stream.response.write(feed.last.frame);
    stream.sent = feed.last.etag;
    feed.wroteAt = Date.now();
    this.#written += 1;
  }

  #writeAll(feed: Feed, text: string): void {
    for (const stream of feed.streams) if (!stream.response.writableEnded) stream.response.write(text);
    feed.wroteAt = Date.now();
  }
}
