/**
 * A test seam: `AELAB_FAILPOINT=<point>:<arg>` makes the process stop itself (SIGSTOP) at
 * one exact point, so a test that kills or interrupts it acts on a state the process is
 * held in, whatever the machine's load, instead of racing it for a line of output or a file
 * event. A stopped process is `T` in /proc/PID/stat; the test then sends SIGKILL, or SIGINT
 * (or closes a pipe) and SIGCONT. Unset (the normal case), every point is a no-op.
 */

/** The points, each with what its argument selects. */
export const FAILPOINTS = {
  /**
   * `N`: the N-th trial a sweep starts is recorded as `running`, not yet shown; its training
   * may already be with a worker (handed over while the record was written), waiting for
   * its first verdict where the study prunes.
   */
  'stop-at-start': 'count',
  /** `N`: the N-th trial end a sweep records (any status) is durable in the store, not yet shown. */
  'stop-after-record': 'count',
  /** `NAME`: the first atomic write of a file named NAME has its temp file whole, not yet renamed over it. */
  'stop-before-rename': 'name',
} as const;

export type FailpointName = keyof typeof FAILPOINTS;

const VARIABLE = 'AELAB_FAILPOINT';

let setting: { point: FailpointName; arg: string } | null | undefined;
let hits = 0;

/** The point `AELAB_FAILPOINT` names (read once), or null; a malformed value is refused, naming the variable. */
export function failpointSetting(): { point: FailpointName; arg: string } | null {
  if (setting !== undefined) return setting;
  const value = process.env[VARIABLE];
  if (value === undefined || value === '') return (setting = null);
  const [, point, arg] = /^([a-z-]+):(.+)$/.exec(value) ?? [];
  const kind = FAILPOINTS[point as FailpointName] as string | undefined;
  if (!kind || (kind === 'count' && !/^[1-9]\d*$/.test(arg))) {
    const expected = Object.entries(FAILPOINTS).map(([p, k]) => `${p}:${k === 'count' ? 'N' : 'NAME'}`);
    throw new Error(`${VARIABLE}=${value}: expected one of ${expected.join(', ')} (N from 1)`);
  }
  return (setting = { point: point as FailpointName, arg });
}

/** Marks that the process is at `point` (a `name` point: writing a file named `name`); stops it there if set so. */
export function reachFailpoint(point: FailpointName, name?: string): void {
  const set = failpointSetting();
  if (set?.point !== point) return;
  const here = FAILPOINTS[point] === 'count' ? ++hits === Number(set.arg) : name === set.arg && ++hits === 1;
  if (here) process.kill(process.pid, 'SIGSTOP');
}
