import { homedir } from 'node:os';
import { join } from 'node:path';
import { NAB_COMMIT, NAB_CORPUS, NAB_LABELS_SHA256 } from './nab-corpus.js';
import type { DatasetSource } from './dataset.js';
import type { MissingPolicy } from './scaling.js';
import type { SplitSpec } from './splits.js';

/** One file of a named dataset, at a path relative to the data directory. */
export interface DatasetFile {
  /** Relative to the data dir, e.g. `ecg_tensorflow/ecg.csv` (the layout `aelab data fetch` writes). */
  path: string;
  /** Canonical public download URL (absent when the file only comes inside an archive). */
  url?: string;
  /** sha256 of the exact bytes, when known; fetch verifies it. */
  sha256?: string;
  bytes?: number;
  /** Loaded when present (e.g. ECG5000_TEST next to ECG5000_TRAIN). */
  optional?: boolean;
}

/** A zip archive that holds a dataset's files (for datasets without a direct download per file). */
export interface DatasetArchive {
  /** Canonical public URL of the archive. */
  url: string;
  /** sha256 of the archive's bytes, when known. */
  sha256?: string;
  /** Archive entries to extract: the entry name in the zip and where it goes in the data dir. */
  members: { entry: string; path: string; sha256?: string; optional?: boolean }[];
}

/** What the registry knows about a named dataset. */
export interface DatasetInfo {
  name: string;
  description: string;
  format: DatasetSource['format'];
  /**
   * Alternative file sets, first one present wins (creditcard: the full fetched file,
   * else the shared sample). Each set is a list of files loaded together.
   */
  fileSets: DatasetFile[][];
  /** Where fetch gets the files when they have no URL of their own. */
  archive?: DatasetArchive;
  /** Labels counted as normal (compared numerically when both sides are numbers: "1" = "1.0"). */
  normalClass: string[];
  /** The protocol of the notebooks that used it. */
  defaultSplit: SplitSpec;
  missing: MissingPolicy;
  /** Loader options applied unless the spec overrides them. */
  defaultOptions: Record<string, string | number | boolean>;
  homepage?: string;
  notes: string[];
}

const ECG5000_ZIP = 'https://www.timeseriesclassification.com/aeon-toolkit/ECG5000.zip';

const STATIC_DATASETS: DatasetInfo[] = [
  {
    name: 'synthetic-ecg',
    description:
      'Embedded seeded ECG5000-like beats (140 points): normal P-QRS-T template with jitter ' +
      'plus six labelled anomaly kinds',
    format: 'synthetic',
    fileSets: [[]],
    normalClass: ['normal'],
    defaultSplit: { kind: 'predefined' },
    missing: 'interpolate',
    defaultOptions: {},
    notes: [
      'options: seed (42), trainRows (500), testRows (1000), anomalyFraction (0.4), ' +
        'trainAnomalyFraction (0.42), noise (0.03)',
    ],
  },
  {
    name: 'ecg5000',
    description:
      'UCR/UEA ECG5000: 5,000 beats x 140 points from BIDMC chf07, classes 1-5 (1 = normal), TRAIN 500 / TEST 4,500',
    format: 'arff',
    fileSets: [
      [
        {
          path: 'ecg5000/ECG5000_TRAIN.arff',
          sha256: 'f2d793c998d853cbef4fed91f44792d680e51ed238cc51e8197a982b6520f4c6',
          bytes: 790229,
        },
        { path: 'ecg5000/ECG5000_TEST.arff', optional: true },
      ],
    ],
    archive: {
      url: ECG5000_ZIP,
      members: [
        {
          entry: 'ECG5000_TRAIN.arff',
          path: 'ecg5000/ECG5000_TRAIN.arff',
          sha256: 'f2d793c998d853cbef4fed91f44792d680e51ed238cc51e8197a982b6520f4c6',
        },
        { entry: 'ECG5000_TEST.arff', path: 'ecg5000/ECG5000_TEST.arff' },
      ],
    },
    normalClass: ['1'],
    defaultSplit: { kind: 'predefined' },
    missing: 'interpolate',
    defaultOptions: {},
    homepage: 'https://www.timeseriesclassification.com/description.php?Dataset=ECG5000',
    notes: [
      `distributed as ${ECG5000_ZIP}; \`npx aelab data fetch ecg5000\` ` +
        'extracts ECG5000_TRAIN.arff and ECG5000_TEST.arff into <data dir>/ecg5000/',
      'the team-shared datasets copy has the TRAIN split only (TEST absent): use ecg (ecg.csv) for test beats',
    ],
  },
  {
    name: 'ecg',
    description:
      "TensorFlow's 'Intro to Autoencoders' ecg.csv: 4,998 ECG5000 beats x 140, " +
      'label 1.0 = normal (2,919), 0.0 = abnormal',
    format: 'csv',
    fileSets: [
      [
        {
          path: 'ecg_tensorflow/ecg.csv',
          url: 'http://storage.googleapis.com/download.tensorflow.org/data/ecg.csv',
          sha256: '72ce7b040ca0c6ed36c3368e570c6ac4ddf20100476e47373c63b2395e012df1',
          bytes: 7877383,
        },
      ],
    ],
    normalClass: ['1.0'],
    // the tutorial: train_test_split(test_size=0.2, random_state=21)
    defaultSplit: { kind: 'random', testFraction: 0.2, seed: 21, shuffle: 'numpy' },
    missing: 'interpolate',
    defaultOptions: { header: false },
    homepage: 'https://www.tensorflow.org/tutorials/generative/autoencoder',
    notes: [
      'rows 0-499 equal ECG5000_TRAIN; split {kind: rows, train: [0, 500], test: [500, null]} reproduces the UCR split',
      'the tutorial scales with a global min-max (scaler minmax-global)',
    ],
  },
  {
    name: 'creditcard',
    description: 'Kaggle credit-card fraud (ULB/Worldline): Time, V1..V28 (PCA), Amount; Class 1 = fraud',
    format: 'csv',
    fileSets: [
      [
        {
          path: 'creditcard/creditcard.csv',
          url: 'https://storage.googleapis.com/download.tensorflow.org/data/creditcard.csv',
        },
      ],
      [
        {
          path: 'creditcard_fraud_sample/creditcard_sample.csv',
          url:
            'https://raw.githubusercontent.com/Ghali062/EDA/' +
            'f90bd0a501153701b1713b044121918c7e00d73d/creditcard_sample.csv',
          sha256: 'a3da913c85aa9830d9065a01f5be1628f149fc8e9acbacf898c35c2e760b81d0',
          bytes: 1510352,
        },
      ],
    ],
    normalClass: ['0'],
    defaultSplit: { kind: 'random', testFraction: 0.2, seed: 42, stratify: true },
    missing: 'impute',
    defaultOptions: { labelColumn: 'Class', header: true },
    homepage: 'https://www.kaggle.com/datasets/mlg-ulb/creditcardfraud',
    notes: [
      'full file (284,807 rows, 492 frauds) when fetched; else the 2,860-row sample with 2 frauds (smoke tests only)',
      'full-file sha256 not pinned: fetch reports the digest it got',
    ],
  },
];

