import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LEGACY_JSON_SOURCE } from '../../src/store/types.js';
import { ArchiveError } from '../../src/sources/takeout/archive.js';
import { formatSummary } from '../../src/sources/takeout/import.js';
import { prefetchedEntries } from '../../src/sources/takeout/prefetch.js';
import { classify } from '../../src/sources/takeout/files.js';
import {
  FIXTURE,
  NEW_EXPORT,
  OLD_EXPORT,
  ROOT,
  Tmp,
  copyFixture,
  dumpStore,
  fixtureFiles,
  makeExport,
  runImport,
  samplesOf,
  tgzFolder,
  zipFolder,
} from './helpers.js';

const L = LEGACY_JSON_SOURCE;
const tmp = new Tmp();
after(() => tmp.cleanup());

const isJsonLayer = (rel: string): boolean =>
  rel.includes('/Global Export Data/') || /Heart Rate Variability\/|Oxygen Saturation|Temperature\/|Active Zone Minutes \(AZM\)/.test(rel);
const isProfile = (rel: string): boolean => rel.includes('Your Profile/');

describe('takeout import: golden fixture (every file kind)', async () => {
  const store = tmp.store();
  const archive = copyFixture(tmp, OLD_EXPORT);
  const s = await runImport(store, [archive]);

  it('counts files: known, no-data, unknown, readme ignored', () => {
    assert.equal(s.files.seen, fixtureFiles().length);
    assert.deepEqual(s.files.failed, []);
    assert.equal(s.files.noData, 1); // Biometrics/Blood Pressure.csv, 7 bytes "No data"
    assert.deepEqual([...s.files.unknown].sort(), [`${ROOT}/Global Export Data/badge.json`, `${ROOT}/Paired Devices/Paired Devices.csv`]);
    assert.equal(s.files.imported, fixtureFiles().length - 1 /* no data */ - 2 /* unknown */ - 1 /* readme */);
    assert.equal(s.exitCode, 0);
    assert.equal(s.profileId, '9ABCDE');
    assert.deepEqual(s.zone, { name: 'America/New_York', from: 'profile' });
  });

  it('says which zone was used for which files', () => {
    const local = s.zoneUse.find((z) => z.startsWith('local time')) ?? '';
    assert.match(local, /America\/New_York/);
    for (const k of ['calories JSON', 'sleep JSON', 'weight JSON', 'Heart Rate Variability Details', 'Active Zone Minutes (AZM)', 'Computed Temperature'])
      assert.ok(local.includes(k), k);
    const utc = s.zoneUse.find((z) => z.startsWith('UTC stamps, offsets')) ?? '';
    for (const k of ['heart_rate JSON', 'steps JSON', 'distance JSON', 'altitude JSON', 'exercise JSON', 'heart_rate CSV']) assert.ok(utc.includes(k), k);
    assert.ok(s.zoneUse.some((z) => z.includes('explicit offsets') && z.includes('UserSleeps')));
  });

  it('heart rate: JSON (UTC) matched to CSV samples are stored once under the CSV source', () => {
    assert.deepEqual(samplesOf(store, 'heart_rate', 'Inspire 3'), [
      ['2026-04-06T04:00:00.000Z', -240, 63],
      ['2026-04-06T04:00:05.000Z', -240, 64],
      ['2026-04-06T04:00:15.000Z', -240, 66],
    ]);
    assert.deepEqual(samplesOf(store, 'heart_rate', L), [['2026-04-06T04:00:10.000Z', -240, 65]]);
  });

  it('steps: one series per data source, zero minutes only in the JSON layer', () => {
    assert.deepEqual(samplesOf(store, 'steps', 'Inspire 3'), [
      ['2026-04-06T04:01:00.000Z', -240, 12],
      ['2026-04-06T04:02:00.000Z', -240, 30],
    ]);
    assert.deepEqual(samplesOf(store, 'steps', 'Fitbit App'), [['2026-04-06T04:03:00.000Z', -240, 5]]);
    assert.deepEqual(samplesOf(store, 'steps', L), [['2026-04-06T04:00:00.000Z', -240, 0]]);
  });

  it('distance cm → m, altitude ft / mm → m, floors', () => {
    assert.deepEqual(samplesOf(store, 'distance', 'Inspire 3'), [['2026-04-06T04:01:00.000Z', -240, 9.2]]);
    assert.deepEqual(samplesOf(store, 'distance', L), [['2026-04-06T04:00:00.000Z', -240, 0]]);
    assert.deepEqual(samplesOf(store, 'altitude', 'Inspire 3'), [['2026-04-06T04:02:00.000Z', -240, 3.048]]);
    assert.deepEqual(samplesOf(store, 'altitude', L), [['2026-04-06T04:01:00.000Z', -240, 0]]);
    assert.deepEqual(samplesOf(store, 'floors', 'Inspire 3'), [['2026-04-06T04:02:00.000Z', -240, 1]]);
  });

  it('calories JSON is LOCAL: 04/05/26 22:43 EDT = the CSV 2026-04-06T02:43Z sample', () => {
    assert.deepEqual(samplesOf(store, 'calories', 'Inspire 3'), [
      ['2026-04-06T02:43:00.000Z', -240, 0.8],
      ['2026-04-06T02:44:00.000Z', -240, 1.25],
    ]);
    assert.deepEqual(samplesOf(store, 'calories', L), []);
  });

  it('resting heart rate: the null day is no sample; daily values sit at local midnight', () => {
    assert.deepEqual(samplesOf(store, 'resting_heart_rate', 'Inspire 3'), [['2026-04-05T04:00:00.000Z', -240, 53]]);
    assert.deepEqual(samplesOf(store, 'resting_heart_rate', L), []);
    assert.equal(s.metrics.resting_heart_rate?.first, '2026-04-05');
    assert.equal(s.metrics.resting_heart_rate?.last, '2026-04-05');
  });

  it('weight JSON in pounds (profile unit) matches weight.csv in grams, and the assumption is reported', () => {
    assert.deepEqual(samplesOf(store, 'weight', 'Fitbit App'), [['2026-04-06T03:59:59.000Z', -240, 47.5818]]);
    assert.deepEqual(samplesOf(store, 'weight', L), []);
    assert.ok(s.warnings.some((w) => w.file.endsWith('weight-2026-04-05.json') && /pounds/.test(w.message)));
  });

  it('HRV: CSV → rmssd + sdnn; HRV details (naive LOCAL) → rmssd / coverage / LF / HF', () => {
    assert.deepEqual(samplesOf(store, 'hrv_rmssd', 'Inspire 3'), [['2026-04-14T05:05:00.000Z', -240, 35.2]]);
    assert.deepEqual(samplesOf(store, 'hrv_sdnn', 'Inspire 3'), [['2026-04-14T05:05:00.000Z', -240, 41]]);
    assert.deepEqual(samplesOf(store, 'hrv_rmssd', L), [['2026-04-14T05:10:00.000Z', -240, 33.9]]);
    assert.deepEqual(samplesOf(store, 'hrv_coverage', L), [
      ['2026-04-14T05:05:00.000Z', -240, 0.95],
      ['2026-04-14T05:10:00.000Z', -240, 0.91],
    ]);
    assert.deepEqual(
      samplesOf(store, 'hrv_low_frequency', L).map((x) => x[2]),
      [1200.5, 1100],
    );
    assert.deepEqual(
      samplesOf(store, 'hrv_high_frequency', L).map((x) => x[2]),
      [800.25, 750.5],
    );
  });

  it('SpO2: minute file (Z) and CSV; daily avg / lower / upper from both layers, stored once', () => {
    assert.deepEqual(samplesOf(store, 'spo2', 'Inspire 3'), [['2026-04-14T08:44:03.000Z', -240, 88.5]]);
    assert.deepEqual(samplesOf(store, 'spo2', L), [['2026-04-14T08:45:03.000Z', -240, 90]]);
    const mid = '2026-04-14T04:00:00.000Z';
    assert.deepEqual(samplesOf(store, 'spo2_daily_avg', 'Inspire 3'), [[mid, -240, 95.2]]);
    assert.deepEqual(samplesOf(store, 'spo2_daily_lower', 'Inspire 3'), [[mid, -240, 91]]);
    assert.deepEqual(samplesOf(store, 'spo2_daily_upper', 'Inspire 3'), [[mid, -240, 99]]);
    for (const m of ['spo2_daily_avg', 'spo2_daily_lower', 'spo2_daily_upper']) assert.deepEqual(samplesOf(store, m, L), []);
  });

  it('daily_* CSVs, Daily HRV / Respiratory Rate Summary, Computed Temperature', () => {
    const mid = '2026-04-14T04:00:00.000Z';
    assert.deepEqual(samplesOf(store, 'hrv_daily_rmssd', 'Inspire 3'), [[mid, -240, 36.1]]);
    assert.deepEqual(samplesOf(store, 'hrv_daily_nremhr', 'Inspire 3'), [[mid, -240, 55.2]]);
    assert.deepEqual(samplesOf(store, 'hrv_daily_entropy', 'Inspire 3'), [[mid, -240, 2.9]]);
    assert.deepEqual(samplesOf(store, 'respiratory_rate', 'Inspire 3'), [[mid, -240, 14.8]]);
    assert.deepEqual(samplesOf(store, 'skin_temperature', 'Inspire 3'), [[mid, -240, 34.25]]);
    for (const m of ['hrv_daily_rmssd', 'respiratory_rate', 'skin_temperature']) assert.deepEqual(samplesOf(store, m, L), []);
  });

  it('AZM: Google CSV (Z) and the local AZM file', () => {
    assert.deepEqual(samplesOf(store, 'active_zone_minutes', 'Inspire 3'), [['2026-04-02T17:14:00.000Z', -240, 1]]);
    assert.deepEqual(samplesOf(store, 'active_zone_minutes', L), [['2026-04-02T17:15:00.000Z', -240, 2]]);
  });

  it('sleep JSON (local): stages with shortData wakes splitting the longer segment; classic levels', () => {
    const sl = store.sessions('me', 'sleep', undefined, undefined, { resolve: false }).filter((x) => x.layer === 'takeout-json');
    assert.equal(sl.length, 2);
    const [st, cl] = sl as [(typeof sl)[0], (typeof sl)[0]];
    assert.equal(st.source, 'Fitbit sleep log');
    assert.equal(new Date(st.start).toISOString(), '2026-04-14T08:26:30.000Z');
    assert.equal(new Date(st.end).toISOString(), '2026-04-14T10:00:00.000Z');
    assert.equal(st.startOffset, -240);
    assert.equal(st.externalId, '50123456789');
    assert.equal(st.mainSleep, true);
    const segs = (x: typeof st): string[] =>
      x.segments.map((g) => `${new Date(g.start).toISOString().slice(11, 19)}-${new Date(g.end).toISOString().slice(11, 19)} ${g.stage}`);
    assert.deepEqual(segs(st), [
      '08:26:30-08:43:00 wake',
      '08:43:00-08:50:00 light',
      '08:50:00-08:51:00 wake',
      '08:51:00-09:13:00 light',
      '09:13:00-09:33:00 deep',
      '09:33:00-10:00:00 rem',
    ]);
    assert.equal(st.details.minutesAsleep, 85);
    assert.equal(cl.mainSleep, false);
    assert.deepEqual(segs(cl), ['03:10:00-03:40:00 asleep', '03:40:00-03:50:00 restless', '03:50:00-03:55:00 wake', '03:55:00-04:10:00 asleep']);
  });

  it('UserSleeps + UserSleepStages (explicit offsets) → one CSV-layer session with its stages', () => {
    const cs = store.sessions('me', 'sleep', undefined, undefined, { resolve: false }).filter((x) => x.layer === 'takeout-csv');
    assert.equal(cs.length, 1);
    const c = cs[0]!;
    assert.equal(c.source, 'Inspire 3');
    assert.equal(c.externalId, '7001');
    assert.equal(new Date(c.start).toISOString(), '2026-04-14T08:26:30.000Z');
    assert.equal(c.endOffset, -240);
    assert.deepEqual(
      c.segments.map((g) => g.stage),
      ['wake', 'light', 'deep', 'rem'],
    );
  });

  it('exercise JSON (UTC) and UserExercises → sessions with details', () => {
    const ex = store.sessions('me', 'exercise', undefined, undefined, { resolve: false });
    const j = ex.find((x) => x.layer === 'takeout-json')!;
    const c = ex.find((x) => x.layer === 'takeout-csv')!;
    assert.equal(new Date(j.start).toISOString(), '2026-04-06T21:00:38.000Z');
    assert.equal(j.end - j.start, 2_700_000);
    assert.equal(j.startOffset, -240);
    assert.equal(j.details.activityName, 'Walk');
    assert.equal(j.details.calories, 210);
    assert.equal(j.details.steps, 4500);
    assert.equal(j.details.averageHeartRate, 112);
    assert.equal(j.details.distance, 3.4);
    assert.equal(j.details.distanceUnit, 'Kilometer');
    assert.equal(j.details.duration, 2_700_000);
    assert.equal(c.start, j.start);
    assert.equal(c.end, j.end);
    assert.equal(c.source, 'Inspire 3');
    assert.equal(c.details.distance, 3.4);
  });

  it('summary: counts and the human table', () => {
    assert.equal(s.metrics.heart_rate?.added, 4);
    assert.equal(s.metrics.steps?.added, 4);
    assert.equal(s.metrics.calories?.added, 2);
    assert.equal(s.metrics.calories?.first, '2026-04-05');
    assert.ok(s.dedupedJsonSamples >= 19);
    const text = formatSummary(s);
    assert.match(text, /heart_rate\s+4\s+0\s+0\s+2026-04-06\s+2026-04-06/);
    assert.match(text, /badge\.json/);
    assert.match(text, /America\/New_York/);
  });
});

