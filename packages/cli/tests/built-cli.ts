import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The built command: these tests drive it as a user would (`npm ci` builds; nx builds before testing). */
export const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** A sweep of four short trainings on the embedded data: long enough to interrupt, short enough to finish. */
export const fourTrainings = {
  name: 'kill-me',
  seed: 5,
  data: { dataset: 'synthetic-ecg', options: { trainRows: 200, testRows: 100 }, validationAnomalies: 'keep' },
  model: { kind: 'dense', encoder: [32, 8], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
  training: { epochs: 15, batchSize: 16, learningRate: 0.003, loss: 'mse' },
  scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
  space: {
    'model.encoder': {
      type: 'categorical',
      values: [
        [32, 4],
        [32, 8],
        [32, 12],
        [32, 16],
      ],
    },
  },
  selection: { metric: 'f1', direction: 'maximize', split: 'validation' },
  executor: { backend: 'wasm' },
};

/** A sweep held by a fail-point: its process, what it printed so far, and how it ended. */
export interface HeldSweep {
  child: ChildProcessByStdio<null, Readable, Readable>;
  output: { stdout: string; stderr: string };
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const held = new Set<ChildProcessByStdio<null, Readable, Readable>>();

/** The state letter of `pid` in /proc/PID/stat (`T`: stopped), or null once it is gone. */
async function processState(pid: number): Promise<string | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  // The name in parentheses may hold spaces: the state follows its closing one.
  return stat === null ? null : stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/**
 * Runs `node args` with `AELAB_FAILPOINT=point` (src/failpoint.ts) until the process has
 * stopped itself there (a state the sweep is held in, which no load can race), or has ended
 * without reaching it: then resolves `held: false` and how it ended. Polling /proc reads a
 * state that, once reached, stays until the test acts.
 */
export async function runToFailpoint(
  args: string[],
  point: string,
  env: NodeJS.ProcessEnv = {},
): Promise<HeldSweep & { held: boolean }> {
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true', ...env, AELAB_FAILPOINT: point },
  });
  held.add(child);
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (c: Buffer) => (output.stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output.stderr += c.toString()));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => (held.delete(child), resolve({ code, signal }))),
  );
  let ended = false;
  void closed.then(() => (ended = true));
  while ((await processState(child.pid!)) !== 'T') {
    if (ended) return { child, output, closed, held: false };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { child, output, closed, held: true };
}

/** {@link runToFailpoint}, for a sweep that must reach `point`: one that ends first fails the test. */
export async function heldAt(args: string[], point: string, env: NodeJS.ProcessEnv = {}): Promise<HeldSweep> {
  const sweep = await runToFailpoint(args, point, env);
  if (!sweep.held) {
    const { code, signal } = await sweep.closed;
    throw new Error(`the sweep ended (${code ?? signal}) before reaching ${point}:\n${sweep.output.stderr}`);
  }
  return sweep;
}

/** Kills every held sweep still alive (a failed test must not leave a stopped process behind). */
export function killHeld(): void {
  for (const child of held) child.kill('SIGKILL');
}
