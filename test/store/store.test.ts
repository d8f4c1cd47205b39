import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { openStore, SqliteStore, SCHEMA_VERSION, SchemaVersionError } from '../../src/store/store.js';
import { migrate } from '../../src/store/schema.js';
import { dayStart, utcDay } from '../../src/time/index.js';
import { StoreFullError, type Sample, type SeriesKey, type SessionRecord } from '../../src/store/types.js';
import { mulberry32 } from '../../src/synthetic/prng.js';

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fb-store-'));
});
after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

let counter = 0;
function freshPath(): string {
  return join(tmp, `s${++counter}`, 'store.db');
}
function fresh(): SqliteStore {
  return openStore(freshPath()) as SqliteStore;
}

const HR: SeriesKey = { account: 'me', metric: 'heart_rate', source: 'Inspire 3' };
const STEPS: SeriesKey = { account: 'me', metric: 'steps', source: 'Inspire 3' };
const D0 = utcDay(Date.UTC(2026, 3, 6));
const T0 = dayStart(D0);
const EXPORT = { exportMs: Date.UTC(2026, 4, 1) };

function seconds(from: number, count: number, step: number, v: (i: number) => number, offset = -240): Sample[] {
  const out: Sample[] = [];
  for (let i = 0; i < count; i++) out.push({ t: from + i * step, offset, v: v(i) });
  return out;
}

