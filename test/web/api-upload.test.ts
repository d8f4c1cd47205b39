/**
 * Takeout upload through the JSON API on a real HTTP server: a generated export in two archive
 * parts streamed with PUT (CSRF token and Origin as a page sends them), imported by the same
 * importer as the drop folder, its summary on the job, its days in the coverage; the files
 * deleted after the import. Refused: a cross-site or token-less request, a name with a folder, a
 * file when the disk is (made) full; a broken-off upload leaves no partial file.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readFile } from 'node:fs/promises';
import { Controller } from '../../src/run/controller.js';
import { BridgeHttpServer } from '../../src/run/http.js';
import { openStore } from '../../src/store/store.js';
import type { Store } from '../../src/store/types.js';
import { generateTakeout } from '../../src/synthetic/index.js';
import { addDays } from '../../src/time/index.js';
import { silentLogger } from '../../src/util/log.js';
import { mountApi, type ApiOptions } from '../../src/web/api/index.js';
import { partContext } from '../support/part-context.js';
import { Tmp } from '../support/tmp.js';
import { webConfig } from '../support/web-config.js';

const tmp = new Tmp('fb-webupload-');
after(() => tmp.cleanup());
const TZ = 'Europe/Berlin';
const END = '2026-02-10';
const DAYS = 4;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function call(base: string, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Answer> {
  const r = await fetch(`${base}${path}`, { method, headers, ...(body ? { body } : {}) });
  const text = await r.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: r.status, body: parsed };
}

/** Polls GET /api/uploads/<id> from `job` until the import has ended (queued or importing no more; at most 60 s). */
async function importEnded(base: string, id: string, job: Record<string, unknown>): Promise<Record<string, unknown>> {
  let j = job;
  for (let i = 0; i < 600 && (j.state === 'queued' || j.state === 'importing'); i++) {
    await new Promise((r) => setTimeout(r, 100));
    j = (await call(base, 'GET', `/api/uploads/${id}`, {})).body;
  }
  return j;
}

