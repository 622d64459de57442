import { constants } from 'node:fs';
import { access, lstat, mkdir, open, readdir, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Low } from 'lowdb';
import { artifactPath, checkArtifactPath, resolveInsideStore } from './artifact-paths.js';
import { DurableJsonFile, syncDirectory, writeFileAtomic } from './durable-file.js';
import { checkIndexFile, checkShardFile, checkStudyFile } from './file-schemas.js';
import { isStudyId, parseTrialId } from './ids.js';
import { Ledger } from './ledger.js';
import { READABLE_VERSIONS, STORE_VERSION, upgradeEvaluation, upgradeTrial } from './migrations.js';
import type { EvaluationRecord, StudyRecord, TrialRecord } from './records.js';
import type {
  ArtifactData,
  NewEvaluation,
  NewStudy,
  NewTrial,
  RunStore,
  StartTrialOptions,
  TrialOutcome,
} from './run-store.js';
import { StudyQueries } from './study-queries.js';
import { deepFreeze } from './snapshot.js';
import { acquireWriterLock, removeStaleLockTemps } from './writer-lock.js';

export const STORE_FORMAT = 'aelab-run-store';

/** `runs/index.json`: every study, in creation order, and how its trials are sharded. */
export interface IndexFile {
  format: typeof STORE_FORMAT;
  version: number;
  studies: StudyRecord[];
  /** Study id -> trials per shard file, fixed when the study is created. */
  trialsPerShard: Record<string, number>;
}

/**
 * `runs/<studyId>/study.json`: a copy of the study's record and shard size, written once
 * when the study is created, from which a lost `index.json` is rebuilt.
 */
export interface StudyFile {
  format: typeof STORE_FORMAT;
  version: number;
  study: StudyRecord;
  trialsPerShard: number;
}

/** `runs/<studyId>/trials-<k>.json`: trials k*S .. k*S+S-1 of a study and their evaluations. */
export interface ShardFile {
  format: typeof STORE_FORMAT;
  version: number;
  studyId: string;
  shard: number;
  trials: TrialRecord[];
  evaluations: EvaluationRecord[];
}

export interface JsonFileRunStoreOptions {
  /** Read without taking the writer lock; every mutation throws. Default false. */
  readonly?: boolean;
  /**
   * Trials per shard file, for studies created from now on (a study keeps the size it
   * was created with). Each write rewrites one shard, so this bounds the cost of a
   * write however large the study grows (see README for measurements). Default 10.
   */
  trialsPerShard?: number;
  /** fsync each write (file and directory). Default true; see {@link DurableWriteOptions}. */
  fsync?: boolean;
  /** Clock for default timestamps; tests pin it. */
  now?: () => Date;
}

export const DEFAULT_TRIALS_PER_SHARD = 10;
const SHARD_FILE = /^trials-(\d+)\.json$/;

/**
 * The {@link RunStore} on disk, rooted at a directory (`runs/` by default):
 *
 * ```
 * runs/.lock                              single-writer lock: {"pid", "hostname", "acquiredAt"}
 * runs/index.json                         studies and their shard sizes (lowdb)
 * runs/<studyId>/study.json               the study's record and shard size, to rebuild a lost index
 * runs/<studyId>/trials-0000.json         trials 0..9 and their evaluations (lowdb)
 * runs/<studyId>/trials-0001.json         trials 10..19 ...
 * runs/<studyId>/trials/<t000042>/<name>  artifacts
 * ```
 *
 * Every mutation rewrites exactly one JSON file (createStudy also writes the new
 * study's `study.json`), atomically (temp file + fsync + rename), so a crash at any
 * moment leaves each file old or new and the store loadable with every resolved
 * mutation. Studies' trials are read on first use.
 *
 * Nothing read from disk is trusted: records are checked on load (ids, artifact paths,
 * fields; errors name the file and the field), and its own files, study folders and
 * artifacts behind symbolic links (or its files as FIFOs or devices) are refused, so a
 * hand-edited or shared store cannot make it read or write elsewhere, or hang.
 *
 * Mutations run one at a time in call order, even when the caller does not await
 * each before the next.
 */
