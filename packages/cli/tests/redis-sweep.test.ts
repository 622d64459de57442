import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectRedis, QUEUES_KEY } from '@aelab/search';
import { JsonFileRunStore } from '@aelab/store';
import { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bin, fourTrainings } from './built-cli.js';
import {
  hasRedisServer,
  startedJobs,
  startRedis,
  startWorker,
  stopProcess,
  type RedisServer,
  type WorkerProcess,
} from './redis-server.js';

/*
 * The redis executor as users run it: a real redis-server on a random loopback port, the
 * built `aelab search --executor redis://...` as coordinator and `aelab worker` processes.
 */
const experiment = { ...fourTrainings, name: 'redis-sweep', training: { ...fourTrainings.training, epochs: 6 } };

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function sweep(
  args: string[],
  onStderr?: (seen: string, child: ChildProcess) => void,
): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawn(process.execPath, [bin, 'search', 'grid', '--no-report', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
    onStderr?.(stderr, child);
  });
  const done = new Promise<Finished>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

async function storeContents(store: string) {
  const db = await JsonFileRunStore.open(store, { readonly: true });
  try {
    const [study] = await db.listStudies();
    return { trials: await db.listTrials(study.id), evaluations: await db.listEvaluations(study.id) };
  } finally {
    await db.close();
  }
}

