/**
 * Keeps at most `max` items, evenly spaced and always including the first and last, so
 * charts of long curves stay small without losing their ends.
 */
export function downsample<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return items.slice();
  if (max < 2) return items.slice(0, max);
  const out: T[] = [];
  const step = (items.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(items[Math.round(i * step)]);
  return out;
}

/**
 * Reduces a long series to at most about `maxPoints` points by keeping the minimum and
 * the maximum of each bucket, in time order: unlike plain striding it keeps the spikes
 * an anomaly plot exists to show.
 */
export function decimateMinMax(
  xs: readonly number[],
  ys: readonly number[],
  maxPoints: number,
): { x: number; y: number }[] {
  const n = Math.min(xs.length, ys.length);
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => ({ x: xs[i], y: ys[i] }));
  const buckets = Math.max(1, Math.floor(maxPoints / 2));
  const size = n / buckets;
  const out: { x: number; y: number }[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor(b * size);
    const end = Math.min(n, Math.floor((b + 1) * size));
    let lo = start;
    let hi = start;
    for (let i = start; i < end; i++) {
      if (ys[i] < ys[lo]) lo = i;
      if (ys[i] > ys[hi]) hi = i;
    }
    for (const i of lo <= hi ? [lo, hi] : [hi, lo])
      if (out.length === 0 || out[out.length - 1].x !== xs[i]) out.push({ x: xs[i], y: ys[i] });
  }
  return out;
}
