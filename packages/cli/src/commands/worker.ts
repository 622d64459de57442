import type { CommandModule } from 'yargs';
import { workerOptions, type WorkerOptions } from '../args.js';

export const workerCommand: CommandModule<object, WorkerOptions> = {
  command: 'worker',
  describe: 'Train the jobs of `search --executor redis://...` sweeps, on this machine, until stopped (Ctrl-C)',
  builder: workerOptions,
  handler: async (args) => {
    const { runWorker } = await import('../worker-run.js');
    process.exitCode = await runWorker(args);
  },
};
