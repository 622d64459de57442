import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCli } from '../src/cli.js';

/*
 * The failure policy as `aelab search` shows it: a real failure forced by the data (values
 * of 1e25 unscaled: every training's loss diverges at once, whatever the machine's load).
 */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aelab-failures-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function aelab(argv: string[]): Promise<{ out: string; err: string; code: number | undefined }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void out.push(args.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void err.push(args.join(' ')));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => Boolean(err.push(String(chunk))));
  const before = process.exitCode;
  try {
    await createCli(argv)
      .exitProcess(false)
      .fail((message, failure) => {
        throw failure ?? new Error(message);
      })
      .parseAsync();
    return { out: out.join('\n'), err: err.join('\n'), code: process.exitCode as number | undefined };
  } finally {
    process.exitCode = before;
    log.mockRestore();
    error.mockRestore();
    stderr.mockRestore();
  }
}

describe('aelab search with failing trainings', () => {
  it('stops after failures.maxConsecutive failures in a row: says so, with the policy, and exits 3', async () => {
    const rows = Array.from({ length: 80 }, (_, r) =>
      [...Array.from({ length: 8 }, (_, j) => `${(1 + ((r * 7 + j * 3) % 11)) * 1e25}`), r % 4 === 0 ? '1' : '0'].join(
        ',',
      ),
    );
    const data = join(dir, 'huge.csv');
    await writeFile(data, `${rows.join('\n')}\n`);
    const experiment = {
      name: 'diverges',
      seed: 2,
      data: { dataset: data, normalClass: '0', options: { header: false }, scaler: 'none', validationFraction: 0.2 },
      model: { kind: 'dense', encoder: [8, 4], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
      training: { epochs: 3, batchSize: 32, learningRate: 0.003, loss: 'mse' },
      scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
      space: {
        'model.encoder': {
          type: 'categorical',
          values: [
            [8, 1],
            [8, 2],
            [8, 3],
            [8, 4],
          ],
        },
      },
      selection: { metric: 'f1', direction: 'maximize', split: 'test', allowTest: true },
      failures: { maxConsecutive: 2 },
      executor: { backend: 'wasm' },
    };
    const file = join(dir, 'diverges.json');
    await writeFile(file, JSON.stringify(experiment));
    const run = await aelab([
      'search',
      'grid',
      '-e',
      file,
      '--store',
      join(dir, 'runs'),
      '--workers',
      '1',
      '--no-report',
    ]);
    expect(run.out).toContain('2 failed');
    expect(run.out).toContain('failures: retried on up to 2 later runs, 2 in a row stop the sweep');
    expect(run.out).toMatch(/stopped after 2 failed trainings in a row \(failures\.maxConsecutive\)/);
    expect(run.code).toBe(3);
  });
});

describe('aelab worker', () => {
  it('needs exactly one executor address, from the executors that have workers', async () => {
    await expect(aelab(['worker'])).rejects.toThrow(
      /give exactly one of --redis \(the address of the executor to serve\), got 0/,
    );
  });
});