describe('samples: merge semantics', () => {
  test('a new write adds everything; the same write again changes nothing and keeps the seq', () => {
    const store = fresh();
    // 2 UTC days, crossing midnight
    const s = seconds(T0 + 86_400_000 - 50_000, 100, 1000, (i) => 60 + (i % 7));
    const r1 = store.writeSamples(HR, s, EXPORT);
    assert.deepEqual(r1, { added: 100, changed: 0, keptNewer: 0, unchanged: 0 });
    assert.deepEqual(store.days(HR), [D0, D0 + 1]);
    const seq = store.currentSeq();
    assert.equal(seq, 2, 'one seq per changed block');
    const r2 = store.writeSamples(HR, s, EXPORT);
    assert.deepEqual(r2, { added: 0, changed: 0, keptNewer: 0, unchanged: 100 });
    assert.equal(store.currentSeq(), seq);
    assert.deepEqual([...store.changedBlocks(seq)], []);
    // shuffled order, same content: still nothing
    const shuffled = [...s].reverse();
    assert.deepEqual(store.writeSamples(HR, shuffled, { exportMs: 1 }), { added: 0, changed: 0, keptNewer: 0, unchanged: 100 });
    assert.equal(store.currentSeq(), seq);
    assert.deepEqual([...store.iterateSamples(HR)], s);
    store.close();
  });

  test('overlapping writes merge by instant; only touched blocks get a new seq', () => {
    const store = fresh();
    store.writeSamples(
      HR,
      seconds(T0, 100, 1000, () => 70),
      EXPORT,
    ); // day D0
    store.writeSamples(
      HR,
      seconds(T0 + 86_400_000, 10, 1000, () => 80),
      EXPORT,
    ); // day D0+1
    const seq = store.currentSeq();
    const r = store.writeSamples(
      HR,
      seconds(T0 + 50_000, 100, 1000, (i) => (i < 25 ? 70 : 71)),
      EXPORT,
    );
    assert.deepEqual(r, { added: 50, changed: 25, keptNewer: 0, unchanged: 25 });
    const changed = [...store.changedBlocks(seq)];
    assert.deepEqual(
      changed.map((c) => [c.day, c.key]),
      [[D0, HR]],
    );
    assert.ok(changed[0]!.seq > seq);
    const day = store.readDay(HR, D0);
    assert.equal(day.length, 150);
    assert.equal(day[0]!.v, 70);
    assert.equal(day[74]!.v, 70);
    assert.equal(day[75]!.v, 71);
    assert.deepEqual(
      day.map((x) => x.t),
      seconds(T0, 150, 1000, () => 0).map((x) => x.t),
    );
    const info = store.listSeries({ metric: 'heart_rate' });
    assert.equal(info.length, 1);
    assert.equal(info[0]!.count, 160);
    assert.equal(info[0]!.first, T0);
    assert.equal(info[0]!.last, T0 + 86_400_000 + 9000);
    store.close();
  });

  test('conflicts: the newer export wins, equal counts as newer (both orders)', () => {
    const store = fresh();
    const at = (v: number, offset = -240): Sample[] => [{ t: T0 + 5000, offset, v }];
    // older first, then newer
    store.writeSamples(HR, at(60), { exportMs: 100 });
    assert.deepEqual(store.writeSamples(HR, at(61), { exportMs: 200 }), { added: 0, changed: 1, keptNewer: 0, unchanged: 0 });
    let seq = store.currentSeq();
    // an older export loses and writes nothing
    assert.deepEqual(store.writeSamples(HR, at(62), { exportMs: 150 }), { added: 0, changed: 0, keptNewer: 1, unchanged: 0 });
    assert.equal(store.currentSeq(), seq);
    assert.equal(store.readDay(HR, D0)[0]!.v, 61);
    // equal export counts as newer
    assert.deepEqual(store.writeSamples(HR, at(63), { exportMs: 200 }), { added: 0, changed: 1, keptNewer: 0, unchanged: 0 });
    assert.equal(store.readDay(HR, D0)[0]!.v, 63);
    // a different offset at the same instant is a conflict too
    assert.deepEqual(store.writeSamples(HR, at(63, -300), { exportMs: 300 }), { added: 0, changed: 1, keptNewer: 0, unchanged: 0 });
    assert.equal(store.readDay(HR, D0)[0]!.offset, -300);

    // newer first, then older
    store.writeSamples(STEPS, [{ t: T0, offset: 0, v: 10 }], { exportMs: 500 });
    seq = store.currentSeq();
    const r = store.writeSamples(
      STEPS,
      [
        { t: T0, offset: 0, v: 11 },
        { t: T0 + 60_000, offset: 0, v: 12 },
      ],
      { exportMs: 400 },
    );
    assert.deepEqual(r, { added: 1, changed: 0, keptNewer: 1, unchanged: 0 });
    assert.deepEqual(
      store.readDay(STEPS, D0).map((x) => x.v),
      [10, 12],
    );
    assert.equal(store.currentSeq(), seq + 1);
    store.close();
  });

  test('duplicate instants in one write: the last one wins; -0 is stored as 0', () => {
    const store = fresh();
    const r = store.writeSamples(
      HR,
      [
        { t: T0 + 2000, offset: 0, v: 1 },
        { t: T0 + 1000, offset: 0, v: 5 },
        { t: T0 + 2000, offset: 0, v: 2 },
        { t: T0 + 1000, offset: 0, v: -0 },
      ],
      EXPORT,
    );
    assert.deepEqual(r, { added: 2, changed: 0, keptNewer: 0, unchanged: 0 });
    const day = store.readDay(HR, D0);
    assert.deepEqual(day, [
      { t: T0 + 1000, offset: 0, v: 0 },
      { t: T0 + 2000, offset: 0, v: 2 },
    ]);
    assert.ok(Object.is(day[0]!.v, 0));
    store.close();
  });

  test('late data merged into an old day shows up in changedBlocks', () => {
    const store = fresh();
    for (let d = 0; d < 5; d++)
      store.writeSamples(
        STEPS,
        seconds(dayStart(D0 + d), 10, 60_000, () => 3, 0),
        EXPORT,
      );
    const seq = store.currentSeq();
    store.writeSamples(STEPS, [{ t: dayStart(D0 + 1) + 3_600_000, offset: 0, v: 99 }], EXPORT);
    const changed = [...store.changedBlocks(seq)];
    assert.equal(changed.length, 1);
    assert.equal(changed[0]!.day, D0 + 1);
    assert.deepEqual(changed[0]!.key, STEPS);
    assert.equal(changed[0]!.seq, store.currentSeq());
    // everything since 0, in seq order
    const all = [...store.changedBlocks(0)];
    assert.deepEqual(
      all.map((c) => c.day),
      [D0, D0 + 2, D0 + 3, D0 + 4, D0 + 1],
    );
    store.close();
  });

  test('bad samples are rejected with the sample index and nothing is written', () => {
    const store = fresh();
    const s = seconds(T0, 10, 1000, () => 60);
    s[7] = { t: T0 + 7000, offset: 0, v: NaN };
    assert.throws(() => store.writeSamples(HR, s, EXPORT), /sample 7 .*finite/);
    assert.throws(() => store.writeSamples(HR, [{ t: T0 + 0.5, offset: 0, v: 1 }], EXPORT), /sample 0.*integer/);
    assert.throws(() => store.writeSamples(HR, [{ t: T0, offset: 5000, v: 1 }], EXPORT), /offset/);
    assert.throws(() => store.writeSamples(HR, [{ t: T0, offset: 0, v: 1 }], { exportMs: NaN }), /exportMs/);
    assert.throws(() => store.writeSamples({ ...HR, metric: 'nope' as never }, [{ t: T0, offset: 0, v: 1 }], EXPORT), /unknown metric/);
    assert.deepEqual(store.listSeries(), []);
    assert.equal(store.currentSeq(), 0);
    store.close();
  });
});

