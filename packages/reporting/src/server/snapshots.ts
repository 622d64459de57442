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

const fileVersion = (s: { mtimeMs: number; size: number; ino: number } | null) => (s ? `${s.ino}:${s.mtimeMs}:${s.size}` : '-');

/**
 * `load` with concurrent calls coalesced: a call made while one is in flight gets that
 * call's answer. Fifty pages polling at once then cost the store one look, not fifty.
 */
export function coalesced<T>(load: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | null = null;
  return () => {
    if (inFlight) return inFlight;
    const started = load();
    inFlight = started;
    const clear = () => void (inFlight === started && (inFlight = null));
    started.then(clear, clear);
    return started;
  };
}

/** Readonly views of the store at `root`, reopened when its files change. */
export class StoreSnapshots {
  #current: { key: string; snapshot: Promise<StoreSnapshot> } | null = null;

  constructor(readonly root: string) {}

  /** The store as it is now (reusing the last snapshot when nothing changed); callers at the same moment share one look. */
  readonly current: () => Promise<StoreSnapshot> = coalesced(() => this.#look());

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
