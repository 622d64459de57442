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