describe('samples: removeMatching, reading', () => {
  test('removeMatching removes within tolerance only, bumps seq and deletes empty blocks', () => {
    const store = fresh();
    store.writeSamples(
      HR,
      seconds(T0, 10, 1000, (i) => 60 + i),
      EXPORT,
    );
    store.writeSamples(HR, [{ t: T0 + 86_400_000, offset: 0, v: 50 }], EXPORT);
    const seq = store.currentSeq();
    const n = store.removeMatching(
      HR,
      [
        { t: T0, offset: 0, v: 60.4 }, // within 0.5
        { t: T0 + 1000, offset: 0, v: 62 }, // 61 stored: outside
        { t: T0 + 2000, offset: 0, v: 99 },
        { t: T0 + 2000, offset: 0, v: 62.5 }, // second probe matches
        { t: T0 + 3500, offset: 0, v: 63 }, // no sample at that instant
        { t: T0 + 86_400_000, offset: 0, v: 50 }, // empties day D0+1
      ],
      0.5,
    );
    assert.equal(n, 3);
    assert.deepEqual(
      store.readDay(HR, D0).map((x) => x.v),
      [61, 63, 64, 65, 66, 67, 68, 69],
    );
    assert.deepEqual(store.days(HR), [D0]);
    const changed = [...store.changedBlocks(seq)];
    assert.deepEqual(changed.map((c) => c.day).sort(), [D0, D0 + 1]);
    assert.equal(store.listSeries()[0]!.count, 8);
    // nothing matches: no seq bump
    const seq2 = store.currentSeq();
    assert.equal(store.removeMatching(HR, [{ t: T0 + 1000, offset: 0, v: 0 }], 0.5), 0);
    assert.equal(store.removeMatching({ ...HR, source: 'unknown' }, [{ t: T0 + 1000, offset: 0, v: 61 }], 0.5), 0);
    assert.equal(store.currentSeq(), seq2);
    // a rewritten empty day drops its tombstone and is reported once
    store.writeSamples(HR, [{ t: T0 + 86_400_000, offset: 0, v: 51 }], EXPORT);
    const again = [...store.changedBlocks(seq2)];
    assert.deepEqual(
      again.map((c) => c.day),
      [D0 + 1],
    );
    store.close();
  });

  test('iterateSamples streams ranges across day boundaries and many blocks', () => {
    const store = fresh();
    // 20 days, one sample every 2 hours, values = running index
    const all = seconds(T0, 20 * 12, 7_200_000, (i) => i, 60);
    store.writeSamples(STEPS, all, EXPORT);
    assert.equal(store.days(STEPS).length, 20);
    assert.deepEqual([...store.iterateSamples(STEPS)], all);
    const from = T0 + 86_400_000 * 3 + 3 * 7_200_000; // day 3, 06:00
    const to = T0 + 86_400_000 * 15 + 7_200_000; // day 15, 02:00 (exclusive)
    assert.deepEqual(
      [...store.iterateSamples(STEPS, from, to)],
      all.filter((x) => x.t >= from && x.t < to),
    );
    assert.deepEqual([...store.iterateSamples(STEPS, from, from + 1)], [all[39]]);
    assert.deepEqual([...store.iterateSamples(STEPS, from + 1, from + 7_200_000)], []);
    assert.deepEqual([...store.iterateSamples(STEPS, to, from)], []);
    assert.deepEqual([...store.iterateSamples({ ...STEPS, source: 'none' })], []);
    // the connection stays usable for writes while an iterator is open
    const it = store.iterateSamples(STEPS);
    assert.equal(it.next().value?.v, 0);
    store.setState('cursor', '1');
    store.writeSamples(HR, [{ t: T0, offset: 0, v: 1 }], EXPORT);
    let rest = 0;
    for (const _ of it) rest++;
    assert.equal(rest, all.length - 1);
    store.close();
  });

  test('listSeries filters and reads block metadata', () => {
    const store = fresh();
    store.writeSamples(
      HR,
      seconds(T0, 5, 1000, () => 60),
      EXPORT,
    );
    store.writeSamples(
      STEPS,
      seconds(T0 - 86_400_000, 3, 60_000, () => 1),
      EXPORT,
    );
    store.writeSamples(
      { account: 'partner', metric: 'heart_rate', source: 'Charge 6' },
      seconds(T0, 2, 1000, () => 60),
      EXPORT,
    );
    assert.equal(store.listSeries().length, 3);
    assert.deepEqual(
      store.listSeries({ account: 'me' }).map((s) => s.metric),
      ['heart_rate', 'steps'],
    );
    const steps = store.listSeries({ account: 'me', metric: 'steps', source: 'Inspire 3' });
    assert.equal(steps.length, 1);
    assert.deepEqual({ ...steps[0]!, id: 0 }, { id: 0, ...STEPS, count: 3, first: T0 - 86_400_000, last: T0 - 86_400_000 + 120_000 });
    assert.deepEqual(store.listSeries({ source: 'nothing' }), []);
    store.close();
  });
});

