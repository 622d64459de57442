import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openRunStore, type StudyRecord, type TrialRecord } from '../src/index.js';
import { completeOutcome, evaluation, newStudy, newTrial } from './fixtures.js';

/**
 * What the store reads from disk is not trusted: an `index.json` or shard edited by hand,
 * copied from someone else or damaged must not make the store read or write outside its
 * folder, and a malformed record must fail on load naming the file and the field.
 */

const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'aelab-untrusted-'));
  scratch.push(dir);
  return dir;
}

/** A closed store holding one study of 3 complete trials (2 per shard), each with an errors.json artifact. */
async function storeWithTrials(): Promise<{ dir: string; root: string; study: StudyRecord; trials: TrialRecord[] }> {
  const dir = await tempDir();
  const root = join(dir, 'runs');
  const store = await openRunStore(root, { trialsPerShard: 2 });
  const study = await store.createStudy(newStudy());
  for (let i = 0; i < 3; i++) {
    const trial = await store.startTrial(study.id, newTrial(`cfg-${i}`));
    const errors = await store.writeArtifact(study.id, trial.id, 'errors.json', `{"trial": ${i}}`);
    await store.finishTrial(trial.id, completeOutcome({ errors }));
    await store.addEvaluations(trial.id, [evaluation(95)]);
  }
  const trials = await store.listTrials(study.id);
  await store.close();
  return { dir, root, study, trials };
}

