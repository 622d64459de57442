import { BACKEND_NAMES } from '@aelab/models/registry';
import type { Argv } from 'yargs';

/** `--store DIR`: the run store every command reads or writes. */
export function withStore<T>(y: Argv<T>) {
  return y.option('store', {
    type: 'string',
    default: 'runs',
    describe: 'Run store directory',
  });
}

/** `--backend`: the tfjs backend of every command that trains or scores (choices from the backend registry). */
export function withBackend<T>(y: Argv<T>) {
  return y.option('backend', {
    choices: BACKEND_NAMES,
    describe:
      'TensorFlow.js backend (auto: the fastest one that works here: tensorflow-gpu, then tensorflow, ' +
      'then webgpu on a real GPU, else wasm)',
  });
}

/** `--data-dir`: where named datasets are looked up. */
export function withDataDir<T>(y: Argv<T>) {
  return y.option('data-dir', {
    type: 'string',
    describe: 'Dataset directory (default: $AELAB_DATA_DIR, else ~/.cache/aelab/datasets)',
  });
}

/** A yes/no option (`--name`, `--no-name`): off unless given, or on by default with `on`. */
export function flag(describe: string, on = false) {
  return { type: 'boolean', default: on, describe } as const;
}
