import {
  compareConfigurations,
  oriented,
  rankConfigurations,
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
export type TrackedConfiguration = Omit<RankedConfiguration<TrackedEvaluation>, 'rank' | 'tiedWith'>;

/**
 * The study's running view of its objective: every evaluation of a complete trial,
 * judged with @aelab/core's one rule (`rankConfigurations` groups and scores them,
 * `compareConfigurations` orders). The progress line's best, the sampler's objective and each
 * model's saved threshold all read it, so they agree with `runs best` and the report,
 * which rank the stored evaluations with the same rule. Adding a trial's evaluations
 * re-summarises only their configurations, and the best is a scan, not a re-sort: a
 * study of thousands of trials does not slow down as it grows.
 */
export class ObjectiveBoard {
  private readonly configurations = new Map<string, TrackedConfiguration>();
  private readonly byTraining = new Map<string, TrackedConfiguration[]>();

  constructor(readonly rule: SelectionRule) {}

  /**
   * Adds evaluations (of complete trials). The configurations they belong to are grouped and
   * scored again by core's `rankConfigurations`, over their earlier evaluations and these.
   */
  add(evaluations: readonly TrackedEvaluation[]): void {
    const touched = new Set(evaluations.map((e) => e.configHash));
    const earlier = [...touched].flatMap((hash) => this.configurations.get(hash)?.evaluations ?? []);
    for (const { rank: _rank, tiedWith: _tiedWith, ...scored } of rankConfigurations(this.rule, [
      ...earlier,
      ...evaluations,
    ])) {
      const known = this.configurations.get(scored.configHash);
      if (known) {
        Object.assign(known, scored);
        continue;
      }
      this.configurations.set(scored.configHash, scored);
      const siblings = this.byTraining.get(scored.trainingHash);
      if (siblings) siblings.push(scored);
      else this.byTraining.set(scored.trainingHash, [scored]);
    }
  }

  private best(candidates: Iterable<TrackedConfiguration>): TrackedConfiguration | undefined {
    let best: TrackedConfiguration | undefined;
    for (const c of candidates) if (!best || compareConfigurations(this.rule, c, best) < 0) best = c;
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
