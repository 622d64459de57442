/**
 * What `aelab serve` answers, independent of HTTP: the study list, each study's pages
 * (rendered by the static report's own page modules, in memory), its live state, the
 * compare view across studies and exports. Everything comes from a readonly store, and
 * nothing requested names a file: a study is found among the store's studies by id, a
 * trial page among the study's trial pages by name.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { ExportFormat } from '@aelab/core';
import {
  isStudyId,
  liveProgressPath,
  readLiveProgress,
  readWriterLock,
  type EvaluationRecord,
  type LiveProgressFile,
  type RunStore,
  type StudyRecord,
  type TrialRecord,
} from '@aelab/store';
import { formatExport, studyExport } from '../export.js';
import { fillOptions, type FilledOptions, type RenderReportOptions } from '../options.js';
import { renderComparePage } from '../pages/compare-page.js';
import { framePage } from '../pages/page.js';
import { renderStudyPage } from '../pages/study-page.js';
import { renderTrialPage } from '../pages/trial-page.js';
import { trialPageName } from '../paths.js';
import { artifactReaders } from '../render.js';
import { buildStudyView, type StudyView } from '../study-view.js';
import { loadTemplates, type Templates } from '../templates.js';
import { compareStudiesBody } from './compare-studies.js';
import { studiesTable } from './study-list.js';
import { RenderSlot } from './render-slot.js';
import { coalesced, StoreSnapshots } from './snapshots.js';
import {
  liveOverTime,
  liveState,
  matchesQuery,
  studyState,
  summarizeStudy,
  type StudySummary,
  type WriterState,
} from './study-state.js';

/** An answer the client asked for wrongly (4xx), or one the server will not give now (503), with the reason to show. */
export class RequestError extends Error {
  constructor(
    readonly status: 400 | 404 | 503,
    message: string,
  ) {
    super(message);
  }
}

export interface ServedStoreOptions extends Omit<RenderReportOptions, 'outDir' | 'studyId'> {
  /**
   * How often open pages are updated, in milliseconds: a page's event stream gets at most
   * one message per interval, a page that polls polls so. Default 2000 (optuna-dashboard polls too).
   */
  pollMs?: number;
  /**
   * How long one look at the store's files (folder times, writer lock, live progress)
   * answers every request, in milliseconds. Default 0: every request looks (requests at
   * the same moment share one look); `serve` uses {@link SERVE_LOOK_MS}.
   */
  lookMs?: number;
  /**
   * While a study's sweep runs, its page (leaderboard, charts) is rendered again at most
   * this often, in milliseconds. Default {@link SWEEP_RENDER_MS}: a render draws the charts
   * whose data changed, a fraction of a second of the CPU the sweep trains on, and a sweep
   * changes its study every few seconds; the live panel (counts, running trials' curves,
   * the trials-over-time chart) follows every change meanwhile, from the live state.
   */
  sweepRenderMs?: number;
}

/** `aelab serve`'s look interval: however many pages poll, the store is looked at at most four times a second. */
export const SERVE_LOOK_MS = 250;

/**
 * An answer and its entity tag (quoted, for `ETag`): equal tags mean equal bodies, so a
 * client that sends the tag back in `If-None-Match` is answered 304 with no body.
 */
export interface Tagged<T> {
  etag: string;
  body: T;
  /** The body gzipped, where it is large enough to be worth it (made once, not per request). */
  gzip?: Buffer;
}

const gzipAsync = promisify(gzip);

/** A short entity tag for the content that `key` identifies. */
const entityTag = (key: string) => `"${createHash('sha1').update(key).digest('base64url')}"`;

/** A tagged answer whose tag is computed from the body itself (for small bodies built per request). */
export const tagBody = <T extends string | Buffer>(body: T): Tagged<T> => ({
  etag: entityTag(typeof body === 'string' ? body : body.toString('latin1')),
  body,
});

/**
 * A study page's newest full rendering, the one in progress when the study has changed
 * since, and the page without charts that answers while there is no full rendering yet.
 */
