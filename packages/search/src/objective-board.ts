import {
  bestPerTraining,
  oriented,
  rankConfigurations,
  winnerOf,
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
}

/**
 * The study's running view of its objective: every evaluation of a complete trial,
 * ranked with @aelab/core's one rule. The progress line's best, the sampler's objective
 * and each model's saved threshold all read it, so they agree with `runs best` and the
 * report, which rank the stored evaluations with the same rule.
 */
export class ObjectiveBoard {
  private readonly evaluations: TrackedEvaluation[] = [];
  private cache: { ranked: RankedConfiguration<TrackedEvaluation>[]; perTraining: Map<string, RankedConfiguration<TrackedEvaluation>> } | null = null;

  constructor(readonly rule: SelectionRule) {}

  add(evaluations: readonly TrackedEvaluation[]): void {
    this.evaluations.push(...evaluations);
    this.cache = null;
  }

  private view() {
    if (!this.cache) {
      const ranked = rankConfigurations(this.rule, this.evaluations);
      this.cache = { ranked, perTraining: bestPerTraining(ranked) };
    }
    return this.cache;
  }

  /** The study's current winner, or null while nothing has a score. */
  winner(): RankedConfiguration<TrackedEvaluation> | null {
    return winnerOf(this.view().ranked);
  }

  /** The scoring variant the study currently uses for a training configuration. */
  bestFor(trainingHash: string): RankedConfiguration<TrackedEvaluation> | undefined {
    return this.view().perTraining.get(trainingHash);
  }

  /** A training configuration's objective, larger = better (what samplers are told), or null. */
  objectiveOf(trainingHash: string): number | null {
    const score = this.bestFor(trainingHash)?.score;
    return score ? oriented(score.mean, this.rule.direction) : null;
  }
}