export class JsonFileRunStore extends StudyQueries implements RunStore {
  readonly root: string;
  readonly readonly: boolean;
  /**
   * The ids of the studies `index.json` was rebuilt from (their folders' `study.json`),
   * in creation order, when it was missing at open though study folders exist; null when
   * it was read (or the store is new). A writer has written the rebuilt index back.
   */
  readonly rebuiltIndex: readonly string[] | null;
  readonly #ledger: Ledger;
  readonly #index: Low<IndexFile>;
  readonly #shards = new Map<string, Low<ShardFile>>();
  readonly #loading = new Map<string, Promise<void>>();
  readonly #trialsPerShard: number;
  readonly #fsync: boolean;
  readonly #releaseLock: (() => Promise<void>) | null;
  /** A writer's removal of temp files from artifact folders, started at open, awaited by close. */
  #sweep: Promise<void> = Promise.resolve();
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(
    root: string,
    options: JsonFileRunStoreOptions,
    index: Low<IndexFile>,
    releaseLock: (() => Promise<void>) | null,
    rebuiltIndex: readonly string[] | null,
  ) {
    super();
    this.root = root;
    this.readonly = options.readonly ?? false;
    this.rebuiltIndex = rebuiltIndex;
    this.#ledger = new Ledger(options.now);
    this.#index = index;
    this.#trialsPerShard = options.trialsPerShard ?? DEFAULT_TRIALS_PER_SHARD;
    this.#fsync = options.fsync ?? true;
    this.#releaseLock = releaseLock;
    for (const study of index.data.studies) this.#ledger.putStudy(deepFreeze(study));
  }

