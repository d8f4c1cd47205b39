/**
 * One session per physical sleep (issue 9): UserSleeps / UserSleepStages list each sleep once per
 * algorithm_version (same or different sleep_id; v2 starting minutes or hours later; same start),
 * a nap only in UserSleeps, JSON logs equal to v1 (local time, read in the profile zone), the API's
 * session of the same night, both settings, re-import repair of an older store.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/store/schema.js';
import { openStore } from '../../src/store/store.js';
import type { SessionRecord, SleepStage, Store, StoredSession } from '../../src/store/types.js';
import { sleepDayFigures, type SleepDayFigure } from '../../src/reconcile/sleep.js';
import { sessionDaily } from '../../src/sinks/remote-write/series.js';
import { sleepStageChunks } from '../../src/sinks/remote-write/sleep-stages.js';
import { computeLatest } from '../../src/sinks/latest.js';
import { formatSummary } from '../../src/sources/takeout/import.js';
import { dayNumber } from '../../src/time/index.js';
import { Tmp, dumpStore, makeExport, runImport } from './helpers.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDump } from '../../src/sinks/dump/dump.js';
import { silentLogger } from '../../src/util/log.js';

const tmp = new Tmp();
after(() => tmp.cleanup());

const TZ = 'America/New_York';
const SLEEPS_HEADER =
  'sleep_id,sleep_type,minutes_in_sleep_period,minutes_after_wake_up,minutes_to_fall_asleep,minutes_asleep,minutes_awake,minutes_longest_awakening,minutes_to_persistent_sleep,start_utc_offset,sleep_start,end_utc_offset,sleep_end,data_source,algorithm_version,sleep_created,sleep_last_updated';
const STAGES_HEADER =
  'sleep_id,sleep_stage_id,sleep_stage_type,start_utc_offset,sleep_stage_start,end_utc_offset,sleep_stage_end,data_source,algorithm_version,sleep_stage_created,sleep_stage_last_updated';

/** [sleep id, version number, type, start, end (UTC, 2026-04-DDTHH:MM)] */
type SleepRow = [string, number, string, string, string];
/** [sleep id, version number, stage, start, end] */
type StageRow = [string, number, string, string, string];

