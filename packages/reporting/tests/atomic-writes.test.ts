import { link, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileSlug, renderReport } from '../src/index.js';
import { newStore, writeSyntheticStudy } from './synthetic-study.js';

const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('renderReport replaces pages in one step', () => {
  // A page written in place is truncated first: a kill mid-write leaves it empty or
  // torn. A page written beside and renamed over the old one replaces the directory
  // entry, so a hard link to the old page still holds the old page, whole.
  it('never writes into an existing page: a hard link to the old one keeps the old content', async () => {
    const store = newStore();
    const id = await writeSyntheticStudy(store, {
      families: ['dense'],
      versions: ['base'],
      repeats: 1,
      artifacts: true,
    });
    const outDir = await mkdtemp(join(tmpdir(), 'aelab-report-atomic-'));
    scratch.push(outDir);
    await renderReport(store, { outDir });
    const pages = ['index.html', 'report.css', join(fileSlug(id), 'index.html'), join(fileSlug(id), 'compare.html')];
    const fresh = await Promise.all(pages.map((page) => readFile(join(outDir, page), 'utf8')));
    for (const [i, page] of pages.entries()) {
      await writeFile(join(outDir, page), `old ${page}`);
      await link(join(outDir, page), join(outDir, `kept-${i}`));
    }

    const report = await renderReport(store, { outDir });

    for (const [i, page] of pages.entries()) {
      expect(await readFile(join(outDir, `kept-${i}`), 'utf8')).toBe(`old ${page}`);
      expect(await readFile(join(outDir, page), 'utf8')).toBe(fresh[i]);
    }
    const leftovers = (await readdir(outDir, { recursive: true })).filter((name) => name.endsWith('.tmp'));
    expect(leftovers).toEqual([]);
    expect(report.files).toContain(join(outDir, 'index.html'));
  });

  it('removes the temp files a killed render left, and nothing else', async () => {
    const store = newStore();
    const id = await writeSyntheticStudy(store, { families: ['dense'], versions: ['base'], repeats: 1 });
    const outDir = await mkdtemp(join(tmpdir(), 'aelab-report-torn-'));
    scratch.push(outDir);
    await renderReport(store, { outDir });
    const torn = [join(outDir, '.index.html.4242.tmp'), join(outDir, fileSlug(id), 'trials', '.t000000.html.4242.tmp')];
    for (const file of torn) await writeFile(file, 'half a page');
    await writeFile(join(outDir, 'notes.tmp'), 'mine');
    await renderReport(store, { outDir });
    const leftovers = (await readdir(outDir, { recursive: true })).filter((name) => name.endsWith('.tmp'));
    expect(leftovers).toEqual(['notes.tmp']);
  });
});
