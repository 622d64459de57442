#!/usr/bin/env node
// `aelab serve` under load. Builds a JSON run store holding one study of N synthetic
// trials (100-epoch histories, 3 scoring variants each), starts `aelab serve` on it (its
// own process, loopback), and measures, in wall milliseconds per request:
//  - the study page of that study: asked for the moment the server listens ("first after
//    start": answered with the page without charts, which the server makes first, while
//    its charts are drawn in the background), the seconds until the page with its charts
//    is there (as an open page's polls see it), then asked for first after the server says
//    its pages are rendered ("first after warm-up"), then again (from memory), and
//    revalidated (a 304); asked as browsers ask (Accept-Encoding: gzip) and without;
//  - a small real sweep's wall time with no client and with C clients following the
//    server as open pages do: each follows the study list and the sweeping study's live
//    state, either as event streams (`events`: what the pages do, one stream each) or by
//    polling every P ms (`polls`: what pages without EventSource do, default 2000 ms,
//    sending back the ETag they were given, as browsers do). R rounds, each running the
//    sweep once per condition (no client, then each client mode), the order rotated from
//    round to round; best and median of each. For each sweep: the server's CPU seconds
//    (its process, from /proc) and the clients' (they run in this bench's own process:
//    process.cpuUsage over the sweep), apart.
// Prints JSON. Build first: npx tsc -b
//
//   node tools/bench/serve-load.mjs [--trials 1000] [--clients 50] [--poll-ms 2000] [--page-runs 20] [--runs 3]
//     [--client-mode events|polls|both]   how the clients follow the server (default both: each sweep once per mode)
//     [--baseline DIR]  a built checkout (e.g. /work/base) whose `aelab serve` runs beside this one, on the
//                       same store: each round adds a sweep while C clients poll it (`baselinePolls`)
//     [--profile DIR]   the servers run with node --cpu-prof, their profiles written into DIR
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { JsonFileRunStore } from '@aelab/store';
import { benchOptions } from './lib/options.mjs';
import { percentileEvaluation } from './lib/synthetic-records.mjs';

const values = benchOptions({
  trials: 1000,
  clients: 50,
  'poll-ms': 2000,
  'page-runs': 20,
  runs: 3,
  'client-mode': 'both',
  baseline: undefined,
  profile: undefined,
});
const CLIENT_MODES = { events: ['events'], polls: ['polls'], both: ['events', 'polls'] };
const clientModes = CLIENT_MODES[values['client-mode']];
if (!clientModes) throw new Error(`--client-mode must be events, polls or both, got ${values['client-mode']}`);
const { trials: trialCount, clients, 'poll-ms': pollMs } = values;
const bin = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));
const dir = await mkdtemp(join(tmpdir(), 'aelab-serve-bench-'));
const root = join(dir, 'runs');

let seed = 42;
const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;

async function buildStudy() {
  const store = await JsonFileRunStore.open(root, { fsync: false });
  const study = await store.createStudy({
    name: `bench ${trialCount} trials`,
    experimentPath: 'experiments/bench.json',
    experiment: { sampler: { type: 'random' } },
    experimentHash: 'bench',
    gitCommit: null,
    dataset: 'synthetic-ecg',
    selection: { metric: 'f1', direction: 'maximize', split: 'test' },
  });
  for (let n = 0; n < trialCount; n++) {
    const params = {
      'model.kind': ['dense', 'conv1d', 'lstm'][n % 3],
      'model.latent': [4, 8, 16, 32][Math.floor(n / 9) % 4],
      'model.dropout': Math.round(random() * 50) / 100,
      'training.learningRate': Number((10 ** (-4 + 2 * random())).toPrecision(3)),
    };
    const configHash = `cfg-${Math.floor(n / 3)}`;
    const trial = await store.startTrial(study.id, {
      configHash,
      params,
      repeat: n % 3,
      seed: n % 3,
      environment: { backend: 'wasm', versions: {}, gitCommit: null },
      dataFingerprint: null,
    });
    await store.finishTrial(trial.id, {
      status: 'complete',
      trainSeconds: 20 + 10 * random(),
      history: Array.from({ length: 100 }, (_, e) => ({
        epoch: e + 1,
        loss: 1 / (e + 2),
        valLoss: 1.1 / (e + 2) + 0.02 * random(),
        seconds: 0.2,
      })),
      bestEpoch: 100,
      parameterCount: 10000,
    });
    await store.addEvaluations(
      trial.id,
      [85, 90, 95].map((p) => percentileEvaluation(configHash, p, 0.5 + 0.4 * random())),
    );
  }
  await store.close();
  return study.id;
}