const utc = (s: string): string => `${s.replace('T', ' ')}:00+0000`;
const SLEEPS: SleepRow[] = [
  // night A (woke up 2026-04-12): one sleep_id for both versions, v2 ten minutes later
  ['100', 1, 'STAGES', '2026-04-12T03:00', '2026-04-12T10:00'],
  ['100', 2, 'STAGES', '2026-04-12T03:10', '2026-04-12T10:05'],
  // night B (2026-04-13): different ids, v2 starts 2.5 h later
  ['200', 1, 'STAGES', '2026-04-13T03:30', '2026-04-13T10:30'],
  ['201', 2, 'STAGES', '2026-04-13T06:00', '2026-04-13T10:40'],
  // night C (2026-04-14): one id, both versions start at the same instant
  ['300', 1, 'STAGES', '2026-04-14T04:00', '2026-04-14T10:00'],
  ['300', 2, 'STAGES', '2026-04-14T04:00', '2026-04-14T10:20'],
  // a nap only in UserSleeps (no JSON log), 14:00–14:40 EDT on 2026-04-13
  ['400', 1, 'CLASSIC', '2026-04-13T18:00', '2026-04-13T18:40'],
];
const STAGES: StageRow[] = [
  ['100', 1, 'LIGHT', '2026-04-12T03:00', '2026-04-12T05:00'],
  ['100', 1, 'DEEP', '2026-04-12T05:00', '2026-04-12T07:00'],
  ['100', 1, 'REM', '2026-04-12T07:00', '2026-04-12T09:30'],
  ['100', 1, 'AWAKE', '2026-04-12T09:30', '2026-04-12T10:00'],
  ['100', 2, 'LIGHT', '2026-04-12T03:10', '2026-04-12T05:10'],
  ['100', 2, 'DEEP', '2026-04-12T05:10', '2026-04-12T06:10'],
  ['100', 2, 'REM', '2026-04-12T06:10', '2026-04-12T09:50'],
  ['100', 2, 'AWAKE', '2026-04-12T09:50', '2026-04-12T10:05'],
  ['200', 1, 'LIGHT', '2026-04-13T03:30', '2026-04-13T06:30'],
  ['200', 1, 'DEEP', '2026-04-13T06:30', '2026-04-13T08:30'],
  ['200', 1, 'AWAKE', '2026-04-13T08:30', '2026-04-13T09:00'],
  ['200', 1, 'REM', '2026-04-13T09:00', '2026-04-13T10:30'],
  ['201', 2, 'DEEP', '2026-04-13T06:00', '2026-04-13T08:00'],
  ['201', 2, 'LIGHT', '2026-04-13T08:00', '2026-04-13T10:40'],
  ['300', 1, 'LIGHT', '2026-04-14T04:00', '2026-04-14T07:00'],
  ['300', 1, 'REM', '2026-04-14T07:00', '2026-04-14T09:30'],
  ['300', 1, 'AWAKE', '2026-04-14T09:30', '2026-04-14T10:00'],
  ['300', 2, 'DEEP', '2026-04-14T04:00', '2026-04-14T06:00'],
  ['300', 2, 'LIGHT', '2026-04-14T06:00', '2026-04-14T10:00'],
  ['300', 2, 'AWAKE', '2026-04-14T10:00', '2026-04-14T10:20'],
  ['400', 1, 'ASLEEP', '2026-04-13T18:00', '2026-04-13T18:30'],
  ['400', 1, 'RESTLESS', '2026-04-13T18:30', '2026-04-13T18:35'],
  ['400', 1, 'ASLEEP', '2026-04-13T18:35', '2026-04-13T18:40'],
];

function sleepsCsv(rows: SleepRow[] = SLEEPS): string {
  return [
    SLEEPS_HEADER,
    ...rows.map(
      ([id, v, type, s, e]) =>
        `${id},${type},0,0,0,0,0,0,0,-04:00,${utc(s)},-04:00,${utc(e)},Inspire 3,sleep_session_v${v},2026-04-15 00:00:00+0000,2026-04-15 00:00:00+0000`,
    ),
  ].join('\n');
}
function stagesCsv(rows: StageRow[] = STAGES): string {
  return [
    STAGES_HEADER,
    ...rows.map(
      ([id, v, stage, s, e], i) =>
        `${id},${i + 1},${stage},-04:00,${utc(s)},-04:00,${utc(e)},Inspire 3,sleep_stages_v${v},2026-04-15 00:00:00+0000,2026-04-15 00:00:00+0000`,
    ),
  ].join('\n');
}

/** UTC "2026-04-12T03:00" → local New York (EDT, −4 h) "2026-04-11T23:00:00.000". */
function local(s: string): string {
  return new Date(Date.parse(`${s}:00Z`) - 4 * 3_600_000).toISOString().slice(0, 23);
}

/** The JSON sleep log equal to a v1 sleep (local time), with its stages as levels.data. */
function jsonLog(id: string, logId: number): Record<string, unknown> {
  const row = SLEEPS.find((r) => r[0] === id && r[1] === 1)!;
  const stages = STAGES.filter((r) => r[0] === id && r[1] === 1);
  const level = (x: string): string => (x === 'AWAKE' ? 'wake' : x.toLowerCase());
  return {
    logId,
    dateOfSleep: local(row[4]).slice(0, 10),
    startTime: local(row[3]),
    endTime: local(row[4]),
    duration: Date.parse(`${row[4]}:00Z`) - Date.parse(`${row[3]}:00Z`),
    minutesAsleep: 0,
    type: 'stages',
    logType: 'auto_detected',
    mainSleep: true,
    levels: {
      summary: {},
      data: stages.map(([, , st, s, e]) => ({ dateTime: local(s), level: level(st), seconds: (Date.parse(`${e}:00Z`) - Date.parse(`${s}:00Z`)) / 1000 })),
      shortData: [],
    },
  };
}