interface StudyRendering {
  done: RenderedStudy | null;
  pending: { version: string; page: Promise<RenderedStudy | null> } | null;
  light: { version: string; page: Promise<RenderedStudy> } | null;
  /** Why the full rendering of a version failed: not tried again until the study changes. */
  failed: { version: string; error: unknown } | null;
}

interface RenderedStudy {
  version: string;
  /** False for the page without charts (see {@link PENDING_CHARTS}). */
  charts: boolean;
  /** The page's bytes around the place of the live panel, with the live scripts in (see {@link liveCuts}). */
  cuts: Buffer[];
  finishedAt: number;
  seconds: number;
}

/** What a chart slot says on the page without charts. */
export const PENDING_CHARTS = 'Being drawn by the server: this page shows it without reloading once it is drawn.';

/**
 * The live panel's version on a page without charts: never a study's version, so the
 * page's first poll that finds a full rendering swaps it in.
 */
const WITHOUT_CHARTS = 'without-charts:';

const LIVE_SCRIPTS = '<script src="/_assets/vega.min.js"></script>\n<script src="/_assets/live.js"></script>\n';

/**
 * A page cut where the live panel goes (after `<main>`), the live scripts put in before
 * `</body>`: joined around a panel, the page as `aelab serve` shows it. A page without
 * `<main>` gets no panel.
 */
function liveCuts(html: string): [string, string] | [string] {
  const main = html.indexOf('<main>\n');
  const at = main < 0 ? 0 : main + '<main>\n'.length;
  const end = html.indexOf('</body>', at);
  const withScripts = end < 0 ? html : `${html.slice(0, end)}${LIVE_SCRIPTS}${html.slice(end)}`;
  return main < 0 ? [withScripts] : [withScripts.slice(0, at), withScripts.slice(at)];
}

/** A study page is rendered again at the soonest this many times its last render time after it. */
export const RERENDER_FACTOR = 4;

/** `aelab serve`'s {@link ServedStoreOptions.sweepRenderMs}. */
export const SWEEP_RENDER_MS = 10_000;

/**
 * While its sweep runs, a study page is rendered again at the soonest this many times its
 * last render time after it: rendering takes at most a twentieth of a core from the sweep
 * (a study of thousands of trials renders in seconds).
 */
export const SWEEP_RERENDER_FACTOR = 20;

/**
 * Whether a study page last rendered as `last` may be rendered again at `now`: once
 * {@link RERENDER_FACTOR} times its render time has passed; while its sweep runs, once
 * {@link SWEEP_RERENDER_FACTOR} times it and `sweepRenderMs` have (see {@link ServedStoreOptions.sweepRenderMs}).
 */
export function rerenderDue(
  last: { finishedAt: number; seconds: number },
  now: number,
  sweeping: boolean,
  sweepRenderMs = SWEEP_RENDER_MS,
): boolean {
  const renderMs = last.seconds * 1000;
  const wait = sweeping ? Math.max(renderMs * SWEEP_RERENDER_FACTOR, sweepRenderMs) : renderMs * RERENDER_FACTOR;
  return now - last.finishedAt >= wait;
}

/** The study list as `GET /api/studies` answers it. */
export interface StudyList {
  /** Changes when a listed study's records or state do. */
  version: string;
  updatedAt: string;
  studies: StudySummary[];
}

/** Study-list filters whose JSON is kept (the latest). */
const MAX_KEPT_FILTERS = 16;

/** Studies a compare view shows at most; more is a 400. */
export const MAX_COMPARED_STUDIES = 12;
/** Longest study-list filter accepted; longer is a 400. */
export const MAX_QUERY_LENGTH = 200;

interface Loaded {
  store: RunStore;
  study: StudyRecord;
  trials: TrialRecord[];
  evaluations: EvaluationRecord[];
  view: StudyView;
  version: string;
}

