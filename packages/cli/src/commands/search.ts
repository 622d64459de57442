import type { CommandModule } from 'yargs';
import { searchOptions, type SearchOptions } from '../args.js';

export const searchCommand: CommandModule<object, SearchOptions> = {
  command: 'search <sampler>',
  describe: 'Sweep an experiment file: train each configuration once, score every threshold variant, record all of it',
  builder: searchOptions,
  handler: async (args) => {
    const { runSearch } = await import('../search-run.js');
    process.exitCode = await runSearch(args);
  },
};
