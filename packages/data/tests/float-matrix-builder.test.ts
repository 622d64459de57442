import { describe, expect, it } from 'vitest';
import { FloatMatrixBuilder } from '../src/lines.js';

describe('FloatMatrixBuilder', () => {
  it('collects values across chunk boundaries in order and hands them over once', () => {
    for (const count of [0, 1, 7, 8, 9, 33]) {
      const builder = new FloatMatrixBuilder(8);
      for (let i = 0; i < count; i++) builder.push(i + 0.5);
      const values = builder.finish();
      expect(values).toBeInstanceOf(Float32Array);
      expect(Array.from(values)).toEqual(Array.from({ length: count }, (_, i) => i + 0.5));
      // the builder let go of its chunks: a second finish is empty
      expect(builder.finish()).toHaveLength(0);
    }
  });
});
