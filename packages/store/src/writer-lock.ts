import { hostname } from 'node:os';
import { join } from 'node:path';
import { link, open, readdir, unlink } from 'node:fs/promises';
import { readStoreFile } from './durable-file.js';

/** What `runs/.lock` holds: who writes the store. */
export interface LockOwner {
  pid: number;
  hostname: string;
  /** ISO 8601. */
  acquiredAt: string;
}

export const LOCK_FILE = '.lock';

/**
 * Locks this process holds. A lock naming our own pid that is not in here was left by
 * an earlier process that had the same pid: common in containers, where the sweep is
 * pid 1 on every start.
 */
const heldByThisProcess = new Set<string>();

/** Thrown when another live process holds the store's writer lock. */
export class StoreLockedError extends Error {
  readonly owner: LockOwner;

  constructor(lockPath: string, owner: LockOwner) {
    const where = owner.hostname === hostname() ? '' : ` on host ${owner.hostname}`;
    super(
      `run store: ${lockPath} is held by pid ${owner.pid}${where} since ${owner.acquiredAt}: ` +
        'only one process may write a run store. Open it readonly to read while that process runs' +
        (where ? ', or delete the lock file if that process is gone.' : '.'),
    );
    this.name = 'StoreLockedError';
    this.owner = owner;
  }
}

/** Where a process writes its lock before linking it into place. */
const lockTempPath = (lockPath: string, pid: number) => `${lockPath}.${pid}.tmp`;
const LOCK_TEMP = new RegExp(`^${LOCK_FILE.replace('.', '\\.')}\\.(\\d+)\\.tmp$`);

/**
 * Removes the `.lock.<pid>.tmp` files of processes killed while taking the lock (between
 * writing it and linking it into place); called by the lock's holder. One whose process
 * is alive is taking the lock right now and is left alone, as is one that names another
 * host (its pid cannot be checked from here).
 */
export async function removeStaleLockTemps(root: string): Promise<void> {
  const names = await readdir(root).catch(() => [] as string[]);
  for (const name of names) {
    const pid = Number(LOCK_TEMP.exec(name)?.[1] ?? NaN);
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    const path = join(root, name);
    const owner = await readOwner(path).catch(() => null);
    if (owner && owner.hostname !== hostname()) continue;
    await unlink(path).catch(() => undefined);
  }
}

/**
 * Takes the single-writer lock of the store rooted at `root`. A lock whose pid is no
 * longer alive on this host is stale (its writer was killed) and is taken over; a lock
 * from another host cannot be checked and is refused.
 *
 * Returns the function that releases the lock.
 */
export async function acquireWriterLock(root: string): Promise<() => Promise<void>> {
  const lockPath = join(root, LOCK_FILE);
  const owner: LockOwner = { pid: process.pid, hostname: hostname(), acquiredAt: new Date().toISOString() };
  const content = JSON.stringify(owner) + '\n';
  // Written in full, then linked into place: link fails when the lock exists, and the
  // lock is never seen half-written.
  const temp = lockTempPath(lockPath, process.pid);
  const file = await open(temp, 'w');
  await file.writeFile(content);
  await file.sync();
  await file.close();
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(temp, lockPath);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw error;
      }
      const holder = await readOwner(lockPath);
      if (holder === undefined) continue; // released between our link and our read
      if (holder !== null && isHeld(holder, lockPath)) throw new StoreLockedError(lockPath, holder);
      // Stale (dead pid, or our pid from an earlier life) or unreadable: take it over.
      await unlink(lockPath).catch(() => undefined);
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  heldByThisProcess.add(lockPath);
  return async () => {
    heldByThisProcess.delete(lockPath);
    const holder = await readOwner(lockPath);
    if (holder && holder.pid === owner.pid && holder.acquiredAt === owner.acquiredAt) {
      await unlink(lockPath).catch(() => undefined);
    }
  };
}

/** The lock's owner; null when the file is not a lock we understand; undefined when absent. */
async function readOwner(lockPath: string): Promise<LockOwner | null | undefined> {
  const text = await readStoreFile(lockPath);
  if (text === null) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<LockOwner>;
    if (typeof parsed.pid === 'number' && typeof parsed.hostname === 'string') {
      return { pid: parsed.pid, hostname: parsed.hostname, acquiredAt: String(parsed.acquiredAt ?? 'unknown') };
    }
  } catch {
    // fall through: not ours
  }
  return null;
}

/** Whether the process a lock names may still be writing. Another host's cannot be checked: assume so. */
function isHeld(holder: LockOwner, lockPath: string): boolean {
  if (holder.hostname !== hostname()) return true;
  if (holder.pid === process.pid) return heldByThisProcess.has(lockPath);
  return isAlive(holder.pid);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The store's writer lock as readers see it: who took it and when, and whether that
 * process may still be writing (false for a lock a killed writer left). Null when there is
 * no lock, or none we can read.
 */
export async function readWriterLock(root: string): Promise<{ owner: LockOwner; held: boolean } | null> {
  const lockPath = join(root, LOCK_FILE);
  const owner = await readOwner(lockPath).catch(() => null);
  return owner ? { owner, held: isHeld(owner, lockPath) } : null;
}

/** Whether a live writer holds the store at `root` (for readers that show whether a sweep is still running). */
export async function isWriterLockHeld(root: string): Promise<boolean> {
  return (await readWriterLock(root))?.held ?? false;
}
