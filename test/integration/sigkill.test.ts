/**
 * Crash safety: the CLI import is killed with SIGKILL at seeded random moments of its run; after
 * each kill the database passes `PRAGMA integrity_check`, and running the import again to
 * completion gives exactly the store of a clean import (storeDigest).
 *
 * The kill moments are fractions of a clean run's measured duration (process start included),
 * spread from 50 ms to ~90 %, so they land in start-up, in the CSV pass and in the JSON pass.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { Rng } from '../../src/synthetic/index.js';
import { Tmp, cliAsync, digestOfStore, generate } from './helpers.js';

const tmp = new Tmp();
after(() => tmp.cleanup());

const ROUNDS = 6;

function integrity(db: string): string {
  const conn = new Database(db);
  try {
    return String(conn.pragma('integrity_check', { simple: true }));
  } finally {
    conn.close();
  }
}

describe('SIGKILL during import-takeout, then a rerun = a clean import', () => {
  const home = tmp.mkdir('home');
  let zip = '';
  let clean = '';
  let cleanMs = 0;

  before(async () => {
    zip = (await generate(tmp, { format: 'zip', days: 5, endDate: '2026-03-09' })).inputs[0] as string;
    const db = tmp.dbPath();
    const r = await cliAsync(home, ['--db', db, 'import-takeout', '--no-progress', zip]);
    assert.equal(r.code, 0, `clean import failed: ${r.stderr}${r.stdout}`);
    cleanMs = r.ms;
    clean = digestOfStore(db);
  });

  it('the clean import stored something', () => {
    assert.notEqual(clean, digestOfStore(tmp.dbPath()));
  });

  it(`${ROUNDS} kills at seeded random moments`, async (t) => {
    const rng = new Rng(0x51c4111);
    let killed = 0;
    for (let i = 0; i < ROUNDS; i++) {
      // fractions spread over the run, jittered by the seeded generator
      const frac = ((i + rng.next()) / ROUNDS) * 0.9;
      const delay = Math.max(50, Math.round(frac * cleanMs));
      const db = tmp.dbPath();
      const r = await cliAsync(home, ['--db', db, 'import-takeout', '--no-progress', zip], delay);
      const wasKilled = r.signal === 'SIGKILL';
      if (wasKilled) killed++;
      else assert.equal(r.code, 0, `round ${i}: not killed, so it must have finished cleanly: ${r.stderr}`);
      let partial = '(no database yet)';
      if (existsSync(db)) {
        assert.equal(integrity(db), 'ok', `round ${i}: integrity_check after SIGKILL at ${delay} ms`);
        partial = digestOfStore(db) === clean ? 'complete' : 'partial';
      }
      t.diagnostic(`round ${i}: kill after ${delay} ms of ~${cleanMs} ms: ${wasKilled ? 'killed' : 'finished first'}, store ${partial}`);
      const again = await cliAsync(home, ['--db', db, 'import-takeout', '--no-progress', zip]);
      assert.equal(again.code, 0, `round ${i}: rerun after the kill failed: ${again.stderr}${again.stdout}`);
      assert.equal(integrity(db), 'ok', `round ${i}: integrity_check after the rerun`);
      assert.equal(digestOfStore(db), clean, `round ${i}: store after kill at ${delay} ms + rerun differs from a clean import`);
    }
    assert.ok(killed >= ROUNDS / 2, `only ${killed} of ${ROUNDS} runs were killed before they finished`);
  });
});
