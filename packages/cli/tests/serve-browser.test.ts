import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { SERVE_LOOK_MS } from '@aelab/reporting';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin } from './built-cli.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(`[cli] serve browser tests skipped: ${CHROMIUM} not found (CI installs Debian's chromium)`);
const OUTPUT = new URL('../test-output/', import.meta.url).pathname;

/**
 * Three trainings of 2,000 epochs of 32 batches: each trains for seconds even on an idle
 * machine (4 s at 03c520c, where the 3,000 one-batch epochs used before took 0.3 s and a trial
 * could end between two live writes), so a running trial is there to watch. The test does not rely on
 * that timing to see things: it freezes the sweep (SIGSTOP to its process group) at the states
 * it checks, as soon as the live file on disk shows them, and lets it go on after.
 */
const experiment = {
  name: 'live-sweep',
  seed: 5,
  data: { dataset: 'synthetic-ecg', options: { trainRows: 2048, testRows: 60 }, validationAnomalies: 'keep' },
  model: { kind: 'dense', encoder: [16, 4], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
  training: { epochs: 2000, batchSize: 64, learningRate: 0.003, loss: 'mse' },
  scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
  space: {
    'model.encoder': {
      type: 'categorical',
      values: [
        [16, 4],
        [16, 8],
        [16, 12],
      ],
    },
  },
  selection: { metric: 'f1', direction: 'maximize', split: 'validation' },
  executor: { backend: 'wasm' },
};

/** Liveness guard for every wait: generous, as CI machines are shared and loaded. */
const PATIENCE = 240_000;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The built CLI in a process group of its own (so the group can be frozen), under `timeout -k`. */
function aelab(args: string[]): ChildProcess {
  const child = spawn('timeout', ['-k', '5', '600', process.execPath, bin, ...args], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const name = `aelab ${args[0]} (${stderrOf.size})`;
  stderrOf.set(name, '');
  child.stderr!.on('data', (chunk: Buffer) =>
    stderrOf.set(name, (stderrOf.get(name)! + chunk.toString()).slice(-20_000)),
  );
  child.stdout!.resume();
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((done) =>
    child.exitCode !== null ? done(child.exitCode) : child.once('exit', (code) => done(code)),
  );
}

/** What the child processes wrote on stderr, to say why a wait gave up. */
const stderrOf = new Map<string, string>();

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + PATIENCE;
  let lastError = '';
  for (;;) {
    const value = await probe().catch((error: unknown) => void (lastError = String(error)));
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const children = [...stderrOf].map(([name, text]) => `${name} stderr: ${text.slice(-1500)}`).join('\n');
      throw new Error(`gave up waiting for ${what}; last probe error: ${lastError || 'none'}\n${children}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A running trial in the sweep's live progress file (store's `LiveTrial`), as far as the test reads it. */
interface LiveTrialFile {
  epochs: number;
  history: { epoch: number }[];
}

interface LiveApi {
  state: string;
  trials: { total: number; complete: number };
  runningTrials: { number: number; epoch: number; epochs: number }[];
}