const servers = [];

/** Starts `aelab serve`; resolves once it listens, with a promise of the moment it says its pages are rendered. */
function startServer(serveBin = bin) {
  const profile = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [];
  const args = [...profile, serveBin, 'serve', '--store', root, '--port', '0', '--poll-ms', String(pollMs)];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  servers.push(child);
  let out = '';
  let rendered;
  const warmed = new Promise((done) => (rendered = done));
  return new Promise((done, fail) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const url = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1];
      if (url) done({ child, url, warmed });
      if (/pages of \d+ stud(y|ies) rendered/.test(out)) rendered();
    });
    child.once('exit', (code) => fail(new Error(`serve exited ${code}`)));
  });
}

const decoded = (response, bytes) =>
  (response.headers['content-encoding'] === 'gzip' ? gunzipSync(bytes) : bytes).toString();

/**
 * One GET over node:http (lighter than fetch for a page of megabytes): milliseconds to the
 * first byte and to the last, the status and ETag; `etag` is sent as If-None-Match.
 */
function timed(url, { keep = false, etag, gzip = false } = {}) {
  return new Promise((done, fail) => {
    const start = performance.now();
    const headers = { ...(etag ? { 'if-none-match': etag } : {}), ...(gzip ? { 'accept-encoding': 'gzip' } : {}) };
    get(url, { headers }, (response) => {
      const firstByte = performance.now() - start;
      const chunks = [];
      response.on('data', (chunk) => keep && chunks.push(chunk));
      response.on('end', () =>
        done({
          ms: performance.now() - start,
          firstByteMs: firstByte,
          status: response.statusCode,
          etag: response.headers.etag,
          bytes: response.headers['content-length'],
          body: keep ? decoded(response, Buffer.concat(chunks)) : '',
        }),
      );
    }).on('error', fail);
  });
}

const experiment = {
  name: 'bench-sweep',
  seed: 5,
  data: { dataset: 'synthetic-ecg', options: { trainRows: 200, testRows: 100 }, validationAnomalies: 'keep' },
  model: { kind: 'dense', encoder: [32, 8], activation: 'relu', outputActivation: 'linear', dropout: 0, l2: 0 },
  training: { epochs: 60, batchSize: 16, learningRate: 0.003, loss: 'mse' },
  scoring: { errorMetric: 'mse', threshold: { rule: 'percentile', percentile: 95, on: 'train' } },
  space: {
    'model.encoder': {
      type: 'categorical',
      values: [
        [32, 4],
        [32, 8],
        [32, 12],
        [32, 16],
      ],
    },
  },
  selection: { metric: 'f1', direction: 'maximize', split: 'validation' },
  executor: { backend: 'wasm' },
};

let sweepCount = 0;

/**
 * Wall seconds of one sweep (a new study each time), in its own process. Each sweep has
 * a seed of its own: the same trainings and epochs, other numbers, so that the server
 * draws every sweep's charts anew (as it would for a real sweep) instead of finding the
 * last sweep's charts already drawn.
 */