export class ServedStore {
  readonly #snapshots: StoreSnapshots;
  readonly #options: FilledOptions;
  readonly #pollMs: number;
  readonly #templates: Templates = loadTemplates();
  /** Study id -> its view at one version; page key -> HTML at one version. */
  readonly #views = new Map<string, { version: string; loaded: Promise<Loaded> }>();
  readonly #pages = new Map<string, { version: string; html: Promise<unknown> }>();
  readonly #live = new Map<string, { key: string; json: Tagged<string> }>();
  readonly #overTime = new Map<string, { version: string; chart: object | null }>();
  readonly #summaries = new Map<string, { key: string; summary: StudySummary }>();
  readonly #listJson = new Map<string, { key: string; json: Tagged<string> }>();
  readonly #progress = new Map<string, { key: string; file: Promise<LiveProgressFile | null> }>();
  readonly #progressLooks = new Map<string, () => Promise<string>>();
  readonly #lookMs: number;
  readonly #sweepRenderMs: number;
  #renderCount = 0;
  readonly #rendered = new Map<string, StudyRendering>();
  readonly #slot = new RenderSlot();
  /** Study pages being made for requests, not yet answered: see `#answersSent`. */
  readonly #answering = new Set<Promise<unknown>>();
  /** The writer lock as the last look saw it: every poll asks, callers at the same moment share one read. */
  readonly #writer: () => Promise<WriterState>;