describe('sessions', () => {
  const S = Date.UTC(2026, 3, 6, 3, 10);
  const E = Date.UTC(2026, 3, 6, 11, 0);
  function sleep(layer: SessionRecord['layer'], start: number, end: number, extra: Partial<SessionRecord> = {}): SessionRecord {
    return {
      account: 'me',
      kind: 'sleep',
      source: 'Inspire 3',
      layer,
      start,
      startOffset: -240,
      end,
      endOffset: -240,
      externalId: null,
      mainSleep: true,
      segments: [
        { start, end: start + 60_000, stage: 'wake' },
        { start: start + 60_000, end, stage: 'light' },
      ],
      details: { minutesAsleep: 400, efficiency: 93 },
      ...extra,
    };
  }

  test('upsert is idempotent and bumps seq only on change', () => {
    const store = fresh();
    assert.equal(store.upsertSession(sleep('takeout-json', S, E)), true);
    const seq = store.currentSeq();
    assert.equal(store.upsertSession(sleep('takeout-json', S, E)), false);
    assert.equal(store.upsertSession(sleep('takeout-json', S, E, { details: { efficiency: 93, minutesAsleep: 400 } })), false, 'key order does not matter');
    assert.equal(store.currentSeq(), seq);
    assert.equal(store.upsertSession(sleep('takeout-json', S, E + 60_000)), true);
    assert.equal(store.currentSeq(), seq + 1);
    const got = store.sessions('me', 'sleep');
    assert.equal(got.length, 1);
    assert.equal(got[0]!.end, E + 60_000);
    assert.equal(got[0]!.mainSleep, true);
    assert.equal(got[0]!.externalId, null);
    assert.deepEqual(got[0]!.details, { efficiency: 93, minutesAsleep: 400 });
    assert.equal(got[0]!.segments.length, 2);
    assert.deepEqual(
      store.changedSessions(seq).map((s) => s.seq),
      [seq + 1],
    );
    assert.deepEqual(store.changedSessions(seq + 1), []);
    assert.throws(() => store.upsertSession(sleep('takeout-json', S, S - 1)), /before start/);
    assert.throws(() => store.upsertSession(sleep('nope' as never, S, E)), /layer/);
    store.close();
  });

  test('resolve keeps the preferred layer of overlapping sessions; same layer all kept', () => {
    const store = fresh();
    store.upsertSession(sleep('takeout-json', S, E));
    store.upsertSession(sleep('takeout-csv', S + 60_000, E));
    store.upsertSession(sleep('api', S + 120_000, E - 60_000));
    // next night: only json and csv
    const day = 86_400_000;
    store.upsertSession(sleep('takeout-json', S + day, E + day));
    store.upsertSession(sleep('takeout-csv', S + day, E + day));
    // a nap only in the json layer
    store.upsertSession(sleep('takeout-json', S + day + 36_000_000, S + day + 39_600_000, { mainSleep: false }));
    // exercise: two overlapping sessions of the same layer
    const ex = (start: number, end: number, name: string): SessionRecord => ({
      account: 'me',
      kind: 'exercise',
      source: 'Inspire 3',
      layer: 'takeout-json',
      start,
      startOffset: -240,
      end,
      endOffset: -240,
      segments: [],
      details: { activityName: name },
    });
    store.upsertSession(ex(S, S + 3_600_000, 'Walk'));
    store.upsertSession(ex(S + 600_000, S + 1_200_000, 'Run'));

    assert.equal(store.sessions('me', 'sleep', undefined, undefined, { resolve: false }).length, 6);
    const resolved = store.sessions('me', 'sleep');
    assert.deepEqual(
      resolved.map((s) => [s.layer, s.start]),
      [
        ['api', S + 120_000],
        ['takeout-csv', S + day],
        ['takeout-json', S + day + 36_000_000],
      ],
    );
    // a window that only touches the json session's tail still hides it (the api session overlaps it)
    assert.deepEqual(
      store.sessions('me', 'sleep', E - 30_000, E + 1000).map((s) => s.layer),
      [],
    );
    assert.deepEqual(
      store.sessions('me', 'sleep', E - 30_000, E + 1000, { resolve: false }).map((s) => s.layer),
      ['takeout-json', 'takeout-csv'],
    );
    assert.deepEqual(
      store.sessions('me', 'exercise').map((s) => s.details['activityName']),
      ['Walk', 'Run'],
    );
    assert.deepEqual(store.sessions('other', 'sleep'), []);
    store.close();
  });
});