const FILES = {
  sleeps: 'Health Fitness Data_GoogleData/UserSleeps_2026-04-01.csv',
  stages: 'Health Fitness Data_GoogleData/UserSleepStages_2026-04-01.csv',
  json: 'Global Export Data/sleep-2026-04-11.json',
};

function exportFolder(name: string, parts: (keyof typeof FILES)[] = ['sleeps', 'stages', 'json']): string {
  const files: Record<string, string> = {};
  if (parts.includes('sleeps')) files[FILES.sleeps] = sleepsCsv();
  if (parts.includes('stages')) files[FILES.stages] = stagesCsv();
  if (parts.includes('json')) files[FILES.json] = JSON.stringify([jsonLog('100', 9001), jsonLog('200', 9002), jsonLog('300', 9003)]);
  return makeExport(tmp, name, files);
}

const D12 = dayNumber('2026-04-12');
const D13 = dayNumber('2026-04-13');
const D14 = dayNumber('2026-04-14');
const DAYS = [D12 - 1, D12, D13, D14, D14 + 1];

type Fig = [string, SleepDayFigure['kind'], number, Partial<Record<SleepStage, number>>];
const H = 3600;
const M = 60;
/** Per-day figures of the chosen v2 sessions (newest) and of the JSON logs = v1 (legacy). */
const NEWEST: Fig[] = [
  ['2026-04-12', 'main', 2 * H + 1 * H + 3 * H + 40 * M, { light: 2 * H, deep: 1 * H, rem: 3 * H + 40 * M, wake: 15 * M }],
  ['2026-04-13', 'main', 2 * H + 2 * H + 40 * M, { deep: 2 * H, light: 2 * H + 40 * M }],
  ['2026-04-13', 'nap', 35 * M, { asleep: 35 * M, restless: 5 * M }],
  ['2026-04-14', 'main', 6 * H, { deep: 2 * H, light: 4 * H, wake: 20 * M }],
];
const LEGACY: Fig[] = [
  ['2026-04-12', 'main', 6.5 * H, { light: 2 * H, deep: 2 * H, rem: 2.5 * H, wake: 30 * M }],
  ['2026-04-13', 'main', 6.5 * H, { light: 3 * H, deep: 2 * H, rem: 1.5 * H, wake: 30 * M }],
  ['2026-04-13', 'nap', 35 * M, { asleep: 35 * M, restless: 5 * M }],
  ['2026-04-14', 'main', 5.5 * H, { light: 3 * H, rem: 2.5 * H, wake: 30 * M }],
];

function figures(store: Store): Fig[] {
  return sleepDayFigures(store, 'me', DAYS).map((f) => [new Date(f.day * 86_400_000).toISOString().slice(0, 10), f.kind, f.asleepSeconds, f.stageSeconds]);
}

function assertNoOverlap(s: StoredSession): void {
  const segs = [...s.segments].sort((a, b) => a.start - b.start);
  for (let i = 1; i < segs.length; i++) assert.ok(segs[i]!.start >= segs[i - 1]!.end, `stage rows of ${s.layer} ${s.version} ${s.externalId} overlap`);
  for (const g of segs) assert.ok(g.start >= s.start && g.end <= s.end, `stage of ${s.version} ${s.externalId} outside its session`);
}