describe.skipIf(!hasRedisServer)('the redis executor with aelab worker processes', () => {
  let dir: string;
  let redis: RedisServer;
  let workers: WorkerProcess[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aelab-redis-'));
    await writeFile(join(dir, 'exp.json'), JSON.stringify(experiment));
    redis = await startRedis();
  });
  let coordinators: ChildProcess[] = [];
  afterEach(async () => {
    // A coordinator a failed test left held (SIGSTOP) is killed too.
    await Promise.all([...workers.map((w) => w.child), ...coordinators].map((child) => stopProcess(child)));
    workers = [];
    coordinators = [];
  });
  afterAll(async () => {
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const exp = () => join(dir, 'exp.json');

  it('gives the same metrics per configuration as the local pool', async () => {
    const pool = await sweep(['-e', exp(), '--store', join(dir, 'pool'), '--workers', '2']).done;
    expect(pool.code, pool.stderr).toBe(0);
    workers = [startWorker(redis.url), startWorker(redis.url)];
    const remote = await sweep(['-e', exp(), '--store', join(dir, 'redis'), '--executor', redis.url]).done;
    expect(remote.code, remote.stderr).toBe(0);

    const metrics = async (store: string) => {
      const { trials, evaluations } = await storeContents(store);
      // On failure, say why each trial ended as it did (a failed job's reason is its trial's).
      expect(
        trials.map((t) => t.status),
        `${store}: ${JSON.stringify(trials.map((t) => t.reason))}`,
      ).toEqual(['complete', 'complete', 'complete', 'complete']);
      return Object.fromEntries(evaluations.map((e) => [e.configHash, { threshold: e.threshold, metrics: e.metrics }]));
    };
    const fromPool = await metrics(join(dir, 'pool'));
    expect(Object.keys(fromPool)).toHaveLength(4);
    expect(await metrics(join(dir, 'redis'))).toEqual(fromPool);
    // Both workers trained: the jobs were shared out.
    expect(startedJobs(workers[0]).length + startedJobs(workers[1]).length).toBe(4);
  }, 180_000);

  it(
    'a pruned sweep (asha) stops the same trials after the same epochs as the local pool: ' +
      'verdicts travel per epoch',
    async () => {
      const pruned = {
        ...experiment,
        name: 'redis-asha',
        training: { ...experiment.training, epochs: 8 },
        space: { 'training.learningRate': { type: 'categorical', values: [1e-4, 0.003, 1e-6, 0.01] } },
        pruner: { type: 'asha', minEpochs: 2, reductionFactor: 2 },
      };
      await writeFile(join(dir, 'asha.json'), JSON.stringify(pruned));
      const pool = await sweep(['-e', join(dir, 'asha.json'), '--store', join(dir, 'asha-pool'), '--workers', '1'])
        .done;
      expect(pool.code, pool.stderr).toBe(0);
      workers = [startWorker(redis.url)];
      const remote = await sweep([
        '-e',
        join(dir, 'asha.json'),
        '--store',
        join(dir, 'asha-redis'),
        '--workers',
        '1',
        '--executor',
        redis.url,
      ]).done;
      expect(remote.code, remote.stderr).toBe(0);
      const outcome = async (store: string) =>
        Object.fromEntries(
          (await storeContents(store)).trials.map((t) => [
            t.configHash,
            { status: t.status, epochs: t.history.length, reason: t.reason },
          ]),
        );
      const fromPool = await outcome(join(dir, 'asha-pool'));
      expect(Object.values(fromPool).filter((t) => t.status === 'pruned').length).toBeGreaterThan(0);
      expect(await outcome(join(dir, 'asha-redis'))).toEqual(fromPool);
    },
    180_000,
  );

  /*
   * The kills below happen at a state the test makes, not one it hopes for: the sweep
   * prunes (with a pruner that never prunes), so each training waits after every epoch for
   * the coordinator's verdict, and the coordinator is held (SIGSTOP) once its four jobs are
   * queued. A worker that takes a job then stays inside it until the coordinator answers.
   */
  const held = { ...experiment, name: 'redis-held', pruner: { type: 'median', startupTrials: 1000 } };

  /** Starts a sweep of `held`, and holds its coordinator once all four jobs are queued in Redis. */
  async function heldSweep(store: string): Promise<ReturnType<typeof sweep>> {
    await writeFile(join(dir, 'held.json'), JSON.stringify(held));
    const client = connectRedis(redis.url);
    const known = new Set(await client.smembers(QUEUES_KEY));
    const run = sweep(['-e', join(dir, 'held.json'), '--store', store, '--executor', redis.url]);
    coordinators.push(run.child);
    let queue: Queue | undefined;
    try {
      // Polled: the coordinator says nothing when it has queued its jobs.
      while (!queue || (await queue.count()) < 4) {
        if (run.child.exitCode !== null)
          throw new Error(`the sweep ended before queueing its jobs:\n${(await run.done).stderr}`);
        const name = (await client.smembers(QUEUES_KEY)).find((q) => !known.has(q));
        if (name && !queue) queue = new Queue(name, { connection: client });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await queue?.close();
      client.disconnect();
    }
    run.child.kill('SIGSTOP');
    return run;
  }

  it(
    'a worker killed with SIGKILL mid-trial: ' + 'its job runs again on the other worker and is recorded once',
    async () => {
      const run = await heldSweep(join(dir, 'kill-worker'));
      // Alone, the victim takes a job; it cannot finish it while the coordinator is held.
      const victim = startWorker(redis.url, ['--lock-seconds', '3']);
      workers = [victim];
      const started = await victim.waitFor(/^start /);
      await stopProcess(victim.child);
      const killedJob = /^start \S+ (\S+)/.exec(started)![1];
      const survivor = startWorker(redis.url, ['--lock-seconds', '3']);
      workers.push(survivor);
      run.child.kill('SIGCONT');
      const result = await run.done;
      expect(result.code, result.stderr).toBe(0);

      expect(startedJobs(survivor)).toContain(killedJob);
      const { trials } = await storeContents(join(dir, 'kill-worker'));
      expect(trials).toHaveLength(4);
      expect(
        trials.every((t) => t.status === 'complete'),
        JSON.stringify(trials.map((t) => t.reason)),
      ).toBe(true);
      expect(new Set(trials.map((t) => t.configHash)).size).toBe(4);
    },
    180_000,
  );

  it(
    'a coordinator killed with SIGKILL and restarted re-attaches to its jobs: nothing trains twice, ' +
      'nothing is recorded twice',
    async () => {
      const store = join(dir, 'kill-coordinator');
      const first = await heldSweep(store);
      // Two jobs running (each waiting for its first verdict), two queued, when the coordinator dies.
      workers = [startWorker(redis.url), startWorker(redis.url)];
      await Promise.all(workers.map((w) => w.waitFor(/^start /)));
      first.child.kill('SIGKILL');
      const killed = await first.done;
      expect(killed.code, killed.stderr).toBeNull();
      const before = await storeContents(store);
      expect(before.trials.map((t) => t.status)).toEqual(['running', 'running', 'running', 'running']);

      const rerun = await sweep(['-e', join(dir, 'held.json'), '--store', store, '--executor', redis.url]).done;
      expect(rerun.code, rerun.stderr).toBe(0);
      const { trials } = await storeContents(store);
      const complete = trials.filter((t) => t.status === 'complete');
      expect(complete).toHaveLength(4);
      expect(new Set(complete.map((t) => t.configHash)).size).toBe(4);
      // The trials the kill left running are kept as interrupted; their jobs were not trained again.
      expect(trials.filter((t) => t.status !== 'complete').map((t) => t.status)).toEqual([
        'interrupted',
        'interrupted',
        'interrupted',
        'interrupted',
      ]);
      const jobs = [...startedJobs(workers[0]), ...startedJobs(workers[1])];
      expect(jobs).toHaveLength(4);
      expect(new Set(jobs).size).toBe(4);
    },
    180_000,
  );
});
