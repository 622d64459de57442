/** What every page module shares: chart slots, table columns, the page frame and the study's output. */
import { createHash } from 'node:crypto';
import type { TopLevelSpec } from 'vega-lite';
import type { CurvesArtifact } from '@aelab/core';
import type { TrialRecord } from '@aelab/store';
import type { Loaded, TrialArtifacts } from '../artifacts.js';
import type { FilledOptions } from '../options.js';
import type { StudyView } from '../study-view.js';
import { renderChart, type RenderedChart } from '../svg.js';
import type { LayoutContext, Templates } from '../templates.js';

/** A chart slot on a page: the rendered chart, or the reason it could not be drawn. */
export interface ChartView {
  id: string;
  title?: string;
  chart?: RenderedChart;
  missing?: string;
  note?: string;
}

/** Characters of drawn charts kept for {@link chartView} (SVG and spec), about 2 bytes each. */
export const DRAWN_CHARTS_KEPT = 32 * 1024 * 1024;

/** Charts drawn lately, by a hash of their id and spec, oldest first; their sizes sum to `drawnSize`. */
const drawn = new Map<string, Promise<RenderedChart>>();
const drawnSizes = new Map<string, number>();
let drawnSize = 0;

/**
 * The chart of a spec, drawn once: `aelab serve` renders a study's page again whenever a
 * sweep changes the study, and most of its charts are then what they were (a trial
 * started changes none). The SVG depends on the spec and id alone (see `renderChart`).
 */
function drawOnce(spec: TopLevelSpec, id: string): Promise<RenderedChart> {
  const key = createHash('sha1').update(id).update('\0').update(JSON.stringify(spec)).digest('base64');
  const kept = drawn.get(key);
  if (kept) {
    drawn.delete(key);
    drawn.set(key, kept);
    return kept;
  }
  const chart = renderChart(spec, id);
  drawn.set(key, chart);
  chart.then(
    ({ svg, specJson }) => {
      if (drawn.get(key) !== chart) return;
      drawnSizes.set(key, svg.length + specJson.length);
      drawnSize += svg.length + specJson.length;
      for (const [old] of drawn) {
        if (drawnSize <= DRAWN_CHARTS_KEPT || old === key) break;
        drawnSize -= drawnSizes.get(old) ?? 0;
        drawnSizes.delete(old);
        drawn.delete(old);
      }
    },
    () => drawn.get(key) === chart && drawn.delete(key),
  );
  return chart;
}

/** Renders the spec `build` returns, or keeps the string it returns as the reason there is no chart. */
export async function chartView(
  id: string,
  title: string | undefined,
  build: () => TopLevelSpec | string,
  note?: string,
): Promise<ChartView> {
  const spec = build();
  if (typeof spec === 'string') return { id, title, missing: spec };
  // Vega renders on promises alone, so a page of charts would hold the event loop from its
  // first chart to its last: `aelab serve` answers requests between two charts.
  await new Promise((next) => setImmediate(next));
  return { id, title, chart: await drawOnce(spec, id), note };
}

/** A sortable table column. */
export interface Column {
  label: string;
  sort?: 'text' | 'number';
  first?: 'asc' | 'desc';
  className?: string;
  title?: string;
}

export function textColumn(label: string, first: 'asc' | 'desc' = 'asc'): Column {
  return { label, sort: 'text', first };
}

export function numberColumn(label: string, first: 'asc' | 'desc', title?: string): Column {
  return { label, sort: 'number', first, className: 'num', title };
}

/** A full page: the layout around a rendered body, with the page script unless one is given. */
export function framePage(templates: Templates, context: LayoutContext): string {
  return templates.layout({ ...context, script: context.script ?? templates.script });
}

export type Writer = (path: string, content: string) => Promise<void>;

/** What a study's page modules render from and write to. */
export interface StudyOutput {
  view: StudyView;
  templates: Templates;
  options: FilledOptions;
  /** Absolute folder of the study's pages. */
  dir: string;
  write: Writer;
  /** A trial's JSON artifacts, read anew on each call (its trial page reads them once). */
  artifacts: (trial: TrialRecord) => Promise<TrialArtifacts>;
  /** A trial's curves artifact, read once per render (the trial and compare pages draw on it). */
  curves: (trial: TrialRecord) => Promise<Loaded<CurvesArtifact>>;
}

/**
 * Frames a page of a study: `depth` 1 for pages in the study folder, 2 for trial pages
 * one folder below; breadcrumbs lead home, to the study and on through `extra`.
 */
export function studyPage(
  out: StudyOutput,
  title: string,
  depth: 1 | 2,
  body: string,
  extra: { href: string; text: string }[] = [],
): string {
  const up = depth === 1 ? '../' : '../../';
  return framePage(out.templates, {
    title,
    cssHref: `${up}report.css`,
    homeHref: `${up}index.html`,
    breadcrumbs: [{ href: depth === 1 ? 'index.html' : '../index.html', text: out.view.study.name }, ...extra],
    body,
  });
}
