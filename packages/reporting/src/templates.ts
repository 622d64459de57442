import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

/**
 * Templates, the stylesheet and the page script live as files in `src/templates`. From
 * sources (tests) they sit next to this module; from `dist/` they are either copied there
 * by the package's `build` script or, after a plain `tsc -b`, read from `../src/templates`,
 * so the built package works either way inside the repository.
 */
function templatesDir(): string {
  const candidates = [new URL('./templates/', import.meta.url), new URL('../src/templates/', import.meta.url)];
  for (const url of candidates) {
    const dir = fileURLToPath(url);
    if (existsSync(`${dir}layout.hbs`)) return dir;
  }
  throw new Error(
    `@aelab/reporting: templates not found; ` +
      `looked for layout.hbs in ${candidates.map((u) => fileURLToPath(u)).join(' and ')}`,
  );
}

export type PageTemplate = 'index' | 'study' | 'trial' | 'compare' | 'live';

export interface Templates {
  page(name: PageTemplate, context: object): string;
  layout(context: LayoutContext): string;
  css: string;
  script: string;
  /** The script `aelab serve` adds to its pages: polls the server and updates the page in place. */
  liveScript: string;
}

export interface LayoutContext {
  title: string;
  cssHref: string;
  homeHref: string;
  breadcrumbs: { href: string; text: string }[];
  /** Page body HTML, already rendered (and escaped) by a page template. */
  body: string;
  script?: string;
}

let cached: Templates | undefined;

/**
 * Compiles the templates once per process in an isolated Handlebars environment. Every
 * `{{value}}` is HTML-escaped by Handlebars; only the SVG from vega, the rendered page
 * body and our own script use triple braces.
 */
export function loadTemplates(): Templates {
  if (cached) return cached;
  const dir = templatesDir();
  const read = (file: string) => readFileSync(`${dir}${file}`, 'utf8');
  const hbs = Handlebars.create();
  hbs.registerPartial('chart', read('chart.hbs'));
  hbs.registerPartial('table', read('table.hbs'));
  const options = { strict: false, preventIndent: true };
  const pages = {
    index: hbs.compile(read('index.hbs'), options),
    study: hbs.compile(read('study.hbs'), options),
    trial: hbs.compile(read('trial.hbs'), options),
    compare: hbs.compile(read('compare.hbs'), options),
    live: hbs.compile(read('live.hbs'), options),
  };
  const layout = hbs.compile(read('layout.hbs'), options);
  cached = {
    page: (name, context) => pages[name](context),
    layout: (context) => layout(context),
    css: read('report.css'),
    script: read('page-script.js'),
    liveScript: read('live-script.js'),
  };
  return cached;
}
