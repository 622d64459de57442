import yargs, { type Argv } from 'yargs';
import { dataCommand } from './commands/data.js';
import { infoCommand } from './commands/info.js';
import { reportCommand } from './commands/report.js';
import { runsCommand } from './commands/runs.js';
import { scoreCommand } from './commands/score.js';
import { searchCommand } from './commands/search.js';
import { serveCommand } from './commands/serve.js';
import { workerCommand } from './commands/worker.js';

/** Builds the `aelab` command line. Tests call it with `.exitProcess(false)`. */
export function createCli(argv: string[]): Argv {
  return yargs(argv)
    .scriptName('aelab')
    .usage('$0 <command> [options]\n\nFind the best autoencoder for anomaly detection, and prove it.')
    .command(searchCommand)
    .command(runsCommand)
    .command(reportCommand)
    .command(serveCommand)
    .command(dataCommand)
    .command(scoreCommand)
    .command(infoCommand)
    .command(workerCommand)
    .demandCommand(1, 'Name a command: search, runs, report, serve, data, score, info or worker.')
    .strict()
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((message, error, y) => {
      if (error) throw error;
      y.showHelp('error');
      console.error(`\n${message}`);
      process.exitCode = 2;
    });
}
