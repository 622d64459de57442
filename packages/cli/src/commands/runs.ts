import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { withStore } from '../options.js';

interface RunsArgs {
  action: 'list' | 'show' | 'best';
  id?: string;
  study?: string;
  store: string;
}

export const runsCommand: CommandModule<object, RunsArgs> = {
  command: 'runs <action> [id]',
  describe: 'Inspect the run store: list studies, show a study or trial, print the best configuration',
  builder: (y) =>
    withStore(
      y
        .positional('action', { choices: ['list', 'show', 'best'] as const, demandOption: true })
        .positional('id', { type: 'string', describe: 'Study id or name (show/best), or trial id (show)' })
        .option('study', { alias: 's', type: 'string', describe: 'Study id or name (default: the latest)' }),
    ) as never,
  handler: async (args) => {
    const [{ JsonFileRunStore }, view] = await Promise.all([import('@aelab/store'), import('../runs-view.js')]);
    const store = await JsonFileRunStore.open(resolve(args.store), { readonly: true });
    try {
      const id = args.id ?? args.study;
      if (args.action === 'list') await view.printStudies(store);
      else if (args.action === 'best') await view.printBest(store, (await view.findStudy(store, id)).id);
      else if (id && (await store.getTrial(id))) await view.printTrial(store, id);
      else await view.printStudy(store, id);
    } finally {
      await store.close();
    }
  },
};
