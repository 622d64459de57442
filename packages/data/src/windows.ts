/**
 * Sliding windows over one series. Window `i` covers points
 * `[starts[i], starts[i] + size)`; the last partial window is dropped.
 */
export function windowStarts(length: number, size: number, stride: number): number[] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`windowSize must be a positive integer, got ${size}`);
  if (!Number.isInteger(stride) || stride < 1) throw new RangeError(`stride must be a positive integer, got ${stride}`);
  const starts: number[] = [];
  for (let start = 0; start + size <= length; start += stride) starts.push(start);
  return starts;
}

/** True when the closed intervals [a0, a1] and [b0, b1] share a point. */
export const overlaps = (a0: number, a1: number, b0: number, b1: number) => a0 <= b1 && b0 <= a1;
