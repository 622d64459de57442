import { createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zipSync } from 'fflate';
import { fetchDataset, loadDataset, prepareData, resolveDataDir } from '../src/index.js';

const shared = process.env.AELAB_DATA_DIR;
const available = Boolean(shared && existsSync(join(shared, 'ecg_tensorflow', 'ecg.csv')));
if (!available) {
  console.log(
    'fetch tests skipped: set AELAB_DATA_DIR to a datasets folder (as `aelab data fetch` lays it out) to serve',
  );
}

/** Every file under `dir`, recursively (to prove failed fetches leave nothing). */
const listTree = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath, e.name))
    : [];

describe.skipIf(!available)('fetchDataset against a local HTTP server over the shared datasets', () => {
  let server: Server;
  let baseUrl: string;
  const work = mkdtempSync(join(tmpdir(), 'aelab-fetch-'));
  /** Path prefixes that misbehave: `/corrupt/...` flips a byte, `/drop/...` hangs up halfway. */
  beforeAll(async () => {
    server = createServer((request, response) => {
      const url = new URL(request.url!, 'http://x');
      // ECG5000 ships as a zip: build one from the shared TRAIN file (TEST = TRAIN here).
      const zipMode = /^\/(zip|badzip|notzip)\/ECG5000\.zip$/.exec(url.pathname)?.[1];
      if (zipMode) {
        const train = new Uint8Array(readFileSync(join(shared!, 'ecg5000', 'ECG5000_TRAIN.arff')));
        const changed = train.slice();
        changed[changed.length - 2] ^= 0x01;
        const body =
          zipMode === 'notzip'
            ? Buffer.from('<html>not a zip</html>')
            : zipSync({
                ECG5000: {
                  'ECG5000_TRAIN.arff': zipMode === 'badzip' ? changed : train,
                  'ECG5000_TEST.arff': train,
                  'ECG5000_TRAIN.txt': new Uint8Array(3),
                },
              });
        response.writeHead(200, { 'content-length': body.length }).end(body);
        return;
      }
      const mode = url.pathname.split('/')[1];
      const relative = normalize(decodeURIComponent(url.pathname.replace(/^\/(corrupt|drop|ok)\//, '/'))).replace(
        /^\/+/,
        '',
      );
      const path = join(shared!, relative);
      if (relative.startsWith('..') || !existsSync(path)) {
        response.writeHead(404).end('not found');
        return;
      }
      const size = statSync(path).size;
      response.writeHead(200, { 'content-length': size });
      if (mode === 'drop') {
        let sent = 0;
        const stream = createReadStream(path);
        stream.on('data', (chunk) => {
          sent += chunk.length;
          response.write(chunk);
          if (sent > size / 2) {
            stream.destroy();
            response.socket?.destroy();
          }
        });
      } else if (mode === 'corrupt') {
        const stream = createReadStream(path);
        let first = true;
        stream.on('data', (chunk) => {
          const bytes = Buffer.from(chunk as Buffer);
          if (first) bytes[0] ^= 0xff;
          first = false;
          response.write(bytes);
        });
        stream.on('end', () => response.end());
      } else createReadStream(path).pipe(response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    baseUrl = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(work, { recursive: true, force: true });
  });

  it('downloads ecg into the data dir, verifies sha256, then loads it; a second fetch finds it present', async () => {
    const dataDir = join(work, 'ok');
    const result = await fetchDataset('ecg', { dataDir, baseUrl: `${baseUrl}/ok/` });
    expect(result.files).toHaveLength(1);
    expect(result.files[0]).toMatchObject({
      path: 'ecg_tensorflow/ecg.csv',
      status: 'downloaded',
      verified: true,
      bytes: 7877383,
    });
    expect(listTree(dataDir)).toEqual([join(dataDir, 'ecg_tensorflow', 'ecg.csv')]);
    const dataset = await loadDataset('ecg', {}, { dataDir });
    expect(dataset.rows).toBe(4998);
    const again = await fetchDataset('ecg', { dataDir, baseUrl: `${baseUrl}/ok/` });
    expect(again.files[0].status).toBe('present');
  });

  it('fetches a NAB series together with its label file', async () => {
    const dataDir = join(work, 'nab');
    const result = await fetchDataset('nab/realKnownCause/nyc_taxi', { dataDir, baseUrl: `${baseUrl}/ok` });
    expect(result.files.map((f) => f.path)).toEqual([
      'nab/data/realKnownCause/nyc_taxi.csv',
      'nab/labels/combined_windows.json',
    ]);
    expect((await loadDataset('nab/realKnownCause/nyc_taxi', {}, { dataDir })).series?.values.length).toBe(10320);
  });

  it('rejects a checksum mismatch and leaves nothing behind', async () => {
    const dataDir = join(work, 'corrupt');
    await expect(fetchDataset('ecg', { dataDir, baseUrl: `${baseUrl}/corrupt/` })).rejects.toThrow(
      new RegExp(
        /checksum mismatch for .*ecg\.csv: expected sha256 72ce7b04.*, /.source +
          /got [0-9a-f]{64} \(7877383 bytes\); nothing was saved/.source,
      ),
    );
    expect(listTree(dataDir)).toEqual([]);
  });

  it('reports a dropped connection and leaves nothing behind, also for the second file of a set', async () => {
    const dataDir = join(work, 'drop');
    await expect(fetchDataset('ecg', { dataDir, baseUrl: `${baseUrl}/drop/` })).rejects.toThrow(
      /ecg\.csv (broke off after \d+ bytes of 7877383|is incomplete)/,
    );
    expect(listTree(dataDir)).toEqual([]);
    await expect(fetchDataset('nab/realKnownCause/nyc_taxi', { dataDir, baseUrl: `${baseUrl}/drop/` })).rejects.toThrow(
      /nyc_taxi\.csv/,
    );
    expect(listTree(dataDir)).toEqual([]);
  });

  it('reports HTTP errors and datasets without a direct download', async () => {
    await expect(
      fetchDataset('ecg', { dataDir: join(work, 'missing'), baseUrl: `${baseUrl}/ok/nowhere/` }),
    ).rejects.toThrow(/HTTP 404/);
    await expect(fetchDataset('nope')).rejects.toThrow(/unknown dataset 'nope'/);
  });

  it(
    'fetches ecg5000 from its zip archive: ' + 'extracts the ARFF pair, verifies TRAIN, and the predefined split loads',
    async () => {
      const dataDir = join(work, 'zip-ok');
      const result = await fetchDataset('ecg5000', { dataDir, baseUrl: `${baseUrl}/zip/` });
      expect(result.files.map((f) => [f.path, f.verified])).toEqual([
        ['ecg5000/ECG5000_TRAIN.arff', true],
        ['ecg5000/ECG5000_TEST.arff', false],
      ]);
      expect(readdirSync(join(dataDir, 'ecg5000')).sort()).toEqual(['ECG5000_TEST.arff', 'ECG5000_TRAIN.arff']);
      expect(readdirSync(dataDir).filter((f) => f.includes('.part-'))).toEqual([]);
      const prepared = await prepareData({ dataset: 'ecg5000' }, { dataDir });
      expect(prepared.test.rows).toBe(500);
    },
  );

  it('rejects an archive whose entry fails its checksum, or that is no zip, and leaves nothing behind', async () => {
    const bad = join(work, 'zip-bad');
    await expect(fetchDataset('ecg5000', { dataDir: bad, baseUrl: `${baseUrl}/badzip/` })).rejects.toThrow(
      /checksum mismatch for ECG5000_TRAIN\.arff in .*ECG5000\.zip/,
    );
    expect(existsSync(join(bad, 'ecg5000')) ? readdirSync(join(bad, 'ecg5000')) : []).toEqual([]);
    expect(readdirSync(bad)).toEqual([]);
    await expect(fetchDataset('ecg5000', { dataDir: bad, baseUrl: `${baseUrl}/notzip/` })).rejects.toThrow(
      /ECG5000\.zip is not a readable zip archive/,
    );
    expect(readdirSync(bad)).toEqual([]);
  });
});

describe('resolveDataDir', () => {
  it('prefers the flag, then AELAB_DATA_DIR, then ~/.cache/aelab/datasets', () => {
    const saved = process.env.AELAB_DATA_DIR;
    try {
      process.env.AELAB_DATA_DIR = '/env/dir';
      expect(resolveDataDir('/flag/dir')).toBe('/flag/dir');
      expect(resolveDataDir()).toBe('/env/dir');
      delete process.env.AELAB_DATA_DIR;
      expect(resolveDataDir()).toMatch(/\.cache[\\/]aelab[\\/]datasets$/);
    } finally {
      if (saved === undefined) delete process.env.AELAB_DATA_DIR;
      else process.env.AELAB_DATA_DIR = saved;
    }
  });
});
