import type { StudyEvent } from '@aelab/search';
import { describeLabelUse, type Params } from '@aelab/core';
import { printable } from '@aelab/data';

interface Running {
  label: string;
  epoch: number;
  epochs: number;
  loss: number | null;
  valLoss: number | null;
  started: number;
}

const fmt = (v: number | null | undefined, digits = 4) =>
  v === null || v === undefined ? '-' : Number(v).toPrecision(digits);

function describeParams(params: Params): string {
  const entries = Object.entries(params);
  if (entries.length === 0) return '(base config)';
  return entries.map(([k, v]) => `${k.replace(/^(model|training|data)\./, '')}=${JSON.stringify(v)}`).join(' ');
}

function bar(fraction: number, width = 20): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds.toFixed(0)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
}

/**
 * Renders sweep progress. On a terminal: a live block with one bar per running trial,
 * the ETA and the best score so far. Elsewhere (CI, pipes, nx): one line when a trial
 * starts and one when it ends, so logs stay readable.
 */
export class ProgressDisplay {
  private readonly running = new Map<string, Running>();
  private drawn = 0;
  private done = 0;
  private total: number | null = null;
  private best: { metric: string; value: number } | undefined;
  private readonly started = Date.now();
  private readonly durations: number[] = [];
  private workers = 1;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly live = Boolean(out.isTTY) && !process.env.CI,
  ) {}

  handle = (event: StudyEvent): void => {
    switch (event.type) {
      case 'study': {
        this.workers = event.workers;
        const how = event.resumed ? `resuming study ${event.study.id}` : `new study ${event.study.id}`;
        this.line(`${how} (${event.study.name}) on ${event.workers} worker(s), backend ${event.backend}`);
        if (event.requeued > 0) this.line(`re-queued ${event.requeued} interrupted trial(s)`);
        if (event.note) this.line(`note: ${event.note}`);
        for (const warning of event.warnings) this.line(`warning: ${warning}`);
        for (const use of describeLabelUse(event.labelUse)) this.line(`labels: ${use}`);
        break;
      }
      case 'trial-start': {
        this.total = event.total;
        const label = `${event.trialId} r${event.repeat} ${describeParams(event.params)}`;
        this.running.set(event.trialId, { label, epoch: 0, epochs: 0, loss: null, valLoss: null, started: Date.now() });
        if (!this.live) this.line(`start ${label}`);
        break;
      }
      case 'trial-epoch': {
        const r = this.running.get(event.trialId);
        if (!r) break;
        Object.assign(r, {
          epoch: event.record.epoch,
          epochs: event.epochs,
          loss: event.record.loss,
          valLoss: event.record.valLoss,
        });
        break;
      }
      case 'trial-end': {
        const r = this.running.get(event.trial.id);
        this.running.delete(event.trial.id);
        this.done++;
        this.best = event.best ?? this.best;
        const t = event.trial;
        if (t.trainSeconds) this.durations.push(t.trainSeconds);
        const last = t.history.at(-1);
        // A baseline detector is fitted: no epochs, no loss to show.
        const status =
          t.status === 'complete' && t.history.length === 0
            ? `fitted in ${fmt(t.trainSeconds, 3)}s`
            : t.status === 'complete'
              ? `done in ${fmt(t.trainSeconds, 3)}s, ${t.history.length} epochs, ` +
                `loss ${fmt(last?.loss)} val ${fmt(last?.valLoss)}`
              : `${t.status}: ${t.reason}`;
        const best = this.best ? ` | best ${this.best.metric} ${fmt(this.best.value)}` : '';
        this.line(`${this.counter()} ${r?.label ?? t.id}: ${status}${best}`);
        break;
      }
      case 'done':
        break;
    }
    if (this.live) this.redraw();
  };

  private counter(): string {
    return this.total ? `[${this.done}/${this.total}]` : `[${this.done}]`;
  }

  private eta(): string {
    if (!this.total || this.durations.length === 0) return '?';
    const mean = this.durations.reduce((a, b) => a + b, 0) / this.durations.length;
    return duration(((this.total - this.done) * mean) / this.workers);
  }

  /** Params, labels and reasons come from user files: their control characters are shown, never obeyed. */
  private line(text: string): void {
    this.clear();
    this.out.write(`${printable(text)}\n`);
  }

  private clear(): void {
    if (!this.live || this.drawn === 0) return;
    this.out.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }

  private redraw(): void {
    this.clear();
    const lines = [...this.running.values()].map((r) => {
      const frac = r.epochs ? r.epoch / r.epochs : 0;
      const text =
        `  ${bar(frac)} ${String(r.epoch).padStart(3)}/${r.epochs} ` +
        `loss ${fmt(r.loss)} val ${fmt(r.valLoss)}  ${printable(r.label)}`;
      return text.slice(0, (this.out.columns ?? 120) - 1);
    });
    const elapsed = duration((Date.now() - this.started) / 1000);
    const best = this.best ? `, best ${this.best.metric} ${fmt(this.best.value)}` : '';
    lines.push(`${this.counter()} elapsed ${elapsed}, ETA ${this.eta()}${best}`);
    this.out.write(`${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }
}
