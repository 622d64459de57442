import {
  compareConfigurations,
  oriented,
  selectionValue,
  summarize,
  type MetricSet,
  type Params,
  type RankedConfiguration,
  type SelectionRule,
  type SplitName,
} from '@aelab/core';

/** An evaluation of a complete trial, as the study tracks it. */
export interface TrackedEvaluation {
  configHash: string;
  /** The trial's training config hash. */
  trainingHash: string;
  trialId: string;
  threshold: number;
  scoring: Params;
  metrics: Partial<Record<SplitName, MetricSet>>;
  /** A baseline detector's evaluation: tracked, never the study's winner. */
  baseline?: boolean;
}

/** An evaluated configuration as the board tracks it: its evaluations so far and their objective. */
export type TrackedConfiguration = Omit<RankedConfiguration<TrackedEvaluation>, 'rank'>;

/**
 * The study's running view of its objective: every evaluation of a complete trial,
 * judged with @aelab/core's one rule (`summarize` + `compareConfigurations`, as
 * `rankConfigurations` does). The progress line's best, the sampler's objective and each
 * model's saved threshold all read it, so they agree with `runs best` and the report,
 * which rank the stored evaluations with the same rule. Adding a trial's evaluations
 * re-summarises only their configurations, and the best is a scan, not a re-sort: a
 * study of thousands of trials does not slow down as it grows.
 */
export class ObjectiveBoard {
  private readonly configurations = new Map<string, TrackedConfiguration>();
  private readonly byTraining = new Map<string, TrackedConfiguration[]>();

  constructor(readonly rule: SelectionRule) {}

  add(evaluations: readonly TrackedEvaluation[]): void {
    const changed = new Set<TrackedConfiguration>();
    for (const e of evaluations) {
      let configuration = this.configurations.get(e.configHash);
      if (!configuration) {
        configuration = { configHash: e.configHash, trainingHash: e.trainingHash, evaluations: [], score: null, baseline: e.baseline === true };
        this.configurations.set(e.configHash, configuration);
        const siblings = this.byTraining.get(e.trainingHash);
        if (siblings) siblings.push(configuration);
        else this.byTraining.set(e.trainingHash, [configuration]);
      }
      configuration.evaluations.push(e);
      changed.add(configuration);
    }
    for (const c of changed) c.score = summarize(c.evaluations.map((e) => selectionValue(this.rule, e.metrics)));
  }

  private best(candidates: Iterable<TrackedConfiguration>): TrackedConfiguration | undefined {
    let best: TrackedConfiguration | undefined;
    for (const c of candidates) if (!best || compareConfigurations(this.rule.direction, c, best) < 0) best = c;
    return best;
  }

  /** The study's current winner (the best autoencoder: baselines never win), or null while nothing has a score. */
  winner(): TrackedConfiguration | null {
    const best = this.best([...this.configurations.values()].filter((c) => !c.baseline));
    return best?.score ? best : null;
  }

  /** The scoring variant the study currently uses for a training configuration. */
  bestFor(trainingHash: string): TrackedConfiguration | undefined {
    return this.best(this.byTraining.get(trainingHash) ?? []);
  }

  /** A training configuration's objective, larger = better (what samplers are told), or null. */
  objectiveOf(trainingHash: string): number | null {
    const score = this.bestFor(trainingHash)?.score;
    return score ? oriented(score.mean, this.rule.direction) : null;
  }
}