describe('sleep versions: one session per physical sleep', async () => {
  const store = tmp.store();
  const summary = await runImport(store, [exportFolder('all')], { timezone: TZ });

  it('stores every version: 3 JSON logs + 7 UserSleeps rows; stage rows of each version apart, never overlapping', () => {
    const all = store.sessions('me', 'sleep', undefined, undefined, { resolve: false });
    assert.equal(all.filter((s) => s.layer === 'takeout-json').length, 3);
    const csv = all.filter((s) => s.layer === 'takeout-csv');
    assert.deepEqual(csv.map((s) => `${s.externalId}/${s.version}`).sort(), [
      '100/sleep_session_v1',
      '100/sleep_session_v2',
      '200/sleep_session_v1',
      '201/sleep_session_v2',
      '300/sleep_session_v1',
      '300/sleep_session_v2',
      '400/sleep_session_v1',
    ]);
    for (const s of all) assertNoOverlap(s);
    const a2 = csv.find((s) => s.externalId === '100' && s.version === 'sleep_session_v2')!;
    assert.deepEqual(
      a2.segments.map((g) => g.stage),
      ['light', 'deep', 'rem', 'wake'],
    );
    assert.equal(a2.segments[0]!.start, Date.parse('2026-04-12T03:10:00Z'));
  });

  it('the JSON logs (local time, read in the profile zone) start at the v1 instants', () => {
    const all = store.sessions('me', 'sleep', undefined, undefined, { resolve: false });
    for (const j of all.filter((s) => s.layer === 'takeout-json')) {
      assert.ok(
        all.some((c) => c.layer === 'takeout-csv' && c.version === 'sleep_session_v1' && c.start === j.start && c.end === j.end),
        `JSON ${j.externalId}`,
      );
    }
  });

  it('newest (default): the v2 sessions and the nap are chosen, main/nap decided, never overlapping', () => {
    const chosen = store.sessions('me', 'sleep');
    assert.deepEqual(
      chosen.map((s) => [s.externalId, s.version, s.mainSleep]),
      [
        ['100', 'sleep_session_v2', true],
        ['201', 'sleep_session_v2', true],
        ['400', 'sleep_session_v1', false],
        ['300', 'sleep_session_v2', true],
      ],
    );
    for (let i = 1; i < chosen.length; i++) assert.ok(chosen[i]!.start >= chosen[i - 1]!.end);
    assert.deepEqual(figures(store), NEWEST);
  });

  it('the import summary says how many physical sleeps and alternatives', () => {
    assert.deepEqual(summary.sleep, { physical: 4, main: 3, naps: 1, stored: 10, alternatives: 6, version: 'newest', repaired: 0 });
    assert.match(
      formatSummary(summary),
      /Sleep: 4 physical sleep\(s\) \(3 main, 1 nap session\(s\) counted\) from 10 stored session\(s\); version counted: newest/,
    );
  });

  it('legacy: the JSON logs count (v1), the nap only in UserSleeps still counts; switching back restores newest', () => {
    const seq = store.currentSeq();
    assert.equal(store.setSleepVersion('legacy'), true);
    // every sleep took a new change sequence: sinks re-send the nights
    assert.equal(store.changedSessions(seq).filter((s) => s.kind === 'sleep').length, 10);
    assert.deepEqual(
      store.sessions('me', 'sleep').map((s) => [s.layer, s.externalId, s.mainSleep]),
      [
        ['takeout-json', '9001', true],
        ['takeout-json', '9002', true],
        ['takeout-csv', '400', false],
        ['takeout-json', '9003', true],
      ],
    );
    assert.deepEqual(figures(store), LEGACY);
    assert.equal(store.setSleepVersion('legacy'), false);
    assert.equal(store.setSleepVersion('newest'), true);
    assert.deepEqual(figures(store), NEWEST);
  });

  it('file order does not matter (stages first, JSON first, separate runs)', async () => {
    const s2 = tmp.store();
    await runImport(s2, [exportFolder('stages-only', ['stages'])], { timezone: TZ });
    await runImport(s2, [exportFolder('json-only', ['json'])], { timezone: TZ });
    await runImport(s2, [exportFolder('sleeps-only', ['sleeps'])], { timezone: TZ });
    assert.deepEqual(dumpStore(s2), dumpStore(store));
    assert.deepEqual(figures(s2), NEWEST);
  });

  it('re-importing the same export changes nothing', async () => {
    const before = dumpStore(store);
    const seq = store.currentSeq();
    await runImport(store, [exportFolder('again')], { timezone: TZ });
    assert.deepEqual(dumpStore(store), before);
    assert.equal(store.currentSeq(), seq);
  });

  it('TSDB per-day series: sleep="main"|"nap" and per stage from the chosen version; exercise has no source label', () => {
    const pts = sessionDaily(store, 'me', 'sleep', [D13]);
    const get = (name: string, labels: Record<string, string>): number | undefined =>
      pts.find((p) => {
        const l = Object.fromEntries(p.labels);
        return l.__name__ === name && Object.entries(labels).every(([k, v]) => l[k] === v) && Object.keys(l).length === Object.keys(labels).length + 2;
      })?.v;
    assert.equal(get('fitbit_history_daily_sleep_seconds', { sleep: 'main' }), NEWEST[1]![2]);
    assert.equal(get('fitbit_history_daily_sleep_seconds', { sleep: 'nap' }), 35 * M);
    assert.equal(get('fitbit_history_daily_sleep_stage_seconds', { sleep: 'main', stage: 'deep' }), 2 * H);
    assert.equal(get('fitbit_history_daily_sleep_stage_seconds', { sleep: 'nap', stage: 'restless' }), 5 * M);
    // a stage only the alternatives have that day is sent as 0 (overwrites a value sent before a choice changed)
    assert.equal(get('fitbit_history_daily_sleep_stage_seconds', { sleep: 'main', stage: 'rem' }), 0);
    for (const p of pts) assert.ok(!p.labels.some(([k]) => k === 'source'));
    // stamped at local midnight
    assert.equal(pts[0]!.t, Date.parse('2026-04-13T04:00:00Z'));
    const ex: SessionRecord = {
      account: 'me',
      kind: 'exercise',
      source: 'Inspire 3',
      layer: 'takeout-csv',
      start: Date.parse('2026-04-13T21:00:00Z'),
      startOffset: -240,
      end: Date.parse('2026-04-13T21:30:00Z'),
      endOffset: -240,
      segments: [],
      details: {},
    };
    const s = tmp.store();
    s.upsertSession(ex);
    s.upsertSession({ ...ex, source: 'Fitbit App', start: ex.start + 3_600_000, end: ex.end + 3_600_000 });
    const e = sessionDaily(s, 'me', 'exercise', [D13]);
    assert.deepEqual(
      e.map((p) => [p.labels, p.v]),
      [
        [
          [
            ['__name__', 'fitbit_history_daily_exercise_seconds'],
            ['account', 'me'],
          ],
          3600,
        ],
      ],
    );
  });

  it('sleep-stage history: chosen sessions only, no minute twice', () => {
    const chunks = sleepStageChunks(store, 'me');
    assert.equal(chunks.length, 1);
    const t = Array.from(chunks[0]!.t);
    assert.equal(new Set(t).size, t.length);
    let minutes = 0;
    for (const s of store.sessions('me', 'sleep')) for (const g of s.segments) minutes += (g.end - g.start) / 60_000;
    assert.equal(t.length, minutes);
    assert.ok(!t.includes(Date.parse('2026-04-12T03:05:00Z')), 'a minute only v1 has');
  });

  it('dump: sleep files show the chosen sessions with main/nap; --sleep-alternatives adds every version', async () => {
    const dir = tmp.mkdir('dump');
    await runDump({ store, dir, format: 'csv', logger: silentLogger() });
    const d13 = readFileSync(join(dir, 'sleep/2026-04-13.csv'), 'utf8').trimEnd().split('\n');
    assert.deepEqual(d13, [
      'start,end,stage,source,sleep',
      '2026-04-13T02:00:00-04:00,2026-04-13T04:00:00-04:00,deep,Inspire 3,main',
      '2026-04-13T04:00:00-04:00,2026-04-13T06:40:00-04:00,light,Inspire 3,main',
      '2026-04-13T14:00:00-04:00,2026-04-13T14:30:00-04:00,asleep,Inspire 3,nap',
      '2026-04-13T14:30:00-04:00,2026-04-13T14:35:00-04:00,restless,Inspire 3,nap',
      '2026-04-13T14:35:00-04:00,2026-04-13T14:40:00-04:00,asleep,Inspire 3,nap',
    ]);
    await runDump({ store, dir, format: 'csv', logger: silentLogger(), sleepAlternatives: true });
    const alt = readFileSync(join(dir, 'sleep/2026-04-13.csv'), 'utf8').trimEnd().split('\n');
    assert.equal(alt[0], 'start,end,stage,source,sleep,version,chosen');
    assert.equal(alt.length, 1 + 2 + 3 + 4 + 4, 'v2 (chosen), the nap, v1 and the JSON log');
    assert.ok(alt.includes('2026-04-13T02:00:00-04:00,2026-04-13T04:00:00-04:00,deep,Inspire 3,main,sleep_session_v2,true'));
    assert.ok(alt.includes('2026-04-12T23:30:00-04:00,2026-04-13T02:30:00-04:00,light,Inspire 3,,sleep_session_v1,false'));
    assert.ok(alt.includes('2026-04-12T23:30:00-04:00,2026-04-13T02:30:00-04:00,light,Fitbit sleep log,main,json log,false'));
  });

  it("MQTT sleep_duration: last night's main sleep figure", () => {
    const l = computeLatest(store, 'me', { now: Date.parse('2026-04-12T16:00:00Z'), timezone: TZ });
    assert.equal(l.values.sleep_duration.value, NEWEST[0]![2] / 60);
    assert.equal(l.values.sleep_duration.at, Date.parse('2026-04-12T10:05:00Z'));
    const evening = computeLatest(store, 'me', { now: Date.parse('2026-04-13T23:00:00Z'), timezone: TZ });
    assert.equal(evening.values.sleep_duration.value, NEWEST[1]![2] / 60, 'the nap is not last night');
  });
});

