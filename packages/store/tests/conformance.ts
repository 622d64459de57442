import { afterEach, describe, expect, it } from 'vitest';
import { completedTrainings, findCompletedTrial, interruptOrphanedTrials, type RunStore } from '../src/index.js';
import { completeOutcome, evaluation, history, newStudy, newTrial } from './fixtures.js';

/**
 * The rules of {@link RunStore} (its doc comment), checked against one implementation.
 * `makeStore` returns a fresh, empty store for each test; the suite closes it.
 */
export function runStoreConformance(name: string, makeStore: () => Promise<RunStore>): void {
  describe(`RunStore conformance: ${name}`, () => {
    const open: RunStore[] = [];
    async function fresh(): Promise<RunStore> {
      const store = await makeStore();
      open.push(store);
      return store;
    }
    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });

    describe('studies', () => {
      it('creates studies with unique ids and lists them in creation order', async () => {
        const store = await fresh();
        const a = await store.createStudy(newStudy({ name: 'a' }));
        const b = await store.createStudy(newStudy({ name: 'b' }));
        expect(a.id).not.toBe(b.id);
        expect(a.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
        expect((await store.listStudies()).map((s) => s.name)).toEqual(['a', 'b']);
        expect(await store.getStudy(b.id)).toEqual(b);
        expect(await store.getStudy('s-missing')).toBeUndefined();
      });

      it('finds the most recent study with an experiment hash, for resuming', async () => {
        const store = await fresh();
        await store.createStudy(newStudy({ name: 'first', experimentHash: 'h1' }));
        const second = await store.createStudy(newStudy({ name: 'second', experimentHash: 'h1' }));
        await store.createStudy(newStudy({ name: 'other', experimentHash: 'h2' }));
        expect((await store.findStudyByExperimentHash('h1'))?.id).toBe(second.id);
        expect(await store.findStudyByExperimentHash('h3')).toBeUndefined();
      });

      it('keeps a given createdAt', async () => {
        const store = await fresh();
        const study = await store.createStudy(newStudy({ createdAt: '2024-01-02T03:04:05.000Z' }));
        expect(study.createdAt).toBe('2024-01-02T03:04:05.000Z');
        expect(study.id).toMatch(/^s-20240102-030405-/);
      });
    });

    describe('trials', () => {
      it('starts trials running, numbered in creation order with unique sortable ids', async () => {
        const store = await fresh();
        const study = await store.createStudy(newStudy());
        const trials = [];
        for (let i = 0; i < 5; i++) trials.push(await store.startTrial(study.id, newTrial(`cfg-${i}`)));
        expect(trials.map((t) => t.number)).toEqual([0, 1, 2, 3, 4]);
        expect(trials.every((t) => t.status === 'running' && t.studyId === study.id && t.finishedAt === null)).toBe(
          true,
        );
        const ids = trials.map((t) => t.id);
        expect(new Set(ids).size).toBe(5);
        expect([...ids].sort()).toEqual(ids);
        expect((await store.listTrials(study.id)).map((t) => t.id)).toEqual(ids);
      });

      it('keeps trials of different studies apart', async () => {
        const store = await fresh();
        const a = await store.createStudy(newStudy({ name: 'a' }));
        const b = await store.createStudy(newStudy({ name: 'b' }));
        const ta = await store.startTrial(a.id, newTrial());
        const tb = await store.startTrial(b.id, newTrial());
        expect(ta.id).not.toBe(tb.id);
        expect((await store.listTrials(a.id)).map((t) => t.id)).toEqual([ta.id]);
        expect((await store.getTrial(tb.id))?.studyId).toBe(b.id);
      });

      it('rejects a trial for a study that does not exist, naming the study', async () => {
        const store = await fresh();
        await expect(store.startTrial('s-nope', newTrial())).rejects.toThrow(/s-nope/);
        await expect(store.listTrials('s-nope')).rejects.toThrow(/s-nope/);
      });

      it('rejects invalid trial fields with the field and the value', async () => {
        const store = await fresh();
        const study = await store.createStudy(newStudy());
        await expect(store.startTrial(study.id, { ...newTrial(), repeat: -1 })).rejects.toThrow(
          'repeat must be a non-negative integer, got -1',
        );
        await expect(store.startTrial(study.id, { ...newTrial(), configHash: '' })).rejects.toThrow(/configHash/);
        expect(await store.listTrials(study.id)).toEqual([]);
      });

      it('finishes a trial once with its outcome', async () => {
        const store = await fresh();
        const study = await store.createStudy(newStudy());
        const started = await store.startTrial(study.id, newTrial());
        const finished = await store.finishTrial(started.id, completeOutcome({ errors: 'x/errors.json' }));
        expect(finished).toMatchObject({
          id: started.id,
          status: 'complete',
          reason: null,
          trainSeconds: 2.5,
          bestEpoch: 2,
          parameterCount: 1234,
          artifacts: { errors: 'x/errors.json' },
          configHash: 'cfg-a',
          seed: 1234,
        });
        expect(finished.history).toEqual(history(3));
        expect(finished.finishedAt).not.toBeNull();
        expect(await store.getTrial(started.id)).toEqual(finished);
      });

      it.each(['complete', 'failed', 'pruned', 'interrupted'] as const)(
        'refuses to finish a %s trial again, naming the trial and its status',
        async (status) => {
          const store = await fresh();
          const study = await store.createStudy(newStudy());
          const trial = await store.startTrial(study.id, newTrial());
          await store.finishTrial(trial.id, { status, reason: status === 'complete' ? null : 'why' });
          const again = store.finishTrial(trial.id, completeOutcome());
          await expect(again).rejects.toThrow(trial.id);
          await expect(store.finishTrial(trial.id, completeOutcome())).rejects.toThrow(`already ${status}`);
          expect((await store.getTrial(trial.id))?.status).toBe(status);
        },
      );

      it('records why a trial failed', async () => {
        const store = await fresh();
        const study = await store.createStudy(newStudy());
        const trial = await store.startTrial(study.id, newTrial());
        const failed = await store.finishTrial(trial.id, { status: 'failed', reason: 'diverged: loss NaN at epoch 3' });
        expect(failed.reason).toBe('diverged: loss NaN at epoch 3');
      });

      it('lets a new trial supersede an interrupted one, keeping the interrupted record', async () => {
        const store = await fresh();
        const study = await store.createStudy(newStudy());
        const first = await store.startTrial(study.id, newTrial('cfg-x', 1));
        await store.finishTrial(first.id, { status: 'interrupted', reason: 'Ctrl-C' });
        const second = await store.startTrial(study.id, newTrial('cfg-x', 1));
        await store.finishTrial(second.id, completeOutcome());
        const trials = await store.listTrials(study.id);
        expect(trials.map((t) => t.status)).toEqual(['interrupted', 'complete']);
      });

      it('rejects an unknown trial and an unknown status', async () => {
        const store = await fresh();
        const study = await store.createStudy(newStudy());
        await expect(store.finishTrial('nope', completeOutcome())).rejects.toThrow(/no trial with id 'nope'/);
        await expect(store.finishTrial(`${study.id}.t000009`, completeOutcome())).rejects.toThrow(/t000009/);
        expect(await store.getTrial('nope')).toBeUndefined();
        expect(await store.getTrial(`${study.id}.t000009`)).toBeUndefined();
        const trial = await store.startTrial(study.id, newTrial());
        await expect(store.finishTrial(trial.id, { status: 'running' as 'complete' })).rejects.toThrow(
          /status must be one of/,
        );
      });
    });

    describe('read-only snapshots', () => {
      it('returns frozen records that later mutations do not change', async () => {
        const store = await fresh();
        const study = await store.createStudy(newStudy());
        const started = await store.startTrial(study.id, newTrial());
        expect(Object.isFrozen(started)).toBe(true);
        expect(Object.isFrozen(started.params)).toBe(true);
        expect(() => {
          (started as { status: string }).status = 'complete';
        }).toThrow(TypeError);
        await store.finishTrial(started.id, completeOutcome());
        expect(started.status).toBe('running');
      });

      it('copies its input, so the caller mutating it later changes nothing', async () => {
        const store = await fresh();
        const input = newStudy();
        const study = await store.createStudy(input);
        (input.experiment as Record<string, unknown>).dataset = 'changed';
        const trialInput = newTrial();
        const trial = await store.startTrial(study.id, trialInput);
        trialInput.params['model.kind'] = 'lstm';
        expect(((await store.getStudy(study.id))?.experiment as Record<string, unknown>).dataset).toBe('synthetic-ecg');
        expect((await store.getTrial(trial.id))?.params['model.kind']).toBe('dense');
      });

      it('returns fresh lists the caller may change', async () => {
        const store = await fresh();
        const study = await store.createStudy(newStudy());
        await store.startTrial(study.id, newTrial());
        (await store.listTrials(study.id)).pop();
        (await store.listStudies()).pop();
        expect(await store.listTrials(study.id)).toHaveLength(1);
        expect(await store.listStudies()).toHaveLength(1);
      });

      it('stores what JSON can hold: non-finite numbers become null', async () => {
        const store = await fresh();
        const study = await store.createStudy(newStudy());
        const trial = await store.startTrial(study.id, newTrial());
        const failed = await store.finishTrial(trial.id, {
          status: 'failed',
          reason: 'diverged',
          history: [{ epoch: 0, loss: Number.NaN, valLoss: Number.POSITIVE_INFINITY, seconds: 1 }],
        });
        expect(failed.history[0]).toEqual({ epoch: 0, loss: null, valLoss: null, seconds: 1 });
      });
    });

    describe('evaluations', () => {
      it('adds evaluations to a trial and lists them per study in creation order', async () => {
        const store = await fresh();
        const study = await store.createStudy(newStudy());
        const t0 = await store.startTrial(study.id, newTrial('cfg-0'));
        const t1 = await store.startTrial(study.id, newTrial('cfg-1'));
        await store.finishTrial(t0.id, completeOutcome());
        await store.finishTrial(t1.id, completeOutcome());
        const first = await store.addEvaluations(t1.id, [evaluation(95), evaluation(99)]);
        const second = await store.addEvaluations(t0.id, [evaluation(90)]);
        expect(first.map((e) => [e.trialId, e.studyId])).toEqual([
          [t1.id, study.id],
          [t1.id, study.id],
        ]);
        expect(first[0]).toMatchObject({ configHash: 'eval-95', threshold: 0.95, usesLabels: false });
        expect(first[0].metrics.test?.confusion).toEqual({ tp: 14, fp: 6, tn: 174, fn: 6 });
        const ids = [...first, ...second].map((e) => e.id);
        expect(new Set(ids).size).toBe(3);
        expect((await store.listEvaluations(study.id)).map((e) => e.id)).toEqual(ids);
        expect(await store.addEvaluations(t0.id, [])).toEqual([]);
      });

      it('records the evaluations a complete outcome carries with it, and refuses them with any other', async () => {
        const store = await fresh();
        const study = await store.createStudy(newStudy());
        const t0 = await store.startTrial(study.id, newTrial('cfg-0'));
        const evaluations = [evaluation(95), evaluation(99)];
        const done = await store.finishTrial(t0.id, { ...completeOutcome(), evaluations });
        expect(done).not.toHaveProperty('evaluations');
        const listed = await store.listEvaluations(study.id);
        expect(listed.map((e) => [e.trialId, e.configHash])).toEqual([
          [t0.id, 'eval-95'],
          [t0.id, 'eval-99'],
        ]);
        const t1 = await store.startTrial(study.id, newTrial('cfg-1'));
        const failing = store.finishTrial(t1.id, { status: 'failed', reason: 'x', evaluations: [evaluation(90)] });
        await expect(failing).rejects.toThrow('a failed outcome carries no evaluations, got 1');
        expect((await store.getTrial(t1.id))?.status).toBe('running');
        expect(await store.listEvaluations(study.id)).toHaveLength(2);
      });

      it('takes evaluations on running and complete trials only', async () => {
        const store = await fresh();
        const study = await store.createStudy(newStudy());
        const running = await store.startTrial(study.id, newTrial('cfg-0'));
        await store.addEvaluations(running.id, [evaluation(95)]);
        const failed = await store.startTrial(study.id, newTrial('cfg-1'));
        await store.finishTrial(failed.id, { status: 'failed', reason: 'out of memory' });
        await expect(store.addEvaluations(failed.id, [evaluation(95)])).rejects.toThrow(
          `trial '${failed.id}' is failed`,
        );
        await expect(store.addEvaluations('nope', [evaluation(95)])).rejects.toThrow(/nope/);
        expect(await store.listEvaluations(study.id)).toHaveLength(1);
      });
    });

    describe('artifacts', () => {
      it('stores bytes and text beside the records and reads them back by the returned path', async () => {
        const store = await fresh();
        const study = await store.createStudy(newStudy());
        const trial = await store.startTrial(study.id, newTrial());
        const text = await store.writeArtifact(study.id, trial.id, 'errors.json', '{"test":{"mse":[0.1]}}');
        const bytes = await store.writeArtifact(study.id, trial.id, 'model/weights.bin', new Uint8Array([1, 2, 3]));
        expect(text).not.toMatch(/^\//);
        expect(text).toContain(study.id);
        expect(text).not.toBe(bytes);
        expect(new TextDecoder().decode(await store.readArtifact(text))).toBe('{"test":{"mse":[0.1]}}');
        expect([...(await store.readArtifact(bytes))]).toEqual([1, 2, 3]);
        const finished = await store.finishTrial(trial.id, completeOutcome({ errors: text }));
        expect(finished.artifacts.errors).toBe(text);
      });

      it('writes content given in pieces, sync or async, as the bytes of the pieces in order', async () => {
        const store = await fresh();
        const study = await store.createStudy(newStudy());
        const trial = await store.startTrial(study.id, newTrial());
        const whole = await store.writeArtifact(study.id, trial.id, 'errors.json', '{"test":{"labels":["é","x"]}}');
        function* sync() {
          yield '{"test":';
          yield new TextEncoder().encode('{"labels":');
          yield '["é","x"]}}';
        }
        async function* later() {
          yield* sync();
        }
        const pieced = await store.writeArtifact(study.id, trial.id, 'errors.json', sync());
        expect(pieced).toBe(whole);
        expect(new TextDecoder().decode(await store.readArtifact(pieced))).toBe('{"test":{"labels":["é","x"]}}');
        await store.writeArtifact(study.id, trial.id, 'curves.json', later());
        expect(new TextDecoder().decode(await store.readArtifact(pieced.replace('errors', 'curves')))).toBe(
          '{"test":{"labels":["é","x"]}}',
        );
        // A producer may fill the same memory again for the next piece.
        function* reused() {
          const buffer = new Uint8Array(3);
          for (const text of ['abc', 'def']) {
            buffer.set(new TextEncoder().encode(text));
            yield buffer;
          }
        }
        await store.writeArtifact(study.id, trial.id, 'reused.json', reused());
        expect(new TextDecoder().decode(await store.readArtifact(pieced.replace('errors', 'reused')))).toBe('abcdef');
        await store.writeArtifact(study.id, trial.id, 'empty.json', []);
        expect(await store.readArtifact(pieced.replace('errors', 'empty'))).toHaveLength(0);
      });

      it('keeps what an artifact held when the pieces of its replacement fail part-way', async () => {
        const store = await fresh();
        const study = await store.createStudy(newStudy());
        const trial = await store.startTrial(study.id, newTrial());
        const path = await store.writeArtifact(study.id, trial.id, 'errors.json', 'old');
        function* failing() {
          yield 'new and half';
          throw new Error('the pieces failed');
        }
        await expect(store.writeArtifact(study.id, trial.id, 'errors.json', failing())).rejects.toThrow(
          'the pieces failed',
        );
        expect(new TextDecoder().decode(await store.readArtifact(path))).toBe('old');
      });

      it('gives each trial its own artifact paths', async () => {
        const store = await fresh();
        const study = await store.createStudy(newStudy());
        const t0 = await store.startTrial(study.id, newTrial('cfg-0'));
        const t1 = await store.startTrial(study.id, newTrial('cfg-1'));
        const p0 = await store.writeArtifact(study.id, t0.id, 'errors.json', 'zero');
        const p1 = await store.writeArtifact(study.id, t1.id, 'errors.json', 'one');
        expect(p0).not.toBe(p1);
        expect(new TextDecoder().decode(await store.readArtifact(p0))).toBe('zero');
      });

      it('rejects names and paths that would leave the trial directory, and unknown paths', async () => {
        const store = await fresh();
        const study = await store.createStudy(newStudy());
        const trial = await store.startTrial(study.id, newTrial());
        for (const name of ['../escape.json', '/abs.json', 'a//b', '', 'a\\b']) {
          await expect(store.writeArtifact(study.id, trial.id, name, 'x')).rejects.toThrow(/artifact name/);
        }
        await expect(store.readArtifact('../outside')).rejects.toThrow(/not an artifact path/);
        await expect(store.readArtifact(`${study.id}/trials/t000000/missing.json`)).rejects.toThrow(/no artifact/);
        const other = await store.createStudy(newStudy({ name: 'other' }));
        await expect(store.writeArtifact(other.id, trial.id, 'x.json', 'x')).rejects.toThrow(/belongs to study/);
      });
    });

    describe('resume lookups', () => {
      it('finds completed trainings by config hash and repeat, and marks orphans interrupted', async () => {
        const store = await fresh();
        const study = await store.createStudy(newStudy());
        const done = await store.startTrial(study.id, newTrial('cfg-a', 0));
        await store.finishTrial(done.id, completeOutcome());
        const failed = await store.startTrial(study.id, newTrial('cfg-a', 1));
        await store.finishTrial(failed.id, { status: 'failed', reason: 'oom' });
        const orphan = await store.startTrial(study.id, newTrial('cfg-b', 0));

        expect((await findCompletedTrial(store, study.id, 'cfg-a', 0))?.id).toBe(done.id);
        expect(await findCompletedTrial(store, study.id, 'cfg-a', 1)).toBeUndefined();
        expect([...completedTrainings(await store.listTrials(study.id)).keys()]).toEqual(['cfg-a#0']);

        const marked = await interruptOrphanedTrials(store, study.id);
        expect(marked.map((t) => t.id)).toEqual([orphan.id]);
        expect((await store.getTrial(orphan.id))?.status).toBe('interrupted');
        expect(await interruptOrphanedTrials(store, study.id)).toEqual([]);
      });
    });

    it('refuses every call once closed', async () => {
      const store = await fresh();
      const study = await store.createStudy(newStudy());
      await store.close();
      await expect(store.listTrials(study.id)).rejects.toThrow(/closed/);
      await expect(store.createStudy(newStudy())).rejects.toThrow(/closed/);
    });
  });
}
