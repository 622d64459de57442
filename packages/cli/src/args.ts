/**
 * Each command's options, built once: the command modules use the builders and the
 * implementations take the argument types inferred from them, so a command and its
 * implementation cannot disagree (and neither imports the other).
 */
import { availableParallelism } from 'node:os';
import { EXPORT_FORMATS, LOWEST_THRESHOLD } from '@aelab/core';
import { DECIMAL_NUMBER } from '@aelab/data';
import { PRUNER_TYPES, SAMPLER_TYPES, WORKER_EXECUTORS } from '@aelab/search';
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { flag, withBackend, withDataDir, withStore } from './options.js';

/** Trainings above which `search` wants `--yes`: a typo in a grid should not start a week of work. */
export const LARGE_SWEEP = 10_000;

/** The options a builder adds (what its CommandModule is typed with). */
type OptionsOf<B extends (y: Argv) => Argv<unknown>> = ReturnType<B> extends Argv<infer U> ? U : never;
/** ... as the handler receives them. */
type ArgsOf<B extends (y: Argv) => Argv<unknown>> = ArgumentsCamelCase<OptionsOf<B>>;

export function searchOptions(y: Argv) {
  return withDataDir(
    withBackend(
      withStore(
        y
          .positional('sampler', { choices: SAMPLER_TYPES, demandOption: true, describe: 'How to walk the space' })
          .option('experiment', {
            alias: 'e',
            type: 'string',
            default: 'experiments/default.json',
            describe: 'Experiment file',
          })
          .option('workers', {
            alias: 'w',
            type: 'number',
            coerce: positiveInteger('workers'),
            describe:
              'Trainings at once (default: experiment, else CPU count; here at most the trainings left and 2 per CPU;' +
              ' with redis: in flight across all workers, default 8)',
          })
          .option('executor', {
            type: 'string',
            describe:
              'Where trainings run: pool (worker threads here), or redis://[:password@]host:port (rediss:// for TLS) ' +
              'for `aelab worker`s on any machine',
          })
          .option('trials', {
            type: 'number',
            coerce: positiveInteger('trials'),
            describe: 'Training configurations to sample (samplers that take a count)',
          })
          .option('pruner', {
            choices: PRUNER_TYPES,
            describe: "Stop hopeless trials early (keeps the file's settings for the same type)",
          })
          .option('epochs', {
            type: 'number',
            coerce: positiveInteger('epochs'),
            describe: 'Override training.epochs (e.g. 1 for a smoke run)',
          })
          .option('repeats', {
            type: 'number',
            coerce: positiveInteger('repeats'),
            describe: 'Override repeats per configuration',
          })
          .option('fresh', flag('Start a new study instead of resuming'))
          .option(
            'yes',
            flag(`Start a sweep of more than ${LARGE_SWEEP.toLocaleString('en')} trainings without asking`),
          )
          .option('report', flag('Render the HTML report at the end (--no-report to skip)', true)),
      ),
    ),
  );
}
export type SearchOptions = OptionsOf<typeof searchOptions>;
export type SearchArgs = ArgsOf<typeof searchOptions>;

export function runsOptions(y: Argv) {
  return withStore(
    y
      .positional('action', { choices: ['list', 'show', 'best', 'table', 'export'] as const, demandOption: true })
      .positional('id', { type: 'string', describe: 'Study id or name (show/best/table/export), or trial id (show)' })
      .option('study', { alias: 's', type: 'string', describe: 'Study id or name (default: the latest)' })
      .option('format', {
        choices: EXPORT_FORMATS,
        default: 'csv' as const,
        describe: 'export: one row per evaluation and repeat, as CSV or JSON',
      })
      .option('out', { alias: 'o', type: 'string', describe: 'export: write to this file (default: standard output)' })
      .option('markdown', flag("table: the study page's leaderboard as a Markdown table (default: tab-separated)")),
  );
}
export type RunsOptions = OptionsOf<typeof runsOptions>;
export type RunsArgs = ArgsOf<typeof runsOptions>;

export function serveOptions(y: Argv) {
  return withStore(y)
    .option('port', {
      alias: 'p',
      type: 'string',
      default: '8080',
      coerce: portNumber,
      describe: 'Port to listen on (0: any free port)',
    })
    .option('host', {
      type: 'string',
      default: '127.0.0.1',
      describe: 'Address to bind: loopback unless you say otherwise (e.g. 0.0.0.0)',
    })
    .option('poll-ms', {
      type: 'number',
      default: 2000,
      describe: 'At most how often open pages are updated (event streams; polls where refused), in ms (at least 100)',
    });
}
export type ServeOptions = OptionsOf<typeof serveOptions>;
export type ServeArgs = ArgsOf<typeof serveOptions>;

/** `--port`: an integer 0..65535, named in the error otherwise. */
function portNumber(value: unknown): number {
  const text = String(Array.isArray(value) ? value.at(-1) : value).trim();
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new Error(`--port must be an integer from 0 to 65535, got '${text}'`);
  return port;
}