describe('sleep versions: the Google Health API session of a night Takeout has is the same sleep', async () => {
  const store = tmp.store();
  await runImport(store, [exportFolder('api')], { timezone: TZ });
  const apiNight: SessionRecord = {
    account: 'me',
    kind: 'sleep',
    source: 'Inspire 3',
    layer: 'api',
    start: Date.parse('2026-04-12T03:05:00Z'),
    startOffset: -240,
    end: Date.parse('2026-04-12T10:05:00Z'),
    endOffset: -240,
    mainSleep: true,
    segments: [
      { start: Date.parse('2026-04-12T03:05:00Z'), end: Date.parse('2026-04-12T08:05:00Z'), stage: 'light' },
      { start: Date.parse('2026-04-12T08:05:00Z'), end: Date.parse('2026-04-12T10:05:00Z'), stage: 'deep' },
    ],
    details: {},
  };
  store.upsertSession(apiNight);

  it('newest: the API session is the figure of that night, once', () => {
    const f = sleepDayFigures(store, 'me', [D12]);
    assert.deepEqual(
      f.map((x) => [x.kind, x.asleepSeconds, x.sessions]),
      [['main', 7 * H, 1]],
    );
    assert.deepEqual(
      store.sessions('me', 'sleep', Date.parse('2026-04-12T00:00:00Z'), Date.parse('2026-04-12T12:00:00Z')).map((s) => s.layer),
      ['api'],
    );
  });

  it('legacy: the JSON log is; still one figure', () => {
    store.setSleepVersion('legacy');
    const f = sleepDayFigures(store, 'me', [D12]);
    assert.deepEqual(
      f.map((x) => [x.kind, x.asleepSeconds, x.sessions]),
      [['main', 6.5 * H, 1]],
    );
    store.setSleepVersion('newest');
  });

  it('an API session without mainSleep inherits it from the Takeout versions of the same sleep', () => {
    store.upsertSession({ ...apiNight, mainSleep: null });
    assert.deepEqual(
      store
        .sessions('me', 'sleep')
        .filter((s) => s.layer === 'api')
        .map((s) => s.mainSleep),
      [true],
    );
  });
});