async function sweep() {
  const file = join(dir, 'exp.json');
  await writeFile(file, JSON.stringify({ ...experiment, seed: experiment.seed + sweepCount++ }));
  const start = performance.now();
  const args = [bin, 'search', 'grid', '-e', file, '--store', root, '--workers', '1', '--fresh', '--no-report'];
  const child = spawn(process.execPath, args, { stdio: 'ignore' });
  const code = await new Promise((done) => child.once('exit', done));
  if (code !== 0) throw new Error(`sweep exited ${code}`);
  return (performance.now() - start) / 1000;
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Number(s[Math.min(s.length - 1, Math.floor(q * s.length))].toFixed(1)) : null;
};

/**
 * The sweeping study: the newest of `studies` (the study list's) not among `before` (the
 * ids listed before the sweep started), or undefined until the sweep has made it. The
 * clients watch this sweep, not a study made before it (whose page, never asked for
 * before, would be rendered on their first look: a cost of opening a page, not of a sweep).
 */
const sweepingStudy = (studies, before) => studies.findLast((s) => !before.has(s.id));

/**
 * C clients, each polling the study list and the sweeping study's live API every pollMs as
 * an open page does (keeping the last answer and its ETag, as a browser's cache does),
 * until stopped.
 */
function pollers(url, before) {
  const latencies = [];
  let failures = 0;
  let notModified = 0;
  let stop = false;
  const one = async () => {
    const tags = new Map();
    let studies = [];
    while (!stop) {
      try {
        const list = await timed(`${url}api/studies`, { keep: true, etag: tags.get('list') });
        latencies.push(list.ms);
        if (list.status === 200) {
          tags.set('list', list.etag);
          studies = JSON.parse(list.body).studies;
        }
        const newest = sweepingStudy(studies, before);
        const live = newest && (await timed(`${url}api/studies/${newest.id}/live`, { etag: tags.get(newest.id) }));
        if (live) latencies.push(live.ms);
        if (live?.status === 200) tags.set(newest.id, live.etag);
        for (const status of live ? [list.status, live.status] : [list.status]) {
          if (status === 304) notModified++;
          else if (status !== 200) failures++;
        }
      } catch {
        failures++;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  };
  const running = Array.from({ length: clients }, one);
  return {
    stop: async () => {
      stop = true;
      await Promise.all(running);
      const summary = {
        p50Ms: quantile(latencies, 0.5),
        p95Ms: quantile(latencies, 0.95),
        maxMs: quantile(latencies, 1),
      };
      return { mode: 'polls', requests: latencies.length, notModified, failures, ...summary };
    },
  };
}

/**
 * An event stream of `url` (as EventSource opens it): calls `onMessage(data)` for each
 * message; `close()` ends it.
 */
function stream(url, onMessage, onFailure) {
  let response = null;
  const request = get(url, { headers: { accept: 'text/event-stream' } }, (answer) => {
    response = answer;
    if (answer.statusCode !== 200) onFailure();
    let buffer = '';
    answer.setEncoding('utf8');
    answer.on('data', (chunk) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const data = buffer
          .slice(0, end)
          .split('\n')
          .find((line) => line.startsWith('data: '));
        buffer = buffer.slice(end + 2);
        if (data !== undefined) onMessage(data.slice('data: '.length));
      }
    });
    answer.on('error', () => {});
  });
  request.on('error', () => {});
  return { close: () => (response ? response.destroy() : request.destroy()) };
}

/**
 * C clients, each following the study list and the sweeping study's live state as event
 * streams, as an open page does (a page follows one of the two; each client here is the
 * list and the study page together, as the polling clients are), until stopped.
 */
function followers(url, before) {
  let messages = 0;
  let bytes = 0;
  let failures = 0;
  let streamsOpened = 0;
  const open = (path, onMessage) => {
    streamsOpened++;
    return stream(`${url}${path}`, onMessage, () => failures++);
  };
  const one = () => {
    let live = null;
    let followed = null;
    const list = open('api/studies', (data) => {
      messages++;
      bytes += data.length;
      const newest = sweepingStudy(JSON.parse(data).studies, before);
      if (!newest || newest.id === followed) return;
      live?.close();
      followed = newest.id;
      live = open(`api/studies/${newest.id}/live`, (data) => {
        messages++;
        bytes += data.length;
      });
    });
    return () => {
      list.close();
      live?.close();
    };
  };
  const closers = Array.from({ length: clients }, one);
  return {
    stop: async () => {
      closers.forEach((close) => close());
      const meanMessageBytes = messages ? Math.round(bytes / messages) : null;
      return { mode: 'events', messages, meanMessageBytes, streamsOpened, failures };
    },
  };
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); null elsewhere. */
async function cpuSeconds(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return null;
  // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th, in clock ticks (100/s).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function stopServer(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await exited;
}

