import { stableStringify } from '@aelab/core';
import type { DataSpec, PreparedData, PreparedSplit } from '@aelab/data';
import { preparedDataMessage, type PreparedDataMessage } from './prepared-message.js';

/**
 * `values` in shared memory (copied there unless already): worker threads given it read the same bytes, no copy made.
 */
function shared<T extends Float32Array | Uint8Array>(values: T): T {
  if (values.buffer instanceof SharedArrayBuffer) return values;
  const Ctor = values.constructor as { new (buffer: SharedArrayBuffer): T };
  const copy = new Ctor(new SharedArrayBuffer(values.byteLength));
  copy.set(values);
  return copy;
}

function sharedSplit(split: PreparedSplit): PreparedSplit {
  return { ...split, x: shared(split.x), y: shared(split.y) };
}

/**
 * The prepared data of a study's data sections, in shared memory, looked up by data
 * section: what a local executor hands its worker threads so a sweep loads and prepares
 * each dataset once, not once per worker. It is kept as a {@link PreparedDataMessage} whose
 * per-row arrays are all in shared memory, so it crosses to a worker with every task
 * without a copy and without per-row objects (a worker given the labels as arrays of
 * strings held a copy of them for every task it ran).
 */
export class SharedPreparedData {
  private readonly byData = new Map<string, PreparedDataMessage>();

  /** Keeps `prepared`, its rows copied into shared memory unless they are there already. */
  add(data: DataSpec, prepared: PreparedData): void {
    if (this.byData.has(stableStringify(data))) return;
    const inShared = {
      ...prepared,
      train: sharedSplit(prepared.train),
      validation: sharedSplit(prepared.validation),
      test: sharedSplit(prepared.test),
    };
    this.addMessage(data, preparedDataMessage(inShared, 'shared').message);
  }

  /** Keeps a message whose per-row arrays are all in shared memory (as the preparation thread sends it). */
  addMessage(data: DataSpec, message: PreparedDataMessage): void {
    const key = stableStringify(data);
    if (!this.byData.has(key)) this.byData.set(key, message);
  }

  get(data: DataSpec): PreparedDataMessage | undefined {
    return this.byData.get(stableStringify(data));
  }
}
