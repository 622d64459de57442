import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { reportOptions, type ReportOptions } from '../args.js';

export const reportCommand: CommandModule<object, ReportOptions> = {
  command: 'report',
  describe: 'Render the static HTML leaderboards of the run store',
  builder: reportOptions,
  handler: async (args) => {
    const [{ renderReport }, { JsonFileRunStore }] = await Promise.all([
      import('@aelab/reporting'),
      import('@aelab/store'),
    ]);
    const store = await JsonFileRunStore.open(resolve(args.store), { readonly: true });
    try {
      const out = resolve(args.out ?? resolve(args.store, 'report'));
      const report = await renderReport(store, { outDir: out, studyId: args.study });
      console.log(args.study ? (report.studyPaths[args.study] ?? report.indexPath) : report.indexPath);
    } finally {
      await store.close();
    }
  },
};
