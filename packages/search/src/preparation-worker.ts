/** The data preparation thread (see preparation-thread.ts): prepares each data section asked for into shared memory. */
import { parentPort } from 'node:worker_threads';
import { prepareData, type DataSpec } from '@aelab/data';
import { preparedDataMessage, type ErrorMessage } from './prepared-message.js';

/**
 * An error's name, message and own fields (a DataFormatError's file and line, say), for the other thread to rebuild it.
 */
function errorMessage(error: unknown): ErrorMessage {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const fields = Object.fromEntries(
    Object.entries(error).filter(
      ([, value]) => value === null || ['string', 'number', 'boolean', 'object'].includes(typeof value),
    ),
  );
  return {
    name: error.name,
    message: error.message,
    fields: JSON.parse(JSON.stringify(fields)) as Record<string, unknown>,
  };
}

parentPort!.on('message', ({ id, spec, dataDir }: { id: number; spec: DataSpec; dataDir?: string }) => {
  // The thread's dataset is its own, loaded for this preparation and gone with it: its rows become the splits'
  // (consume).
  prepareData(spec, { dataDir, memory: 'shared', consume: true }).then(
    (data) => {
      // Per-row arrays in shared memory too: the coordinator keeps the message as it is for its workers.
      parentPort!.postMessage({ id, data: preparedDataMessage(data, 'shared').message });
    },
    (error: unknown) => parentPort!.postMessage({ id, error: errorMessage(error) }),
  );
});
