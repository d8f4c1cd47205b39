/**
 * Crash safety of the sync: a child process syncs from the emulator and is SIGKILLed at every
 * seeded failpoint (src/util/failpoints.ts; at the middle hit of each), then a rerun ends with the
 * store of an uninterrupted run (storeDigest) and SQLite's integrity check passes. The same for
 * rebuild. The clean run starts with an expired access token, so the token refresh (and its
 * atomic token-file write) is on the path; the emulator serves the sleep variant whose filter
 * member needs the fallback, so that failpoint is on the path too.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, readdirSync } from 'node:fs';
import Database from 'better-sqlite3';
import { TokenManager, tokenSetFromResponse } from '../../src/auth/oauth-client.js';
import { readTokenFile } from '../../src/auth/token-store.js';
import type { GoogleEmulator } from '../../src/emulator/index.js';
import { storeDigest } from '../../src/store/digest.js';
import { openStore } from '../../src/store/store.js';
import { FAILPOINTS } from '../../src/util/failpoints.js';
import { ACCOUNT, CHILD_SCRIPT, TZ, Tmp, emulator, runNode, syncConfig, type ChildRun } from './helpers.js';

const tmp = new Tmp();
after(() => tmp.cleanup());

const FIRST = '2026-03-06';
const LAST = '2026-03-08';
const NOW = Date.UTC(2026, 2, 9, 17, 0, 0);
const PARALLEL = 2;

function digestOf(db: string): string {
  const s = openStore(db);
  try {
    return storeDigest(s);
  } finally {
    s.close();
  }
}

function integrity(db: string): string {
  const c = new Database(db);
  try {
    return String(c.pragma('integrity_check', { simple: true }));
  } finally {
    c.close();
  }
}

describe('SIGKILL at every failpoint, then a rerun = an uninterrupted sync', () => {
  let emu: GoogleEmulator;
  let clean = '';
  let cleanDb = '';
  const hits = new Map<string, number>();

  /** A token dir whose access token has expired (the child refreshes first). */
  async function tokenDir(): Promise<string> {
    const dir = tmp.mkdir('tokens');
    const tm = new TokenManager({ account: ACCOUNT, dir, tokenEndpoint: emu.tokenEndpoint, clientId: emu.clientId, clientSecret: emu.clientSecret });
    await tm.save(tokenSetFromResponse(emu.issueTokens(), Date.now() - 2 * 3_600_000));
    return dir;
  }

  function args(db: string, dir: string, rebuildInto?: string): string {
    return JSON.stringify({
      db,
      tokenDir: dir,
      tokenEndpoint: emu.tokenEndpoint,
      clientId: emu.clientId,
      clientSecret: emu.clientSecret,
      baseUrl: emu.apiBaseUrl,
      account: ACCOUNT,
      timezone: TZ,
      mode: 'all',
      now: NOW,
      sync: syncConfig(),
      ...(rebuildInto ? { rebuildInto } : {}),
    });
  }

  function child(db: string, dir: string, env: Record<string, string> = {}, rebuildInto?: string): Promise<ChildRun> {
    const base: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FITBIT_BRIDGE_')) base[k] = v;
    return runNode([CHILD_SCRIPT, args(db, dir, rebuildInto)], { ...base, ...env });
  }

  function countHits(file: string): void {
    for (const line of readFileSync(file, 'utf8').split('\n')) if (line) hits.set(line, (hits.get(line) ?? 0) + 1);
  }

  before(async () => {
    emu = await emulator({ firstDay: FIRST, lastDay: LAST, variant: { sleepFilterMember: 'civil_start_time' } });
    cleanDb = tmp.dbPath();
    const log = tmp.path('failpoints.log');
    const r = await child(cleanDb, await tokenDir(), { FITBIT_BRIDGE_FAILPOINT_LOG: log });
    assert.equal(r.code, 0, `clean sync failed: ${r.stderr}`);
    const rebuilt = tmp.dbPath();
    const rb = await child(cleanDb, tmp.mkdir('unused'), { FITBIT_BRIDGE_FAILPOINT_LOG: log }, rebuilt);
    assert.equal(rb.code, 0, `clean rebuild failed: ${rb.stderr}`);
    countHits(log);
    clean = digestOf(cleanDb);
    assert.equal(digestOf(rebuilt), clean, 'rebuild of the clean sync = the clean sync');
  });
  after(async () => {
    await emu.close();
  });

  it('the clean run passes every seeded failpoint (at least 20)', () => {
    assert.ok(FAILPOINTS.length >= 20);
    const missing = FAILPOINTS.filter((f) => !hits.has(f));
    assert.deepEqual(missing, [], `failpoints never reached: ${missing.join(', ')}`);
  });

  it('kill at each failpoint (middle hit), rerun, compare', async (t) => {
    const names = [...FAILPOINTS];
    const failures: string[] = [];
    async function round(name: string): Promise<void> {
      const n = Math.ceil((hits.get(name) ?? 1) / 2);
      const spec = `${name}:${n}`;
      const rebuild = name.startsWith('rebuild.');
      const db = tmp.dbPath();
      const dir = await tokenDir();
      let target: string | undefined;
      if (rebuild) {
        copyFileSync(cleanDb, db);
        target = tmp.dbPath();
      }
      const killed = await child(db, dir, { FITBIT_BRIDGE_FAILPOINT: spec }, target);
      if (killed.signal !== 'SIGKILL') {
        failures.push(`${spec}: not killed (exit ${killed.code}): ${killed.stderr.slice(0, 300)}`);
        return;
      }
      const out = target ?? db;
      assert.equal(integrity(out), 'ok', `${spec}: integrity_check after the kill`);
      if (name === 'token.before-rename') {
        // the token file is the old one, whole; the emulator rotated its refresh token away, so
        // (like a user would) consent again before the rerun
        const f = await readTokenFile(dir, ACCOUNT);
        assert.ok(f, `${spec}: token file still readable`);
        assert.ok(
          readdirSync(dir).some((x) => x.endsWith('.tmp')),
          `${spec}: the temp file was left behind, not renamed`,
        );
        const tm = new TokenManager({ account: ACCOUNT, dir, tokenEndpoint: emu.tokenEndpoint, clientId: emu.clientId, clientSecret: emu.clientSecret });
        await tm.save(tokenSetFromResponse(emu.issueTokens(), Date.now()));
      }
      const again = await child(db, dir, {}, target);
      if (again.code !== 0) {
        failures.push(`${spec}: rerun failed: ${again.stderr.slice(0, 500)}`);
        return;
      }
      assert.equal(integrity(out), 'ok', `${spec}: integrity_check after the rerun`);
      const d = digestOf(out);
      if (d !== clean) failures.push(`${spec}: store after kill + rerun differs from the clean run`);
      t.diagnostic(`${spec}: killed, rerun ${d === clean ? 'identical' : 'DIFFERENT'}`);
    }
    const queue = [...names];
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        for (let name = queue.shift(); name !== undefined; name = queue.shift()) await round(name);
      }),
    );
    assert.deepEqual(failures, []);
  });

  it('a kill leaves no half-fetched window: the rerun of a killed run resumes from the saved page token', async () => {
    // kill after the 3rd committed page of heart-rate's first window (pages of 10000 samples)
    const db = tmp.dbPath();
    const dir = await tokenDir();
    const killed = await child(db, dir, { FITBIT_BRIDGE_FAILPOINT: 'sync.between-pages:3' });
    assert.equal(killed.signal, 'SIGKILL');
    const s = openStore(db);
    const raw = s.getState(`google-health/coverage/${ACCOUNT}/heart-rate`);
    s.close();
    const cov = JSON.parse(raw ?? '{}') as { window?: { pages: number; pageToken: string } | null };
    assert.ok(cov.window && cov.window.pages === 3 && cov.window.pageToken, `pending window recorded: ${raw}`);
    const again = await child(db, dir);
    assert.equal(again.code, 0, again.stderr);
    const rep = JSON.parse(again.stdout) as { types: Record<string, { pages: number }> };
    assert.ok(rep.types['heart-rate'], 'report');
    assert.equal(digestOf(db), clean);
  });
});
