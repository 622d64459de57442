import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { runsOptions, type RunsOptions } from '../args.js';

export const runsCommand: CommandModule<object, RunsOptions> = {
  command: 'runs <action> [id]',
  describe:
    'Inspect the run store: list studies, show a study or trial, print the best configuration or the leaderboard' +
    ' (table, --markdown), export a study (CSV/JSON)',
  builder: runsOptions,
  handler: async (args) => {
    const [{ JsonFileRunStore }, view] = await Promise.all([import('@aelab/store'), import('../runs-view.js')]);
    const store = await JsonFileRunStore.open(resolve(args.store), { readonly: true });
    try {
      const id = args.id ?? args.study;
      if (args.action === 'list') await view.printStudies(store);
      else if (args.action === 'export')
        await (await import('../runs-export.js')).exportStudy(store, id, args.format, args.out);
      else if (args.action === 'best') await view.printBest(store, (await view.findStudy(store, id)).id);
      else if (args.action === 'table') await view.printTable(store, id, args.markdown);
      else if (id && (await store.getTrial(id))) await view.printTrial(store, id);
      else await view.printStudy(store, id);
    } finally {
      await store.close();
    }
  },
};
