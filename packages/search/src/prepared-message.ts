/**
 * Prepared data and errors as they cross between threads (see preparation-thread.ts): the
 * rows stay in shared memory, per-row labels travel as typed arrays, and data errors keep
 * their class.
 */
import {
  DataFormatError,
  DataPreparationError,
  DatasetNotFoundError,
  type PreparedData,
  type PreparedSplit,
} from '@aelab/data';

/**
 * A split as it crosses between threads: rows and 0/1 labels in shared memory, each row's
 * class and row index as typed arrays (no per-row objects to copy or keep).
 */
export interface SplitMessage extends Omit<PreparedSplit, 'labels' | 'index'> {
  /** Each row's class, an index into {@link PreparedDataMessage.classes}. */
  labelCodes: Uint32Array;
  /** Row index of each row in the loaded dataset. */
  index: Int32Array;
}

/**
 * {@link PreparedData} as it crosses between threads (to the coordinator from the thread
 * that prepared it; to each worker with every task): per-row labels typed, so that a
 * message costs no per-row objects, and sharing it costs no copy where they are in shared memory.
 */
export interface PreparedDataMessage extends Omit<PreparedData, 'train' | 'validation' | 'test'> {
  /** The distinct class labels. */
  classes: string[];
  train: SplitMessage;
  validation: SplitMessage;
  test: SplitMessage;
}

const SPLITS = ['train', 'validation', 'test'] as const;

/**
 * `data` as a message (see {@link PreparedDataMessage}), and the buffers to transfer with
 * it; with `memory: 'shared'` the per-row arrays are in shared memory and nothing needs
 * transferring (threads given the message read the same bytes).
 */
export function preparedDataMessage(
  data: PreparedData,
  memory: 'transfer' | 'shared' = 'transfer',
): { message: PreparedDataMessage; transfer: ArrayBuffer[] } {
  const codes = new Map<string, number>();
  const codeOf = (label: string) => {
    if (!codes.has(label)) codes.set(label, codes.size);
    return codes.get(label)!;
  };
  // Filled in place: an intermediate number array of every row would be garbage the size of the labels.
  const typed = <T extends Uint32Array | Int32Array>(
    Kind: { new (length: number): T; new (buffer: SharedArrayBuffer): T },
    length: number,
    value: (row: number) => number,
  ): T => {
    const out = memory === 'shared' ? new Kind(new SharedArrayBuffer(length * 4)) : new Kind(length);
    for (let row = 0; row < length; row++) out[row] = value(row);
    return out;
  };
  const split = (s: PreparedSplit): SplitMessage => {
    const { labels, index, ...rows } = s;
    return {
      ...rows,
      labelCodes: typed(Uint32Array, labels.length, (row) => codeOf(labels[row])),
      index: typed(Int32Array, index.length, (row) => index[row]),
    };
  };
  const message = {
    ...data,
    train: split(data.train),
    validation: split(data.validation),
    test: split(data.test),
    classes: [] as string[],
  };
  message.classes = [...codes.keys()];
  const transfer =
    memory === 'shared'
      ? []
      : SPLITS.flatMap((name) => [message[name].labelCodes.buffer, message[name].index.buffer] as ArrayBuffer[]);
  return { message, transfer };
}

/** The class label of a split's row in a {@link PreparedDataMessage}. */
export function labelOf(message: PreparedDataMessage, split: SplitMessage, row: number): string {
  return message.classes[split.labelCodes[row]];
}

/** Inverse of {@link preparedDataMessage}: every row's label is one of the few class strings, not a copy of it. */
export function preparedDataOf(message: PreparedDataMessage): PreparedData {
  const { classes, ...rest } = message;
  const split = ({ labelCodes, index, ...s }: SplitMessage): PreparedSplit => ({
    ...s,
    labels: Array.from(labelCodes, (code) => classes[code]),
    index: Array.from(index),
  });
  return { ...rest, train: split(message.train), validation: split(message.validation), test: split(message.test) };
}

/** An error as it crosses between threads: its name, message and the fields its class is rebuilt from. */
export interface ErrorMessage {
  name: string;
  message: string;
  fields?: Record<string, unknown>;
}

/** The data errors by name, rebuilt with their class so callers can tell them apart (`instanceof`). */
export function rebuiltError({ name, message, fields = {} }: ErrorMessage): Error {
  const f = fields as Record<string, never>;
  if (name === 'DataFormatError') return new DataFormatError(f.file, f.line, f.column, f.detail);
  if (name === 'DatasetNotFoundError') return new DatasetNotFoundError(f.dataset, f.lookedAt, f.dataDirSource);
  if (name === 'DataPreparationError') {
    // Its constructor escapes the message, which the thread's already was.
    const error = new DataPreparationError('');
    error.message = message;
    return error;
  }
  return Object.assign(new Error(message), { name });
}
