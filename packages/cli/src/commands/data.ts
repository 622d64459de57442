import type { CommandModule } from 'yargs';
import { dataOptions, type DataOptions } from '../args.js';

export const dataCommand: CommandModule<object, DataOptions> = {
  command: 'data <action> [name]',
  describe: 'The dataset registry: list datasets, inspect one, fetch one into the data directory',
  builder: dataOptions,
  handler: async (args) => {
    const { runData } = await import('../data-view.js');
    await runData(args);
  },
};