/** Edits a store file by hand, as a user would, with no regard for its type. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function editJson(path: string, edit: (value: any) => void): Promise<void> {
  const value = JSON.parse(await readFile(path, 'utf8'));
  edit(value);
  await writeFile(path, JSON.stringify(value));
}

describe('ids read from disk', () => {
  it('refuses a study id in index.json that is a path, and writes nothing outside the store on resume', async () => {
    const { dir, root } = await storeWithTrials();
    const index = join(root, 'index.json');
    await editJson(index, (data) => {
      const id = data.studies[0].id;
      data.studies[0].id = '../escaped';
      data.trialsPerShard = { '../escaped': data.trialsPerShard[id] };
    });
    await expect(openRunStore(root)).rejects.toThrow(`${index}: studies[0].id`);
    await expect(openRunStore(root, { readonly: true })).rejects.toThrow(
      /studies\[0\]\.id: must be a study id like s-20261123-083306-7f3a, got "..\/escaped"/,
    );
    expect(await readdir(dir)).toEqual(['runs']);
  });

  it('refuses a trial whose id is not the one its study and number give', async () => {
    const { root, study } = await storeWithTrials();
    const shard = join(root, study.id, 'trials-0000.json');
    await editJson(shard, (data) => (data.trials[1].id = `${study.id}.t000001/../../x`));
    const store = await openRunStore(root);
    await expect(store.listTrials(study.id)).rejects.toThrow(`${shard}: trials[1].id: must be '${study.id}.t000001'`);
    await store.close();
  });

  it('refuses a trial or an evaluation of another study in a shard', async () => {
    const { root, study } = await storeWithTrials();
    const shard = join(root, study.id, 'trials-0000.json');
    await editJson(shard, (data) => (data.evaluations[0].trialId = 's-20200101-000000-abcd.t000000'));
    const reader = await openRunStore(root, { readonly: true });
    await expect(reader.listEvaluations(study.id)).rejects.toThrow(
      `${shard}: evaluations[0].trialId: must be a trial of study '${study.id}'`,
    );
  });

  it('refuses an artifact path that leaves its trial folder', async () => {
    const { root, study } = await storeWithTrials();
    const shard = join(root, study.id, 'trials-0001.json');
    await editJson(shard, (data) => (data.trials[0].artifacts.errors = '../../../etc/passwd'));
    const reader = await openRunStore(root, { readonly: true });
    await expect(reader.listTrials(study.id)).rejects.toThrow(
      `${shard}: trials[0].artifacts.errors: must be a path inside ${study.id}/trials/t000002/, ` +
        `got "../../../etc/passwd"`,
    );
  });
});

describe('artifacts behind symbolic links', () => {
  it('refuses to read an artifact that is a link out of the store, naming it', async () => {
    const { root, trials } = await storeWithTrials();
    const outside = join(root, '..', 'secret.txt');
    await writeFile(outside, 'root:x:0:0:root:/root:/bin/bash\n');
    const path = trials[0].artifacts.errors;
    await rm(join(root, path));
    await symlink(outside, join(root, path));
    const reader = await openRunStore(root, { readonly: true });
    await expect(reader.readArtifact(path)).rejects.toThrow(
      `run store: readArtifact: '${path}' resolves outside the store`,
    );
  });

  it('refuses a link that stays inside the store, and a linked folder', async () => {
    const { root, study, trials } = await storeWithTrials();
    const [first, second] = trials.map((t) => t.artifacts.errors);
    await rm(join(root, first));
    await symlink(join(root, second), join(root, first));
    const reader = await openRunStore(root, { readonly: true });
    await expect(reader.readArtifact(first)).rejects.toThrow(`'${first}' is a symbolic link or lies under one`);

    const outside = join(root, '..', 'elsewhere');
    await mkdir(outside);
    await writeFile(join(outside, 'errors.json'), 'not ours');
    await rm(join(root, study.id, 'trials', 't000002'), { recursive: true });
    await symlink(outside, join(root, study.id, 'trials', 't000002'));
    await expect(reader.readArtifact(trials[2].artifacts.errors)).rejects.toThrow(/resolves outside the store/);
    await reader.close();

    const writer = await openRunStore(root);
    await writer.listTrials(study.id);
    const running = await writer.startTrial(study.id, newTrial('cfg-3'));
    await rm(join(root, study.id, 'trials'), { recursive: true, force: true });
    await symlink(outside, join(root, study.id, 'trials'));
    await expect(writer.writeArtifact(study.id, running.id, 'errors.json', 'x')).rejects.toThrow(
      /resolves outside the store/,
    );
    expect(await readFile(join(outside, 'errors.json'), 'utf8')).toBe('not ours');
    await writer.close();
  });

  it('still reads the store through a linked root', async () => {
    const { dir, root, trials } = await storeWithTrials();
    await symlink(root, join(dir, 'linked'));
    const reader = await openRunStore(join(dir, 'linked'), { readonly: true });
    expect(new TextDecoder().decode(await reader.readArtifact(trials[1].artifacts.errors))).toBe('{"trial": 1}');
  });
});

describe('malformed records', () => {
  it('names the file and the field of a trial without status or history', async () => {
    const { root, study } = await storeWithTrials();
    const shard = join(root, study.id, 'trials-0001.json');
    await editJson(shard, (data) => {
      delete data.trials[0].status;
      delete data.trials[0].history;
    });
    const reader = await openRunStore(root, { readonly: true });
    const error = await reader.listTrials(study.id).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toContain(
      `${shard}: trials[0].status: must be one of running, complete, failed, interrupted, pruned, got undefined`,
    );
    expect(error?.message).toContain('trials[0].history: must be an array, got undefined');
    expect(error).not.toBeInstanceOf(TypeError);
  });

  it('names the field of a malformed evaluation, and of a trial that is not an object', async () => {
    const { root, study } = await storeWithTrials();
    const shard = join(root, study.id, 'trials-0000.json');
    await editJson(shard, (data) => (data.evaluations[1].metrics = 'f1=0.8'));
    const reader = await openRunStore(root, { readonly: true });
    await expect(reader.listEvaluations(study.id)).rejects.toThrow(
      `${shard}: evaluations[1].metrics: must be an object, got "f1=0.8"`,
    );
    await editJson(shard, (data) => (data.trials[0] = null));
    const again = await openRunStore(root, { readonly: true });
    await expect(again.listTrials(study.id)).rejects.toThrow(`${shard}: trials[0]: must be an object, got null`);
  });

  it('names the epoch of a malformed history entry', async () => {
    const { root, study } = await storeWithTrials();
    const shard = join(root, study.id, 'trials-0000.json');
    await editJson(shard, (data) => {
      data.trials[1].history[2] = null;
      data.trials[0].history[1].loss = 'high';
    });
    const reader = await openRunStore(root, { readonly: true });
    const error = await reader.listTrials(study.id).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toContain(
      `${shard}: trials[0].history[1].loss: must be a finite number or null, got "high"`,
    );
    expect(error?.message).toContain(`${shard}: trials[1].history[2]: must be an object, got null`);
  });

  it('names a malformed validation error of an epoch', async () => {
    const { root, study } = await storeWithTrials();
    const shard = join(root, study.id, 'trials-0001.json');
    await editJson(shard, (data) => (data.trials[0].history[1].valError = 'low'));
    const reader = await openRunStore(root, { readonly: true });
    await expect(reader.listTrials(study.id)).rejects.toThrow(
      `${shard}: trials[0].history[1].valError: must be a finite number or null, got "low"`,
    );
  });

  it('names the field of a malformed study in index.json', async () => {
    const { root } = await storeWithTrials();
    const index = join(root, 'index.json');
    await editJson(index, (data) => delete data.studies[0].selection);
    await expect(openRunStore(root, { readonly: true })).rejects.toThrow(
      `${index}: studies[0].selection: must be an object, got undefined`,
    );
  });

  it('loads records with null numbers (a diverged loss) and optional fields absent', async () => {
    const { root, study } = await storeWithTrials();
    const shard = join(root, study.id, 'trials-0000.json');
    await editJson(shard, (data) => {
      data.trials[0].history[0].loss = null;
      data.evaluations[0].threshold = null;
      delete data.trials[0].environment.hostname;
    });
    const reader = await openRunStore(root, { readonly: true });
    expect((await reader.listTrials(study.id))[0].history[0].loss).toBeNull();
  });
});

describe("the store's own files behind links, or not files", () => {
  const SECRET = 'root:x:0:0:root:/root:/bin/bash\n';

  it('refuses an index.json that is a link, without reading or quoting its target', async () => {
    const { dir, root } = await storeWithTrials();
    const outside = join(dir, 'secret.txt');
    await writeFile(outside, SECRET);
    const index = join(root, 'index.json');
    await rm(index);
    await symlink(outside, index);
    for (const options of [{ readonly: true }, {}]) {
      const failure = await openRunStore(root, options).then(
        () => 'opened',
        (error: Error) => error.message,
      );
      expect(failure).toBe(`run store: ${index} is a symbolic link; the store reads only its own plain files`);
    }
  });

  it('refuses a linked shard and a linked study folder', async () => {
    const { dir, root, study } = await storeWithTrials();
    const shard = join(root, study.id, 'trials-0000.json');
    await rename(shard, join(dir, 'shard.json'));
    await symlink(join(dir, 'shard.json'), shard);
    const reader = await openRunStore(root, { readonly: true });
    await expect(reader.listTrials(study.id)).rejects.toThrow(
      `run store: ${shard} is a symbolic link; the store reads only its own plain files`,
    );
    await reader.close();
    await rm(shard);
    await rename(join(dir, 'shard.json'), shard);

    await rename(join(root, study.id), join(dir, 'study'));
    await symlink(join(dir, 'study'), join(root, study.id));
    const again = await openRunStore(root, { readonly: true });
    await expect(again.listTrials(study.id)).rejects.toThrow(
      `run store: ${join(root, study.id)} is a symbolic link; a study's folder must be a plain folder of the store`,
    );
    await again.close();
  });

  it('refuses a FIFO as index.json instead of waiting on it', async () => {
    const { root } = await storeWithTrials();
    const index = join(root, 'index.json');
    await rm(index);
    execFileSync('mkfifo', [index]);
    await expect(openRunStore(root, { readonly: true })).rejects.toThrow(
      `run store: ${index} is not a regular file; the store reads only its own plain files`,
    );
  });

  it('refuses a file nested deeper than any record, naming it and where, without overflowing the stack', async () => {
    const { root, study } = await storeWithTrials();
    // JSON.parse reads 100,000 levels; every recursive reader after it (freezing, zod, quoting) overflowed the stack.
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const index = join(root, 'index.json');
    await editJson(index, (value) => (value.studies[0].experiment = 'DEEP'));
    await writeFile(index, (await readFile(index, 'utf8')).replace('"DEEP"', deep));
    const nests = 'nests deeper than 128 levels of arrays and objects';
    await expect(openRunStore(root, { readonly: true })).rejects.toThrow(
      new RegExp(`^run store: ${index}: studies\\[0\\]\\.experiment(\\[0\\])+ ${nests}$`),
    );
    await editJson(index, (value) => (value.studies[0].experiment = {}));
    const shard = join(root, study.id, 'trials-0000.json');
    await editJson(shard, (value) => (value.trials[1].params.x = 'DEEP'));
    await writeFile(shard, (await readFile(shard, 'utf8')).replace('"DEEP"', deep));
    const reader = await openRunStore(root, { readonly: true });
    await expect(reader.listTrials(study.id)).rejects.toThrow(
      new RegExp(`^run store: ${shard}: trials\\[1\\]\\.params\\.x(\\[0\\])+ ${nests}$`),
    );
    await reader.close();
  });

  it('says where a file stops being JSON without quoting its content', async () => {
    const { root, study } = await storeWithTrials();
    const index = join(root, 'index.json');
    const original = await readFile(index, 'utf8');
    await writeFile(index, SECRET);
    await expect(openRunStore(root, { readonly: true })).rejects.toThrow(
      new RegExp(`^run store: ${index} is not valid JSON: Unexpected token 'r'$`),
    );
    await writeFile(index, '{\n  "format": "aelab-run-store",\n  "studies": [1 2]\n}\n');
    await expect(openRunStore(root, { readonly: true })).rejects.toThrow(
      `run store: ${index} is not valid JSON (line 3, column 17): Expected ',' or ']' after array element`,
    );

    await writeFile(index, original);
    const shard = join(root, study.id, 'trials-0000.json');
    await writeFile(shard, `{"trials": [${JSON.stringify(SECRET)}`);
    const reader = await openRunStore(root, { readonly: true });
    await expect(reader.listTrials(study.id)).rejects.toThrow(
      new RegExp(`^run store: ${shard} is not valid JSON[^"]*$`),
    );
    await reader.close();
  });
});
