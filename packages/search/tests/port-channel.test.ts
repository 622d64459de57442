import type { MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EPOCH_HOLD_MS, portChannel } from '../src/executors/port-channel.js';
import type { TrialProgress, TrialTask } from '../src/trial-task.js';

/** A port that keeps what is posted (the coordinator's side is not needed to count messages). */
function fakePort() {
  const posted: unknown[] = [];
  const port = { postMessage: (m: unknown) => posted.push(m), on: () => port } as unknown as MessagePort;
  return { port, posted };
}

const task = (extra: Partial<TrialTask> = {}) => ({ trialId: 's-1.t000000', ...extra }) as TrialTask;
const epoch = (n: number): TrialProgress => ({
  type: 'epoch',
  trialId: 's-1.t000000',
  record: { epoch: n, loss: 1, valLoss: null, seconds: 0.001 },
  epochs: 100,
});

describe("a worker's progress channel", () => {
  afterEach(() => vi.useRealTimers());

  it('without batching posts every message alone', () => {
    const { port, posted } = fakePort();
    const channel = portChannel(task(), port);
    for (let n = 1; n <= 3; n++) channel.report(epoch(n));
    expect(posted).toEqual([epoch(1), epoch(2), epoch(3)]);
  });

  it('with batching holds epochs up to EPOCH_HOLD_MS, in order, and flush posts the rest', () => {
    vi.useFakeTimers();
    const { port, posted } = fakePort();
    const channel = portChannel(task(), port, { batchEpochs: true });
    channel.report({ type: 'accepted', trialId: 's-1.t000000' });
    expect(posted).toEqual([[{ type: 'accepted', trialId: 's-1.t000000' }]]);
    for (let n = 1; n <= 50; n++) channel.report(epoch(n));
    expect(posted).toHaveLength(1);
    vi.advanceTimersByTime(EPOCH_HOLD_MS);
    channel.report(epoch(51));
    expect(posted[1]).toEqual(Array.from({ length: 51 }, (_, i) => epoch(i + 1)));
    channel.report(epoch(52));
    channel.flush();
    channel.flush();
    expect(posted).toEqual([posted[0], posted[1], [epoch(52)]]);
  });

  it('posts an epoch whose verdict the trial awaits at once, with those held before it', () => {
    const { port, posted } = fakePort();
    const channel = portChannel(task({ pruning: true, verdictEpochs: [3] }), port, { batchEpochs: true });
    channel.report(epoch(1));
    channel.report(epoch(2));
    expect(posted).toEqual([]);
    channel.report(epoch(3));
    expect(posted).toEqual([[epoch(1), epoch(2), epoch(3)]]);
  });
});
