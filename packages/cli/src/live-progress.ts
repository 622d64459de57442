import type { StudyEvent } from '@aelab/search';
import { writeLiveProgress, type LiveTrial } from '@aelab/store';

/** Least time between two writes of the live progress: epochs of tiny models come faster than anyone reads them. */
export const LIVE_WRITE_INTERVAL_MS = 250;

/**
 * Keeps the running trials' epochs in the store's live progress file (see @aelab/store's
 * `writeLiveProgress`) for `aelab serve`, from the study events the sweep already emits on
 * the main thread, the store's writer. Writes are coalesced (at most one per
 * {@link LIVE_WRITE_INTERVAL_MS}, one at a time) and never fail the sweep: the first
 * failure is reported once and later ones are dropped.
 */
export class LiveProgressRecorder {
  readonly #trials = new Map<string, LiveTrial>();
  #studyId: string | null = null;
  #timer: NodeJS.Timeout | null = null;
  #writing: Promise<void> = Promise.resolve();
  #warned = false;
  #sweeping = true;

  constructor(
    private readonly root: string,
    private readonly warn: (message: string) => void = (m) => process.stderr.write(`${m}\n`),
  ) {}

  handle = (event: StudyEvent): void => {
    if (event.type === 'study') this.#studyId = event.study.id;
    else if (event.type === 'trial-start') this.#trials.set(event.trialId, { epochs: 0, history: [] });
    else if (event.type === 'trial-epoch') {
      const trial = this.#trials.get(event.trialId) ?? { epochs: 0, history: [] };
      trial.epochs = event.epochs;
      trial.history.push(event.record);
      this.#trials.set(event.trialId, trial);
    } else if (event.type === 'trial-end') this.#trials.delete(event.trial.id);
    else return;
    this.#schedule();
  };

  /** Writes what is left (no running trial once the sweep has ended) and stops. */
  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#trials.clear();
    this.#sweeping = false;
    await this.flush();
  }

  #schedule(): void {
    if (this.#timer || this.#studyId === null) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.flush();
    }, LIVE_WRITE_INTERVAL_MS);
    this.#timer.unref();
  }

  /** Writes the running trials now (after the writes already queued); resolves when written or given up. */
  flush(): Promise<void> {
    const studyId = this.#studyId;
    if (studyId === null) return this.#writing;
    // Copied now: the write runs later, while epochs keep arriving.
    const trials = Object.fromEntries(
      [...this.#trials].map(([id, t]) => [id, { epochs: t.epochs, history: [...t.history] }]),
    );
    const progress = { studyId, updatedAt: new Date().toISOString(), sweeping: this.#sweeping, trials };
    this.#writing = this.#writing
      .then(() => writeLiveProgress(this.root, progress))
      .catch((error: unknown) => {
        if (!this.#warned)
          this.warn(`warning: live progress not recorded (aelab serve shows finished trials only): ${String(error)}`);
        this.#warned = true;
      });
    return this.#writing;
  }
}
