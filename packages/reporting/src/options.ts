export interface RenderReportOptions {
  /** Folder to write into; created if absent. Existing files are overwritten, others left alone. */
  outDir: string;
  /** Render only this study's pages (the index still lists every study). */
  studyId?: string;
  /**
   * Trial pages with charts per study. Every trial gets a page (its record and
   * evaluations); studies with at most this many trials chart every one, larger ones the
   * winner's repeats and then the trials of the best-ranked configurations until the cap
   * is reached. Default 10: each charted page renders five or six charts, which dominate
   * the render time (see tools/bench/reporting-render.mjs).
   */
  maxTrialPages?: number;
  /** Trials drawn per family in the study's loss-curve overlay (best-ranked first). Default 10. */
  maxCurveTrials?: number;
  /** Training configurations on the compare page (best-ranked, distinct trainings). Default 4. */
  compareCount?: number;
  /** Metric-vs-parameter charts per study (one per swept parameter). Default 12. */
  maxParamCharts?: number;
  /** Configurations drawn in the parallel-coordinates view (best-ranked). Default 150. */
  maxParallelRows?: number;
  /** Points per metric-vs-parameter chart (best-ranked configurations). Default 1000. */
  maxScatterPoints?: number;
}

export type FilledOptions = Required<Omit<RenderReportOptions, 'studyId'>> & { studyId?: string };

const kDefaultOptions = {
  maxTrialPages: 10,
  maxCurveTrials: 10,
  compareCount: 4,
  maxParamCharts: 12,
  maxParallelRows: 150,
  maxScatterPoints: 1000,
} as const;

/** Fills in the defaults and checks every option, naming the first bad one. */
export function fillOptions(options: RenderReportOptions): FilledOptions {
  const filled = { ...kDefaultOptions, ...options } as FilledOptions;
  for (const key of Object.keys(kDefaultOptions) as (keyof typeof kDefaultOptions)[]) {
    const value = filled[key];
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`renderReport: ${key} must be a positive integer, got ${String(value)}`);
  }
  if (typeof options.outDir !== 'string' || options.outDir === '')
    throw new Error('renderReport: outDir must be a non-empty path');
  return filled;
}