describe.skipIf(!hasChromium)('aelab serve in headless Chromium', () => {
  let dir: string;
  let store: string;
  let server: ChildProcess;
  let url: string;
  let browser: Browser;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aelab-serve-live-'));
    store = join(dir, 'runs');
    await writeFile(join(dir, 'exp.json'), JSON.stringify(experiment));
    server = aelab(['serve', '--store', store, '--port', '0', '--poll-ms', '200']);
    children.push(server);
    let printed = '';
    server.stdout!.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    url = await until('the server to listen', async () => /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(printed)?.[1]);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, PATIENCE);

  afterAll(async () => {
    await browser?.close();
    for (const child of children) {
      if (child.exitCode === null && child.pid) {
        process.kill(-child.pid, 'SIGCONT');
        process.kill(-child.pid, 'SIGTERM');
        await exited(child);
      }
    }
    await rm(dir, { recursive: true, force: true });
  });

  const api = async <T>(path: string): Promise<T> => (await (await fetch(new URL(path, url))).json()) as T;

  async function openPage(path: string, problems: string[]): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (r) => !r.url().startsWith(url) && problems.push(`request outside the server: ${r.url()}`));
    await page.goto(new URL(path, url).href);
    // Gone if the page reloads: every update below must happen in place.
    await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
    return page;
  }
  const notReloaded = (page: Page) =>
    page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded === true);

  it(
    'shows a sweep started after it: the study appears, its trial count rises, a running curve grows; ' +
      'then equals the static report',
    async () => {
      const problems: string[] = [];
      const list = await openPage('index.html', problems);
      expect(await list.locator('main .missing').textContent()).toContain('no studies yet');

      const sweep = aelab([
        'search',
        'grid',
        '-e',
        join(dir, 'exp.json'),
        '--store',
        store,
        '--workers',
        '1',
        '--no-report',
      ]);
      children.push(sweep);
      const freeze = () => process.kill(-sweep.pid!, 'SIGSTOP');
      const resume = () => process.kill(-sweep.pid!, 'SIGCONT');

      // The study appears in the list, with the trial count the server gives while the sweep is frozen.
      const { studies } = await until('the study in the API', async () => {
        const body = await api<{ studies: { id: string; trials: { total: number } }[] }>('api/studies');
        return body.studies.length > 0 ? body : undefined;
      });
      const studyId = studies[0].id;
      // The server looks at the store at most every 250 ms (SERVE_LOOK_MS), so an answer just after a
      // freeze may predate it; one asked for a whole look later cannot (the sweep writes nothing
      // while frozen), and two equal answers that far apart are the frozen sweep's.
      const frozenTotal = async () => {
        const total = async () => (await api<LiveApi>(`api/studies/${studyId}/live`)).trials.total;
        for (let before = await total(); ;) {
          await new Promise((r) => setTimeout(r, 3 * SERVE_LOOK_MS));
          const now = await total();
          if (now === before) return now;
          before = now;
        }
      };
      freeze();
      const first = await frozenTotal();
      const trialsCell = list.locator('#studies tbody tr td:nth-child(8)');
      await expect.poll(() => trialsCell.textContent(), { timeout: PATIENCE }).toBe(String(first));
      resume();
      await until('a second trial', async () =>
        (await api<LiveApi>(`api/studies/${studyId}/live`)).trials.total > first ? true : undefined,
      );
      freeze();
      const second = await frozenTotal();
      await expect.poll(() => trialsCell.textContent(), { timeout: PATIENCE }).toBe(String(second));
      expect(second).toBeGreaterThan(first);
      // Opened while the sweep is frozen, so the trials still to train are there to watch.
      const study = await openPage(`${studyId}/index.html`, problems);
      resume();

      // On the study page, a running trial's curve gains points between two frozen moments:
      // A, a trial with at least half its epochs to go; B, the sweep's next live write after A.
      const liveFile = join(store, studyId, 'live', 'progress.json');
      const liveWrite = async () => (JSON.parse(await readFile(liveFile, 'utf8')) as { updatedAt: string }).updatedAt;
      const runningTrials = async () => (await api<LiveApi>(`api/studies/${studyId}/live`)).runningTrials;
      // The server looks at the store at most every 250 ms, so an answer just after a freeze may
      // predate it: the frozen sweep's file on disk is the truth, and the server is waited for.
      const trialsOnDisk = async () =>
        Object.values(
          (JSON.parse(await readFile(liveFile, 'utf8')) as { trials: Record<string, LiveTrialFile> }).trials,
        );
      const epochsOnDisk = async () => (await trialsOnDisk()).map((t) => t.history.at(-1)?.epoch ?? 0);
      const early = (epoch: number, epochs: number) => epoch > 0 && epoch < epochs / 2;
      const sameEpochs = (a: number[], b: number[]) =>
        JSON.stringify(a.filter((e) => e > 0).sort()) === JSON.stringify(b.filter((e) => e > 0).sort());
      const frozenRunningTrials = async () => {
        const truth = await epochsOnDisk();
        return until('the server to show the frozen sweep', async () => {
          const shown = await runningTrials();
          return sameEpochs(
            shown.map((t) => t.epoch),
            truth,
          )
            ? shown
            : undefined;
        });
      };
      const item = (n: number) => study.locator(`#live-running li[data-trial="${n}"]`);
      const points = async () => Number(await study.locator('#live-intermediate').getAttribute('data-points'));
      let grew = false;
      while (!grew) {
        // Watched on disk, not through the server (which looks at most every 250 ms): frozen at once.
        await until('a running trial early in its training', async () =>
          (await trialsOnDisk()).some((t) => early(t.history.at(-1)?.epoch ?? 0, t.epochs)) ? true : undefined,
        );
        freeze();
        const a = (await frozenRunningTrials()).find((t) => early(t.epoch, t.epochs));
        if (!a) {
          resume();
          continue;
        }
        await expect.poll(() => item(a.number).getAttribute('data-epoch'), { timeout: PATIENCE }).toBe(String(a.epoch));
        const pointsBefore = await points();
        expect(await study.locator('#live-intermediate svg').count()).toBe(1);
        const since = await liveWrite();
        resume();
        await until('the next live write', async () => ((await liveWrite()) !== since ? true : undefined));
        freeze();
        const b = (await frozenRunningTrials()).find((t) => t.number === a.number);
        // Half a training cannot pass before the next write, but should the trial have ended, try the next one.
        if (b && b.epoch > a.epoch) {
          await expect
            .poll(() => item(b.number).getAttribute('data-epoch'), { timeout: PATIENCE })
            .toBe(String(b.epoch));
          expect(await points()).toBeGreaterThan(pointsBefore);
          expect(await study.locator('#live-intermediate svg').count()).toBe(1);
          grew = true;
        }
        resume();
      }

      expect(await exited(sweep)).toBe(0);
      // Finished: the page, updated in place, shows what the static report of the store shows.
      const report = aelab(['report', '--store', store, '--out', join(dir, 'report')]);
      children.push(report);
      expect(await exited(report)).toBe(0);
      const offline = await browser.newPage();
      await offline.goto(pathToFileURL(join(dir, 'report', studyId, 'index.html')).href);
      const staticBoard = await offline.locator('#leaderboard').innerText();
      await expect.poll(() => study.locator('#live-state').textContent(), { timeout: PATIENCE }).toBe('finished');
      await expect.poll(() => study.locator('#leaderboard').innerText(), { timeout: PATIENCE }).toBe(staticBoard);
      expect(await study.locator('#leaderboard tbody tr').count()).toBe(3);
      await expect.poll(() => trialsCell.textContent(), { timeout: PATIENCE }).toBe('3');
      expect(await notReloaded(list)).toBe(true);
      expect(await notReloaded(study)).toBe(true);
      await mkdir(OUTPUT, { recursive: true });
      await study.screenshot({ path: join(OUTPUT, 'serve-study.png') });
      expect(problems).toEqual([]);
    },
    600_000,
  );

  it("compares two studies of one dataset side by side with their winners' intervals", async () => {
    // A second study of the same dataset, from the same file under another name.
    await writeFile(
      join(dir, 'exp2.json'),
      JSON.stringify({
        ...experiment,
        name: 'live-sweep-2',
        seed: 9,
        training: { ...experiment.training, epochs: 3 },
        repeats: 2,
      }),
    );
    const sweep = aelab([
      'search',
      'grid',
      '-e',
      join(dir, 'exp2.json'),
      '--store',
      store,
      '--workers',
      '1',
      '--no-report',
    ]);
    children.push(sweep);
    expect(await exited(sweep)).toBe(0);
    const { studies } = await api<{ studies: { id: string; name: string; dataset: string }[] }>('api/studies');
    expect(studies.map((s) => s.dataset)).toEqual(['synthetic-ecg', 'synthetic-ecg']);
    const problems: string[] = [];
    const page = await openPage('compare.html', problems);
    for (const s of studies) await page.locator(`input[name="studies"][value="${s.id}"]`).check();
    await page.locator('form.picker button[type="submit"]').click();
    await page.waitForURL(/studies=/);
    const headers = await page.locator('table.compare thead th').allInnerTexts();
    expect(headers.slice(1)).toEqual(studies.map((s) => `${s.name} (${s.id})`));
    const ci = page.locator('table.compare tbody tr', { hasText: '95% CI' }).locator('td');
    expect(await ci.count()).toBe(2);
    const second = await ci.nth(1).innerText();
    expect(second).toMatch(/^\[.+, .+\]$/); // two repeats: an interval
    expect(await page.locator('#fig-winners-ci svg').count()).toBe(1);
    // Only the parameters that differ: the epochs do, the dataset does not.
    const params = await page.locator('table.compare tbody tr.differs th').allInnerTexts();
    expect(params).toContain('training.epochs');
    expect(params).not.toContain('data.dataset');
    await mkdir(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'serve-compare.png'), fullPage: true });
    expect(problems).toEqual([]);
  }, 600_000);
});