  /**
   * Opens (creating when needed) the store at `root`. A writer takes `root/.lock` and
   * fails with {@link StoreLockedError} while another live process holds it; a readonly
   * store takes no lock and sees a missing store as empty. A writer removes the temp
   * files a killed writer left (in the root, study folders and artifact folders) and
   * writes the `study.json` of studies created before it existed. A missing
   * `index.json` is rebuilt from the study folders (see {@link rebuiltIndex}).
   */
  static async open(root = 'runs', options: JsonFileRunStoreOptions = {}): Promise<JsonFileRunStore> {
    const absolute = resolve(root);
    const trialsPerShard = options.trialsPerShard ?? DEFAULT_TRIALS_PER_SHARD;
    if (!Number.isInteger(trialsPerShard) || trialsPerShard < 1) {
      throw new Error(`run store: trialsPerShard must be a positive integer, got ${trialsPerShard}`);
    }
    let release: (() => Promise<void>) | null = null;
    const fsync = options.fsync ?? true;
    if (!options.readonly) {
      await mkdir(absolute, { recursive: true });
      release = await acquireWriterLock(absolute);
      await removeTempFiles(absolute);
      await removeStaleLockTemps(absolute);
    }
    try {
      const file = new DurableJsonFile<IndexFile>(join(absolute, 'index.json'), { fsync, indent: 2 });
      const read = await file.read();
      const rebuilt = read === null ? await rebuildIndex(absolute, file.path) : null;
      const data = read ??
        rebuilt?.index ?? { format: STORE_FORMAT, version: STORE_VERSION, studies: [], trialsPerShard: {} };
      checkHeader(file.path, data);
      checkIndexFile(file.path, data);
      data.version = STORE_VERSION;
      const index = new Low<IndexFile>(file, data);
      if (!options.readonly) {
        if (rebuilt) await index.write();
        for (const study of data.studies) {
          const dir = join(absolute, study.id);
          await removeTempFiles(dir);
          await writeStudyFile(dir, study, data.trialsPerShard[study.id], { fsync, ifMissing: true });
        }
      }
      const store = new JsonFileRunStore(absolute, options, index, release, rebuilt?.ids ?? null);
      // Artifact folders are many (a few per trial: ~0.3 s for 2,000 trials), so they are
      // swept while the store is used; this process's own temp files are left alone.
      if (!options.readonly) {
        store.#sweep = (async () => {
          for (const study of data.studies) {
            await removeTempFiles(join(absolute, study.id, 'trials'), { recursive: true });
            // A killed sweep's live progress write (see live-progress.ts): its writer is gone, as we hold the lock.
            await removeTempFiles(join(absolute, study.id, 'live'));
          }
        })();
      }
      return store;
    } catch (error) {
      await release?.();
      throw error;
    }
  }

  async createStudy(input: NewStudy): Promise<StudyRecord> {
    return this.#mutation('createStudy', async () => {
      const study = this.#ledger.buildStudy(input);
      await this.#commit(this.#index, {
        ...this.#index.data,
        studies: [...this.#index.data.studies, study],
        trialsPerShard: { ...this.#index.data.trialsPerShard, [study.id]: this.#trialsPerShard },
      });
      // After the index, which decides what exists: a crash in between leaves a study
      // without its copy, which the next writer writes on open.
      await writeStudyFile(join(this.root, study.id), study, this.#trialsPerShard, {
        fsync: this.#fsync,
        ifMissing: false,
      });
      this.#ledger.putStudy(study);
      this.#loading.set(study.id, Promise.resolve());
      return study;
    });
  }

  async startTrial(studyId: string, input: NewTrial, options: StartTrialOptions = {}): Promise<TrialRecord> {
    return this.#mutation('startTrial', async () => {
      await this.#load(studyId, 'startTrial');
      const trial = this.#ledger.buildTrial(studyId, input);
      options.onCreated?.(trial);
      const shard = await this.#shard(studyId, trial.number);
      await this.#commit(shard, { ...shard.data, trials: [...shard.data.trials, trial] });
      this.#ledger.putTrial(trial);
      return trial;
    });
  }

  async finishTrial(trialId: string, outcome: TrialOutcome): Promise<TrialRecord> {
    return this.#mutation('finishTrial', async () => {
      await this.#loadTrialStudy(trialId, 'finishTrial');
      const { trial, evaluations } = this.#ledger.buildFinish(trialId, outcome);
      const shard = await this.#shard(trial.studyId, trial.number);
      const trials = shard.data.trials.map((t) => (t.id === trial.id ? trial : t));
      const recorded = evaluations.length > 0 ? [...shard.data.evaluations, ...evaluations] : shard.data.evaluations;
      await this.#commit(shard, { ...shard.data, trials, evaluations: recorded });
      this.#ledger.putTrial(trial);
      this.#ledger.putEvaluations(evaluations);
      return trial;
    });
  }

  async getTrial(trialId: string): Promise<TrialRecord | undefined> {
    this.#checkOpen();
    const parsed = parseTrialId(trialId);
    if (!parsed || !this.#ledger.study(parsed.studyId)) return undefined;
    await this.#load(parsed.studyId, 'getTrial');
    return this.#ledger.findTrial(trialId);
  }

  async listTrials(studyId: string): Promise<TrialRecord[]> {
    this.#checkOpen();
    await this.#load(studyId, 'listTrials');
    return [...this.#ledger.state(studyId, 'listTrials').trials];
  }

  async addEvaluations(trialId: string, inputs: NewEvaluation[]): Promise<EvaluationRecord[]> {
    return this.#mutation('addEvaluations', async () => {
      await this.#loadTrialStudy(trialId, 'addEvaluations');
      const evaluations = this.#ledger.buildEvaluations(trialId, inputs);
      if (evaluations.length === 0) return [];
      const trial = this.#ledger.trial(trialId, 'addEvaluations');
      const shard = await this.#shard(trial.studyId, trial.number);
      await this.#commit(shard, { ...shard.data, evaluations: [...shard.data.evaluations, ...evaluations] });
      this.#ledger.putEvaluations(evaluations);
      return evaluations;
    });
  }

  async listEvaluations(studyId: string): Promise<EvaluationRecord[]> {
    this.#checkOpen();
    await this.#load(studyId, 'listEvaluations');
    return [...this.#ledger.state(studyId, 'listEvaluations').evaluations];
  }

  async writeArtifact(studyId: string, trialId: string, name: string, data: ArtifactData): Promise<string> {
    this.#checkWritable('writeArtifact');
    await this.#loadTrialStudy(trialId, 'writeArtifact');
    const trial = this.#ledger.trial(trialId, 'writeArtifact');
    if (trial.studyId !== studyId) {
      throw new Error(
        `run store: writeArtifact: trial '${trialId}' belongs to study '${trial.studyId}', not '${studyId}'`,
      );
    }
    const path = artifactPath(studyId, trialId, name);
    const absolute = await resolveInsideStore(this.root, path, 'writeArtifact');
    await mkdir(dirname(absolute), { recursive: true });
    await writeFileAtomic(absolute, data, { fsync: this.#fsync });
    return path;
  }

  async readArtifact(path: string): Promise<Uint8Array> {
    this.#checkOpen();
    checkArtifactPath(path);
    const absolute = await resolveInsideStore(this.root, path, 'readArtifact');
    let file;
    try {
      // O_NOFOLLOW: a link swapped in since the check is refused too (ELOOP).
      file = await open(absolute, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new Error(`run store: readArtifact: no artifact at '${path}' under ${this.root}`);
      if (code === 'ELOOP')
        throw new Error(`run store: readArtifact: '${path}' is a symbolic link; artifacts must be plain files`);
      throw error;
    }
    try {
      return new Uint8Array(await file.readFile());
    } finally {
      await file.close();
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#queue;
    await this.#sweep;
    this.#closed = true;
    await this.#releaseLock?.();
  }

  protected override openLedger(): Ledger {
    this.#checkOpen();
    return this.#ledger;
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error(`run store: the store at ${this.root} is closed`);
  }

  #checkWritable(operation: string): void {
    this.#checkOpen();
    if (this.readonly) {
      throw new Error(`run store: ${operation}: the store at ${this.root} was opened readonly`);
    }
  }

  /** Runs mutations one at a time, in call order; a failed one does not stop the next. */
  #mutation<T>(name: string, operation: () => Promise<T>): Promise<T> {
    this.#checkWritable(name);
    const result = this.#queue.then(operation);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** Writes `next` as the file's content and keeps it only once it is on disk. */
  async #commit<T>(db: Low<T>, next: T): Promise<void> {
    const previous = db.data;
    db.data = next;
    try {
      await db.write();
    } catch (error) {
      db.data = previous;
      throw error;
    }
  }

  async #loadTrialStudy(trialId: string, operation: string): Promise<void> {
    const parsed = parseTrialId(trialId);
    if (!parsed || !this.#ledger.study(parsed.studyId)) {
      throw new Error(`run store: ${operation}: no trial with id '${trialId}'`);
    }
    await this.#load(parsed.studyId, operation);
  }

  /** Reads a study's shards once; concurrent callers share the read. */
  #load(studyId: string, operation: string): Promise<void> {
    const study = this.#ledger.state(studyId, operation).study;
    let loading = this.#loading.get(studyId);
    if (!loading) {
      loading = this.#readShards(study);
      this.#loading.set(studyId, loading);
      loading.catch(() => this.#loading.delete(studyId));
    }
    return loading;
  }

  async #readShards(study: StudyRecord): Promise<void> {
    const dir = join(this.root, study.id);
    // The store makes folders, never links: a linked study folder would read (and a writer write) elsewhere.
    if ((await lstat(dir).catch(() => undefined))?.isSymbolicLink()) {
      throw new Error(`run store: ${dir} is a symbolic link; a study's folder must be a plain folder of the store`);
    }
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      names = [];
    }
    const trials: TrialRecord[] = [];
    const evaluations: EvaluationRecord[] = [];
    for (const name of names) {
      const match = SHARD_FILE.exec(name);
      if (!match) continue;
      const shardNumber = Number(match[1]);
      const db = this.#shardDb(study.id, shardNumber);
      await db.read();
      const path = join(dir, name);
      checkHeader(path, db.data);
      checkShardFile(path, db.data, study.id);
      db.data.version = STORE_VERSION;
      db.data.trials = db.data.trials.map(upgradeTrial);
      db.data.evaluations = db.data.evaluations.map(upgradeEvaluation);
      for (const trial of db.data.trials) {
        if (this.#shardOf(study.id, trial.number) !== shardNumber) {
          throw new Error(
            `run store: ${path}: trial '${trial.id}' (number ${trial.number}) does not belong in shard ` +
              `${shardNumber}: the study has ${this.#index.data.trialsPerShard[study.id]} trials per shard`,
          );
        }
        trials[trial.number] = deepFreeze(trial);
      }
      for (const evaluation of db.data.evaluations) evaluations.push(deepFreeze(evaluation));
    }
    // findIndex visits the holes of a sparse array, which a missing shard would leave.
    const hole = trials.findIndex((t) => t === undefined);
    if (hole !== -1) {
      throw new Error(`run store: ${dir}: trial number ${hole} is missing though later trials exist`);
    }
    evaluations.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.#ledger.putStudy(study, trials, evaluations);
  }

  /** The shard holding trial `number`, created empty when the study has no such shard yet. */
  async #shard(studyId: string, number: number): Promise<Low<ShardFile>> {
    const shardNumber = this.#shardOf(studyId, number);
    const key = `${studyId}/${shardNumber}`;
    if (!this.#shards.has(key)) {
      const dir = join(this.root, studyId);
      await mkdir(dir, { recursive: true });
      if (this.#fsync) await syncDirectory(this.root);
    }
    return this.#shardDb(studyId, shardNumber);
  }

  #shardOf(studyId: string, trialNumber: number): number {
    return Math.floor(trialNumber / this.#index.data.trialsPerShard[studyId]);
  }

  #shardDb(studyId: string, shardNumber: number): Low<ShardFile> {
    const key = `${studyId}/${shardNumber}`;
    let db = this.#shards.get(key);
    if (!db) {
      const path = join(this.root, studyId, `trials-${String(shardNumber).padStart(4, '0')}.json`);
      db = new Low<ShardFile>(new DurableJsonFile(path, { fsync: this.#fsync, indent: 0 }), {
        format: STORE_FORMAT,
        version: STORE_VERSION,
        studyId,
        shard: shardNumber,
        trials: [],
        evaluations: [],
      });
      this.#shards.set(key, db);
    }
    return db;
  }
}

