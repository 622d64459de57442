import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { renderReport } from '@aelab/reporting';
import { parseExperiment, runStudy } from '@aelab/search';
import { JsonFileRunStore } from '@aelab/store';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCli } from '../src/cli.js';

/*
 * The shipped ECG5000 and NAB studies at reduced size (one variant, 2 epochs, 2 repeats,
 * their scoring space and all seven baselines as shipped): `runs best` and the study page
 * name the best baseline and the paired difference with its interval. The full-size
 * numbers are in docs/baselines.md with the commands that made them.
 */
const dataDir = process.env.AELAB_DATA_DIR;
const available = dataDir !== undefined && existsSync(dataDir);
if (!available)
  console.log(
    'real-study baseline tests skipped: set AELAB_DATA_DIR to the shared datasets folder (e.g. /work/shared/datasets)',
  );

const EXPERIMENTS = resolve(import.meta.dirname, '../../../experiments');

async function reduced(file: string, variant: string) {
  const raw = JSON.parse(await readFile(join(EXPERIMENTS, file), 'utf8')) as Record<string, unknown> & {
    variants: { name: string }[];
    space: Record<string, unknown>;
    training: Record<string, unknown>;
  };
  const space = Object.fromEntries(Object.entries(raw.space).filter(([name]) => name.startsWith('threshold.')));
  return parseExperiment({
    ...raw,
    variants: raw.variants.filter((v) => v.name === variant),
    space,
    repeats: 2,
    training: { ...raw.training, epochs: 2 },
  });
}

describe.skipIf(!available)('the best baseline on the shipped real-data studies (reduced)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aelab-real-baselines-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['ecg5000-dense.json', 'V3', 'F1'],
    ['nab-nine-models.json', 'dense base', 'PR-AUC'],
  ])(
    '%s: runs best and the study page name the best baseline and the paired difference',
    async (file, variant, metric) => {
      const experiment = await reduced(file, variant);
      expect(experiment.baselines).toHaveLength(7);
      const root = join(dir, file);
      const store = await JsonFileRunStore.open(root);
      const summary = await runStudy({ experiment, experimentPath: file, store, workers: 1, dataDir });
      expect(summary).toMatchObject({ failed: 0, completedTrainings: 16 });

      const lines: string[] = [];
      const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
      try {
        await createCli(['runs', 'best', '--store', root]).exitProcess(false).parseAsync();
      } finally {
        log.mockRestore();
      }
      const sentence = lines.find((l) => l.includes('the best baseline'))?.trim();
      const pattern = new RegExp(
        `^the best autoencoder \\(dense ${variant} · .+\\) (beats|does not beat|is beaten by) ` +
          `the best baseline \\((pca|isolation-forest|knn) .+\\) ` +
          `on validation ${metric}: difference -?\\d\\.\\d{3}, ` +
          `95% CI \\[-?\\d\\.\\d{3}, -?\\d\\.\\d{3}\\] \\(paired bootstrap over ` +
          // ecg5000-dense re-draws its validation carve per repeat: the repeats pair by repeat.
          `(the \\d+ validation rows|the validation rows of each of the \\d+ repeats, paired by repeat)`,
      );
      expect(sentence).toMatch(pattern);
      const report = await renderReport(store, { outDir: join(root, 'report') });
      const page = (await readFile(report.studyPaths[summary.study.id], 'utf8')).replace(/&#x3D;/g, '=');
      expect(page).toContain(`<strong>Against the baselines:</strong> ${sentence}.`);
      await store.close();
    },
    600_000,
  );
});
