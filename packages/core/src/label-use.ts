/**
 * Where a study's labelled anomalies went: every anomaly of the training split is trained on
 * (`trainOn: "all"`), held in validation (`validationAnomalies: "keep"`), or dropped, and the
 * counts are said (sweep header, study page), never dropped without a word.
 */

/** The anomalies of one prepared data section (one draw of its split, with `resample`). */
export interface LabelUse {
  /** What tells this data section from the study's others (e.g. `trainOn "normal"`); "" when it has one. */
  section: string;
  /** Anomalies in the validation split. */
  validationAnomalies: number;
  /** Anomalies of the training split left out of training and validation. */
  droppedTrainingAnomalies: number;
  /** Anomalies trained on (`trainOn: "all"`). */
  trainedAnomalies: number;
}

const range = (values: readonly number[]) => {
  const [low, high] = [Math.min(...values), Math.max(...values)];
  return low === high ? String(low) : `${low}-${high}`;
};

/**
 * The label use in words, one line per data section; counts that differ between draws of
 * a resampled split as a range, e.g. `validation holds 20-24 anomalies; 184-188 training
 * anomalies dropped (never trained on or validated with)`.
 */
export function describeLabelUse(uses: readonly LabelUse[]): string[] {
  const sections = [...new Set(uses.map((u) => u.section))];
  return sections.map((section) => {
    const of = uses.filter((u) => u.section === section);
    const parts = [`validation holds ${range(of.map((u) => u.validationAnomalies))} anomalies`];
    const dropped = of.map((u) => u.droppedTrainingAnomalies);
    parts.push(
      Math.max(...dropped) === 0
        ? 'no training anomaly dropped'
        : `${range(dropped)} training anomalies dropped (never trained on or validated with)`,
    );
    const trained = of.map((u) => u.trainedAnomalies);
    if (Math.max(...trained) > 0) parts.push(`${range(trained)} trained on (data.trainOn "all")`);
    return `${section ? `${section}: ` : ''}${parts.join('; ')}`;
  });
}
