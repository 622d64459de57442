import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../src/index.js';
import { newStore, writeSyntheticStudy } from './synthetic-study.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(`[reporting] first-screen test skipped: ${CHROMIUM} not found (apt-get install chromium)`);

const SCREEN = { width: 1280, height: 800 };

/** The element's box, in viewport pixels. */
async function box(locator: Locator) {
  const b = await locator.boundingBox();
  if (!b) throw new Error(`no bounding box for ${locator.toString()}`);
  return b;
}

describe.skipIf(!hasChromium)('the leaderboard at 1280 x 800 in headless Chromium', () => {
  let browser: Browser;
  let studyUrl: string;
  let outDir: string;

  beforeAll(async () => {
    const store = newStore();
    // 54 configurations with three swept parameters, ranked on validation: the shape of the
    // seed studies, whose table was 2,312 px wide with the ranking columns at its far right.
    const id = await writeSyntheticStudy(store, {
      repeats: 3,
      selection: { metric: 'mse', direction: 'minimize', split: 'validation' },
    });
    outDir = await mkdtemp(join(tmpdir(), 'aelab-report-first-screen-'));
    const report = await renderReport(store, { outDir, maxTrialPages: 2 });
    studyUrl = pathToFileURL(report.studyPaths[id]).href;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('shows the selection metric, its interval and p on the first screen, without sideways scrolling', async () => {
    const page = await browser.newPage({ viewport: SCREEN });
    await page.goto(studyUrl);
    await page.screenshot({ path: join(outDir, 'leaderboard-1280x800.png') });

    const headers = (await page.locator('#leaderboard thead th').allTextContents()).map((h) => h.trim());
    expect(headers.slice(0, 5)).toEqual(['#', 'Configuration', 'MSE (validation)', '95% CI', 'p vs ★']);
    const onFirstScreen = async (locator: Locator) => {
      const b = await box(locator);
      expect(b.x, locator.toString()).toBeGreaterThanOrEqual(0);
      expect(b.x + b.width, locator.toString()).toBeLessThanOrEqual(SCREEN.width);
      expect(b.y + b.height, locator.toString()).toBeLessThanOrEqual(SCREEN.height);
    };
    for (const column of [3, 4, 5]) {
      await onFirstScreen(page.locator(`#leaderboard thead th:nth-child(${column})`));
      for (const row of [1, 2])
        await onFirstScreen(page.locator(`#leaderboard tbody tr:nth-child(${row}) td:nth-child(${column})`));
    }
    // Nothing to scroll sideways: neither the table's box nor the page.
    const scroller = await page
      .locator('.scroll:has(> #leaderboard)')
      .evaluate((el) => ({ scroll: el.scrollWidth, box: el.clientWidth }));
    expect(scroller.scroll).toBeLessThanOrEqual(scroller.box);
    expect(await page.locator('html').evaluate((el) => el.scrollWidth)).toBeLessThanOrEqual(SCREEN.width);

    // The secondary columns are one click away, and the ranking columns stay where they were.
    const before = await box(page.locator('#leaderboard thead th:nth-child(3)'));
    await page.locator('input[data-all-columns-for="leaderboard"]').check();
    expect(await page.locator('#leaderboard thead th', { hasText: /^Train s$/ }).isVisible()).toBe(true);
    expect((await box(page.locator('#leaderboard thead th:nth-child(3)'))).x).toBeLessThanOrEqual(before.x);
    await page.close();
  });
});