  constructor(
    readonly root: string,
    options: ServedStoreOptions = {},
  ) {
    const { pollMs = 2000, lookMs = 0, sweepRenderMs = SWEEP_RENDER_MS, ...render } = options;
    for (const [name, value] of Object.entries({ lookMs, sweepRenderMs })) {
      if (!Number.isInteger(value) || value < 0)
        throw new Error(`serve: ${name} must be a non-negative integer, got ${value}`);
    }
    this.#lookMs = lookMs;
    this.#sweepRenderMs = sweepRenderMs;
    this.#snapshots = new StoreSnapshots(root, lookMs);
    this.#writer = coalesced(async () => {
      const lock = await readWriterLock(this.root);
      return { alive: lock?.held ?? false, since: lock?.owner.acquiredAt ?? null };
    }, lookMs);
    this.#options = fillOptions({ ...render, outDir: root });
    if (!Number.isInteger(pollMs) || pollMs < 100)
      throw new Error(`serve: pollMs must be an integer of at least 100, got ${pollMs}`);
    this.#pollMs = pollMs;
  }

  /** Full study-page renders started since the start (tests count them: a render is the server's costliest work). */
  get renderCount(): number {
    return this.#renderCount;
  }

  /** See {@link ServedStoreOptions.pollMs}. */
  get pollMs(): number {
    return this.#pollMs;
  }

  get css(): string {
    return this.#templates.css;
  }

  get liveScript(): string {
    return this.#templates.liveScript;
  }

  /** The study's records and view, rebuilt only when its version changed; 400/404 for a bad or unknown id. */
  async load(id: string): Promise<Loaded> {
    if (!isStudyId(id)) throw new RequestError(400, `not a study id: ${JSON.stringify(String(id).slice(0, 80))}`);
    const { store, versions } = await this.#snapshots.current();
    const study = await store.getStudy(id);
    if (!study) throw new RequestError(404, `no study ${id} in the run store`);
    const version = versions.get(id) ?? '-';
    let cached = this.#views.get(id);
    if (cached?.version !== version) {
      const loaded = (async () => {
        const [trials, evaluations] = await Promise.all([store.listTrials(id), store.listEvaluations(id)]);
        return {
          store,
          study,
          trials,
          evaluations,
          view: buildStudyView(study, trials, evaluations, this.#options.maxTrialPages),
          version,
        };
      })();
      cached = { version, loaded };
      this.#views.set(id, cached);
      loaded.catch(() => this.#views.get(id) === cached && this.#views.delete(id));
    }
    return cached.loaded;
  }

  /** The study's live progress, read again only when the file changed (every poll of every page asks). */
  async #liveProgress(id: string): Promise<LiveProgressFile | null> {
    let look = this.#progressLooks.get(id);
    if (!look) {
      const path = liveProgressPath(this.root, id);
      const identity = async () => {
        const info = await stat(path).catch(() => null);
        return info ? `${info.ino}:${info.mtimeMs}:${info.size}` : '-';
      };
      this.#progressLooks.set(id, (look = coalesced(identity, this.#lookMs)));
    }
    const key = await look();
    let cached = this.#progress.get(id);
    if (cached?.key !== key) this.#progress.set(id, (cached = { key, file: readLiveProgress(this.root, id) }));
    return cached.file;
  }

  async #studyIds(): Promise<string[]> {
    const { store } = await this.#snapshots.current();
    return (await store.listStudies()).map((s) => s.id);
  }

  async summaries(query = ''): Promise<StudyList> {
    return (await this.#listed(query)).list;
  }

  /** The study list, and a key that changes whenever any of its summaries does. */
  async #listed(query: string): Promise<{ list: StudyList; key: string }> {
    if (query.length > MAX_QUERY_LENGTH)
      throw new RequestError(400, `filter too long: ${query.length} characters, at most ${MAX_QUERY_LENGTH}`);
    const writer = await this.#writer();
    const studies = await Promise.all(
      (await this.#studyIds()).map(async (id) => {
        const { view, version } = await this.load(id);
        const progress = await this.#liveProgress(id);
        // Every open study list asks every few seconds: built once per change.
        const key = `${version}|${progress?.updatedAt ?? '-'}|${progress?.sweeping}|${writer.alive}|${writer.since}`;
        let cached = this.#summaries.get(id);
        if (cached?.key !== key) {
          this.#summaries.set(id, (cached = { key, summary: summarizeStudy(view, progress, writer, version) }));
        }
        return { id, key, summary: cached.summary };
      }),
    );
    const shown = studies.map((s) => s.summary).filter((s) => matchesQuery(s, query));
    const updatedAt = studies.reduce((a, { summary: s }) => (s.updatedAt > a ? s.updatedAt : a), '');
    // The list changes when a study's records or state do; live progress alone does not change it.
    const version = shown.map((s) => `${s.id}@${s.version}@${s.state}`).join(';');
    return { list: { version, updatedAt, studies: shown }, key: studies.map((s) => `${s.id}=${s.key}`).join(';') };
  }

  /**
   * The study list as JSON, tagged: serialised once per change of any study's summary (and
   * per filter), not per request, however many pages poll it.
   */
  async summariesJson(query = ''): Promise<Tagged<string>> {
    const { list, key } = await this.#listed(query);
    let cached = this.#listJson.get(query);
    if (cached?.key !== key) {
      // Filters are typed by people: the latest few are kept.
      if (!cached && this.#listJson.size >= MAX_KEPT_FILTERS)
        this.#listJson.delete(this.#listJson.keys().next().value!);
      const json = { etag: entityTag(`list:${query}:${key}`), body: JSON.stringify(list) };
      this.#listJson.set(query, (cached = { key, json }));
    }
    return cached.json;
  }

  /**
   * The study's live state (a `LiveState`) as JSON, serialised once per change of
   * the records, the live progress, the writer or the rendered page, however many pages poll.
   */
  async live(id: string): Promise<Tagged<string>> {
    const loaded = await this.load(id);
    const { view, version } = loaded;
    const [progress, writer] = await Promise.all([this.#liveProgress(id), this.#writer()]);
    // Open pages drive the page's renders (as often as the throttle allows); a page swaps
    // its content for the newest rendered one, never waiting on a render.
    this.#studyRender(loaded, true, () => studyState(view.board.trials, progress, writer) === 'running');
    const pageVersion = this.#rendered.get(id)?.done?.version ?? null;
    const progressKey = `${progress?.updatedAt ?? '-'}|${progress?.sweeping}`;
    const key = `${version}|${progressKey}|${writer.alive}|${writer.since}|${pageVersion}`;
    let cached = this.#live.get(id);
    if (cached?.key !== key) {
      // Running trials' epochs change the state four times a second; the over-time chart only with the records.
      let overTime = this.#overTime.get(id);
      if (overTime?.version !== version) this.#overTime.set(id, (overTime = { version, chart: liveOverTime(view) }));
      const state = { ...liveState(view, progress, writer, version, overTime.chart), pageVersion };
      const json = { etag: entityTag(`live:${id}:${key}`), body: JSON.stringify(state) };
      this.#live.set(id, (cached = { key, json }));
    }
    return cached.json;
  }

  async export(id: string, format: ExportFormat): Promise<string> {
    const { study, trials, evaluations } = await this.load(id);
    return formatExport(studyExport(study, trials, evaluations), format);
  }

  /** A page rendered once per version of what it shows. */
  #page<T>(key: string, version: string, render: () => Promise<T>): Promise<T> {
    let cached = this.#pages.get(key);
    if (cached?.version !== version) {
      const html = render();
      cached = { version, html };
      this.#pages.set(key, cached);
      html.catch(() => this.#pages.get(key) === cached && this.#pages.delete(key));
    }
    return cached.html as Promise<T>;
  }

  /** Renders pages of the study with the static report's modules, into memory. */
  async #render(
    loaded: Loaded,
    page: (out: Parameters<typeof renderStudyPage>[0]) => Promise<unknown>,
    name: string,
  ): Promise<string> {
    const written = new Map<string, string>();
    const dir = join('/', loaded.study.id);
    const out = {
      view: loaded.view,
      templates: this.#templates,
      options: this.#options,
      dir,
      write: async (path: string, content: string) => void written.set(path, content),
      ...artifactReaders(loaded.store),
    };
    await page(out);
    const html = written.get(join(dir, name));
    if (html === undefined) throw new Error(`serve: rendering ${name} of ${loaded.study.id} wrote no page`);
    return html;
  }

  #livePanel(api: string, version: string, summary: Partial<StudySummary>, charts: boolean): string {
    const t = summary.trials;
    return this.#templates.page('live', {
      api,
      version,
      intervalMs: this.#pollMs,
      state: summary.state ?? '',
      counts: t
        ? `${t.total} trials: ${t.complete} complete, ${t.pruned} pruned, ${t.failed} failed, ${t.running} running`
        : '',
      updatedAt: summary.updatedAt ?? '',
      charts,
    });
  }

  /** Puts the live panel at the top of the page's content and the live script (with vega) at its end. */
  #withLive(html: string, panel: string): string {
    return liveCuts(html).join(`${panel.trimEnd()}\n`);
  }

  /**
   * The study page with its live panel, as bytes: a large study's page is megabytes, so it
   * is kept whole per rendered version and state (the open page's first poll brings the
   * panel's counts and time up to date). Tagged by that version and state. Until the study
   * has a full rendering (right after a start) it is the page without charts, made in a
   * fraction of the time; the open page swaps in the full one when a poll says it is ready.
   * A study whose full rendering failed, with none before, is that failure (a 500 naming it).
   */
  async studyPage(id: string): Promise<Tagged<Buffer>> {
    const loaded = await this.load(id);
    const writer = await this.#writer();
    const summary = summarizeStudy(loaded.view, await this.#liveProgress(id), writer, loaded.version);
    const entry = this.#rendering(id);
    if (!entry.done && entry.failed?.version === loaded.version) throw entry.failed.error;
    // With no full rendering, the page without charts first and the full render after it
    // (not beside it: both would run on the one thread).
    const sweeping = () => summary.state === 'running';
    const shown = entry.done ? this.#studyRender(loaded, true, sweeping)! : await this.#lightRender(loaded);
    if (!entry.done) this.#studyRender(loaded, true, sweeping);
    const version = shown.charts ? shown.version : `${WITHOUT_CHARTS}${shown.version}`;
    const key = `${version}|${summary.state}`;
    const answer = this.#page(`study-live:${id}`, key, async () => {
      // The panel carries the version the page shows: a page behind the records asks again.
      const panel = this.#livePanel(`/api/studies/${id}/live`, version, summary, true);
      const panelBytes = Buffer.from(`${panel.trimEnd()}\n`);
      // Bytes encoded once per rendering: a new state only copies them around a new panel.
      const [before, after] = shown.cuts;
      const page = after ? Buffer.concat([before, panelBytes, after]) : before;
      // Megabytes of table markup shrink about tenfold, compressed once (off the main thread) for every client.
      // One output buffer for the whole page: zlib's default 16 KiB chunks each wait for a turn of the
      // event loop, which a render in progress holds for a chart at a time.
      const chunkSize = Math.max(64 * 1024, page.length + (page.length >> 6) + 1024);
      return { body: page, gzip: await gzipAsync(page, { level: 1, chunkSize }) };
    });
    this.#answering.add(answer);
    const { body, gzip } = await answer.finally(() => this.#answering.delete(answer));
    return { etag: entityTag(`study:${id}:${key}`), body, gzip };
  }

  /**
   * Resolves once the study pages being made for requests are made and sent (a turn of the
   * event loop later): a full render holds the thread for a chart or a table at a time, so
   * it starts only then. Else the first request after a start, whose page without charts
   * is ready at the moment the warm-up's first full render starts, would wait for it.
   */
  async #answersSent(): Promise<void> {
    await Promise.allSettled([...this.#answering]);
    await new Promise((next) => setImmediate(next));
  }

  /**
   * Renders every study's page in the background, newest study first, one at a time (the
   * pages without charts first), so that a request for any of them finds it in memory; a
   * page someone asks for meanwhile
   * is rendered before the next of these (see {@link RenderSlot}). Resolves when done; a
   * study that fails to render is left to its requests (which report why).
   */
  async warm(): Promise<number> {
    const ids = (await this.#studyIds().catch(() => [])).reverse();
    // Every study's page without charts first (a fraction of the time), then the full ones.
    for (const id of ids)
      await this.load(id).then(
        (loaded) => this.#lightRender(loaded),
        () => null,
      );
    for (const id of ids) {
      const loaded = await this.load(id).catch(() => null);
      if (!loaded) continue;
      this.#studyRender(loaded, false, () => false);
      await this.#rendering(id).pending?.page;
    }
    return ids.length;
  }

  #rendering(id: string): StudyRendering {
    let entry = this.#rendered.get(id);
    if (!entry) this.#rendered.set(id, (entry = { done: null, pending: null, light: null, failed: null }));
    return entry;
  }

  /**
   * The study page's newest full rendering (null while there is none), starting the next
   * one when the study changed. Its charts cost seconds for a study of thousands of trials,
   * and a sweep changes the study every few seconds, so a request never waits for a full
   * render: the newest rendering is served (its live panel names its version, so an open
   * page swaps in the next one when it is ready) while a newer one is made in the
   * background; a page is rendered again only once {@link RERENDER_FACTOR} times its last
   * render time has passed (so rendering takes at most a fifth of a core), and while its
   * sweep runs (`sweeping`, asked only when the study changed), less often still (see
   * {@link rerenderDue}). A version whose rendering failed is not tried again.
   */
  #studyRender(loaded: Loaded, urgent: boolean, sweeping: () => boolean): RenderedStudy | null {
    const entry = this.#rendering(loaded.study.id);
    const { done } = entry;
    if (done?.version === loaded.version || entry.failed?.version === loaded.version) return done;
    const due = !done || rerenderDue(done, Date.now(), sweeping(), this.#sweepRenderMs);
    if (!entry.pending && due) {
      this.#renderCount += 1;
      entry.pending = this.#renderStudy(entry, loaded, urgent);
    }
    return done;
  }

  #renderStudy(entry: StudyRendering, loaded: Loaded, urgent: boolean): StudyRendering['pending'] {
    const { version } = loaded;
    const pending: NonNullable<StudyRendering['pending']> = {
      version,
      page: this.#slot
        .run(urgent, async () => {
          await this.#answersSent();
          const start = Date.now();
          return { html: await this.#render(loaded, renderStudyPage, 'index.html'), start };
        })
        .then(
          ({ html, start }) => {
            const finishedAt = Date.now();
            const cuts = liveCuts(html).map((part) => Buffer.from(part));
            entry.done = { version, charts: true, cuts, finishedAt, seconds: (finishedAt - start) / 1000 };
            entry.failed = null;
            entry.light = null;
            return entry.done;
          },
          (error: unknown) => {
            entry.failed = { version, error };
            return null;
          },
        )
        .finally(() => {
          if (entry.pending === pending) entry.pending = null;
        }),
    };
    return pending;
  }

  /** The study page without its charts (see `renderStudyPage`), once per version. */
  #lightRender(loaded: Loaded): Promise<RenderedStudy> {
    const entry = this.#rendering(loaded.study.id);
    const { version } = loaded;
    if (entry.light?.version !== version) {
      const start = Date.now();
      const page = this.#render(loaded, (out) => renderStudyPage(out, PENDING_CHARTS), 'index.html').then((html) => {
        const finishedAt = Date.now();
        const cuts = liveCuts(html).map((part) => Buffer.from(part));
        return { version, charts: false, cuts, finishedAt, seconds: (finishedAt - start) / 1000 };
      });
      const light = { version, page };
      entry.light = light;
      page.catch(() => entry.light === light && (entry.light = null));
    }
    return entry.light!.page;
  }

  async comparePage(id: string): Promise<string> {
    const loaded = await this.load(id);
    return this.#page(`compare:${id}`, loaded.version, () => this.#render(loaded, renderComparePage, 'compare.html'));
  }

  /** A trial page by its file name, for the trials the study gives a page (as the static report does). */
  async trialPage(id: string, name: string): Promise<string> {
    const loaded = await this.load(id);
    const trial = loaded.view.trialPages.find((t) => trialPageName(t.id) === name);
    if (!trial) throw new RequestError(404, `no trial page ${JSON.stringify(name.slice(0, 80))} in study ${id}`);
    const render = () => this.#render(loaded, (out) => renderTrialPage(out, trial), join('trials', name));
    return this.#page(`trial:${trial.id}`, loaded.version, render);
  }

  async indexPage(query = ''): Promise<string> {
    const list = await this.summaries(query);
    const body = this.#templates.page('index', {
      studies: list.studies,
      single: list.studies.length === 1,
      table: studiesTable(list.studies),
    });
    const html = framePage(this.#templates, {
      title: 'aelab studies',
      cssHref: 'report.css',
      homeHref: 'index.html',
      breadcrumbs: [],
      body,
    });
    const api = `/api/studies${query ? `?q=${encodeURIComponent(query)}` : ''}`;
    return this.#withLive(html, this.#livePanel(api, list.version, { updatedAt: list.updatedAt }, false));
  }

  /** Studies side by side (at most {@link MAX_COMPARED_STUDIES}); unknown ids are a 404, as everywhere. */
  async compareStudiesPage(ids: readonly string[]): Promise<string> {
    if (ids.length > MAX_COMPARED_STUDIES)
      throw new RequestError(400, `too many studies to compare: ${ids.length}, at most ${MAX_COMPARED_STUDIES}`);
    const chosen = await Promise.all([...new Set(ids)].map((id) => this.load(id)));
    const { store } = await this.#snapshots.current();
    const all = await store.listStudies();
    const body = await compareStudiesBody(this.#templates, chosen, all);
    return framePage(this.#templates, {
      title: 'Compare studies',
      cssHref: 'report.css',
      homeHref: 'index.html',
      breadcrumbs: [{ href: 'compare.html', text: 'Compare studies' }],
      body,
    });
  }
}
