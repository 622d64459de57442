import {
  ARTIFACT,
  errorHistogramsSchema,
  type CurvesArtifact,
  type ErrorHistograms,
  type ErrorsArtifact,
  type ExamplesArtifact,
  type SeriesArtifact,
} from '@aelab/core';
import type { RunStore, TrialRecord } from '@aelab/store';

/** An artifact read for a page: its content, or why a section has to say it is missing. */
export type Loaded<T> = { value: T; missing?: undefined } | { value?: undefined; missing: string };

/** The JSON artifacts a trial page draws from. */
export interface TrialArtifacts {
  /**
   * Every row's errors, read when first asked for (tens of MiB on a large dataset): a page
   * draws from `histograms` and reads them only for a series or a trial recorded without it.
   */
  errors(): Promise<Loaded<ErrorsArtifact>>;
  histograms: Loaded<ErrorHistograms>;
  curves: Loaded<CurvesArtifact>;
  examples: Loaded<ExamplesArtifact>;
  series: Loaded<SeriesArtifact>;
}

type JsonArtifactKey = 'errors' | 'histograms' | 'curves' | 'examples' | 'series';

/**
 * Finds an artifact's path in the trial record. Writers may key `artifacts` by the short
 * name (`errors`) or the file name (`errors.json`); both are accepted.
 */
export function artifactPath(trial: TrialRecord, key: JsonArtifactKey): string | undefined {
  return trial.artifacts[key] ?? trial.artifacts[ARTIFACT[key]];
}

/**
 * Reads one JSON artifact. Absent, unreadable or malformed artifacts never throw: a
 * report of a half-finished or partly deleted run must still render, with the section
 * naming the problem.
 */
export async function readJsonArtifact<T>(
  store: RunStore,
  trial: TrialRecord,
  key: JsonArtifactKey,
): Promise<Loaded<T>> {
  const path = artifactPath(trial, key);
  if (path === undefined) return { missing: `No ${ARTIFACT[key]} artifact was recorded for trial #${trial.number}.` };
  let text: string;
  try {
    text = new TextDecoder().decode(await store.readArtifact(path));
  } catch (error) {
    return { missing: `Could not read artifact ${path}: ${(error as Error).message}` };
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return { missing: `Artifact ${path} is not a JSON object (expected the ${key} artifact shape).` };
    }
    return { value: value as T };
  } catch (error) {
    return { missing: `Artifact ${path} is not valid JSON: ${(error as Error).message}` };
  }
}

/** The histograms artifact, checked against its schema (a file that does not match is as good as missing). */
async function readHistograms(store: RunStore, trial: TrialRecord): Promise<Loaded<ErrorHistograms>> {
  const read = await readJsonArtifact<unknown>(store, trial, 'histograms');
  if (read.missing !== undefined) return read;
  const parsed = errorHistogramsSchema.safeParse(read.value);
  return parsed.success
    ? { value: parsed.data }
    : {
        missing:
          `Artifact ${artifactPath(trial, 'histograms')} is not a histograms artifact: ` +
          `${parsed.error.issues[0]?.message}`,
      };
}

/** A trial's JSON artifacts; `curves`, when given, is its curves artifact read already. */
export async function readTrialArtifacts(
  store: RunStore,
  trial: TrialRecord,
  curves?: Promise<Loaded<CurvesArtifact>>,
): Promise<TrialArtifacts> {
  const [histograms, curvesRead, examples, series] = await Promise.all([
    readHistograms(store, trial),
    curves ?? readJsonArtifact<CurvesArtifact>(store, trial, 'curves'),
    readJsonArtifact<ExamplesArtifact>(store, trial, 'examples'),
    readJsonArtifact<SeriesArtifact>(store, trial, 'series'),
  ]);
  let errors: Promise<Loaded<ErrorsArtifact>> | undefined;
  return {
    errors: () => (errors ??= readJsonArtifact<ErrorsArtifact>(store, trial, 'errors')),
    histograms,
    curves: curvesRead,
    examples,
    series,
  };
}