/** Registry entry for `nab/<folder>/<file>.csv` (the `.csv` may be left off). */
function nabInfo(key: string): DatasetInfo | undefined {
  const entry = NAB_CORPUS.find((e) => e.key === key || e.key === `${key}.csv`);
  if (!entry) return undefined;
  const raw = `https://raw.githubusercontent.com/numenta/NAB/${NAB_COMMIT}`;
  return {
    name: `nab/${entry.key.replace(/\.csv$/, '')}`,
    description:
      `NAB v1.1 series ${entry.key}: ${entry.points} points, ` +
      `${entry.windows} labelled anomaly window(s) covering ${entry.pointsInWindows} points`,
    format: 'nab',
    fileSets: [
      [
        { path: `nab/data/${entry.key}`, url: `${raw}/data/${entry.key}`, sha256: entry.sha256, bytes: entry.bytes },
        {
          path: 'nab/labels/combined_windows.json',
          url: `${raw}/labels/combined_windows.json`,
          sha256: NAB_LABELS_SHA256,
        },
      ],
    ],
    normalClass: ['normal'],
    defaultSplit: { kind: 'chronological', train: 0.7, validation: 0.15, test: 0.15 },
    missing: 'interpolate',
    defaultOptions: { windowSize: 48, stride: 4 },
    homepage: 'https://github.com/numenta/NAB',
    notes: [
      'rows are sliding windows (options windowSize, stride); ' +
        'a window is an anomaly when it overlaps a labelled window',
      ...(entry.windows === 0 ? ['this series has no labelled anomalies'] : []),
    ],
  };
}

/** Every named dataset (NAB series individually). */
export function listDatasets(): DatasetInfo[] {
  return [...STATIC_DATASETS, ...NAB_CORPUS.map((e) => nabInfo(e.key)!)];
}

/** The registry entry for a name, or undefined (paths and unknown names). */
export function datasetInfo(name: string): DatasetInfo | undefined {
  if (name.startsWith('nab/')) return nabInfo(name.slice(4));
  return STATIC_DATASETS.find((d) => d.name === name);
}

/** Where the data directory came from, for messages. */
export type DataDirSource = '--data-dir' | 'AELAB_DATA_DIR' | 'default';

/** The data directory: the flag, else `AELAB_DATA_DIR`, else `~/.cache/aelab/datasets`. */
export function resolveDataDir(flag?: string): string {
  return resolveDataDirWithSource(flag).dir;
}

export function resolveDataDirWithSource(flag?: string): { dir: string; source: DataDirSource } {
  if (flag) return { dir: flag, source: '--data-dir' };
  const env = process.env.AELAB_DATA_DIR;
  if (env) return { dir: env, source: 'AELAB_DATA_DIR' };
  return { dir: join(homedir(), '.cache', 'aelab', 'datasets'), source: 'default' };
}
