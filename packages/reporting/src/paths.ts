import { createHash } from 'node:crypto';

/** File-system-safe, collision-free name for an id: kept as is when already safe. */
export function fileSlug(id: string): string {
  const clean = id.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80);
  if (clean === id && clean !== '' && !clean.startsWith('.')) return clean;
  return `${clean.replace(/^\.+/, '_')}-${createHash('sha256').update(id).digest('hex').slice(0, 10)}`;
}

/** A trial page's file name, in the study folder's `trials/`. */
export function trialPageName(trialId: string): string {
  return `${fileSlug(trialId)}.html`;
}
