import type { CommandModule } from 'yargs';
import { serveOptions, type ServeOptions } from '../args.js';

export const serveCommand: CommandModule<object, ServeOptions> = {
  command: 'serve',
  describe:
    'Serve the run store as live pages: study list, studies updating while sweeps run, ' +
    'compare view, exports (read-only)',
  builder: serveOptions,
  handler: async (args) => {
    const { serveStore } = await import('../serve-run.js');
    await serveStore(args);
  },
};
