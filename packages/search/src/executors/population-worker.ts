/**
 * The population executor's Piscina task: trains a group of trials as one population
 * (`trainPopulation`), or a lone trial with the single trainer, and sends each trial's
 * result (or error) over its own port as soon as that trial stops, so the coordinator
 * records a frozen member while the others train on.
 */
import type { MessagePort } from 'node:worker_threads';
import { trainPopulation, type ModelSpec, type TrainedAutoencoder } from '@aelab/models';
import {
  monitoredValidation,
  setUpTrial,
  trainerOptionsOf,
  trainTrial,
  trialResult,
  type TrialSetup,
} from '../trial-runner.js';
import { modelSpecOf, type MemberMessage, type TrialResult, type TrialTask } from '../trial-task.js';
import { blobBuffers } from './piscina-worker.js';
import type { PreparedDataMessage } from '../prepared-message.js';
import { portChannel } from './port-channel.js';

function sendResult(port: MessagePort, result: TrialResult): void {
  port.postMessage({ type: 'result', result } satisfies MemberMessage, blobBuffers(result));
}

function sendError(port: MessagePort, error: unknown): void {
  port.postMessage({
    type: 'error',
    message: error instanceof Error ? error.message : String(error),
  } satisfies MemberMessage);
}

async function trainTogether(
  tasks: TrialTask[],
  ports: MessagePort[],
  prepared: PreparedDataMessage | undefined,
): Promise<void> {
  const channels = tasks.map((task, k) => portChannel(task, ports[k]));
  tasks.forEach((task, k) => channels[k].report({ type: 'accepted', trialId: task.trialId }));
  const setup = await setUpTrial(tasks[0], prepared);
  const specs = tasks.map((task) => modelSpecOf(task.config) as ModelSpec);
  tasks.forEach((task, k) =>
    channels[k].report({
      type: 'start',
      trialId: task.trialId,
      epochs: task.config.training.epochs,
      backend: setup.backend.backend,
    }),
  );
  const started = performance.now();
  const { data } = setup;
  const trainings = trainPopulation({
    members: tasks.map((task, k) => ({ spec: specs[k], ...trainerOptionsOf(task, channels[k]) })),
    train: data.train,
    validation: monitoredValidation(data.validation),
  });
  await Promise.all(
    trainings.map(async (training, k) => {
      let trained: TrainedAutoencoder;
      try {
        trained = await training;
      } catch (error) {
        return sendError(ports[k], error);
      }
      const memberSetup: TrialSetup = { ...setup, spec: specs[k] };
      // Its training time is the population's wall time until it stopped.
      await trialResult(tasks[k], memberSetup, trained, (performance.now() - started) / 1000).then(
        (result) => sendResult(ports[k], result),
        (error: unknown) => sendError(ports[k], error),
      );
    }),
  );
}

/** Trains `tasks` (one population, or a lone trial) and reports each over `ports[k]`. */
export default async function runPopulationInWorker({
  tasks,
  ports,
  prepared,
}: {
  tasks: TrialTask[];
  ports: MessagePort[];
  prepared?: PreparedDataMessage;
}): Promise<void> {
  try {
    if (tasks.length === 1) {
      const result = await trainTrial(tasks[0], portChannel(tasks[0], ports[0]), prepared).catch(
        (error: unknown) => error as Error,
      );
      if (result instanceof Error) sendError(ports[0], result);
      else sendResult(ports[0], result);
      return;
    }
    await trainTogether(tasks, ports, prepared);
  } catch (error) {
    // A failure before the members trained (backend, data): every member fails with it.
    ports.forEach((port) => sendError(port, error));
  } finally {
    ports.forEach((port) => port.close());
  }
}
