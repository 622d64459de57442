import { WORKER_EXECUTORS } from '@aelab/search';
import type { WorkerArgs } from './args.js';

/** `aelab worker --<kind> ADDRESS` (e.g. `--redis URL`): serves sweeps until Ctrl-C; returns the process exit code. */
export async function runWorker(args: WorkerArgs): Promise<number> {
  const controller = new AbortController();
  let stops = 0;
  const onSignal = () => {
    // A second Ctrl-C quits now: the running jobs stall and other workers take them over.
    if (++stops > 1) process.exit(130);
    process.stderr.write(
      'stopping: no new jobs; running trainings finish first ' +
        '(Ctrl-C again to quit now: other workers take them over)\n',
    );
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    // Exactly one executor's address is given (checked by workerOptions).
    const { kind, worker } = WORKER_EXECUTORS.find((e) => args[e.kind] !== undefined)!;
    await worker.run({
      address: String(args[kind]),
      concurrency: args.concurrency,
      backend: args.backend,
      dataDir: args['data-dir'],
      maxTrialMemoryMb: args['max-trial-memory-mb'],
      settings: Object.fromEntries(Object.keys(worker.options).map((name) => [name, args[name] as number | undefined])),
      signal: controller.signal,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return 0;
}
