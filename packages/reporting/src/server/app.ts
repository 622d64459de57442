/**
 * `aelab serve`'s HTTP server (Fastify): the run store's studies as live pages and a JSON
 * API, read-only. Every route is a GET; a study is named by its id in the path and found
 * among the store's studies (never joined into a path), so no URL reaches a file.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { EXPORT_FORMATS, type ExportFormat } from '@aelab/core';
import { LiveFeeds, MAX_STREAMS, type FeedSource } from './live-feeds.js';
import {
  RequestError,
  SERVE_LOOK_MS,
  ServedStore,
  tagBody,
  type ServedStoreOptions,
  type Tagged,
} from './served-store.js';

export interface ServeOptions extends ServedStoreOptions {
  /** The run store's folder. */
  store: string;
  /** Log requests (Fastify's logger) to stdout. Default false. */
  logRequests?: boolean;
  /** Event streams open at once at most; past it, a 503 (pages then poll). Default {@link MAX_STREAMS}. */
  maxStreams?: number;
}

/** vega's browser build, for the live charts: served from the installed package, no network needed. */
function vegaBrowserBuild(): string {
  const module = fileURLToPath(import.meta.resolve('vega'));
  return readFileSync(join(dirname(module), 'vega.min.js'), 'utf8');
}

type Params = { study: string; page: string; format: string };
type Query = { q?: string; studies?: string | string[] };

const HTML = 'text/html; charset=utf-8';

/** `..` as a path segment, plain or percent-encoded (once or twice), or a null byte. */
const TRAVERSAL = /(?:\.|%2e|%252e){2}|%00|\0/i;

/** Whether an Accept-Encoding header takes gzip (named, and not with q=0). */
function acceptsGzip(header: string | undefined): boolean {
  return (header ?? '').split(',').some((entry) => {
    const [name, ...params] = entry.split(';').map((part) => part.trim().toLowerCase());
    return (name === 'gzip' || name === '*') && !params.some((p) => /^q=0(\.0*)?$/.test(p));
  });
}

/** `studies=a&studies=b` and `studies=a,b` alike. */
function listParam(value: string | string[] | undefined): string[] {
  return (Array.isArray(value) ? value : value === undefined ? [] : [value])
    .flatMap((v) => v.split(','))
    .filter(Boolean);
}

function exportFormat(name: string): ExportFormat {
  if (!(EXPORT_FORMATS as readonly string[]).includes(name)) {
    throw new RequestError(
      404,
      `no export format ${JSON.stringify(name.slice(0, 20))}; formats: ${EXPORT_FORMATS.join(', ')}`,
    );
  }
  return name as ExportFormat;
}

/** Builds the server (not listening yet): call `listen` on it, or `inject` in tests. */
export function createServeApp(options: ServeOptions): FastifyInstance {
  return buildServeApp(options).app;
}

/** Bad requests answered as JSON 4xx naming the problem; traversal refused before any route. */
function answerErrors(app: FastifyInstance): void {
  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof RequestError)
      return reply.code(error.status).type('application/json').send({ error: error.message });
    const { statusCode, message } = error as { statusCode?: number; message?: string };
    if (statusCode !== undefined && statusCode >= 400 && statusCode < 500)
      return reply.code(statusCode).send({ error: message });
    app.log.error(error);
    return reply.code(500).send({ error: `internal error: ${message ?? String(error)}` });
  });
  // Paths never name files, so `..` could reach nothing; it is still refused outright (not
  // normalised to another page) so that a probe gets a clear answer. Null bytes too.
  app.addHook('onRequest', async (request) => {
    const path = request.raw.url?.split('?', 1)[0] ?? '';
    if (TRAVERSAL.test(path))
      throw new RequestError(
        400,
        `refused: the path ${JSON.stringify(path.slice(0, 200))} climbs out of the site or holds a null byte`,
      );
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: `no such page: ${request.method} ${request.url.slice(0, 200)}` }),
  );
}

