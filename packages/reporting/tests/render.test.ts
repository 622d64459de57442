import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ARTIFACT } from '@aelab/core';
import { fileSlug, renderReport } from '../src/index.js';
import { errorMetricOf } from '../src/pages/trial-charts.js';
import { artifactReaders } from '../src/render.js';
import { newStore, writeSyntheticStudy } from './synthetic-study.js';

const tempDir = () => mkdtemp(join(tmpdir(), 'aelab-report-test-'));
const rowsOf = (html: string, tableId: string) => {
  const table = html.slice(html.indexOf(`<table class="data sortable" id="${tableId}"`));
  const body = table.slice(table.indexOf('<tbody>'), table.indexOf('</tbody>'));
  return body.match(/<tr[ >]/g) ?? [];
};

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe('renderReport', () => {
  it('writes an index, a leaderboard per study, a compare page, trial pages and one stylesheet', async () => {
    const store = newStore();
    const id = await writeSyntheticStudy(store, {
      families: ['dense', 'lstm'],
      versions: ['base'],
      repeats: 2,
      failures: 1,
    });
    const outDir = await tempDir();
    const report = await renderReport(store, { outDir });
    const dir = fileSlug(id);
    const trials = await store.listTrials(id);
    expect(await listFiles(outDir)).toEqual(
      [
        'index.html',
        'report.css',
        `${dir}/compare.html`,
        `${dir}/index.html`,
        ...trials.map((t) => `${dir}/trials/${fileSlug(t.id)}.html`),
      ].sort(),
    );
    expect(report.files.map((f) => relative(outDir, f))).toEqual(await listFiles(outDir));
    expect(report.studyPaths).toEqual({ [id]: join(outDir, dir, 'index.html') });

    const page = await readFile(report.studyPaths[id], 'utf8');
    // 2 families x 2 learning rates, 1 of 8 trials failed; x 3 percentiles = 12 configurations.
    expect(rowsOf(page, 'leaderboard')).toHaveLength(12);
    expect(page).toContain('the highest mean ROC-AUC on the test split over repeats');
    expect(page.match(/<tr class="winner">/g)).toHaveLength(2); // leaderboard + by-model table
    expect(page).toContain('loss became NaN at epoch 3 &lt;b&gt;bold?&lt;/b&gt;');
    expect(page).toContain('href="../report.css"');
    expect(page).not.toMatch(/(src|href)="https?:/);
    const index = await readFile(report.indexPath, 'utf8');
    expect(index).toContain(`href="${dir}/index.html"`);
  });

  it('draws every trial-page section from the artifacts: histograms, ROC/PR, confusion, examples, series', async () => {
    const store = newStore();
    const id = await writeSyntheticStudy(store, {
      windowed: true,
      families: ['dense'],
      versions: ['base'],
      learningRates: [0.001],
      repeats: 1,
    });
    const outDir = await tempDir();
    await renderReport(store, { outDir });
    const [trial] = await store.listTrials(id);
    const html = await readFile(join(outDir, fileSlug(id), 'trials', `${fileSlug(trial.id)}.html`), 'utf8');
    for (const chart of ['loss', 'histograms', 'roc-pr', 'confusion', 'examples', 'series']) {
      expect(html).toMatch(
        new RegExp(
          `<figure class="chart" id="fig-${chart}">\\s*<figcaption>[^<]*</figcaption>\\s*<div class="svg"><svg`,
        ),
      );
    }
    expect(html).not.toContain('class="missing"');
    expect(html).toContain('Test: anomalous');
    expect(html).toContain('AUC 0.');
  });

  it('says which artifact is missing or broken instead of failing', async () => {
    const store = newStore();
    const id = await writeSyntheticStudy(store, {
      artifacts: false,
      families: ['dense'],
      versions: ['base'],
      learningRates: [0.001],
      repeats: 1,
    });
    const broken = await store.startTrial(id, {
      configHash: 'broken',
      params: { 'model.kind': 'dense' },
      repeat: 0,
      seed: 1,
      environment: { backend: 'cpu', versions: {}, gitCommit: null },
      dataFingerprint: null,
    });
    const path = await store.writeArtifact(id, broken.id, ARTIFACT.errors, '{"train": [1,');
    await store.finishTrial(broken.id, {
      status: 'complete',
      artifacts: { errors: path, curves: 'nowhere/curves.json' },
    });
    const outDir = await tempDir();
    await renderReport(store, { outDir });
    const [plain] = await store.listTrials(id);
    const plainHtml = await readFile(join(outDir, fileSlug(id), 'trials', `${fileSlug(plain.id)}.html`), 'utf8');
    expect(plainHtml).toContain(`No errors.json artifact was recorded for trial #${plain.number}.`);
    expect(plainHtml).toContain('No examples.json artifact was recorded');
    const brokenHtml = await readFile(join(outDir, fileSlug(id), 'trials', `${fileSlug(broken.id)}.html`), 'utf8');
    expect(brokenHtml).toContain(`Artifact ${path} is not valid JSON`);
    expect(brokenHtml).toContain('Could not read artifact nowhere/curves.json');
    expect(brokenHtml).toContain('No training history recorded');
  });

  it('keeps user-controlled text as text: a <script> in names and params never runs', async () => {
    const store = newStore();
    const evil = '<script>alert("x")</script>';
    const id = await writeSyntheticStudy(store, {
      name: evil,
      families: [evil, 'dense'],
      versions: ['base'],
      learningRates: [0.001],
      repeats: 1,
    });
    const outDir = await tempDir();
    const report = await renderReport(store, { outDir });
    for (const file of report.files.filter((f) => f.endsWith('.html'))) {
      const html = await readFile(file, 'utf8');
      // Our page script is the only script element; the name appears escaped.
      expect(html.match(/<script/g), file).toHaveLength(1);
      expect(html).not.toContain('alert("x")</script>');
    }
    const page = await readFile(report.studyPaths[id], 'utf8');
    expect(page).toContain('<h1>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</h1>');
  });

  it('renders the same store to the same bytes', async () => {
    const store = newStore();
    await writeSyntheticStudy(store, { families: ['dense', 'lstm'], versions: ['base', 'tuned'], failures: 1 });
    await writeSyntheticStudy(store, {
      name: 'windowed',
      windowed: true,
      families: ['dense'],
      versions: ['base'],
      learningRates: [0.001],
      seed: 3,
    });
    const [a, b] = [await tempDir(), await tempDir()];
    await renderReport(store, { outDir: a, maxTrialPages: 4 });
    await renderReport(store, { outDir: b, maxTrialPages: 4 });
    const files = await listFiles(a);
    expect(await listFiles(b)).toEqual(files);
    for (const f of files) expect(await readFile(join(b, f), 'utf8'), f).toBe(await readFile(join(a, f), 'utf8'));
  });

  it(
    'gives every trial a page, so every row links to its ' + 'repeats; charts are capped, the winner always charted',
    async () => {
      const store = newStore();
      const id = await writeSyntheticStudy(store, {
        repeats: 3,
        selection: { metric: 'mse', direction: 'minimize', split: 'validation' },
      });
      const outDir = await tempDir();
      const report = await renderReport(store, { outDir, maxTrialPages: 4 });
      const trials = await store.listTrials(id);
      const pages = report.files.filter((f) => f.includes(`${fileSlug(id)}/trials/`));
      expect(pages).toHaveLength(trials.length);
      const charted: string[] = [];
      for (const path of pages)
        if ((await readFile(path, 'utf8')).includes('<figure class="chart" id="fig-loss">')) charted.push(path);
      expect(charted.length).toBeGreaterThanOrEqual(3);
      expect(charted.length).toBeLessThanOrEqual(4);
      const uncharted = await readFile(
        pages.find((p) => !charted.includes(p))!,
        'utf8',
      );
      expect(uncharted).toContain(
        `Charts are drawn on ${charted.length} of this study&#x27;s ${trials.length} trial pages`,
      );
      expect(uncharted).toContain('<table class="data sortable" id="evaluations">');

      const page = await readFile(report.studyPaths[id], 'utf8');
      const winnerRow = page.slice(
        page.indexOf('<tr class="winner">'),
        page.indexOf('</tr>', page.indexOf('<tr class="winner">')),
      );
      // The configuration's name (its median repeat) and its three repeats.
      expect(winnerRow.match(/href="trials\//g)).toHaveLength(4);
      const winnerPages = new Set([...winnerRow.matchAll(/href="trials\/([^"]+)"/g)].map((m) => m[1]));
      expect(winnerPages.size).toBe(3);
      for (const name of winnerPages)
        expect(
          charted.some((p) => p.endsWith(`/${name}`)),
          name,
        ).toBe(true);
      const table = page.slice(page.indexOf('<table class="data sortable" id="leaderboard"'));
      const rows = table.slice(table.indexOf('<tbody>'), table.indexOf('</tbody>')).split('</tr>').slice(0, -1);
      expect(rows).toHaveLength(54);
      for (const row of rows) expect(row.match(/href="trials\//g)).toHaveLength(4);
      expect(page).toContain(`Every trial has a page (${trials.length})`);
      expect(page).toContain(`Charts are drawn on ${charted.length} of them`);
    },
  );

  it('renders one study on request and names an unknown one', async () => {
    const store = newStore();
    const first = await writeSyntheticStudy(store, { families: ['dense'], versions: ['base'], repeats: 1 });
    const second = await writeSyntheticStudy(store, {
      name: 'second',
      families: ['dense'],
      versions: ['base'],
      repeats: 1,
    });
    const outDir = await tempDir();
    const report = await renderReport(store, { outDir, studyId: second });
    expect(Object.keys(report.studyPaths)).toEqual([second]);
    const index = await readFile(report.indexPath, 'utf8');
    expect(index).toContain(`href="${fileSlug(second)}/index.html"`);
    expect(index).not.toContain(`href="${fileSlug(first)}/index.html"`);
    await expect(renderReport(store, { outDir, studyId: 'nope' })).rejects.toThrow(
      /study "nope" is not in the run store/,
    );
    await expect(renderReport(store, { outDir, maxTrialPages: 0 })).rejects.toThrow(
      'maxTrialPages must be a positive integer, got 0',
    );
  });

  it('reads the error metric a scoring thresholds from its scoring.errorMetric', () => {
    expect(errorMetricOf({ 'scoring.errorMetric': 'mae', 'threshold.rule': 'percentile' })).toBe('mae');
    expect(errorMetricOf({ 'threshold.errorMetric': 'mae' })).toBeUndefined();
    expect(errorMetricOf({ 'scoring.errorMetric': 'huber' })).toBeUndefined();
  });

  it('renders an empty store to an index that says so', async () => {
    const report = await renderReport(newStore(), { outDir: await tempDir() });
    expect(await readFile(report.indexPath, 'utf8')).toContain('The run store holds no studies yet.');
  });
});

describe('artifact reads while rendering', () => {
  it(
    "keeps each trial's curves for the compare page but " + 'never its errors (read when asked for, then garbage)',
    async () => {
      const store = newStore();
      const id = await writeSyntheticStudy(store, { families: ['dense'], versions: ['base'], repeats: 1, failures: 0 });
      const reads: string[] = [];
      const readArtifact = store.readArtifact.bind(store);
      store.readArtifact = (path: string) => (reads.push(path), readArtifact(path));
      const [trial] = await store.listTrials(id);
      const { artifacts, curves } = artifactReaders(store);
      const first = await artifacts(trial);
      await artifacts(trial);
      await curves(trial);
      const count = (file: string) => reads.filter((p) => p.endsWith(`/${file}`)).length;
      // keeping every trial's errors for the compare page held them all at once: ~130 MiB of
      // the report's peak on issue 12's 725k-row bench (483 -> 352 MiB)
      expect(count(ARTIFACT.curves)).toBe(1);
      expect(count(ARTIFACT.histograms)).toBe(2);
      expect(count(ARTIFACT.errors)).toBe(0);
      await first.errors();
      await first.errors();
      expect(count(ARTIFACT.errors)).toBe(1);
    },
  );

  it(
    "draws the histograms from histograms.json, never reading a trial's " +
      'errors; a store recorded without it draws the same from errors.json',
    async () => {
      const options = { families: ['dense', 'lstm'], versions: ['base'], repeats: 1 };
      const render = async (histograms: boolean) => {
        const store = newStore();
        const id = await writeSyntheticStudy(store, { ...options, histograms });
        const reads: string[] = [];
        const readArtifact = store.readArtifact.bind(store);
        store.readArtifact = (path: string) => (reads.push(path), readArtifact(path));
        const outDir = await tempDir();
        await renderReport(store, { outDir });
        const dir = join(outDir, fileSlug(id), 'trials');
        const pages = await Promise.all((await readdir(dir)).sort().map((f) => readFile(join(dir, f), 'utf8')));
        return { pages, errorReads: reads.filter((p) => p.endsWith(`/${ARTIFACT.errors}`)).length };
      };
      const recorded = await render(true);
      const before = await render(false);
      expect(recorded.errorReads).toBe(0);
      expect(before.errorReads).toBe(before.pages.length);
      expect(recorded.pages.length).toBeGreaterThan(1);
      const figure = (html: string) =>
        html.slice(
          html.indexOf('<figure class="chart" id="fig-histograms">'),
          html.indexOf('<figure class="chart" id="fig-roc-pr">'),
        );
      expect(recorded.pages.map(figure)).toEqual(before.pages.map(figure));
      expect(figure(recorded.pages[0])).toContain('<svg');
    },
  );
});
