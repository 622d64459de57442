import { readFile } from 'node:fs/promises';
import { prepareData } from '@aelab/data';
import { InMemoryRunStore } from '@aelab/store';
import { describe, expect, it } from 'vitest';
import type { TrialExecutor } from '../src/executors/executor.js';
import { parseExperiment } from '../src/experiment.js';
import { runStudy } from '../src/study.js';
import type { TrialResult, TrialTask } from '../src/trial-task.js';

/** Records every task it is given and trains nothing (each trial fails: only the tasks matter here). */
class TaskLog implements TrialExecutor {
  readonly name = 'task-log';
  readonly concurrency = 1;
  readonly tasks: TrialTask[] = [];
  async run(task: TrialTask): Promise<TrialResult> {
    this.tasks.push(task);
    throw new Error('not trained');
  }
  async close(): Promise<void> {}
}

/*
 * experiments/default.json, the README's main job, runs one repeat with "resample":
 * "validation". Its expected winner (dense [64,32,16], dropout 0.2, p95) cannot change
 * because of it: repeat 0 trains on exactly the data and seed it would without
 * resampling. Later repeats (here 2) draw their own carve.
 */
describe('resample keeps repeat 0 as it was (the README main job)', () => {
  it(
    'gives repeat 0 the same seed, rows and fingerprint as without resample, ' + 'and later repeats their own carve',
    async () => {
      const raw = JSON.parse(
        await readFile(new URL('../../../experiments/default.json', import.meta.url), 'utf8'),
      ) as Record<string, unknown>;
      expect(raw.resample).toBe('validation');
      const tasksOf = async (resample: 'none' | 'validation') => {
        const executor = new TaskLog();
        const experiment = parseExperiment(
          { ...raw, name: `default-${resample}`, repeats: 2, resample },
          'default.json',
        );
        await runStudy({ experiment, experimentPath: 'default.json', store: new InMemoryRunStore(), executor });
        return executor.tasks;
      };
      const [plain, drawn] = [await tasksOf('none'), await tasksOf('validation')];
      expect(drawn.map((t) => [t.training?.configHash, t.training?.repeat, t.seed])).toEqual(
        plain.map((t) => [t.training?.configHash, t.training?.repeat, t.seed]),
      );
      const first = (tasks: TrialTask[], repeat: number) => tasks.find((t) => t.training?.repeat === repeat)!;
      const [a, b] = await Promise.all([
        prepareData(first(plain, 0).config.data),
        prepareData(first(drawn, 0).config.data),
      ]);
      expect(b.fingerprint).toBe(a.fingerprint);
      expect(b.validation.index).toEqual(a.validation.index);
      const [a1, b1] = await Promise.all([
        prepareData(first(plain, 1).config.data),
        prepareData(first(drawn, 1).config.data),
      ]);
      expect(a1.validation.index).toEqual(a.validation.index);
      expect(b1.validation.index).not.toEqual(a.validation.index);
    },
    120_000,
  );
});