// Pages and API answers carry an ETag and must be revalidated (no-cache): a client that
// has the current answer, as every poll between two changes does, gets a bodiless 304.
// A gzipped answer is another representation, so it has its own tag.
function send(request: FastifyRequest, reply: FastifyReply, type: string, answer: Tagged<string | Buffer>) {
  const zipped = answer.gzip !== undefined && acceptsGzip(request.headers['accept-encoding']);
  const etag = zipped ? `${answer.etag.slice(0, -1)}-gzip"` : answer.etag;
  reply.type(type).header('cache-control', 'no-cache').header('etag', etag);
  if (answer.gzip !== undefined) reply.header('vary', 'accept-encoding');
  if (request.headers['if-none-match'] === etag) return reply.code(304).send();
  return zipped ? reply.header('content-encoding', 'gzip').send(answer.gzip) : reply.send(answer.body);
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** Whether a GET asks for an event stream (as `EventSource` does) rather than one answer. */
const wantsEvents = (request: FastifyRequest) =>
  request.method === 'GET' && (request.headers.accept ?? '').includes('text/event-stream');

/**
 * A followed answer (live state, study list), on one URL two ways: a poll gets it once
 * (tagged, 304 when unchanged); an `EventSource` gets a stream of it from `feeds`. Either
 * way it is asked for first, so that a bad id or filter is a 4xx before any stream opens.
 */
async function answerOrFollow(
  feeds: LiveFeeds,
  key: string,
  source: FeedSource,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const answer = await source();
  if (!wantsEvents(request)) return send(request, reply, JSON_TYPE, answer);
  if (feeds.full)
    throw new RequestError(503, `${feeds.maxStreams} event streams are open, the most this server keeps: poll instead`);
  const lastEventId = request.headers['last-event-id'];
  reply.hijack();
  await feeds.open(key, source, reply.raw, typeof lastEventId === 'string' ? lastEventId : undefined);
}

/** The app, the store it serves and its event streams (tests reach the last two to count and force looks). */
export function buildServeApp(options: ServeOptions): { app: FastifyInstance; served: ServedStore; feeds: LiveFeeds } {
  const { store: root, logRequests = false, maxStreams = MAX_STREAMS, ...rest } = options;
  const served = new ServedStore(root, rest);
  const feeds = new LiveFeeds(served.pollMs, maxStreams);
  const vega = vegaBrowserBuild();
  // maxParamLength: a study id is at most 66 characters; a longer path segment is a 414 before any handler.
  const app = Fastify({ logger: logRequests, routerOptions: { maxParamLength: 120, ignoreTrailingSlash: true } });

  answerErrors(app);
  // Open event streams would hold the server open: they end first.
  app.addHook('preClose', async () => feeds.close());

  app.get('/', (_request, reply) => reply.redirect('/index.html'));
  app.get<{ Querystring: Query }>('/index.html', async (request, reply) =>
    send(request, reply, HTML, tagBody(await served.indexPage(String(request.query.q ?? '')))),
  );
  app.get('/report.css', (_request, reply) => reply.type('text/css; charset=utf-8').send(served.css));
  app.get('/_assets/vega.min.js', (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'max-age=3600').send(vega),
  );
  app.get('/_assets/live.js', (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').send(served.liveScript),
  );
  app.get<{ Querystring: Query }>('/compare.html', async (request, reply) =>
    send(request, reply, HTML, tagBody(await served.compareStudiesPage(listParam(request.query.studies)))),
  );

  app.get<{ Params: Params }>('/:study', async (request, reply) =>
    reply.redirect(`/${(await served.load(request.params.study)).study.id}/index.html`),
  );
  app.get<{ Params: Params }>('/:study/index.html', async (request, reply) =>
    send(request, reply, HTML, await served.studyPage(request.params.study)),
  );
  app.get<{ Params: Params }>('/:study/compare.html', async (request, reply) =>
    send(request, reply, HTML, tagBody(await served.comparePage(request.params.study))),
  );
  app.get<{ Params: Params }>('/:study/trials/:page', async (request, reply) =>
    send(request, reply, HTML, tagBody(await served.trialPage(request.params.study, request.params.page))),
  );

  app.get<{ Querystring: Query }>('/api/studies', async (request, reply) => {
    const query = String(request.query.q ?? '');
    return answerOrFollow(feeds, `list:${query}`, () => served.summariesJson(query), request, reply);
  });
  app.get<{ Params: Params }>('/api/studies/:study/live', async (request, reply) => {
    const id = request.params.study;
    return answerOrFollow(feeds, `live:${id}`, () => served.live(id), request, reply);
  });
  app.get<{ Params: Params }>('/api/studies/:study/export.:format', async (request, reply) => {
    const format = exportFormat(request.params.format);
    const body = await served.export(request.params.study, format);
    const type = format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8';
    return reply
      .type(type)
      .header('content-disposition', `attachment; filename="${request.params.study}.${format}"`)
      .send(body);
  });
  return { app, served, feeds };
}

/**
 * Starts the server on `host:port` (loopback unless told otherwise); resolves to its
 * address once it listens. Every study's page is then rendered in the background (see
 * `ServedStore.warm`): `warmed` resolves to the number of studies once they are.
 */
export async function serve(
  options: ServeOptions & { host?: string; port?: number },
): Promise<{ app: FastifyInstance; url: string; warmed: Promise<number> }> {
  const { host = '127.0.0.1', port = 8080, lookMs = SERVE_LOOK_MS, ...rest } = options;
  const { app, served } = buildServeApp({ ...rest, lookMs });
  const address = await app.listen({ host, port });
  return { app, url: address, warmed: served.warm() };
}
