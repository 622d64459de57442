import { realpath } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { trialDirName } from './ids.js';

/**
 * Where a trial's artifact lives, relative to the store root:
 * `<studyId>/trials/<t000042>/<name>`. A name may have sub-directories (`model/model.json`)
 * but must stay inside the trial's directory.
 */
export function artifactPath(studyId: string, trialId: string, name: string): string {
  const segments = name.split('/');
  const bad = segments.find((s) => s === '' || s === '.' || s === '..' || /[\\\0]/.test(s));
  if (bad !== undefined || name.startsWith('/')) {
    throw new Error(
      `run store: writeArtifact: artifact name must be a relative path of plain segments ` +
        `(no '', '.', '..', '\\'), got '${name}'`,
    );
  }
  return `${studyId}/trials/${trialDirName(trialId)}/${name}`;
}

/** Rejects artifact paths that would leave the store root, as readArtifact takes any string. */
export function checkArtifactPath(path: string): void {
  const segments = path.split('/');
  if (path.startsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\\'))) {
    throw new Error(`run store: readArtifact: '${path}' is not an artifact path relative to the store root`);
  }
}

/**
 * Makes sure `path` (relative to `root`, already checked by {@link checkArtifactPath}) is
 * what it looks like: a path of the store's own folders and files. Its real path (links
 * resolved) must be the path itself under the store's real root, so an artifact or a
 * folder that is a symbolic link is refused, one pointing out of the store (a linked
 * `errors.json` -> `/etc/passwd`) and one pointing inside it alike: the store writes
 * files and folders, never links. A path that does not exist yet is checked up to its
 * deepest existing folder, which is where a write would create it. Returns the absolute
 * path.
 */
export async function resolveInsideStore(root: string, path: string, operation: string): Promise<string> {
  const realRoot = await realpath(root);
  for (let existing = path; ; existing = dirname(existing)) {
    if (existing === '.') return join(root, path);
    let real: string;
    try {
      real = await realpath(join(root, existing));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    if (real === join(realRoot, existing)) return join(root, path);
    const where = real.startsWith(realRoot + sep)
      ? 'is a symbolic link or lies under one'
      : `resolves outside the store, to ${real}`;
    throw new Error(
      `run store: ${operation}: '${path}' ${where}; artifacts must be plain files and folders of the store at ${root}`,
    );
  }
}
