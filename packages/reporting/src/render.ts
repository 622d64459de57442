import type { Dirent } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { CurvesArtifact } from '@aelab/core';
import { writeFileAtomic, type RunStore, type StudyRecord, type TrialRecord } from '@aelab/store';
import { readJsonArtifact, readTrialArtifacts, type Loaded } from './artifacts.js';
import { fillOptions, type FilledOptions, type RenderReportOptions } from './options.js';
import { renderComparePage } from './pages/compare-page.js';
import { hasStudyPage, indexPage, type IndexEntry } from './pages/index-page.js';
import type { StudyOutput, Writer } from './pages/page.js';
import { renderStudyPage } from './pages/study-page.js';
import { renderTrialPage } from './pages/trial-page.js';
import { fileSlug } from './paths.js';
import { buildStudyView, type StudyView } from './study-view.js';
import { loadTemplates, type Templates } from './templates.js';

export type { RenderReportOptions } from './options.js';

export interface RenderedReport {
  /** Absolute path of the index page. */
  indexPath: string;
  /** Study id -> absolute path of its page, for the studies rendered this time. */
  studyPaths: Record<string, string>;
  /** Every file written, absolute, sorted. */
  files: string[];
}

/**
 * A trial's artifacts for its own page, read then and not kept (a trial's errors are as
 * long as its splits: keeping every trial's held them all at once, ~330 MiB for two trials
 * on a 725k-row file), and its curves, read once and kept for the compare page too.
 */
export function artifactReaders(store: RunStore): Pick<StudyOutput, 'artifacts' | 'curves'> {
  const kept = new Map<string, Promise<Loaded<CurvesArtifact>>>();
  const curves = (trial: TrialRecord) => {
    let loaded = kept.get(trial.id);
    if (!loaded) kept.set(trial.id, (loaded = readJsonArtifact<CurvesArtifact>(store, trial, 'curves')));
    return loaded;
  };
  return { artifacts: (trial) => readTrialArtifacts(store, trial, curves(trial)), curves };
}

/** Writes one study's trial pages, compare page and study page; returns the study page's path. */
async function renderStudy(
  store: RunStore,
  view: StudyView,
  dir: string,
  templates: Templates,
  options: FilledOptions,
  write: Writer,
): Promise<string> {
  const out: StudyOutput = { view, templates, options, dir, write, ...artifactReaders(store) };
  for (const trial of view.trialPages) await renderTrialPage(out, trial);
  await renderComparePage(out);
  return renderStudyPage(out);
}

function checkStudyId(studies: readonly StudyRecord[], studyId: string | undefined): void {
  if (studyId === undefined || studies.some((s) => s.id === studyId)) return;
  const known = studies.map((s) => s.id).join(', ') || 'none';
  throw new Error(`renderReport: study "${studyId}" is not in the run store (studies: ${known})`);
}

/**
 * Writes a self-contained static report of the run store: `index.html` listing every
 * study, and per study `<study>/index.html` (leaderboard and charts),
 * `<study>/compare.html` and `<study>/trials/<trial>.html`, plus one `report.css`. Charts
 * are rendered to inline SVG here, so the pages need no network and no JavaScript to
 * read (a small inline script adds sorting and filtering). The same store renders to the
 * same bytes.
 */
export async function renderReport(store: RunStore, options: RenderReportOptions): Promise<RenderedReport> {
  const opts = fillOptions(options);
  const outDir = resolve(opts.outDir);
  const templates = loadTemplates();
  const studies = await store.listStudies();
  checkStudyId(studies, opts.studyId);
  const files: string[] = [];
  // Each page is written beside and renamed over the old one, so a report killed midway
  // leaves every page whole, old or new, never empty or torn. No fsync: a report is
  // rendered again in seconds; what matters is that a kill cannot break one.
  const write: Writer = async (path, content) => {
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, content, { fsync: false });
    files.push(path);
  };
  await removeTornWrites(outDir);
  await write(join(outDir, 'report.css'), templates.css);

  const studyPaths: Record<string, string> = {};
  const entries: IndexEntry[] = [];
  for (const study of studies) {
    const [trials, evaluations] = await Promise.all([store.listTrials(study.id), store.listEvaluations(study.id)]);
    const view = buildStudyView(study, trials, evaluations, opts.maxTrialPages);
    const dir = fileSlug(study.id);
    if (opts.studyId === undefined || opts.studyId === study.id) {
      studyPaths[study.id] = await renderStudy(store, view, join(outDir, dir), templates, opts, write);
    }
    entries.push({
      study,
      board: view.board,
      dir,
      linked: studyPaths[study.id] !== undefined || hasStudyPage(outDir, dir),
    });
  }
  const indexPath = join(outDir, 'index.html');
  await write(indexPath, indexPage(templates, entries));
  files.sort();
  return { indexPath, studyPaths, files };
}

/** A page's temp file (`.<page>.<pid>.tmp`, see writeFileAtomic) that a killed render left behind. */
const TORN_WRITE = /^\..+\.\d+\.tmp$/;

/** Removes the temp files of earlier renders that were killed, in the report folders (two levels down). */
async function removeTornWrites(dir: string, depth = 2): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry.isFile() && TORN_WRITE.test(entry.name)) await rm(join(dir, entry.name), { force: true });
    else if (entry.isDirectory() && depth > 0) await removeTornWrites(join(dir, entry.name), depth - 1);
  }
}