/** Opens the JSON run store at `root` (default `runs/`); see {@link JsonFileRunStore.open}. */
export function openRunStore(root = 'runs', options: JsonFileRunStoreOptions = {}): Promise<JsonFileRunStore> {
  return JsonFileRunStore.open(root, options);
}

function checkHeader(path: string, data: { format?: unknown; version?: unknown } | null): void {
  if (data?.format !== STORE_FORMAT || !READABLE_VERSIONS.includes(data.version as number)) {
    throw new Error(
      `run store: ${path}: expected format '${STORE_FORMAT}' version ${READABLE_VERSIONS.join(' or ')}, ` +
        `got format ${JSON.stringify(data?.format)} version ${JSON.stringify(data?.version)}`,
    );
  }
}

/**
 * Temp files left by a writer killed mid-write (`.<name>.<pid>.tmp`, see
 * `writeFileAtomic`); their content never became the file's. Only a writer, holding the
 * lock, removes them: nobody else writes in the store.
 */
async function removeTempFiles(dir: string, options: { recursive: boolean } = { recursive: false }): Promise<void> {
  let paths: string[];
  try {
    const entries = await readdir(dir, { recursive: options.recursive, withFileTypes: true });
    paths = entries.filter((e) => e.isFile() && isStaleTempFile(e.name)).map((e) => join(e.parentPath, e.name));
  } catch {
    return;
  }
  await Promise.all(paths.map((path) => unlink(path).catch(() => undefined)));
}

