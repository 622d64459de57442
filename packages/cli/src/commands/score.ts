import type { CommandModule } from 'yargs';
import { scoreOptions, type ScoreOptions } from '../args.js';

export const scoreCommand: CommandModule<object, ScoreOptions> = {
  command: 'score',
  describe: "Flag anomalies in new data with a saved model (a trial's model/ folder)",
  builder: scoreOptions,
  handler: async (args) => {
    const { runScore } = await import('../score-run.js');
    await runScore(args);
  },
};
