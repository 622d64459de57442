import { stableStringify } from '@aelab/core';
import type { DataSpec, PreparedData, PreparedSplit } from '@aelab/data';

/** `values` in shared memory (copied there unless already): worker threads given it read the same bytes, no copy made. */
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
 * each dataset once, not once per worker (the rows cross to each worker without a copy).
 * Data prepared with `memory: 'shared'` is kept as it is, without a second copy.
 */
export class SharedPreparedData {
  private readonly byData = new Map<string, PreparedData>();

  add(data: DataSpec, prepared: PreparedData): void {
    const key = stableStringify(data);
    if (this.byData.has(key)) return;
    this.byData.set(key, {
      ...prepared,
      train: sharedSplit(prepared.train),
      validation: sharedSplit(prepared.validation),
      test: sharedSplit(prepared.test),
    });
  }

  get(data: DataSpec): PreparedData | undefined {
    return this.byData.get(stableStringify(data));
  }

  /** The prepared data whose fingerprint is `fingerprint` (what a trial result names), if kept here. */
  byFingerprint(fingerprint: string): PreparedData | undefined {
    for (const data of this.byData.values()) if (data.fingerprint === fingerprint) return data;
    return undefined;
  }
}
