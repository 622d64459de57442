import type { Dataset, DatasetSource } from './dataset.js';
import { FloatMatrixBuilder, LabelPool } from './lines.js';

/** A dataset's default name: its file's name, without the folders. */
export const fileBaseName = (file: string): string => file.split(/[\\/]/).pop()!;

/**
 * The rows a loader of one labelled file collects while its lines stream in: the values in
 * one {@link FloatMatrixBuilder}, and a label per row, kept once each ({@link LabelPool}).
 */
export class LabelledRows {
  readonly values = new FloatMatrixBuilder();
  readonly labels: string[] = [];
  private readonly pool = new LabelPool();

  /** Ends a row (its values pushed to {@link values}) with its label. */
  pushLabel(label: string): void {
    this.labels.push(this.pool.intern(label));
  }

  /**
   * The dataset read from `file` (its digest `sha256`), one feature per name; named `name`,
   * else after the file. The builder is empty afterwards.
   */
  finish(read: {
    file: string;
    sha256: string;
    format: DatasetSource['format'];
    name: string | undefined;
    featureNames: string[];
  }): Dataset {
    const { file, featureNames } = read;
    return {
      name: read.name ?? fileBaseName(file),
      values: this.values.finish(),
      rows: this.labels.length,
      features: featureNames.length,
      labels: this.labels,
      featureNames,
      source: { paths: [file], sha256: read.sha256, format: read.format },
    };
  }
}
