import { relative, resolve } from 'node:path';
import { reachFailpoint } from '@aelab/core';
import { renderReport } from '@aelab/reporting';
import {
  EXECUTOR_KINDS,
  parseExperiment,
  plannedTrainings,
  readExperimentJson,
  runStudy,
  SAMPLERS,
  type Experiment,
  type ExperimentInput,
  withExecutorKind,
  type StudySummary,
} from '@aelab/search';
import { JsonFileRunStore } from '@aelab/store';
import { LARGE_SWEEP, type SearchArgs } from './args.js';
import { LiveProgressRecorder } from './live-progress.js';
import { ProgressDisplay } from './progress.js';
import { printBest } from './runs-view.js';

/** Default `trials` for a sampler that needs a count when neither the file nor `--trials` gives one. */
const DEFAULT_TRIALS = 20;

/** Applies command-line overrides to the experiment file as written; the result is validated once. */
function withOverrides(raw: unknown, args: SearchArgs): ExperimentInput {
  const exp = structuredClone(raw) as ExperimentInput;
  if (args.epochs !== undefined) exp.training = { ...exp.training, epochs: args.epochs };
  if (args.repeats !== undefined) exp.repeats = args.repeats;
  const current = (exp.sampler?.type === args.sampler ? exp.sampler : { type: args.sampler }) as Record<
    string,
    unknown
  >;
  const takesTrials = 'trials' in (SAMPLERS.find((s) => s.type === args.sampler)?.schema.shape ?? {});
  const trials = args.trials ?? (current.trials as number | undefined) ?? (takesTrials ? DEFAULT_TRIALS : undefined);
  exp.sampler = { ...current, ...(trials !== undefined ? { trials } : {}) } as ExperimentInput['sampler'];
  if (args.pruner !== undefined && exp.pruner?.type !== args.pruner)
    exp.pruner = { type: args.pruner } as ExperimentInput['pruner'];
  if (args.executor !== undefined && EXECUTOR_KINDS.includes(args.executor)) {
    exp.executor = withExecutorKind(exp.executor, args.executor);
  }
  return exp;
}

/** `aelab search grid|random`: returns the process exit code. */
export async function runSearch(args: SearchArgs): Promise<number> {
  const raw = await readExperimentJson(args.experiment);
  const experiment = parseExperiment(withOverrides(raw, args), args.experiment);
  const planned = plannedTrainings(experiment);
  if (planned !== null && planned > LARGE_SWEEP && !args.yes) {
    throw new Error(
      `${args.experiment}: the ${experiment.sampler.type} sampler would train ${planned.toLocaleString('en')} models` +
        ` (more than ${LARGE_SWEEP.toLocaleString('en')}); pass --yes to start it,` +
        ' or sample fewer with `aelab search random --trials N`',
    );
  }
  const store = await JsonFileRunStore.open(resolve(args.store));
  try {
    return await sweep(args, experiment, store);
  } finally {
    await store.close();
  }
}

async function sweep(args: SearchArgs, experiment: Experiment, store: JsonFileRunStore): Promise<number> {
  const progress = new ProgressDisplay();
  const live = new LiveProgressRecorder(store.root);
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    process.stderr.write('\nstopping: running trials will be recorded as interrupted (Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  // `aelab search grid 2>&1 | head`: once the reader is gone, stop as Ctrl-C does (running
  // trials recorded as interrupted, the store closed) instead of dying on the write.
  const onClosedOutput = (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    controller.abort();
  };
  process.stdout.on('error', onClosedOutput);
  process.stderr.on('error', onClosedOutput);
  let summary;
  try {
    summary = await runStudy({
      experiment,
      experimentPath: relative(process.cwd(), resolve(args.experiment)),
      store,
      workers: args.workers,
      backend: args.backend,
      fresh: args.fresh,
      dataDir: args['data-dir'],
      // Not a kind: an address (kept out of the experiment, which the store records, as it may hold a password).
      executorAddress:
        args.executor !== undefined && !EXECUTOR_KINDS.includes(args.executor) ? args.executor : undefined,
      signal: controller.signal,
      onEvent: (event) => {
        // Test seams (AELAB_FAILPOINT), held before the event is shown.
        if (event.type === 'trial-start') reachFailpoint('stop-at-start');
        if (event.type === 'trial-end') reachFailpoint('stop-after-record');
        progress.handle(event);
        live.handle(event);
      },
    });
  } finally {
    await live.close();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
  const { study } = summary;
  console.log(
    `${summary.completedTrainings} trainings for ${summary.evaluatedConfigurations} evaluated configurations` +
      ` (this run: ${summary.trained} trained, ${summary.skipped} skipped as already done, ${summary.failed} failed` +
      `${summary.pruned ? `, ${summary.pruned} pruned` : ''})`,
  );
  const failures = failureLine(summary);
  if (failures) console.log(failures);
  await printBest(store, study.id);
  if (args.report) {
    const report = await renderReport(store, { outDir: resolve(args.store, 'report') });
    console.log(`report: ${report.studyPaths[study.id] ?? report.indexPath}`);
  }
  if (summary.interrupted) {
    console.log(`interrupted: re-run the same command to resume study ${study.id}`);
    return 130;
  }
  return sweepExitCode(summary);
}

/** Exit code when the failure policy stopped the sweep (`failures.maxConsecutive`). */
export const STOPPED_BY_FAILURES = 3;

/** The process exit code of a sweep that was not interrupted. */
export function sweepExitCode(summary: StudySummary): number {
  if (summary.stopped !== undefined) return STOPPED_BY_FAILURES;
  return summary.failed > 0 && summary.completedTrainings === 0 ? 1 : 0;
}

/** The summary's line on failures and the policy that handled them; undefined when none failed or was given up. */
export function failureLine(summary: StudySummary): string | undefined {
  const { failed, gaveUp, stopped, failures } = summary;
  if (failed === 0 && gaveUp === 0) return undefined;
  const runs = `${failures.maxRetriesPerTrial} later run${failures.maxRetriesPerTrial === 1 ? '' : 's'}`;
  const policy = `failures: retried on up to ${runs}, ${failures.maxConsecutive} in a row stop the sweep`;
  const given = gaveUp ? `; ${gaveUp} training${gaveUp === 1 ? '' : 's'} not retried (failed too often before)` : '';
  return `${policy}${given}${stopped ? `\n${stopped}` : ''}`;
}
