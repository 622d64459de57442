import { describe, expect, it } from 'vitest';
import { FloatMatrixBuilder } from '../src/lines.js';

describe('FloatMatrixBuilder', () => {
  it('collects values in order, growing in place and moving past its reservation, and hands them over once', () => {
    for (const reserve of [8, 1 << 20]) {
      for (const count of [0, 1, 7, 8, 9, 33, 5000]) {
        const builder = new FloatMatrixBuilder(reserve);
        for (let i = 0; i < count; i++) builder.push(i + 0.5);
        const values = builder.finish();
        expect(values).toBeInstanceOf(Float32Array);
        expect(values).toHaveLength(count);
        expect(Array.from(values)).toEqual(Array.from({ length: count }, (_, i) => i + 0.5));
        // the builder let go of its buffer: a second finish is empty, and new values do not reach the first
        expect(builder.finish()).toHaveLength(0);
        builder.push(-1);
        expect(values.at(-1)).toBe(count ? count - 0.5 : undefined);
      }
    }
  });

  it('holds the values once, in shared memory: the buffer grows in place, no copy is left behind', () => {
    const builder = new FloatMatrixBuilder();
    for (let i = 0; i < 3_000_000; i++) builder.push(i);
    const values = builder.finish();
    expect(values.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect((values.buffer as SharedArrayBuffer).growable).toBe(true);
    // grown by doubling: never more than twice the values (the unwritten rest takes no memory)
    expect(values.buffer.byteLength).toBeLessThan(2 * values.byteLength);
    expect(values[2_999_999]).toBe(2_999_999);
  });
});
