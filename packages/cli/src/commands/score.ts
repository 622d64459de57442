import type { CommandModule } from 'yargs';
import { withBackend } from '../options.js';

export interface ScoreArgs {
  model: string;
  input: string;
  threshold?: number;
  out?: string;
  backend?: string;
  'label-column'?: string;
}

export const scoreCommand: CommandModule<object, ScoreArgs> = {
  command: 'score',
  describe: 'Flag anomalies in new data with a saved model (a trial\'s model/ folder)',
  builder: (y) =>
    withBackend(
      y
        .option('model', { alias: 'm', type: 'string', demandOption: true, describe: 'Model folder (runs/<study>/trials/<trial>/model)' })
        .option('input', { alias: 'i', type: 'string', demandOption: true, describe: 'Data file: .csv, .arff, .ts or UCR .txt' })
        .option('threshold', { type: 'number', describe: 'Override the threshold saved with the model' })
        .option('label-column', { type: 'string', describe: 'CSV label column (name or index); labels turn on metrics' })
        .option('out', { alias: 'o', type: 'string', describe: 'Write per-row results as CSV here (default: stdout)' }),
    ) as never,
  handler: async (args) => {
    const { runScore } = await import('../score-run.js');
    await runScore(args);
  },
};
