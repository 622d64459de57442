import { resolve } from 'node:path';
import type { ExportFormat } from '@aelab/core';
import { formatExport, studyExport } from '@aelab/reporting';
import { writeFileAtomic, type RunStore } from '@aelab/store';
import { findStudy } from './runs-view.js';

/**
 * `aelab runs export`: the study's evaluations, one row per evaluated configuration and
 * repeat, to `out` (written whole or not at all) or standard output.
 */
export async function exportStudy(
  store: RunStore,
  idOrName: string | undefined,
  format: ExportFormat,
  out: string | undefined,
): Promise<void> {
  const study = await findStudy(store, idOrName);
  const [trials, evaluations] = await Promise.all([store.listTrials(study.id), store.listEvaluations(study.id)]);
  const text = formatExport(studyExport(study, trials, evaluations), format);
  if (out === undefined) process.stdout.write(text);
  else {
    await writeFileAtomic(resolve(out), text, { fsync: true });
    console.error(`${evaluations.length} evaluation rows of study ${study.id} written to ${resolve(out)}`);
  }
}
