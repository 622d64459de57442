import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { bin } from './built-cli.js';

/** Whether Debian's `redis-server` is installed (CI installs it; see .ci/run). */
export const hasRedisServer = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

if (!hasRedisServer) {
  // CI must run these tests: a missing server there is a failure, not a skip.
  if (process.env.CI)
    throw new Error('redis-server is not installed; .ci/run installs it (apt-get install redis-server)');
  console.warn('redis-server is not installed: the redis executor tests are skipped (apt-get install -y redis-server)');
}

/** A free loopback port (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * A throwaway `redis-server` on a random loopback port, without persistence; `extra` are more of its options
 * (`--requirepass x`).
 */
export async function startRedis(extra: string[] = []): Promise<RedisServer> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (/Ready to accept connections/.test(seen)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}):\n${seen}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () => stopProcess(child),
  };
}

export function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  return exited;
}

/** An `aelab worker` process; `lines` collects what it prints. */
export interface WorkerProcess {
  child: ChildProcess;
  lines: string[];
  /** Resolves with the first line matching `pattern` (already printed or to come). */
  waitFor(pattern: RegExp): Promise<string>;
}

export function startWorker(url: string, extra: string[] = []): WorkerProcess {
  const child = spawn(process.execPath, [bin, 'worker', '--redis', url, '--concurrency', '1', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true' },
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let partial = '';
  const onData = (chunk: Buffer) => {
    partial += chunk.toString();
    const complete = partial.split('\n');
    partial = complete.pop()!;
    for (const line of complete) {
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  return {
    child,
    lines,
    waitFor: (pattern) => {
      const found = lines.find((l) => pattern.test(l));
      return found !== undefined
        ? Promise.resolve(found)
        : new Promise((resolve) => waiters.push({ pattern, resolve }));
    },
  };
}

/** The job ids a worker started, once per start (a job started twice appears twice). */
export const startedJobs = (worker: WorkerProcess) =>
  worker.lines.flatMap((l) => /^start \S+ (\S+)/.exec(l)?.[1] ?? []);
