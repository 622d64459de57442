/**
 * One full page render at a time, a render someone waits for before the background ones.
 * Renders are CPU-bound on the server's one thread: two at once would each take twice as
 * long, so a study asked for right after a start would wait for the whole warm-up. (A
 * dozen lines, so no queue library for it: p-queue is not among the workspace's packages.)
 */
export class RenderSlot {
  #busy = false;
  readonly #waiting: { urgent: boolean; go: () => void }[] = [];

  /** Runs `work` once the slot is free; `urgent` work goes before every waiting non-urgent one. */
  async run<T>(urgent: boolean, work: () => Promise<T>): Promise<T> {
    if (this.#busy) {
      await new Promise<void>((go) => {
        const at = urgent ? this.#waiting.findIndex((w) => !w.urgent) : -1;
        this.#waiting.splice(at < 0 ? this.#waiting.length : at, 0, { urgent, go });
      });
    }
    this.#busy = true;
    try {
      // Requests already waiting (a page's bytes to send) go before a render takes the thread.
      await new Promise((next) => setImmediate(next));
      return await work();
    } finally {
      // The slot passes straight to the next in line (still busy), or is free.
      const next = this.#waiting.shift();
      if (next) next.go();
      else this.#busy = false;
    }
  }

  /** Renders waiting for the slot (not counting the one running). */
  get waiting(): number {
    return this.#waiting.length;
  }
}