describe('takeout import: time zones, dedup order, idempotence', () => {
  it('a UTC-stamped layer and a local-stamped layer give the same instants AND values', async () => {
    const a = tmp.store(),
      b = tmp.store();
    await runImport(a, [copyFixture(tmp, 'json-only', (r) => isJsonLayer(r) || isProfile(r))]);
    await runImport(b, [copyFixture(tmp, 'csv-only', (r) => !isJsonLayer(r))]);
    const pairs: [string, string][] = [
      ['calories', 'Inspire 3'],
      ['weight', 'Fitbit App'],
      ['resting_heart_rate', 'Inspire 3'],
      ['hrv_daily_rmssd', 'Inspire 3'],
      ['spo2_daily_avg', 'Inspire 3'],
      ['respiratory_rate', 'Inspire 3'],
      ['skin_temperature', 'Inspire 3'],
    ];
    for (const [m, src] of pairs) {
      const j = samplesOf(a, m, L),
        c = samplesOf(b, m, src);
      assert.equal(j.length, c.length, m);
      j.forEach((x, i) => {
        assert.equal(x[0], c[i]![0], `${m} instant`);
        assert.equal(x[1], c[i]![1], `${m} offset`);
        assert.ok(Math.abs(x[2] - c[i]![2]) <= 0.05, `${m} value ${x[2]} vs ${c[i]![2]}`);
      });
    }
    // UTC layers, matched minutes (non-zero ones)
    for (const [m, src] of [
      ['heart_rate', 'Inspire 3'],
      ['distance', 'Inspire 3'],
      ['altitude', 'Inspire 3'],
      ['hrv_rmssd', 'Inspire 3'],
      ['spo2', 'Inspire 3'],
    ] as const) {
      const c = samplesOf(b, m, src);
      const j = new Map(samplesOf(a, m, L).map((x) => [x[0], x[2]]));
      for (const x of c) assert.ok(Math.abs((j.get(x[0]) ?? NaN) - x[2]) <= 0.01 || !j.has(x[0]), `${m} ${x[0]}`);
      assert.ok(
        c.some((x) => j.has(x[0])),
        `${m}: some instants shared`,
      );
    }
  });

  it('JSON/CSV dedup is order-independent (json-first = csv-first = all at once)', async () => {
    const jsonPart = copyFixture(tmp, 'takeout-20260415T120000Z-json', (r) => isJsonLayer(r) || isProfile(r));
    const csvPart = copyFixture(tmp, 'takeout-20260415T120000Z-csv', (r) => !isJsonLayer(r));
    const s1 = tmp.store(),
      s2 = tmp.store(),
      s3 = tmp.store();
    await runImport(s1, [jsonPart]);
    const r1 = await runImport(s1, [csvPart]);
    await runImport(s2, [csvPart]);
    const r2 = await runImport(s2, [jsonPart]);
    await runImport(s3, [copyFixture(tmp, OLD_EXPORT + '-all')]);
    const d1 = dumpStore(s1),
      d2 = dumpStore(s2),
      d3 = dumpStore(s3);
    assert.deepEqual(d1, d2);
    assert.deepEqual(d1, d3);
    assert.ok(r1.dedupedJsonSamples > 0 && r2.dedupedJsonSamples > 0);
    assert.equal(r1.dedupedJsonSamples, r2.dedupedJsonSamples);
    assert.deepEqual(r1.reconciled, r2.reconciled);
    assert.equal(r1.reconciled.layerDisagreements, 0, 'the golden fixture has no disagreement (test/takeout/reconcile.test.ts has)');
  });

  it('re-import is idempotent: added 0, store sequence unchanged', async () => {
    const store = tmp.store();
    const archive = copyFixture(tmp, 'takeout-20260415T120000Z-re');
    await runImport(store, [archive]);
    const seq = store.currentSeq();
    const before = dumpStore(store);
    const s = await runImport(store, [archive]);
    for (const [m, v] of Object.entries(s.metrics)) {
      assert.equal(v.added, 0, m);
      assert.equal(v.changed, 0, m);
    }
    for (const [k, v] of Object.entries(s.sessions)) assert.equal(v.added, 0, k);
    assert.equal(s.conflicts, 0);
    assert.equal(store.currentSeq(), seq);
    assert.deepEqual(dumpStore(store), before);
  });

  it('stages file before the sleeps file: same session as the other order', async () => {
    const sleeps = readFileSync(join(FIXTURE, ROOT, 'Health Fitness Data_GoogleData/UserSleeps_2026-04-01.csv'));
    const stages = readFileSync(join(FIXTURE, ROOT, 'Health Fitness Data_GoogleData/UserSleepStages_2026-04-01.csv'));
    const a = makeExport(tmp, 'stages-a', { 'Health Fitness Data_GoogleData/UserSleeps_2026-04-01.csv': sleeps });
    const b = makeExport(tmp, 'stages-b', { 'Health Fitness Data_GoogleData/UserSleepStages_2026-04-01.csv': stages });
    const s1 = tmp.store(),
      s2 = tmp.store(),
      s3 = tmp.store();
    await runImport(s1, [a, b], { timezone: 'America/New_York' });
    const r = await runImport(s2, [b, a], { timezone: 'America/New_York' });
    assert.equal(r.warningCount, 0);
    assert.deepEqual(dumpStore(s1), dumpStore(s2));
    // separate runs, stages first
    await runImport(s3, [b], { timezone: 'America/New_York' });
    await runImport(s3, [a], { timezone: 'America/New_York' });
    // stages kept across runs and joined when the sleeps arrive
    assert.deepEqual(dumpStore(s3), dumpStore(s1));
    assert.equal(dumpStore(s1).length, 1);
    assert.deepEqual(
      s1.sessions('me', 'sleep')[0]?.segments.map((g) => g.stage),
      ['wake', 'light', 'deep', 'rem'],
    );
  });

  it('DST: local stamps across the spring-forward gap and the fall-back repeat', async () => {
    const cal = (rows: [string, string][]): string => JSON.stringify(rows.map(([dateTime, value]) => ({ dateTime, value })));
    const archive = makeExport(tmp, 'dst', {
      'Global Export Data/calories-2026-03-08.json': cal([
        ['03/08/26 01:58:00', '1.1'],
        ['03/08/26 01:59:00', '1.2'],
        ['03/08/26 03:00:00', '1.3'],
        ['03/08/26 03:01:00', '1.4'],
      ]),
      'Global Export Data/calories-2026-11-01.json': cal([
        ['11/01/26 00:59:00', '1.0'],
        ['11/01/26 01:00:00', '2.0'],
        ['11/01/26 01:59:00', '3.0'],
        ['11/01/26 01:00:00', '4.0'],
        ['11/01/26 01:59:00', '5.0'],
        ['11/01/26 02:00:00', '6.0'],
      ]),
      'Heart Rate Variability/Heart Rate Variability Details - 2026-11-01.csv':
        'timestamp,rmssd,coverage,low_frequency,high_frequency\n2026-11-01T01:30:00,30.0,0.9,1,1\n2026-11-01T01:55:00,31.0,0.9,1,1\n2026-11-01T01:05:00,32.0,0.9,1,1\n2026-11-01T02:05:00,33.0,0.9,1,1\n',
    });
    const store = tmp.store();
    const s = await runImport(store, [archive], { timezone: 'America/New_York' });
    assert.deepEqual(s.files.failed, []);
    assert.equal(s.zone.from, 'flag');
    assert.deepEqual(samplesOf(store, 'calories', L), [
      ['2026-03-08T06:58:00.000Z', -300, 1.1],
      ['2026-03-08T06:59:00.000Z', -300, 1.2],
      ['2026-03-08T07:00:00.000Z', -240, 1.3],
      ['2026-03-08T07:01:00.000Z', -240, 1.4],
      ['2026-11-01T04:59:00.000Z', -240, 1],
      ['2026-11-01T05:00:00.000Z', -240, 2],
      ['2026-11-01T05:59:00.000Z', -240, 3],
      ['2026-11-01T06:00:00.000Z', -300, 4],
      ['2026-11-01T06:59:00.000Z', -300, 5],
      ['2026-11-01T07:00:00.000Z', -300, 6],
    ]);
    assert.deepEqual(samplesOf(store, 'hrv_rmssd', L), [
      ['2026-11-01T05:30:00.000Z', -240, 30],
      ['2026-11-01T05:55:00.000Z', -240, 31],
      ['2026-11-01T06:05:00.000Z', -300, 32],
      ['2026-11-01T07:05:00.000Z', -300, 33],
    ]);
  });

  it('the --timezone flag wins over Profile.csv', async () => {
    const store = tmp.store();
    const s = await runImport(store, [copyFixture(tmp, 'flag', (r) => r.includes('calories-') || isProfile(r))], { timezone: 'Europe/Berlin' });
    assert.deepEqual(s.zone, { name: 'Europe/Berlin', from: 'flag' });
    // 04/05/26 22:43 CEST = 20:43Z
    assert.equal(samplesOf(store, 'calories', L)[0]?.[0], '2026-04-05T20:43:00.000Z');
    assert.equal(samplesOf(store, 'calories', L)[0]?.[1], 120);
  });

  it('no zone anywhere: local-time files fail with a --timezone hint, UTC files are imported', async () => {
    const store = tmp.store();
    const s = await runImport(store, [copyFixture(tmp, 'nozone', (r) => r.includes('calories-') || r.includes('/heart_rate-'))]);
    assert.equal(s.exitCode, 1);
    assert.equal(s.files.failed.length, 1);
    assert.match(s.files.failed[0]!.file, /calories-2026-04-05\.json$/);
    assert.match(s.files.failed[0]!.error, /--timezone/);
    assert.equal(samplesOf(store, 'heart_rate', L).length, 3);
    assert.equal(samplesOf(store, 'heart_rate', L)[0]?.[1], 0);
    assert.ok(s.zoneUse.some((z) => z.startsWith('NOT imported') && z.includes('calories JSON')));
    // the zone stored for the account is used next time
    store.setAccount({ name: 'me', profileId: null, timezone: 'America/New_York' });
    const s2 = await runImport(store, [copyFixture(tmp, 'nozone2', (r) => r.includes('calories-'))]);
    assert.deepEqual(s2.zone, { name: 'America/New_York', from: 'account' });
    assert.equal(s2.exitCode, 0);
  });
});

