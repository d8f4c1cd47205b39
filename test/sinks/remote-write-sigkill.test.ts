/**
 * kill -9 of the bridge in the middle of a remote write delivery never loses a sample: a child
 * process delivers the store to a real Prometheus and is SIGKILLed after a few committed passes
 * (and once more in the middle of a later pass); a new child resumes from the durable cursor and
 * Prometheus ends up holding exactly what the store holds.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SinkCursor } from '../../src/sinks/cursor.js';
import { openStore } from '../../src/store/store.js';
import { Prometheus } from '../support/prometheus.js';
import { Tmp } from '../support/tmp.js';
import { assertTsdbHolds, expectedFromStore, importDataset } from './remote-write-helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const tmp = new Tmp('fb-rw-kill-');
let prom: Prometheus | null = null;
after(async () => {
  await prom?.cleanup();
  tmp.cleanup();
});

/** Runs the child; with `killAfterPasses` it is SIGKILLed as soon as it printed that many pass lines. */
function child(db: string, url: string, killAfterPasses?: number): Promise<{ code: number | null; signal: string | null; passes: number; out: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['--import', 'tsx', 'test/sinks/remote-write-child.ts', db, url, '700', '3'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let passes = 0;
    c.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      passes = out.split('\n').filter((l) => l.startsWith('pass ')).length;
      if (killAfterPasses !== undefined && passes >= killAfterPasses) c.kill('SIGKILL');
    });
    let err = '';
    c.stderr.setEncoding('utf8').on('data', (s: string) => {
      err += s;
    });
    c.on('error', reject);
    c.on('close', (code, signal) => {
      if (code !== 0 && signal === null) reject(new Error(`child failed (${code}): ${err}`));
      else resolve({ code, signal, passes, out });
    });
  });
}

test('SIGKILL mid-delivery: the next run resumes from the cursor and nothing is lost', async () => {
  const store = tmp.store();
  await importDataset(tmp, store, 2, 777);
  const expected = expectedFromStore(store);
  const db = store.path;
  store.close();
  prom = await Prometheus.start();

  const k1 = await child(db, prom.remoteWriteUrl, 2);
  assert.equal(k1.signal, 'SIGKILL');
  const reopened = openStore(db);
  const cursor = new SinkCursor(reopened, 'remote-write');
  const pos1 = cursor.position();
  assert.ok(pos1 > 0 && pos1 < reopened.currentSeq(), `killed between commits: cursor ${pos1} of ${reopened.currentSeq()}`);
  reopened.close();

  const k2 = await child(db, prom.remoteWriteUrl, 3);
  assert.equal(k2.signal, 'SIGKILL');
  const again = openStore(db);
  const pos2 = new SinkCursor(again, 'remote-write').position();
  assert.ok(pos2 > pos1, `resumed past the first kill: ${pos1} → ${pos2}`);
  again.close();

  const last = await child(db, prom.remoteWriteUrl);
  assert.equal(last.code, 0);
  assert.match(last.out, /^done /m);
  const check = openStore(db);
  assert.equal(new SinkCursor(check, 'remote-write').position(), check.currentSeq());
  check.close();
  await assertTsdbHolds(prom, expected);
});
