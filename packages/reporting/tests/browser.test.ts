import { existsSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../src/index.js';
import { newStore, writeSyntheticStudy } from './synthetic-study.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `[reporting] browser test skipped: ${CHROMIUM} not found ` +
      `(CI installs Debian's chromium; locally: apt-get install chromium)`,
  );
}
const OUTPUT = new URL('../test-output/', import.meta.url).pathname;

describe.skipIf(!hasChromium)('study page in headless Chromium', () => {
  let browser: Browser;
  let studyUrl: string;

  beforeAll(async () => {
    const store = newStore();
    // Ranked by ROC-AUC, so the best-F1 configuration is not already on top.
    const id = await writeSyntheticStudy(store, {
      families: ['dense', 'lstm'],
      versions: ['base', 'tuned'],
      repeats: 2,
    });
    const report = await renderReport(store, {
      outDir: await mkdtemp(join(tmpdir(), 'aelab-report-browser-')),
      maxTrialPages: 2,
    });
    studyUrl = pathToFileURL(report.studyPaths[id]).href;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('shows one row per configuration, sorts by F1 on a header click, filters, and loads offline', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('request', (r) => !r.url().startsWith('file:') && problems.push(`network request: ${r.url()}`));
    await page.goto(studyUrl);

    const rows = page.locator('#leaderboard tbody tr');
    // 2 families x 2 versions x 2 learning rates x 3 percentiles.
    expect(await rows.count()).toBe(24);
    const headers = await page.locator('#leaderboard thead th').allTextContents();
    const f1Column = headers.findIndex((h) => h.trim() === 'F1 (test)');
    expect(f1Column).toBeGreaterThan(0);
    const f1Values = (await page
      .locator(`#leaderboard tbody tr td:nth-child(${f1Column + 1})`)
      .evaluateAll((cells) => cells.map((c) => Number(c.getAttribute('data-value'))))) as number[];
    const bestF1 = Math.max(...f1Values);
    const firstF1 = () =>
      rows
        .first()
        .locator(`td:nth-child(${f1Column + 1})`)
        .getAttribute('data-value');
    expect(Number(await firstF1())).not.toBe(bestF1);

    await page.locator('#leaderboard thead th', { hasText: /^F1 \(test\)$/ }).click();
    expect(Number(await firstF1())).toBe(bestF1);
    expect(await page.locator('#leaderboard thead th', { hasText: /^F1 \(test\)$/ }).getAttribute('aria-sort')).toBe(
      'descending',
    );
    await page.locator('#leaderboard thead th', { hasText: /^F1 \(test\)$/ }).click();
    expect(Number(await firstF1())).toBe(Math.min(...f1Values));

    await page.locator('input[data-filter-for="leaderboard"]').fill('lstm tuned');
    expect(await page.locator('#leaderboard tbody tr:not([hidden])').count()).toBe(6);
    expect(await page.locator('[data-count-for="leaderboard"]').textContent()).toBe('6 of 24 rows');
    await page.locator('input[data-filter-for="leaderboard"]').fill('');

    await page.locator('#leaderboard thead th', { hasText: /^#$/ }).click();
    expect(await page.locator('svg').count()).toBeGreaterThan(5);
    await mkdir(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'study-page.png'), fullPage: true });
    expect(problems).toEqual([]);
  });
});