describe('takeout import: bad input', () => {
  it('truncated JSON, wrong header, garbage values, empty file, BOM, CRLF, unknown files', async () => {
    const hr = readFileSync(join(FIXTURE, ROOT, 'Global Export Data/heart_rate-2026-04-06.json'), 'utf8');
    const archive = makeExport(tmp, 'bad', {
      'Global Export Data/heart_rate-2026-04-06.json': hr.slice(0, hr.length - 40),
      'Physical Activity_GoogleData/steps_2026-04-01.csv': 'time,foo,data source\n2026-04-06T04:01:00Z,12,Inspire 3\n',
      'Physical Activity_GoogleData/heart_rate_2026-04-07.csv':
        'timestamp,beats per minute,data source\n2026-04-07T04:00:00Z,61.0,Inspire 3\n2026-04-07T04:00:05Z,abc,Inspire 3\nnot-a-time,62.0,Inspire 3\n2026-04-07T04:00:15Z,63.0,Inspire 3\n',
      'Physical Activity_GoogleData/calories_2026-04-01.csv': '',
      'Physical Activity_GoogleData/distance_2026-04-01.csv':
        '\ufefftimestamp,distance,data source\r\n2026-04-06T04:01:00Z,9.2,Inspire 3\r\n2026-04-06T04:02:00Z,10.5,Inspire 3\r\n',
      'Global Export Data/swim_lengths_data-2026-04-05.json': '[]',
      'Mindfulness/Mindfulness Sessions.csv': 'id,start\n1,2026-04-06\n',
      // another key order and a garbage record: the generic JSON reader takes over
      'Global Export Data/steps-2026-04-07.json': '[{"value":"7","dateTime":"04/07/26 04:00:00"},{"dateTime":"04/07/26 04:01:00","value":"x"}]',
    });
    const store = tmp.store();
    const s = await runImport(store, [archive], { timezone: 'America/New_York' });
    assert.equal(s.exitCode, 1);
    const failed = s.files.failed.map((f) => f.file).sort();
    assert.deepEqual(failed, [`${ROOT}/Global Export Data/heart_rate-2026-04-06.json`, `${ROOT}/Physical Activity_GoogleData/steps_2026-04-01.csv`]);
    assert.match(s.files.failed.find((f) => f.file.includes('steps_'))!.error, /header/);
    assert.deepEqual(samplesOf(store, 'heart_rate', L), []); // nothing of the truncated file
    assert.deepEqual(samplesOf(store, 'steps', 'Inspire 3'), []);
    assert.deepEqual(
      samplesOf(store, 'heart_rate', 'Inspire 3').map((x) => x[2]),
      [61, 63],
    );
    const w = s.warnings.filter((x) => x.file.endsWith('heart_rate_2026-04-07.csv'));
    assert.deepEqual(
      w.map((x) => x.line),
      [3, 4],
    );
    assert.ok(s.warningCount >= 2);
    assert.deepEqual(
      samplesOf(store, 'distance', 'Inspire 3').map((x) => x[2]),
      [9.2, 10.5],
    );
    assert.deepEqual(samplesOf(store, 'steps', L), [['2026-04-07T04:00:00.000Z', -240, 7]]);
    assert.ok(s.warnings.some((x) => x.file.endsWith('steps-2026-04-07.json') && /record 2/.test(x.message)));
    assert.equal(s.files.noData, 2); // empty calories CSV, "[]" swim file
    assert.deepEqual(s.files.unknown, [`${ROOT}/Mindfulness/Mindfulness Sessions.csv`]);
    const text = formatSummary(s);
    assert.match(text, /FAILED files/);
    assert.match(text, /heart_rate-2026-04-06\.json/);
    assert.match(text, /Mindfulness Sessions\.csv/);
  });

  it('a zip archive (yazl) imports like the folder', async () => {
    const folder = copyFixture(tmp, 'zipsrc');
    const zip = await zipFolder(folder, tmp.path('takeout-20260415T120000Z-001.zip'));
    const a = tmp.store(),
      b = tmp.store(),
      c = tmp.store();
    const sa = await runImport(a, [zip]);
    await runImport(b, [folder]);
    const sc = await runImport(c, [zip], { readAhead: false }); // read in this thread
    assert.equal(sa.exitCode, 0);
    assert.deepEqual(dumpStore(a), dumpStore(b));
    assert.deepEqual(dumpStore(c), dumpStore(a));
    assert.deepEqual({ ...sc, warnings: [] }, { ...sa, warnings: [] });
  });

  it('a .tgz with Profile.csv as its last entry: the zone is found by the pre-pass', async () => {
    const folder = copyFixture(tmp, 'tgzsrc');
    const tgz = await tgzFolder(folder, tmp.path('takeout-20260415T120000Z-001.tgz'));
    const a = tmp.store(),
      b = tmp.store();
    const sa = await runImport(a, [tgz]);
    await runImport(b, [folder]);
    assert.equal(sa.exitCode, 0);
    assert.deepEqual(sa.zone, { name: 'America/New_York', from: 'profile' });
    assert.deepEqual(dumpStore(a), dumpStore(b));
  });

  it('a corrupt zip entry fails that file only', async () => {
    const folder = copyFixture(tmp, 'corruptsrc');
    const zip = await zipFolder(folder, tmp.path('takeout-20260415T120000Z-002.zip'), false);
    const bytes = readFileSync(zip);
    const at = bytes.indexOf('2026-04-06T04:00:15Z,66.0');
    assert.ok(at > 0);
    bytes.write('7', at + 21); // 66.0 → 76.0: the CRC no longer matches
    writeFileSync(zip, bytes);
    const store = tmp.store();
    const s = await runImport(store, [zip]);
    assert.equal(s.exitCode, 1);
    assert.deepEqual(
      s.files.failed.map((f) => f.file),
      [`${ROOT}/Physical Activity_GoogleData/heart_rate_2026-04-06.csv`],
    );
    assert.match(s.files.failed[0]!.error, /CRC|corrupt/i);
    assert.equal(s.files.imported, fixtureFiles().length - 5);
    assert.deepEqual(samplesOf(store, 'heart_rate', 'Inspire 3'), []);
    assert.equal(samplesOf(store, 'heart_rate', L).length, 3);
  });
});