describe('accounts, state, transactions', () => {
  test('accounts and key/value state', () => {
    const store = fresh();
    assert.equal(store.getAccount('me'), null);
    store.setAccount({ name: 'me', profileId: null, timezone: 'America/New_York' });
    store.setAccount({ name: 'partner', profileId: 'ABC', timezone: null });
    store.setAccount({ name: 'me', profileId: '123', timezone: 'Europe/Berlin' });
    assert.deepEqual(store.getAccount('me'), { name: 'me', profileId: '123', timezone: 'Europe/Berlin' });
    assert.deepEqual(
      store.accounts().map((a) => a.name),
      ['me', 'partner'],
    );
    assert.equal(store.getState('k'), null);
    store.setState('k', 'v1');
    store.setState('k', 'v2');
    assert.equal(store.getState('k'), 'v2');
    store.close();
  });

  test('write(): nested calls join, errors roll back', () => {
    const store = fresh();
    assert.throws(
      () =>
        store.write(() => {
          store.setState('a', '1');
          store.writeSamples(HR, [{ t: T0, offset: 0, v: 1 }], EXPORT);
          throw new Error('boom');
        }),
      /boom/,
    );
    assert.equal(store.getState('a'), null);
    assert.deepEqual(store.listSeries(), []);
    assert.equal(store.currentSeq(), 0);
    // the series created in the rolled-back transaction is not cached
    store.writeSamples(HR, [{ t: T0, offset: 0, v: 1 }], EXPORT);
    assert.equal(store.listSeries()[0]!.count, 1);
    // an inner failure caught by the outer call undoes only the inner part
    store.write(() => {
      store.setState('outer', 'yes');
      try {
        store.write(() => {
          store.setState('inner', 'yes');
          throw new Error('inner');
        });
      } catch {
        /* expected */
      }
    });
    assert.equal(store.getState('outer'), 'yes');
    assert.equal(store.getState('inner'), null);
    assert.throws(() => store.write(() => Promise.resolve(1)), /synchronous/);
    store.close();
  });
});

