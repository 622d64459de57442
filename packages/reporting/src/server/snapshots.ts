/**
 * The run store as the server reads it while sweeps write it: a readonly store opened
 * anew whenever the files changed, and a version string per study so that rendered pages
 * are cached until their study changes.
 *
 * A writer changes the store only by renaming whole files into place (`index.json` in the
 * root, shard files in a study's folder), and each rename moves the modification time of
 * the folder it lands in. So the version of a study is its own folder's identity and time
 * (its record in `index.json` never changes once written, so a study created beside it does
 * not make its pages render again); live progress is written into a subfolder and leaves
 * it alone.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isStudyId, JsonFileRunStore } from '@aelab/store';

export interface StoreSnapshot {
  store: JsonFileRunStore;
  /** Study id -> version: equal versions mean equal records. */
  versions: Map<string, string>;
}

const fileVersion = (s: { mtimeMs: number; size: number; ino: number } | null) =>
  s ? `${s.ino}:${s.mtimeMs}:${s.size}` : '-';

/**
 * `load` with concurrent calls coalesced: a call made while one is in flight gets that
 * call's answer, and so does a call made less than `reuseMs` after it succeeded. Fifty
 * pages polling at once then cost the store one look, not fifty.
 */
export function coalesced<T>(load: () => Promise<T>, reuseMs = 0): () => Promise<T> {
  let last: { answer: Promise<T>; settledAt: number | null } | null = null;
  // A clock set back (elapsed < 0) ends the reuse too.
  const fresh = (settledAt: number) => Date.now() - settledAt >= 0 && Date.now() - settledAt < reuseMs;
  return () => {
    if (last && (last.settledAt === null || fresh(last.settledAt))) return last.answer;
    const current: { answer: Promise<T>; settledAt: number | null } = { answer: load(), settledAt: null };
    last = current;
    current.answer.then(
      () => void (current.settledAt = Date.now()),
      () => void (last === current && (last = null)),
    );
    return current.answer;
  };
}

/** Readonly views of the store at `root`, reopened when its files change. */
export class StoreSnapshots {
  #current: { key: string; snapshot: Promise<StoreSnapshot> } | null = null;

  /** The store as it is now (reusing the last snapshot when nothing changed); see {@link coalesced} for `reuseMs`. */
  readonly current: () => Promise<StoreSnapshot>;

  constructor(
    readonly root: string,
    reuseMs = 0,
  ) {
    this.current = coalesced(() => this.#look(), reuseMs);
  }

  async #look(): Promise<StoreSnapshot> {
    const index = fileVersion(await stat(join(this.root, 'index.json')).catch(() => null));
    const versions = new Map<string, string>();
    const entries = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    await Promise.all(
      entries
        .filter((e) => e.isDirectory() && isStudyId(e.name))
        .map(async (e) => {
          const dir = await stat(join(this.root, e.name)).catch(() => null);
          versions.set(e.name, dir ? `${dir.ino}:${dir.mtimeMs}` : '-');
        }),
    );
    const key = [index, ...[...versions].sort().map(([id, v]) => `${id}=${v}`)].join(';');
    if (this.#current?.key !== key) {
      const snapshot = JsonFileRunStore.open(this.root, { readonly: true }).then((store) => ({ store, versions }));
      // A failed open (a file read mid-edit by hand) is retried on the next request.
      snapshot.catch(() => {
        if (this.#current?.snapshot === snapshot) this.#current = null;
      });
      this.#current = { key, snapshot };
    }
    return this.#current.snapshot;
  }
}
