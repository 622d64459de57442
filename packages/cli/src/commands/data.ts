import type { CommandModule } from 'yargs';
import { withDataDir } from '../options.js';

interface DataArgs {
  action: 'list' | 'inspect' | 'fetch';
  name?: string;
  'data-dir'?: string;
  json: boolean;
  'base-url'?: string;
}

export const dataCommand: CommandModule<object, DataArgs> = {
  command: 'data <action> [name]',
  describe: 'The dataset registry: list datasets, inspect one, fetch one into the data directory',
  builder: (y) =>
    withDataDir(
      y
        .positional('action', { choices: ['list', 'inspect', 'fetch'] as const, demandOption: true })
        .positional('name', { type: 'string', describe: 'Dataset name (see `data list`) or a file path' })
        .option('json', { type: 'boolean', default: false, describe: 'Print JSON' })
        .option('base-url', { type: 'string', describe: 'Fetch from this mirror instead of the canonical URL' }),
    ) as never,
  handler: async (args) => {
    const { runData } = await import('../data-view.js');
    await runData(args);
  },
};

export type { DataArgs };
