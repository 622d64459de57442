/**
 * A test seam: `AELAB_FAILPOINT` makes a sweep stop itself (SIGSTOP) at one exact point, so
 * a test that kills or interrupts a sweep acts on a state the sweep is held in, whatever the
 * machine's load, instead of racing the sweep for a line of output. A stopped process is
 * `T` in /proc/PID/stat; the test then sends SIGKILL, or SIGINT and SIGCONT.
 *
 * - `stop-at-start:N`: the N-th trial this process starts is recorded as `running` and not
 *   yet given to a worker (its start line not yet printed).
 * - `stop-after-record:N`: the N-th trial end this process records (complete, pruned,
 *   failed or interrupted) is durable in the store (its progress line not yet printed).
 *
 * Unset (the normal case), it does nothing. Read once, when a sweep starts.
 */
import type { StudyEvent } from '@aelab/search';

/** The environment variable, named in its own error. */
const VARIABLE = 'AELAB_FAILPOINT';
/** The points, by the study event that marks them. */
const POINTS = { 'stop-at-start': 'trial-start', 'stop-after-record': 'trial-end' } as const;

/** Returns the hook to call with each study event before it is shown; a no-op unless `AELAB_FAILPOINT` is set. */
export function failpoint(value = process.env[VARIABLE]): (event: StudyEvent) => void {
  if (value === undefined || value === '') return () => {};
  const match = /^([a-z-]+):([1-9]\d*)$/.exec(value);
  const point = match?.[1];
  if (!match || !point || !(point in POINTS)) {
    throw new Error(`${VARIABLE}=${value}: expected ${Object.keys(POINTS).map((p) => `${p}:N`).join(' or ')} (N from 1)`);
  }
  const type = POINTS[point as keyof typeof POINTS];
  const at = Number(match[2]);
  let seen = 0;
  return (event) => {
    if (event.type === type && ++seen === at) process.kill(process.pid, 'SIGSTOP');
  };
}