export function reportOptions(y: Argv) {
  return withStore(y)
    .option('study', { type: 'string', describe: 'Only this study (id); default: all' })
    .option('out', { type: 'string', describe: 'Output folder (default: <store>/report)' });
}
export type ReportOptions = OptionsOf<typeof reportOptions>;
export type ReportArgs = ArgsOf<typeof reportOptions>;

export function dataOptions(y: Argv) {
  return withDataDir(
    y
      .positional('action', { choices: ['list', 'inspect', 'fetch'] as const, demandOption: true })
      .positional('name', { type: 'string', describe: 'Dataset name (see `data list`) or a file path' })
      .option('json', flag('Print JSON'))
      .option('base-url', { type: 'string', describe: 'Fetch from this mirror instead of the canonical URL' }),
  );
}
export type DataOptions = OptionsOf<typeof dataOptions>;
export type DataArgs = ArgsOf<typeof dataOptions>;

/** A number option that must be finite: yargs' `type: 'number'` turns `abc` into NaN and lets it through. */
function finiteNumber(option: string) {
  return (value: unknown): number => {
    const text = String(Array.isArray(value) ? value.at(-1) : value).trim();
    if (!DECIMAL_NUMBER.test(text) || !Number.isFinite(Number(text))) {
      throw new Error(`--${option} must be a finite number, got '${text}'`);
    }
    return Number(text);
  };
}

/** `--threshold`: finite, and not below any error (a negative threshold flagged every row). */
function thresholdValue(value: unknown): number {
  const threshold = finiteNumber('threshold')(value);
  if (threshold < LOWEST_THRESHOLD) {
    throw new Error(
      `--threshold must be >= ${LOWEST_THRESHOLD} (reconstruction errors are never negative), got '${threshold}'`,
    );
  }
  return threshold;
}

export function scoreOptions(y: Argv) {
  return withBackend(
    y
      .option('model', {
        alias: 'm',
        type: 'string',
        demandOption: true,
        describe: 'Model folder (runs/<study>/trials/<trial>/model)',
      })
      .option('input', {
        alias: 'i',
        type: 'string',
        demandOption: true,
        describe: 'Data file: .csv, .arff, .ts or UCR .txt',
      })
      .option('threshold', {
        type: 'string',
        coerce: thresholdValue,
        describe: 'Override the threshold saved with the model',
      })
      .option('label-column', {
        type: 'string',
        describe:
          "CSV label column (name or index), or 'none' for unlabelled data; labels turn on metrics " +
          '(default: none when the file has as many numeric columns as the model has features, else the last column)',
      })
      .option('out', { alias: 'o', type: 'string', describe: 'Write per-row results as CSV here (default: stdout)' }),
  );
}
export type ScoreOptions = OptionsOf<typeof scoreOptions>;
export type ScoreArgs = ArgsOf<typeof scoreOptions>;

export function infoOptions(y: Argv) {
  return withBackend(y).option('json', flag('Print JSON'));
}
export type InfoOptions = OptionsOf<typeof infoOptions>;
export type InfoArgs = ArgsOf<typeof infoOptions>;

/** A whole number of at least 1, for counts that yargs would otherwise let through as 0, -2 or 1.5. */
function positiveInteger(option: string) {
  return (value: unknown): number => {
    const n = finiteNumber(option)(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${option} must be a whole number of at least 1, got ${n}`);
    return n;
  };
}

/**
 * `aelab worker`: the options every worker takes, `--<kind> ADDRESS` for each executor with a
 * worker command, and that command's own options (whole numbers of at least 1), all from the
 * executor registry: an executor with a worker adds nothing here.
 */
export function workerOptions(y: Argv) {
  let built = y
    .option('concurrency', {
      alias: 'c',
      type: 'number',
      default: availableParallelism(),
      coerce: positiveInteger('concurrency'),
      describe: 'Trainings at once (threads)',
    })
    .option('max-trial-memory-mb', {
      type: 'number',
      coerce: positiveInteger('max-trial-memory-mb'),
      describe:
        'Memory one training may take (a job estimated above it is refused with the reason); ' +
        "default: this machine's memory over --concurrency",
    });
  for (const { kind, worker } of WORKER_EXECUTORS) {
    built = built.option(kind, { type: 'string', describe: worker.address });
    for (const [name, option] of Object.entries(worker.options)) {
      const { default: fallback, describe } = option;
      built = built.option(name, { type: 'number', default: fallback, coerce: positiveInteger(name), describe });
    }
  }
  const kinds = WORKER_EXECUTORS.map((e) => `--${e.kind}`);
  const checked = built.check((args) => {
    const given = WORKER_EXECUTORS.filter((e) => args[e.kind] !== undefined);
    if (given.length === 1) return true;
    throw new Error(
      `give exactly one of ${kinds.join(', ')} (the address of the executor to serve), got ${given.length}`,
    );
  });
  return withDataDir(withBackend(checked));
}
export type WorkerOptions = OptionsOf<typeof workerOptions>;
export type WorkerArgs = ArgsOf<typeof workerOptions>;