describe('schema and files', () => {
  test('a new store is at the current schema version, in WAL mode; parent dirs are created', () => {
    const p = freshPath();
    const store = openStore(p);
    assert.ok(existsSync(p));
    store.setState('x', 'y');
    assert.ok(store.diskBytes() > 0);
    store.close();
    const db = new Database(p, { readonly: true });
    assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
    // reopen read-only: reads work, writes fail clearly
    const ro = openStore(p, { readonly: true });
    assert.equal(ro.getState('x'), 'y');
    assert.throws(() => ro.setState('x', 'z'), /read-only/);
    ro.close();
  });

  test('opening a store written by a newer version fails with a clear message', () => {
    const p = freshPath();
    openStore(p).close();
    const db = new Database(p);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    assert.throws(
      () => openStore(p),
      (e: unknown) => e instanceof SchemaVersionError && /newer fitbit-bridge/.test(e.message) && e.message.includes(p),
    );
    assert.throws(() => openStore(p, { readonly: true }), SchemaVersionError);
  });

  test('migrations run in order, once, in one transaction', () => {
    const db = new Database(':memory:');
    const calls: number[] = [];
    const ms = [0, 1, 2].map((i) => (d: Database.Database) => {
      calls.push(i);
      d.exec(`CREATE TABLE m${i} (x)`);
    });
    assert.equal(migrate(db, 'mem', false, ms.slice(0, 1)), 1);
    assert.equal(migrate(db, 'mem', false, ms), 3);
    assert.equal(migrate(db, 'mem', false, ms), 3);
    assert.deepEqual(calls, [0, 1, 2]);
    // a failing migration leaves the version and the schema as they were
    const bad = [
      ...ms,
      (d: Database.Database) => {
        d.exec('CREATE TABLE m3 (x)');
        throw new Error('migration 4 failed');
      },
    ];
    assert.throws(() => migrate(db, 'mem', false, bad), /migration 4 failed/);
    assert.equal(db.pragma('user_version', { simple: true }), 3);
    assert.deepEqual(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'm3'`).all(), []);
    assert.throws(() => migrate(db, 'mem', true, bad), /needs migrating/);
    db.close();
  });

  test('SQLITE_FULL: the write fails with StoreFullError, the store stays intact and usable', () => {
    const p = freshPath();
    const store = openStore(p) as SqliteStore;
    const r = mulberry32(3);
    store.writeSamples(
      HR,
      seconds(T0, 20_000, 1000, () => 60 + Math.floor(r() * 50)),
      EXPORT,
    );
    store.setState('cursor', 'before');
    const before = store.readDay(HR, D0);
    const seq = store.currentSeq();
    const list = store.listSeries();
    const pages = store.db.pragma('page_count', { simple: true }) as number;
    store.db.pragma(`max_page_count = ${pages + 2}`);
    // a week of noisy data cannot fit in two more pages
    const big: Sample[] = [];
    for (let d = 1; d <= 7; d++) big.push(...seconds(dayStart(D0 + d), 20_000, 1000, () => 40 + Math.floor(r() * 140)));
    assert.throws(
      () => store.writeSamples(HR, big, EXPORT),
      (e: unknown) => e instanceof StoreFullError && e.path === p,
    );
    assert.throws(
      () =>
        store.write(() => {
          store.setState('cursor', 'after');
          store.writeSamples(STEPS, big, EXPORT);
        }),
      StoreFullError,
    );
    assert.deepEqual(store.readDay(HR, D0), before);
    assert.equal(store.currentSeq(), seq);
    assert.deepEqual(store.listSeries(), list);
    assert.equal(store.getState('cursor'), 'before');
    assert.equal(store.db.pragma('integrity_check', { simple: true }), 'ok');
    // still usable: small writes fit, and with room again the big one goes through
    store.setState('cursor', 'small');
    store.db.pragma('max_page_count = 1073741823');
    assert.equal(store.writeSamples(HR, big, EXPORT).added, big.length);
    store.close();
    const again = openStore(p);
    assert.equal(again.getState('cursor'), 'small');
    assert.equal(again.listSeries()[0]!.count, 20_000 + big.length);
    again.close();
  });
});

describe('two connections', () => {
  test('a second store on the same file sees committed writes', () => {
    const p = freshPath();
    const a = openStore(p);
    const b = openStore(p);
    a.writeSamples(
      HR,
      seconds(T0, 10, 1000, () => 60),
      EXPORT,
    );
    assert.equal(b.readDay(HR, D0).length, 10);
    assert.equal(b.currentSeq(), a.currentSeq());
    b.writeSamples(
      HR,
      seconds(T0 + 10_000, 5, 1000, () => 61),
      EXPORT,
    );
    assert.equal(a.listSeries()[0]!.count, 15);
    // uncommitted work is invisible to the other connection
    a.write(() => {
      a.setState('pending', '1');
      assert.equal(b.getState('pending'), null);
    });
    assert.equal(b.getState('pending'), '1');
    a.close();
    b.close();
  });

  /** Starts a thread that takes the writer lock, sets state `worker`, holds the lock `holdMs`, commits. */
  function lockHolder(p: string, holdMs: number): { worker: Worker; locked: Int32Array; done: Promise<number> } {
    const require = createRequire(import.meta.url);
    const locked = new Int32Array(new SharedArrayBuffer(4));
    const code = `
      const { workerData } = require('node:worker_threads');
      const Database = require(workerData.bs);
      const db = new Database(workerData.path, { timeout: 10000 });
      db.exec('BEGIN IMMEDIATE');
      db.prepare("INSERT OR REPLACE INTO state (key, value) VALUES ('worker', 'committed')").run();
      const flag = new Int32Array(workerData.sab);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      Atomics.wait(flag, 0, 1, workerData.holdMs); // until released (flag ≠ 1) or holdMs
      db.exec('COMMIT');
      db.close();
    `;
    const worker = new Worker(code, { eval: true, workerData: { bs: require.resolve('better-sqlite3'), path: p, sab: locked.buffer, holdMs } });
    const done = new Promise<number>((resolve, reject) => {
      worker.on('error', reject);
      worker.on('exit', resolve);
    });
    return { worker, locked, done };
  }

  test("a write waits for the other connection's transaction", async () => {
    const p = freshPath();
    const store = openStore(p, { busyTimeoutMs: 20_000 });
    store.setState('worker', 'not yet');
    const { locked, done } = lockHolder(p, 300);
    assert.equal(Atomics.wait(locked, 0, 0, 20_000), 'ok', 'the worker took the lock');
    // BEGIN IMMEDIATE blocks until the worker commits; inside, its write is visible.
    const seen = store.write(() => store.getState('worker'));
    assert.equal(seen, 'committed');
    assert.equal(await done, 0);
    store.close();
  });

  test('a write that waits longer than the busy timeout fails clearly and changes nothing', async () => {
    const p = freshPath();
    const store = openStore(p, { busyTimeoutMs: 50 });
    // the worker holds the lock until released (20 s at most), not for a fixed time
    const { locked, done } = lockHolder(p, 20_000);
    assert.equal(Atomics.wait(locked, 0, 0, 20_000), 'ok');
    assert.throws(() => store.setState('mine', '1'), /busy/);
    Atomics.store(locked, 0, 2);
    Atomics.notify(locked, 0);
    assert.equal(await done, 0);
    assert.equal(store.getState('worker'), 'committed');
    assert.equal(store.getState('mine'), null);
    store.setState('mine', '2');
    assert.equal(store.getState('mine'), '2');
    store.close();
  });
});

test('readDayColumns holds the same samples as readDay, as typed columns', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fb-cols-'));
  try {
    const store = openStore(join(dir, 's.db'));
    const key: SeriesKey = { account: 'a', metric: 'heart_rate', source: 'Inspire 3' };
    const day = utcDay(Date.UTC(2026, 3, 6));
    const samples: Sample[] = [];
    for (let i = 0; i < 500; i++) samples.push({ t: dayStart(day) + i * 7_000 + (i % 3), offset: -240, v: 60 + (i % 40) });
    store.write(() => store.writeSamples(key, samples, { exportMs: 1 }));
    const cols = store.readDayColumns(key, day);
    const objs = store.readDay(key, day);
    assert.equal(cols.n, 500);
    assert.deepEqual(
      objs.map((s) => s.t),
      [...cols.t],
    );
    assert.deepEqual(
      objs.map((s) => s.v),
      [...cols.v],
    );
    assert.deepEqual(
      objs.map((s) => s.offset),
      [...cols.offset],
    );
    assert.equal(store.readDayColumns(key, day + 1).n, 0);
    assert.equal(store.readDayColumns({ ...key, source: 'nope' }, day).n, 0);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