describe('Takeout upload through the API', () => {
  let store: Store;
  let controller: Controller;
  let base: string;
  let csrf: string;
  let parts: string[];
  const page = (): Record<string, string> => ({ origin: base, 'x-csrf-token': csrf });

  before(async () => {
    const out = tmp.mkdir('gen');
    const gen = await generateTakeout({ out, format: 'zip', days: DAYS, endDate: END, seed: 5, timezone: TZ, parts: 2, partialDay: false });
    parts = gen.files;
    assert.equal(parts.length, 2);
    const dbPath = tmp.dbPath();
    store = openStore(dbPath);
    controller = new Controller({ config: webConfig(tmp, dbPath, TZ), store, logger: silentLogger(), version: 'test', sync: null });
    await controller.start();
    base = controller.http!.url()!;
    csrf = (await call(base, 'GET', '/api/status', {})).body.csrf as string;
  });
  after(async () => {
    await controller?.stop();
    store?.close();
  });

  test('refused without the token, from another site, or with a folder in the name', async () => {
    assert.equal((await call(base, 'POST', '/api/uploads', { origin: base })).status, 403);
    assert.equal((await call(base, 'POST', '/api/uploads', { origin: 'https://evil.example', 'x-csrf-token': csrf })).status, 403);
    const job = await call(base, 'POST', '/api/uploads', page());
    assert.equal(job.status, 201);
    const id = job.body.id as string;
    const bad = await call(base, 'PUT', `/api/uploads/${id}/files/..%2Fescape.zip`, page(), Buffer.from('x'));
    assert.equal(bad.status, 400);
    assert.match(bad.body.error as string, /^name: expected a plain file name/);
    const notZip = await call(base, 'PUT', `/api/uploads/${id}/files/notes.txt`, page(), Buffer.from('x'));
    assert.equal(notZip.status, 400);
    assert.equal((await call(base, 'PUT', `/api/uploads/nope/files/a.zip`, page(), Buffer.from('x'))).status, 404);
    assert.equal((await call(base, 'POST', `/api/uploads/${id}/import`, page())).status, 409); // no files
    assert.equal((await call(base, 'DELETE', `/api/uploads/${id}`, page())).status, 200);
  });

  test('two parts uploaded, imported, summarised, in the coverage; files removed after', async () => {
    const job = await call(base, 'POST', '/api/uploads?account=alice', page());
    assert.equal(job.status, 201);
    assert.equal(job.body.state, 'uploading');
    const id = job.body.id as string;
    for (const p of parts) {
      const bytes = await readFile(p);
      const name = p.split('/').pop()!;
      const r = await call(base, 'PUT', `/api/uploads/${id}/files/${encodeURIComponent(name)}`, { ...page(), 'content-type': 'application/zip' }, bytes);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body, { name, bytes: bytes.length });
    }
    const started = await call(base, 'POST', `/api/uploads/${id}/import`, page());
    assert.equal(started.status, 202);
    assert.match(started.body.state as string, /^(queued|importing)$/);
    const j = await importEnded(base, id, started.body);
    assert.equal(j.state, 'done', JSON.stringify(j));
    const s = j.summary as {
      accounts: string[];
      samples_added: number;
      days: number;
      time_zones: { zone: string; files: number }[];
      unknown_files: string[];
      failed_files: unknown[];
      last: string;
    };
    assert.deepEqual(s.accounts, ['alice']);
    assert.ok(s.samples_added > 1000);
    assert.ok(s.days >= DAYS);
    assert.equal(s.time_zones[0]?.zone, TZ);
    assert.deepEqual(s.failed_files, []);
    assert.ok(Array.isArray(s.unknown_files));
    assert.equal((j.progress as { done: number; total: number }).done, (j.progress as { total: number }).total);
    // the uploaded files are gone, the data is in the store and the coverage
    assert.deepEqual(readdirSync(`${store.path}.uploads`), []);
    const cov = await call(base, 'GET', '/api/coverage?account=alice&metric=heart_rate', {});
    const dates = (cov.body.days as { date: string }[]).map((d) => d.date);
    assert.ok(dates.includes(END) && dates.includes(addDays(END, -(DAYS - 1))), dates.join(' '));
    // and in the status' recent imports
    const st = await call(base, 'GET', '/api/status', {});
    assert.equal((st.body.imports as { id: string }[])[0]?.id, id);
  });

  test('in pieces, as the page sends a file (a proxy such as ingress may cap a body): resumed only at its end, imported', async () => {
    const out = tmp.mkdir('gen-pieces');
    const end2 = addDays(END, -20);
    const gen = await generateTakeout({ out, format: 'zip', days: 2, endDate: end2, seed: 5, timezone: TZ, partialDay: false });
    const bytes = await readFile(gen.files[0]!);
    const name = 'takeout-pieces.zip';
    const id = (await call(base, 'POST', '/api/uploads?account=alice', page())).body.id as string;
    const url = `/api/uploads/${id}/files/${name}`;
    const PIECE = 64 * 1024;
    assert.ok(bytes.length > 3 * PIECE, `a generated archive of ${bytes.length} bytes makes several pieces`);
    const pieces: Answer[] = [];
    for (let offset = 0; offset < bytes.length; offset += PIECE) {
      const end = Math.min(bytes.length, offset + PIECE);
      const q = `?offset=${offset}${offset === 0 ? `&size=${bytes.length}` : ''}${end === bytes.length ? '&last=1' : ''}`;
      if (offset === 2 * PIECE) {
        // a piece sent twice (a retry after a lost answer) or out of order: refused, saying where to go on
        const again = await call(base, 'PUT', `${url}?offset=${PIECE}`, page(), bytes.subarray(PIECE, 2 * PIECE));
        assert.equal(again.status, 409);
        assert.match(again.body.error as string, new RegExp(`^offset: ${PIECE} is not where .* \\(expected ${2 * PIECE};`));
        // not complete yet: no import
        assert.equal((await call(base, 'POST', `/api/uploads/${id}/import`, page())).status, 409);
      }
      pieces.push(await call(base, 'PUT', url + q, page(), bytes.subarray(offset, end)));
    }
    assert.ok(
      pieces.every((p) => p.status === 200),
      JSON.stringify(pieces.map((p) => p.status)),
    );
    assert.deepEqual(pieces.at(-1)!.body, { name, bytes: bytes.length, complete: true });
    assert.deepEqual(pieces[0]!.body, { name, bytes: PIECE, complete: false });
    const bad = await call(base, 'PUT', `${url}?size=3`, page(), Buffer.from('x'));
    assert.equal(bad.status, 400);
    assert.match(bad.body.error as string, /^offset: expected with size or last/);
    const started = await call(base, 'POST', `/api/uploads/${id}/import`, page());
    assert.equal(started.status, 202);
    const j = await importEnded(base, id, started.body);
    assert.equal(j.state, 'done', JSON.stringify(j));
    assert.deepEqual(j.files, [{ name, bytes: bytes.length }]);
    assert.ok((j.summary as { samples_added: number }).samples_added > 1000, 'the pieces made the whole archive');
    const cov = await call(base, 'GET', '/api/coverage?account=alice&metric=heart_rate', {});
    assert.ok((cov.body.days as { date: string }[]).some((d) => d.date === end2));
  });
});

