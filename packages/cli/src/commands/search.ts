import type { CommandModule } from 'yargs';
import { withBackend, withDataDir, withStore } from '../options.js';

export interface SearchArgs {
  sampler: 'grid' | 'random';
  experiment: string;
  workers?: number;
  backend?: 'auto' | 'wasm' | 'cpu' | 'tensorflow' | 'tensorflow-gpu';
  trials?: number;
  epochs?: number;
  repeats?: number;
  fresh: boolean;
  report: boolean;
  store: string;
  'data-dir'?: string;
}

export const searchCommand: CommandModule<object, SearchArgs> = {
  command: 'search <sampler>',
  describe: 'Sweep an experiment file: train each configuration once, score every threshold variant, record all of it',
  builder: (y) =>
    withDataDir(
      withBackend(
        withStore(
          y
            .positional('sampler', { choices: ['grid', 'random'] as const, demandOption: true, describe: 'How to walk the space' })
            .option('experiment', { alias: 'e', type: 'string', default: 'experiments/default.json', describe: 'Experiment file' })
            .option('workers', { alias: 'w', type: 'number', describe: 'Worker threads (default: experiment, else CPU count)' })
            .option('trials', { type: 'number', describe: 'Trainings to sample (random search)' })
            .option('epochs', { type: 'number', describe: 'Override training.epochs (e.g. 1 for a smoke run)' })
            .option('repeats', { type: 'number', describe: 'Override repeats per configuration' })
            .option('fresh', { type: 'boolean', default: false, describe: 'Start a new study instead of resuming' })
            .option('report', { type: 'boolean', default: true, describe: 'Render the HTML report at the end (--no-report to skip)' }),
        ),
      ),
    ) as never,
  handler: async (args) => {
    const { runSearch } = await import('../search-run.js');
    process.exitCode = await runSearch(args);
  },
};