describe('sleep versions: a store written by an older fitbit-bridge', async () => {
  /** The rows an older import left: one row per (sleep id, start), stages of both versions merged. */
  function oldStore(): string {
    const path = tmp.dbPath();
    const db = new Database(path);
    MIGRATIONS[0]!(db);
    MIGRATIONS[1]!(db);
    db.pragma('user_version = 2');
    const ins = db.prepare(
      `INSERT INTO sessions (account, kind, source, layer, start, start_offset, "end", end_offset, external_id, main_sleep, segments, details, seq)
       VALUES ('me', 'sleep', 'Inspire 3', 'takeout-csv', ?, -240, ?, -240, ?, NULL, ?, ?, ?)`,
    );
    const at = (s: string): number => Date.parse(`${s}:00Z`);
    const segs = (id: string): string =>
      JSON.stringify(
        STAGES.filter((r) => r[0] === id)
          .map(([, , st, s, e]) => ({ start: at(s), end: at(e), stage: st === 'AWAKE' ? 'wake' : st.toLowerCase() }))
          .sort((a, b) => a.start - b.start),
      );
    let seq = 0;
    // night A: a row per version start, the stages of both versions merged into the last one
    ins.run(at('2026-04-12T03:00'), at('2026-04-12T10:00'), '100', '[]', JSON.stringify({ algorithm_version: 'sleep_session_v1' }), ++seq);
    ins.run(at('2026-04-12T03:10'), at('2026-04-12T10:05'), '100', segs('100'), JSON.stringify({ algorithm_version: 'sleep_session_v2' }), ++seq);
    // night C: both versions at one start collapsed into one row (the later one), stages merged
    ins.run(at('2026-04-14T04:00'), at('2026-04-14T10:20'), '300', segs('300'), JSON.stringify({ algorithm_version: 'sleep_session_v2' }), ++seq);
    db.prepare(`UPDATE counters SET value = ? WHERE name = 'seq'`).run(seq);
    db.close();
    return path;
  }

  it('after the upgrade (no re-import): one session per physical sleep, no minute counted twice', () => {
    const store = openStore(oldStore());
    try {
      const all = store.sessions('me', 'sleep', undefined, undefined, { resolve: false });
      assert.deepEqual(
        all.map((s) => s.version),
        ['sleep_session_v1', 'sleep_session_v2', 'sleep_session_v2'],
      );
      const chosen = store.sessions('me', 'sleep');
      assert.equal(chosen.length, 2);
      for (const s of chosen) assertNoOverlap(s);
      for (const f of sleepDayFigures(store, 'me', DAYS)) {
        const total = Object.values(f.stageSeconds).reduce((a, b) => a + b, 0);
        const s = chosen.find((x) => Math.floor((x.end - 4 * 3_600_000) / 86_400_000) === f.day)!;
        assert.ok(total <= (s.end - s.start) / 1000, 'stages cover each instant once');
      }
      // the sinks re-send these nights
      assert.ok(store.changedSessions(3).length === 3);
    } finally {
      store.close();
    }
  });

  it('re-importing the export repairs it: the same store content and figures as a fresh import', async () => {
    const store = openStore(oldStore());
    try {
      const r = await runImport(store, [exportFolder('repair')], { timezone: TZ });
      assert.equal(r.sleep?.repaired, 2, "the rows holding both versions' stages (nights A and C)");
      assert.match(formatSummary(r), /2 row\(s\) of an older import replaced/);
      const fresh = tmp.store();
      await runImport(fresh, [exportFolder('fresh')], { timezone: TZ });
      assert.deepEqual(dumpStore(store), dumpStore(fresh));
      assert.deepEqual(figures(store), NEWEST);
      for (const s of store.sessions('me', 'sleep', undefined, undefined, { resolve: false })) assertNoOverlap(s);
    } finally {
      store.close();
    }
  });
});