/** `.lock.<pid>.tmp` is the lock's (see removeStaleLockTemps); `.<name>.<our pid>.tmp` belongs to a write of ours. */
const isStaleTempFile = (name: string) =>
  name.startsWith('.') && name.endsWith('.tmp') && !name.startsWith('.lock.') && !name.endsWith(`.${process.pid}.tmp`);

/** Writes a study's `study.json` (only when it has none, with `ifMissing`). */
async function writeStudyFile(
  dir: string,
  study: StudyRecord,
  trialsPerShard: number,
  options: { fsync: boolean; ifMissing: boolean },
): Promise<void> {
  const file = new DurableJsonFile<StudyFile>(join(dir, STUDY_FILE), { fsync: options.fsync, indent: 2 });
  if (
    options.ifMissing &&
    (await access(file.path).then(
      () => true,
      () => false,
    ))
  )
    return;
  if ((await mkdir(dir, { recursive: true })) !== undefined && options.fsync) await syncDirectory(dirname(dir));
  await file.write({ format: STORE_FORMAT, version: STORE_VERSION, study, trialsPerShard });
}

const STUDY_FILE = 'study.json';

/**
 * The index of a store whose `index.json` is missing, from its study folders'
 * `study.json`, in creation order; null when there is no study folder. Refuses, naming
 * them, when folders hold trials but no `study.json` (studies written before it existed):
 * opening without them would hide them, and the next study would be created beside them.
 */
