import type { Probe } from './probe.js';

/*
 * The executor seam: an executor with a setting of its own (`label`), which trains one trial
 * at a time in the coordinator's thread. Adding it is its file plus its entry in EXECUTORS
 * (the import on the same line); its check runs a one-training sweep through the CLI from an
 * experiment file that names it, and finds its setting used and its training recorded.
 */
const implementation = `import { z } from 'zod';
import type { TrialDirective } from '../trial-task.js';
import { defineExecutor } from './executor.js';

const settings = z.object({ kind: z.literal('probe-sequential'), label: z.string().min(1).max(80) }).strict();

/** Trains one trial at a time in this thread (the architecture probe of the executor seam). */
export const probeExecutor = defineExecutor({
  kind: 'probe-sequential',
  description: 'one training at a time in the coordinator thread (architecture probe)',
  schema: settings,
  create: ({ label }: z.output<typeof settings>) => ({
    name: 'probe-sequential',
    concurrency: 1,
    note: \`probe executor labelled \${label}\`,
    async run(task, onProgress, signal) {
      // Loaded when a trial runs: the registry is imported by code that never trains.
      const { trainTrial } = await import('../trial-runner.js');
      let verdict: Promise<TrialDirective | void> = Promise.resolve();
      const channel = {
        report: (progress: Parameters<typeof onProgress>[0]) =>
          void (verdict = verdict.then(() => onProgress(progress))),
        shouldStop: async () => task.pruning === true && (await verdict) === 'prune',
        signal,
      };
      const result = await trainTrial(task, channel);
      await verdict;
      return result;
    },
    close: async () => undefined,
  }),
});
`;

const check = `import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'aelab-probe-executor-'));
const experiment = {
  name: 'probe-executor',
  seed: 1,
  data: { dataset: 'synthetic-ecg', options: { trainRows: 80, testRows: 40 } },
  model: { kind: 'dense', encoder: [8, 2], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
  training: { epochs: 1, batchSize: 32, learningRate: 0.003, loss: 'mse' },
  scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
  selection: { metric: 'f1', direction: 'maximize', split: 'test', allowTest: true },
  executor: { kind: 'probe-sequential', label: 'probe-label-7', backend: 'wasm' },
};
const file = join(dir, 'probe.json');
writeFileSync(file, JSON.stringify(experiment));
const schema = JSON.parse(readFileSync('experiments/schema.json', 'utf8'));
if (!JSON.stringify(schema).includes('"const":"probe-sequential"'))
  throw new Error('the JSON schema lacks the probe executor');
const run = spawnSync(process.execPath, ['packages/cli/bin/aelab.js', 'search', 'grid', '-e', file,
  '--store', join(dir, 'runs'), '--no-report'], { encoding: 'utf8' });
process.stdout.write(run.stdout + run.stderr);
if (run.status !== 0) throw new Error('the sweep through the probe executor failed: exit ' + run.status);
if (!(run.stdout + run.stderr).includes('probe executor labelled probe-label-7'))
  throw new Error('the executor did not get its own setting');
if (!/1 trainings? for 1 evaluated configuration/.test(run.stdout)) throw new Error('no training recorded');
writeFileSync(file, JSON.stringify({ ...experiment, executor: { kind: 'probe-sequential', lable: 'x' } }));
const refused = spawnSync(process.execPath, ['packages/cli/bin/aelab.js', 'search', 'grid', '-e', file,
  '--store', join(dir, 'bad'), '--no-report'], { encoding: 'utf8' });
if (refused.status === 0 || !/did you mean "label"/.test(refused.stderr))
  throw new Error('a misspelt setting was not refused');
`;

const probe: Probe = {
  seam: 'executor',
  create: { 'packages/search/src/executors/probe-executor.ts': implementation },
  edit: {
    'packages/search/src/executors/index.ts': (text) =>
      text.replace(
        /^export const EXECUTORS = \[([^\]]*)\]/m,
        (_line, list: string) =>
          `import { probeExecutor } from './probe-executor.js'; ` +
          `export const EXECUTORS = [${list.trim()}, probeExecutor]`,
      ),
  },
  check,
};

export default probe;
