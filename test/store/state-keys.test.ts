/**
 * The store's key-value state keys all come from src/store/state-keys.ts: no reader or writer in
 * src spells a key itself, and the keys keep the spellings earlier versions wrote (a store written
 * by them is read as before).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { SinkCursor } from '../../src/sinks/cursor.js';
import { readCoverage } from '../../src/sources/google-health/coverage.js';
import { STATE_KEYS } from '../../src/store/state-keys.js';
import { openStore } from '../../src/store/store.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function files(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Source without comments (block comments, and `//` comments outside string literals). */
function code(src: string): string {
  let out = '';
  let q: string | null = null;
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    if (q) {
      out += c;
      if (c === '\\') {
        out += src[i + 1] ?? '';
        i++;
      } else if (c === q) q = null;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      i = end < 0 ? src.length : end + 1;
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      const end = src.indexOf('\n', i);
      i = end < 0 ? src.length : end - 1;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') q = c;
    out += c;
  }
  return out;
}

/** The fixed start of each key of the registry (up to its first parameter). */
function keyPrefixes(): string[] {
  const P = '\u0000';
  return Object.values(STATE_KEYS).map((k) => (typeof k === 'string' ? k : k(P, P)).split(P)[0] as string);
}

const SOURCES = files(join(root, 'src')).filter((f) => !f.endsWith(join('store', 'state-keys.ts')) && !f.includes(join('src', 'emulator')));

/** Problems found in `src`: literal keys passed to the state API, literals that spell a registry key. */
function stateKeyProblems(sources: { rel: string; text: string }[]): string[] {
  const problems: string[] = [];
  const prefixes = keyPrefixes();
  for (const { rel, text } of sources) {
    const c = code(text);
    // the state API and the doctor's read-only SQL on the state table: the key must not be a literal
    for (const m of c.matchAll(/\b(?:getState|setState|deleteState)\(\s*(['"`])/g)) problems.push(`${rel}: ${m[0]}… passes a literal key`);
    if (/FROM state WHERE key/.test(c)) {
      for (const m of c.matchAll(/FROM state WHERE key[^)]*\)[\s\S]{0,40}?\.get\(\s*(['"`])/g))
        problems.push(`${rel}: ${m[0].slice(0, 60)}… reads a literal key`);
    }
    // any literal that starts like a registry key is a key spelt by hand
    for (const m of c.matchAll(/(['"`])((?:\\.|(?!\1)[^\\])*)\1/g)) {
      const lit = m[2] as string;
      const p = prefixes.find((x) => x.length >= 5 && lit.startsWith(x));
      if (p !== undefined) problems.push(`${rel}: the literal ${m[1]}${lit}${m[1]} spells the state key ${JSON.stringify(p)}…: use STATE_KEYS`);
    }
  }
  return problems;
}

test('every state key in src is built by STATE_KEYS (src/store/state-keys.ts)', () => {
  const sources = SOURCES.map((f) => ({ rel: f.slice(root.length), text: readFileSync(f, 'utf8') }));
  assert.ok(
    sources.some((s) => /STATE_KEYS\.sinkCursor/.test(s.text)),
    'the sinks use the registry',
  );
  assert.deepEqual(stateKeyProblems(sources), []);
});

test('the check finds keys spelt by hand', () => {
  const bad = [
    { rel: 'a.ts', text: 'const v = store.getState(`sink:${name}:cursor`);' },
    { rel: 'b.ts', text: "store.setState('anything', '1');" },
    { rel: 'c.ts', text: 'const k = `google-health/coverage/${a}/${t}`; store.getState(k);' },
    { rel: 'd.ts', text: "db.prepare('SELECT value FROM state WHERE key = ?').pluck().get('takeout.drop_folder');" },
  ];
  const found = stateKeyProblems(bad);
  for (const f of ['a.ts', 'b.ts', 'c.ts', 'd.ts'])
    assert.ok(
      found.some((p) => p.startsWith(`${f}:`)),
      `${f}: ${found.join('\n')}`,
    );
  assert.deepEqual(
    stateKeyProblems([{ rel: 'ok.ts', text: "// `sink:mqtt:cursor`\nstore.getState(STATE_KEYS.sinkCursor(name)); const u = 'http://x'; // sink:x" }]),
    [],
  );
});

test('the keys keep the spellings earlier versions wrote', () => {
  assert.equal(STATE_KEYS.sinkCursor('mqtt'), 'sink:mqtt:cursor');
  assert.equal(STATE_KEYS.sinkCursor('remote-write'), 'sink:remote-write:cursor');
  assert.equal(STATE_KEYS.mqttDailyMax('alice'), 'sink:mqtt:daily_max:alice');
  assert.equal(STATE_KEYS.remoteWriteDaily('remote-write'), 'sink:remote-write:daily');
  assert.equal(STATE_KEYS.pendingSleepStages('alice'), 'takeout.pendingSleepStages.alice');
  assert.equal(STATE_KEYS.dropFolder, 'takeout.drop_folder');
  assert.equal(STATE_KEYS.coverage('alice', 'steps'), 'google-health/coverage/alice/steps');
});

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fb-state-keys-'));
});
after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

test('a store whose state was written by an earlier version is read through the registry', () => {
  const path = join(tmp, 'old.db');
  openStore(path).close();
  // rows as an earlier version wrote them, by their literal keys
  const db = new Database(path);
  const put = db.prepare('INSERT INTO state (key, value) VALUES (?, ?)');
  put.run('sink:mqtt:cursor', '42');
  put.run(
    'google-health/coverage/alice/steps',
    JSON.stringify({
      v: 1,
      from: '2024-01-01',
      to: '2024-01-31',
      syncedUntil: null,
      backfillDone: true,
      firstData: null,
      lastData: null,
      member: null,
      segments: [],
      window: null,
      lastError: null,
    }),
  );
  put.run('takeout.drop_folder', '{"imported":[],"failed":[]}');
  db.close();
  const store = openStore(path);
  try {
    assert.equal(new SinkCursor(store, 'mqtt').position(), 42);
    const cov = readCoverage(store, 'alice', 'steps');
    assert.equal(cov.from, '2024-01-01');
    assert.equal(cov.backfillDone, true);
    assert.equal(store.getState(STATE_KEYS.dropFolder), '{"imported":[],"failed":[]}');
  } finally {
    store.close();
  }
});
