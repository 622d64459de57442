import { runRedisWorker } from '@aelab/search';
import type { WorkerArgs } from './args.js';

/** `aelab worker --redis URL`: serves sweeps until Ctrl-C; returns the process exit code. */
export async function runWorker(args: WorkerArgs): Promise<number> {
  const controller = new AbortController();
  let stops = 0;
  const onSignal = () => {
    // A second Ctrl-C quits now: the running jobs stall and other workers take them over.
    if (++stops > 1) process.exit(130);
    process.stderr.write('stopping: no new jobs; running trainings finish first (Ctrl-C again to quit now: other workers take them over)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await runRedisWorker({
      address: args.redis,
      concurrency: args.concurrency,
      backend: args.backend,
      dataDir: args['data-dir'],
      lockSeconds: args['lock-seconds'],
      maxResultMb: args['max-result-mb'],
      maxTrialMemoryMb: args['max-trial-memory-mb'],
      signal: controller.signal,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return 0;
}