const seconds = (xs) => ({
  best: Number(Math.min(...xs).toFixed(2)),
  median: quantile(xs, 0.5),
  all: xs.map((x) => Number(x.toFixed(2))),
});

const setupStart = performance.now();
const studyId = await buildStudy();
const setupSeconds = (performance.now() - setupStart) / 1000;
const serverStart = performance.now();
const { child: server, url, warmed } = await startServer();
try {
  const page = `${url}${studyId}/index.html`;
  const listening = performance.now() - serverStart;
  // As a browser asks, the moment the server listens; then the open page's polls, until it has its charts.
  const cold = await timed(page, { gzip: true, keep: true });
  const coldCharts = !cold.body.includes('data-version="without-charts:');
  let charted = coldCharts ? 0 : null;
  while (charted === null) {
    const live = JSON.parse((await timed(`${url}api/studies/${studyId}/live`, { keep: true })).body);
    if (live.pageVersion === live.version) charted = (performance.now() - serverStart) / 1000;
    else await new Promise((r) => setTimeout(r, 200));
  }
  await warmed;
  const warmedSeconds = (performance.now() - serverStart) / 1000;
  // A second server, asked for the page only once it says its pages are rendered.
  await stopServer(server);
  const again = await startServer();
  await again.warmed;
  // As a browser asks (gzip), then as a client that takes no encoding.
  const first = await timed(`${again.url}${studyId}/index.html`, { gzip: true });
  const firstPlain = await timed(`${again.url}${studyId}/index.html`);
  const next = [];
  const nextPlain = [];
  const nextFirstByte = [];
  const revalidated = [];
  for (let i = 0; i < values['page-runs']; i++) {
    const answer = await timed(`${again.url}${studyId}/index.html`, { gzip: true });
    next.push(answer.ms);
    nextFirstByte.push(answer.firstByteMs);
    nextPlain.push((await timed(`${again.url}${studyId}/index.html`)).ms);
    revalidated.push((await timed(`${again.url}${studyId}/index.html`, { etag: answer.etag, gzip: true })).ms);
  }
  const liveApi = [];
  for (let i = 0; i < 10; i++) liveApi.push((await timed(`${again.url}api/studies/${studyId}/live`)).ms);

  // The baseline's server, on the same store, idle but for its own condition's sweeps.
  const baseline = values.baseline ? await startServer(join(values.baseline, 'packages/cli/dist/bin.js')) : null;
  await baseline?.warmed;
  const conditions = ['none', ...clientModes, ...(baseline ? ['baselinePolls'] : [])];
  const sweeps = Object.fromEntries(conditions.map((c) => [c, { seconds: [], serverCpu: [], clientsCpu: [] }]));
  const clientRuns = [];
  const loadBefore = loadavg();
  // One sweep under one condition: its wall time, the server's CPU seconds (what it takes
  // from the sweep, whatever the machine's load) and the clients' (this process's) over it.
  const measured = async (condition) => {
    const server = condition === 'baselinePolls' ? baseline : again;
    const listed = JSON.parse((await timed(`${server.url}api/studies`, { keep: true })).body).studies;
    const made = new Set(listed.map((s) => s.id));
    const own = process.cpuUsage();
    const follow = { events: followers, polls: pollers, baselinePolls: pollers }[condition];
    const load = follow?.(server.url, made) ?? null;
    const before = await cpuSeconds(server.child.pid);
    const wall = await sweep();
    const after = await cpuSeconds(server.child.pid);
    if (load) clientRuns.push({ condition, ...(await load.stop()) });
    const clientsCpu = process.cpuUsage(own);
    const bucket = sweeps[condition];
    bucket.seconds.push(wall);
    bucket.serverCpu.push(before === null || after === null ? null : Number((after - before).toFixed(2)));
    bucket.clientsCpu.push(load ? Number(((clientsCpu.user + clientsCpu.system) / 1e6).toFixed(2)) : 0);
  };
  for (let run = 0; run < values.runs; run++) {
    // Rotated from round to round, so that no condition always follows another.
    for (let i = 0; i < conditions.length; i++) await measured(conditions[(i + run) % conditions.length]);
  }
  await stopServer(again.child);
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const ratio = (a, b) => Number((a / b).toFixed(3));
  const none = sweeps.none.seconds;
  const condition = (c) => {
    const { seconds: wall, serverCpu, clientsCpu } = sweeps[c];
    const ratios =
      c === 'none'
        ? {}
        : { bestRatio: ratio(Math.min(...wall), Math.min(...none)), medianRatio: ratio(median(wall), median(none)) };
    return { seconds: seconds(wall), ...ratios, serverCpuSeconds: serverCpu, clientsCpuSeconds: clientsCpu };
  };
  const loads = (xs) => xs.map((x) => Number(x.toFixed(2)));
  console.log(
    JSON.stringify(
      {
        bench: 'serve-load',
        trials: trialCount,
        setupSeconds: Number(setupSeconds.toFixed(1)),
        studyPage: {
          bytes: firstPlain.bytes === undefined ? null : Number(firstPlain.bytes),
          gzipBytes: first.bytes === undefined ? null : Number(first.bytes),
          firstAfterStart: {
            listenedAfterMs: Number(listening.toFixed(0)),
            answeredMs: Number(cold.ms.toFixed(1)),
            firstByteMs: Number(cold.firstByteMs.toFixed(1)),
            status: cold.status,
            bytes: cold.bytes === undefined ? null : Number(cold.bytes),
            withCharts: coldCharts,
          },
          chartsShownAfterSeconds: Number(charted.toFixed(1)),
          allPagesRenderedAfterSeconds: Number(warmedSeconds.toFixed(1)),
          firstAfterWarmUpMs: Number(first.ms.toFixed(1)),
          firstAfterWarmUpFirstByteMs: Number(first.firstByteMs.toFixed(1)),
          firstAfterWarmUpNoGzipMs: Number(firstPlain.ms.toFixed(1)),
          nextMedianMs: quantile(next, 0.5),
          nextP90Ms: quantile(next, 0.9),
          nextNoGzipMedianMs: quantile(nextPlain, 0.5),
          nextFirstByteMedianMs: quantile(nextFirstByte, 0.5),
          revalidated304MedianMs: quantile(revalidated, 0.5),
        },
        liveApiOf1000TrialStudy: { medianMs: quantile(liveApi, 0.5), maxMs: quantile(liveApi, 1) },
        sweep: {
          trainings: 4,
          rounds: values.runs,
          clients,
          noClient: condition('none'),
          [`with${clients}Clients`]: Object.fromEntries(conditions.slice(1).map((mode) => [mode, condition(mode)])),
          baseline: values.baseline ?? null,
          cpuNote:
            "serverCpuSeconds: the server process's user+system CPU over each sweep (/proc); clientsCpuSeconds: " +
            "this bench process's, where the clients run, over the same sweep",
        },
        clients: { count: clients, pollMs, perRun: clientRuns },
        loadAverage: { beforeSweeps: loads(loadBefore), afterSweeps: loads(loadavg()) },
        node: process.version,
        cpus: cpus().length,
        note: 'server, sweep and clients share this machine; wall times are noisy on a shared machine',
      },
      null,
      2,
    ),
  );
} finally {
  await Promise.all(servers.map(stopServer));
  await rm(dir, { recursive: true, force: true });
}
