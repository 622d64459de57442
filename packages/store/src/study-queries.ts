import type { Ledger } from './ledger.js';
import type { StudyRecord } from './records.js';

/**
 * The study queries every store answers from its {@link Ledger} alone, defined once so the
 * stores cannot disagree; a store hands over its ledger after checking it is open.
 */
export abstract class StudyQueries {
  /** The store's ledger; throws when the store is closed. */
  protected abstract openLedger(): Ledger;

  async getStudy(id: string): Promise<StudyRecord | undefined> {
    return this.openLedger().study(id);
  }

  async listStudies(): Promise<StudyRecord[]> {
    return this.openLedger().studies();
  }

  /** The latest study of this experiment hash (a resumed sweep's). */
  async findStudyByExperimentHash(hash: string): Promise<StudyRecord | undefined> {
    return this.openLedger()
      .studies()
      .findLast((s) => s.experimentHash === hash);
  }
}