/**
 * A bare HTTP server (request deadline 400 ms) with the API on an empty store, started before the
 * enclosing describe's tests and stopped after them; its fields are set once started.
 */
function bareApi(opts: ApiOptions): { store: Store; server: BridgeHttpServer; base: string } {
  const h = {} as { store: Store; server: BridgeHttpServer; base: string };
  let stopApi: (() => Promise<void>) | undefined;
  let close: (() => Promise<void>) | undefined;
  before(async () => {
    const dbPath = tmp.dbPath();
    h.store = openStore(dbPath);
    h.server = new BridgeHttpServer({ bind: '127.0.0.1', port: 0, logger: silentLogger(), requestTimeoutMs: 400 });
    const pc = partContext({ config: webConfig(tmp, dbPath, TZ), store: h.store });
    close = pc.close;
    stopApi = mountApi({ ...pc.ctx, http: h.server }, opts);
    h.base = await h.server.listen();
  });
  after(async () => {
    await stopApi?.();
    await h.server?.close();
    await close?.();
    h.store?.close();
  });
  return h;
}

describe('upload limits on a bare server', () => {
  let freeBytes = 1e12;
  const bare = bareApi({ statfs: () => Promise.resolve({ bavail: Math.floor(freeBytes / 4096), bsize: 4096 }) });
  const headers = (): Record<string, string> => ({ origin: bare.base, 'x-csrf-token': bare.server.csrfToken() });

  test('a file larger than the free space is refused with 413 before it is read', async () => {
    freeBytes = 300 * 1024 * 1024;
    const id = (await call(bare.base, 'POST', '/api/uploads', headers())).body.id as string;
    const r = await call(bare.base, 'PUT', `/api/uploads/${id}/files/big.zip`, headers(), Buffer.alloc(100 * 1024 * 1024));
    assert.equal(r.status, 413);
    assert.match(r.body.error as string, /not enough disk space/);
    freeBytes = 1e12;
  });

  test('an upload broken off leaves no partial file and no file in the job', async () => {
    const id = (await call(bare.base, 'POST', '/api/uploads', headers())).body.id as string;
    const dir = join(`${bare.store.path}.uploads`, id);
    await new Promise<void>((resolve) => {
      const req = request(`${bare.base}/api/uploads/${id}/files/part.zip`, {
        method: 'PUT',
        headers: { ...headers(), 'content-length': String(10 * 1024 * 1024) },
      });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(1024 * 1024));
      const waitFile = setInterval(() => {
        if (existsSync(join(dir, 'part.zip.partial'))) {
          clearInterval(waitFile);
          req.destroy();
          setTimeout(resolve, 300);
        }
      }, 20);
    });
    for (let i = 0; i < 50 && existsSync(join(dir, 'part.zip.partial')); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(existsSync(join(dir, 'part.zip.partial')), false);
    const job = await call(bare.base, 'GET', `/api/uploads/${id}`, {});
    assert.deepEqual(job.body.files, []);
    assert.equal(job.body.state, 'uploading');
  });
});

/** Sends `chunks` pieces of `size` bytes every `everyMs`; resolves with the status, or 'reset' when the server cut the connection. */
function trickle(url: string, method: string, headers: Record<string, string>, chunks: number, size: number, everyMs: number): Promise<number | 'reset'> {
  return new Promise((resolve) => {
    const req = request(url, { method, headers: { ...headers, 'content-length': String(chunks * size) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve('reset'));
    let sent = 0;
    const tick = (): void => {
      if (req.destroyed) return;
      req.write(Buffer.alloc(size, 0x41));
      if (++sent === chunks) req.end();
      else setTimeout(tick, everyMs);
    };
    tick();
  });
}

describe('request deadline', () => {
  const bare = bareApi({ prewarmMs: null });

  test('an upload may take longer than the request deadline; a slow form post may not', async () => {
    const h = { origin: bare.base, 'x-csrf-token': bare.server.csrfToken() };
    const id = (await call(bare.base, 'POST', '/api/uploads', h)).body.id as string;
    // 12 pieces 100 ms apart: 1.2 s, three times the deadline
    assert.equal(await trickle(`${bare.base}/api/uploads/${id}/files/slow.zip`, 'PUT', h, 12, 1000, 100), 200);
    assert.deepEqual((await call(bare.base, 'GET', `/api/uploads/${id}`, {})).body.files, [{ name: 'slow.zip', bytes: 12_000 }]);
    // a urlencoded body trickled past the deadline: the connection is cut
    assert.equal(await trickle(`${bare.base}/api/uploads`, 'POST', { ...h, 'content-type': 'application/x-www-form-urlencoded' }, 12, 10, 100), 'reset');
  });
});