describe('takeout import: accounts and overlapping exports', () => {
  it('refuses an export of another Fitbit profile unless forced', async () => {
    const store = tmp.store();
    store.setAccount({ name: 'me', profileId: 'OTHER1', timezone: null });
    const archive = copyFixture(tmp, 'mismatch');
    await assert.rejects(
      runImport(store, [archive]),
      (e: unknown) => e instanceof ArchiveError && /9ABCDE/.test((e as Error).message) && /--force/.test((e as Error).message),
    );
    assert.equal(store.listSeries({ account: 'me' }).filter((x) => x.count > 0).length, 0);
    const s = await runImport(store, [archive], { force: true });
    assert.equal(s.exitCode, 0);
    assert.equal(store.getAccount('me')?.profileId, '9ABCDE');
    assert.equal(store.getAccount('me')?.timezone, 'America/New_York');
  });

  it('overlapping exports with a conflicting value: the newer export wins, in either order', async () => {
    const csv = (v: string): string => `timestamp,beats per minute,data source\n2026-04-06T04:00:00Z,${v},Inspire 3\n2026-04-06T04:00:05Z,64.0,Inspire 3\n`;
    const older = makeExport(tmp, OLD_EXPORT + '-o', { 'Physical Activity_GoogleData/heart_rate_2026-04-06.csv': csv('63.0') });
    const newer = makeExport(tmp, NEW_EXPORT + '-n', { 'Physical Activity_GoogleData/heart_rate_2026-04-06.csv': csv('70.0') });
    for (const order of [
      [older, newer],
      [newer, older],
    ]) {
      const store = tmp.store();
      let conflicts = 0;
      for (const p of order) conflicts += (await runImport(store, [p], { timezone: 'America/New_York' })).conflicts;
      assert.deepEqual(
        samplesOf(store, 'heart_rate', 'Inspire 3').map((x) => x[2]),
        [70, 64],
      );
      assert.equal(conflicts, 1);
    }
    // both in one run
    const store = tmp.store();
    const s = await runImport(store, [older, newer], { timezone: 'America/New_York' });
    assert.equal(s.conflicts, 1);
    assert.equal(s.metrics.heart_rate?.changed, 1);
    assert.deepEqual(
      samplesOf(store, 'heart_rate', 'Inspire 3').map((x) => x[2]),
      [70, 64],
    );
  });

  it('weight JSON without a profile unit: decided by BMI plausibility and reported', async () => {
    const w = readFileSync(join(FIXTURE, ROOT, 'Global Export Data/weight-2026-04-05.json'));
    const store = tmp.store();
    const s = await runImport(store, [makeExport(tmp, 'weight-nounit', { 'Global Export Data/weight-2026-04-05.json': w })], { timezone: 'America/New_York' });
    assert.deepEqual(samplesOf(store, 'weight', L), [['2026-04-06T03:59:59.000Z', -240, 47.58184]]); // 104.9 lb
    assert.ok(s.warnings.some((x) => /pounds/.test(x.message) && /BMI/.test(x.message)));
  });
});

describe('reader thread (read-ahead)', () => {
  it('delivers every entry byte-exact, whole or in chunks, skipped or abandoned', async () => {
    const folder = copyFixture(tmp, 'reader');
    const seen: string[] = [];
    let i = 0;
    for await (const e of prefetchedEntries(folder, { pass: 'all', wholeMax: 300, windowBytes: 500, smallFile: 64 })) {
      seen.push(e.path);
      const kind = i++ % 3;
      if (kind === 0) continue; // not opened
      const s = await e.open();
      if (kind === 2 && e.size > 300) {
        for await (const _ of s) break; // abandoned after one chunk
        continue;
      }
      const parts: Buffer[] = [];
      for await (const c of s) parts.push(c);
      const c = classify(e.path);
      if (c.type === 'kind' || e.size <= 64) assert.deepEqual(Buffer.concat(parts), readFileSync(join(folder, e.path)), e.path);
    }
    assert.deepEqual(seen.sort(), fixtureFiles());
  });
});
