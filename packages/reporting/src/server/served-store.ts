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
import { coalesced, StoreSnapshots } from './snapshots.js';
import { liveState, matchesQuery, summarizeStudy, type StudySummary, type WriterState } from './study-state.js';

/** An answer the client asked for wrongly (4xx), with the reason to show. */
export class RequestError extends Error {
  constructor(
    readonly status: 400 | 404,
    message: string,
  ) {
    super(message);
  }
}

export interface ServedStoreOptions extends Omit<RenderReportOptions, 'outDir' | 'studyId'> {
  /** How often pages poll the server, in milliseconds. Default 2000 (optuna-dashboard polls too). */
  pollMs?: number;
  /**
   * How long one look at the store's files (folder times, writer lock, live progress)
   * answers every request, in milliseconds. Default 0: every request looks (requests at
   * the same moment share one look); `serve` uses {@link SERVE_LOOK_MS}.
   */
  lookMs?: number;
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

/** A study page's newest rendering, and the one in progress when the study has changed since. */
interface StudyRendering {
  done: RenderedStudy | null;
  pending: { version: string; page: Promise<RenderedStudy> } | null;
}

interface RenderedStudy {
  version: string;
  /** The page's bytes around the place of the live panel, with the live scripts in (see {@link liveCuts}). */
  cuts: Buffer[];
  finishedAt: number;
  seconds: number;
}

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
  readonly #summaries = new Map<string, { key: string; summary: StudySummary }>();
  readonly #progress = new Map<string, { key: string; file: Promise<LiveProgressFile | null> }>();
  readonly #progressLooks = new Map<string, () => Promise<string>>();
  readonly #lookMs: number;
  readonly #rendered = new Map<string, StudyRendering>();
  /** The writer lock as the last look saw it: every poll asks, callers at the same moment share one read. */
  readonly #writer: () => Promise<WriterState>;

  constructor(
    readonly root: string,
    options: ServedStoreOptions = {},
  ) {
    const { pollMs = 2000, lookMs = 0, ...render } = options;
    if (!Number.isInteger(lookMs) || lookMs < 0) {
      throw new Error(`serve: lookMs must be a non-negative integer, got ${lookMs}`);
    }
    this.#lookMs = lookMs;
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

  async summaries(query = ''): Promise<{ version: string; updatedAt: string; studies: StudySummary[] }> {
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
        return cached.summary;
      }),
    );
    const shown = studies.filter((s) => matchesQuery(s, query));
    const updatedAt = studies.reduce((a, s) => (s.updatedAt > a ? s.updatedAt : a), '');
    // The list changes when a study's records or state do; live progress alone does not change it.
    return { version: shown.map((s) => `${s.id}@${s.version}@${s.state}`).join(';'), updatedAt, studies: shown };
  }

  /** The study list as JSON, tagged (it is small: built per request from the per-study cache). */
  async summariesJson(query = ''): Promise<Tagged<string>> {
    return tagBody(JSON.stringify(await this.summaries(query)));
  }

  /**
   * The study's live state (a `LiveState`) as JSON, serialised once per change of
   * the records, the live progress, the writer or the rendered page, however many pages poll.
   */
  async live(id: string): Promise<Tagged<string>> {
    const loaded = await this.load(id);
    const { view, version } = loaded;
    const [progress, writer] = await Promise.all([this.#liveProgress(id), this.#writer()]);
    // Polls drive the page's renders (as often as the throttle allows); a page swaps its
    // content for the newest rendered one, never waiting on a render.
    this.#studyRender(loaded).catch(() => undefined);
    const pageVersion = this.#rendered.get(id)?.done?.version ?? null;
    const progressKey = `${progress?.updatedAt ?? '-'}|${progress?.sweeping}`;
    const key = `${version}|${progressKey}|${writer.alive}|${writer.since}|${pageVersion}`;
    let cached = this.#live.get(id);
    if (cached?.key !== key) {
      const state = { ...liveState(view, progress, writer, version), pageVersion };
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
   * panel's counts and time up to date). Tagged by that version and state.
   */
  async studyPage(id: string): Promise<Tagged<Buffer>> {
    const loaded = await this.load(id);
    const writer = await this.#writer();
    const summary = summarizeStudy(loaded.view, await this.#liveProgress(id), writer, loaded.version);
    const rendered = await this.#studyRender(loaded);
    const key = `${rendered.version}|${summary.state}`;
    const { body, gzip } = await this.#page(`study-live:${id}`, key, async () => {
      // The panel carries the version the page shows: a page behind the records asks again.
      const panel = this.#livePanel(`/api/studies/${id}/live`, rendered.version, summary, true);
      const panelBytes = Buffer.from(`${panel.trimEnd()}\n`);
      // Bytes encoded once per rendering: a new state only copies them around a new panel.
      const [before, after] = rendered.cuts;
      const page = after ? Buffer.concat([before, panelBytes, after]) : before;
      // Megabytes of table markup shrink about tenfold, compressed once (off the main thread) for every client.
      return { body: page, gzip: await gzipAsync(page, { level: 1 }) };
    });
    return { etag: entityTag(`study:${id}:${key}`), body, gzip };
  }

  /**
   * Renders every study's page in the background, newest study first, one at a time, so
   * that the first request for any of them is answered from memory. Resolves when done;
   * a study that fails to render is left to its first request (which reports why).
   */
  async warm(): Promise<number> {
    const ids = (await this.#studyIds().catch(() => [])).reverse();
    for (const id of ids) await this.studyPage(id).catch(() => undefined);
    return ids.length;
  }

  /**
   * The study page as the report renders it. Its charts cost seconds for a study of
   * thousands of trials, and a sweep changes the study every few seconds: once the page has
   * been rendered, a request never waits for a render. The newest rendering is served
   * (its live panel names its version, so an open page swaps in the next one when it is
   * ready) while a newer one is made in the background; while a sweep writes, a page is
   * rendered again only once {@link RERENDER_FACTOR} times its last render time has passed
   * (so rendering takes at most a fifth of a core from the sweep).
   */
  #studyRender(loaded: Loaded): Promise<RenderedStudy> {
    const id = loaded.study.id;
    let entry = this.#rendered.get(id);
    if (!entry) this.#rendered.set(id, (entry = { done: null, pending: null }));
    const { done } = entry;
    if (done?.version === loaded.version) return Promise.resolve(done);
    const due = !done || Date.now() - done.finishedAt >= done.seconds * 1000 * RERENDER_FACTOR;
    if (!entry.pending && due) entry.pending = this.#renderStudy(entry, loaded);
    return done ? Promise.resolve(done) : entry.pending!.page;
  }

  #renderStudy(entry: StudyRendering, loaded: Loaded): StudyRendering['pending'] {
    const start = Date.now();
    const pending: NonNullable<StudyRendering['pending']> = {
      version: loaded.version,
      page: this.#render(loaded, renderStudyPage, 'index.html').then(
        (html) => {
          const finishedAt = Date.now();
          const cuts = liveCuts(html).map((part) => Buffer.from(part));
          entry.done = { version: loaded.version, cuts, finishedAt, seconds: (finishedAt - start) / 1000 };
          if (entry.pending === pending) entry.pending = null;
          return entry.done;
        },
        (error: unknown) => {
          if (entry.pending === pending) entry.pending = null;
          throw error;
        },
      ),
    };
    return pending;
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
