import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { withStore } from '../options.js';

export const reportCommand: CommandModule<object, { store: string; study?: string; out?: string }> = {
  command: 'report',
  describe: 'Render the static HTML leaderboards of the run store',
  builder: (y) =>
    withStore(y)
      .option('study', { type: 'string', describe: 'Only this study (id); default: all' })
      .option('out', { type: 'string', describe: 'Output folder (default: <store>/report)' }) as never,
  handler: async (args) => {
    const [{ renderReport }, { JsonFileRunStore }] = await Promise.all([import('@aelab/reporting'), import('@aelab/store')]);
    const store = await JsonFileRunStore.open(resolve(args.store), { readonly: true });
    try {
      const out = resolve(args.out ?? resolve(args.store, 'report'));
      const report = await renderReport(store, { outDir: out, studyId: args.study });
      console.log(args.study ? report.studyPaths[args.study] ?? report.indexPath : report.indexPath);
    } finally {
      await store.close();
    }
  },
};