async function rebuildIndex(root: string, indexPath: string): Promise<{ index: IndexFile; ids: string[] } | null> {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const found: StudyFile[] = [];
  const unrecoverable: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || !isStudyId(entry.name)) continue;
    const dir = join(root, entry.name);
    const path = join(dir, STUDY_FILE);
    const data = await new DurableJsonFile<StudyFile>(path, { fsync: false, indent: 2 }).read();
    if (data === null) {
      if ((await readdir(dir)).some((name) => SHARD_FILE.test(name))) unrecoverable.push(entry.name);
      continue;
    }
    checkHeader(path, data);
    checkStudyFile(path, data, entry.name);
    found.push(data);
  }
  if (unrecoverable.length > 0) {
    const folders = unrecoverable.sort().join(', ');
    const [them, hold] = unrecoverable.length === 1 ? ['it', 'holds'] : ['them', 'hold'];
    throw new Error(
      `run store: ${indexPath} is missing and study folder${unrecoverable.length === 1 ? '' : 's'} ${folders} ` +
        `${hold} trials but no ${STUDY_FILE} to rebuild ${them} from (written before aelab kept one); ` +
        `restore index.json from a backup, or move the folder${unrecoverable.length === 1 ? '' : 's'} out of ${root}`,
    );
  }
  if (found.length === 0) return null;
  found.sort((a, b) => compare(a.study.createdAt, b.study.createdAt) || compare(a.study.id, b.study.id));
  const index: IndexFile = {
    format: STORE_FORMAT,
    version: STORE_VERSION,
    studies: found.map((f) => f.study),
    trialsPerShard: Object.fromEntries(found.map((f) => [f.study.id, f.trialsPerShard])),
  };
  return { index, ids: index.studies.map((s) => s.id) };
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
