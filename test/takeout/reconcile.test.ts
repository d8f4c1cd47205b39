/**
 * Same measurement in two layers (src/reconcile/samples.ts) through the Takeout import: tiny
 * handcrafted exports in the real shapes, both orders, the summary counts and lines, the repair of
 * a store written by an older version (schema migration 4, and re-importing), and `stats`.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { collectStats, formatStats } from '../../src/cli/commands/stats.js';
import { emptyCounts, type MergeCounts } from '../../src/reconcile/samples.js';
import { readMerged } from '../../src/reconcile/samples-store.js';
import { formatSummary } from '../../src/sources/takeout/import.js';
import { SCHEMA_VERSION } from '../../src/store/store.js';
import { LEGACY_JSON_SOURCE, type Sample, type SeriesKey, type Store } from '../../src/store/types.js';
import { FIXTURE, ROOT, Tmp, dumpStore, makeExport, runImport, samplesOf } from './helpers.js';

const L = LEGACY_JSON_SOURCE;
const tmp = new Tmp();
after(() => tmp.cleanup());

const PROFILE = readFileSync(join(FIXTURE, ROOT, 'Your Profile/Profile.csv'));
const lb = (x: number): number => Math.round(x * 0.45359237 * 1e6) / 1e6;

/** The legacy layer: JSON (heart rate UTC, calories LOCAL, distance cm UTC, weight lb LOCAL with a placeholder time) and the sourceless CSV folders. */
const LEGACY_FILES: Record<string, string | Buffer> = {
  'Your Profile/Profile.csv': PROFILE,
  'Global Export Data/heart_rate-2026-04-06.json':
    '[{"dateTime":"04/06/26 04:00:00","value":{"bpm":63,"confidence":3}},{"dateTime":"04/06/26 04:00:05","value":{"bpm":86,"confidence":3}},{"dateTime":"04/06/26 04:00:10","value":{"bpm":65,"confidence":2}}]',
  'Global Export Data/calories-2026-04-05.json': '[{"dateTime":"04/05/26 22:43:00","value":"0.8"},{"dateTime":"04/05/26 22:44:00","value":"1.25"}]',
  'Global Export Data/distance-2026-04-05.json': '[{"dateTime":"04/06/26 04:00:00","value":"0"},{"dateTime":"04/06/26 04:01:00","value":"950"}]',
  'Global Export Data/weight-2026-04-05.json':
    '[{"logId":1743897599000,"weight":104.9,"bmi":20.51,"date":"04/05/26","time":"23:59:59","source":"API"},{"logId":1744070399000,"weight":105.3,"bmi":20.59,"date":"04/07/26","time":"23:59:59","source":"API"}]',
  'Global Export Data/resting_heart_rate-2026-04-05.json':
    '[{"dateTime":"04/05/26 00:00:00","value":{"date":"04/05/26","value":53.01,"error":6.78}},{"dateTime":"04/06/26 00:00:00","value":{"date":null,"value":0.0,"error":0.0}}]',
  'Heart Rate Variability/Heart Rate Variability Details - 2026-04-14.csv':
    'timestamp,rmssd,coverage,low_frequency,high_frequency\n2026-04-14T01:05:00,35.948,0.95,1200.5,800.25\n2026-04-14T01:10:00,33.9,0.91,1100.0,750.5\n',
  'Heart Rate Variability/Daily Heart Rate Variability Summary - 2026-04-(13).csv': 'timestamp,rmssd,nremhr,entropy\n2026-04-14T00:00:00,36.1,55.2,2.9\n',
  'Heart Rate Variability/Daily Respiratory Rate Summary - 2026-04-14.csv': 'timestamp,daily_respiratory_rate\n2026-04-14T00:00:00,14.6\n',
};

/** The Google layer (`_GoogleData` CSVs): the same measurements, some with other values. */
const GOOGLE_FILES: Record<string, string | Buffer> = {
  'Your Profile/Profile.csv': PROFILE,
  'Physical Activity_GoogleData/heart_rate_2026-04-06.csv':
    'timestamp,beats per minute,data source\n2026-04-06T04:00:00Z,63.0,Inspire 3\n2026-04-06T04:00:05Z,88.0,Inspire 3\n2026-04-06T04:00:15Z,66.0,Inspire 3\n',
  'Physical Activity_GoogleData/calories_2026-04-01.csv':
    'timestamp,calories,data source\n2026-04-06T02:43:00Z,0.8,Inspire 3\n2026-04-06T02:44:00Z,1.31,Inspire 3\n',
  'Physical Activity_GoogleData/distance_2026-04-01.csv': 'timestamp,distance,data source\n2026-04-06T04:01:00Z,9.2,Inspire 3\n',
  'Physical Activity_GoogleData/weight.csv': 'timestamp,weight grams,data source\n2026-04-05T12:10:31Z,47627.0,Fitbit App\n',
  'Physical Activity_GoogleData/daily_resting_heart_rate.csv': 'timestamp,beats per minute,data source\n2026-04-05T00:00:00Z,53.0,Inspire 3\n',
  'Physical Activity_GoogleData/heart_rate_variability_2026-04-01.csv':
    'timestamp,root mean square of successive differences milliseconds,standard deviation milliseconds,data source\n2026-04-14T05:05:00Z,35.2,41.0,Inspire 3\n',
  'Physical Activity_GoogleData/daily_heart_rate_variability.csv':
    'timestamp,average heart rate variability milliseconds,non rem heart rate beats per minute,entropy,deep sleep root mean square of successive differences milliseconds,data source\n2026-04-14T00:00:00Z,36.4,55.0,2.9,40.0,Inspire 3\n',
  'Physical Activity_GoogleData/daily_respiratory_rate.csv': 'timestamp,breaths per minute,data source\n2026-04-14T00:00:00Z,14.8,Inspire 3\n',
};

/** What both layers together must reconcile to. */
const EXPECTED: MergeCounts = {
  // heart rate 04:00:00 (63 = 63) and 04:00:05 (86 vs 88); calories 22:43 (=) and 22:44 (1.25 vs 1.31);
  // distance 04:01 (9.5 vs 9.2); HRV details 01:05 local (35.948 vs 35.2)
  intraday: 6,
  layerDisagreements: 4,
  // resting heart rate (53.01 vs 53, within 0.5), daily HRV rmssd (36.1 vs 36.4), nremhr (55.2 vs 55), entropy (=), breathing rate (14.6 vs 14.8)
  daily: 5,
  dailyDisagreements: 3,
  // 104.9 lb at the placeholder 23:59:59 vs 47,627 g at 08:10:31 EDT the same day
  weighIns: 1,
};

function check(store: Store): void {
  assert.deepEqual(samplesOf(store, 'heart_rate', 'Inspire 3'), [
    ['2026-04-06T04:00:00.000Z', -240, 63],
    ['2026-04-06T04:00:05.000Z', -240, 88],
    ['2026-04-06T04:00:15.000Z', -240, 66],
  ]);
  assert.deepEqual(samplesOf(store, 'heart_rate', L), [['2026-04-06T04:00:10.000Z', -240, 65]]);
  assert.deepEqual(samplesOf(store, 'calories', L), []);
  assert.deepEqual(samplesOf(store, 'calories', 'Inspire 3')[1], ['2026-04-06T02:44:00.000Z', -240, 1.31]);
  assert.deepEqual(samplesOf(store, 'distance', L), [['2026-04-06T04:00:00.000Z', -240, 0]]);
  assert.deepEqual(samplesOf(store, 'distance', 'Inspire 3'), [['2026-04-06T04:01:00.000Z', -240, 9.2]]);
  assert.deepEqual(samplesOf(store, 'hrv_rmssd', 'Inspire 3'), [['2026-04-14T05:05:00.000Z', -240, 35.2]]);
  assert.deepEqual(samplesOf(store, 'hrv_rmssd', L), [['2026-04-14T05:10:00.000Z', -240, 33.9]]);
  assert.equal(samplesOf(store, 'hrv_coverage', L).length, 2, 'what only the Details file has stays');
  const mid = '2026-04-14T04:00:00.000Z';
  assert.deepEqual(samplesOf(store, 'hrv_daily_rmssd', 'Inspire 3'), [[mid, -240, 36.4]]);
  assert.deepEqual(samplesOf(store, 'hrv_daily_nremhr', 'Inspire 3'), [[mid, -240, 55]]);
  assert.deepEqual(samplesOf(store, 'respiratory_rate', 'Inspire 3'), [[mid, -240, 14.8]]);
  for (const m of ['hrv_daily_rmssd', 'hrv_daily_nremhr', 'hrv_daily_entropy', 'respiratory_rate', 'resting_heart_rate'])
    assert.deepEqual(samplesOf(store, m, L), [], `${m}: one value per day`);
  // one weigh-in at weight.csv's real instant; the other day's JSON weigh-in stays
  assert.deepEqual(samplesOf(store, 'weight', 'Fitbit App'), [['2026-04-05T12:10:31.000Z', -240, 47.627]]);
  assert.deepEqual(samplesOf(store, 'weight', L), [['2026-04-08T03:59:59.000Z', -240, lb(105.3)]]);
}

describe('same measurement in two layers: import', () => {
  const legacy = makeExport(tmp, 'takeout-20260415T120000Z-legacy', LEGACY_FILES);
  const google = makeExport(tmp, 'takeout-20260415T120000Z-google', GOOGLE_FILES);
  const all = makeExport(tmp, 'takeout-20260415T120000Z-all', { ...LEGACY_FILES, ...GOOGLE_FILES });

  it('json-first, csv-first and one archive give the same store and the same counts', async () => {
    const s1 = tmp.store(),
      s2 = tmp.store(),
      s3 = tmp.store();
    const a1 = await runImport(s1, [legacy]);
    const b1 = await runImport(s1, [google]);
    const a2 = await runImport(s2, [google]);
    const b2 = await runImport(s2, [legacy]);
    const r3 = await runImport(s3, [all]);
    for (const r of [a1, b1, a2, b2, r3]) assert.deepEqual(r.files.failed, []);
    for (const s of [s1, s2, s3]) check(s);
    assert.deepEqual(dumpStore(s1), dumpStore(s2));
    assert.deepEqual(dumpStore(s1), dumpStore(s3));
    assert.deepEqual(a1.reconciled, emptyCounts());
    assert.deepEqual(a2.reconciled, emptyCounts());
    assert.deepEqual(b1.reconciled, EXPECTED);
    assert.deepEqual(b2.reconciled, EXPECTED);
    assert.deepEqual(r3.reconciled, EXPECTED);
    for (const r of [b1, b2, r3]) assert.equal(r.dedupedJsonSamples, 12);
    // net `added`: the same whatever the order
    for (const m of ['heart_rate', 'weight', 'hrv_daily_rmssd'])
      assert.equal((a1.metrics[m]?.added ?? 0) + (b1.metrics[m]?.added ?? 0), (a2.metrics[m]?.added ?? 0) + (b2.metrics[m]?.added ?? 0), m);
  });

  it('the summary says it in four lines', async () => {
    const r = await runImport(tmp.store(), [all]);
    const text = formatSummary(r);
    assert.match(text, /^JSON samples matched to CSV samples \(stored once\): 12$/m);
    assert.match(text, /^Layer disagreements \(same instant, different values; the CSV value is kept\): 4$/m);
    assert.match(text, /^Daily values in both layers \(one per day; the Google daily_\*\.csv value is kept\): 5, of which 3 disagree$/m);
    assert.match(text, /^Weigh-ins in both layers \(one per day and weight; weight\.csv's instant is kept\): 1$/m);
  });

  it('a re-import changes nothing and counts the same', async () => {
    const store = tmp.store();
    await runImport(store, [all]);
    const seq = store.currentSeq();
    const before = dumpStore(store);
    const r = await runImport(store, [all]);
    assert.equal(store.currentSeq(), seq);
    assert.deepEqual(dumpStore(store), before);
    assert.deepEqual(r.reconciled, EXPECTED);
    assert.deepEqual(readMerged(store, 'me').lastImport, EXPECTED);
  });
});

/** What an older version wrote for both layers: the legacy samples beside their Google twins. */
function writeOldDuplicates(store: Store): void {
  const me = (metric: string, source: string): SeriesKey => ({ account: 'me', metric: metric as SeriesKey['metric'], source });
  const s = (iso: string, v: number): Sample => ({ t: Date.parse(iso), offset: -240, v });
  store.write(() => {
    store.writeSamples(me('heart_rate', L), [s('2026-04-06T04:00:05Z', 86), s('2026-04-06T04:00:10Z', 65)], { exportMs: 1 });
    store.writeSamples(me('heart_rate', 'Inspire 3'), [s('2026-04-06T04:00:05Z', 88)], { exportMs: 1 });
    store.writeSamples(me('hrv_rmssd', L), [s('2026-04-14T05:05:00Z', 35.948)], { exportMs: 1 });
    store.writeSamples(me('hrv_rmssd', 'Inspire 3'), [s('2026-04-14T05:05:00Z', 35.2)], { exportMs: 1 });
    store.writeSamples(me('respiratory_rate', L), [s('2026-04-14T04:00:00Z', 14.6)], { exportMs: 1 });
    store.writeSamples(me('respiratory_rate', 'Inspire 3'), [s('2026-04-14T04:00:00Z', 14.8)], { exportMs: 1 });
    store.writeSamples(me('weight', L), [s('2026-04-06T03:59:59Z', lb(104.9))], { exportMs: 1 });
    store.writeSamples(me('weight', 'Fitbit App'), [s('2026-04-05T12:10:31Z', 47.627)], { exportMs: 1 });
  });
}

const REPAIRED: MergeCounts = { intraday: 2, layerDisagreements: 2, daily: 1, dailyDisagreements: 1, weighIns: 1 };

describe('same measurement in two layers: stores written by older versions', () => {
  it('schema migration 4 repairs them, bumps the changed blocks and records the count; stats says it', () => {
    const path = tmp.dbPath();
    const old = tmp.store(path);
    writeOldDuplicates(old);
    const seq = old.currentSeq();
    old.close();
    // the store as the previous schema version left it
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION - 1}`);
    db.close();

    const store = tmp.store(path);
    assert.deepEqual(samplesOf(store, 'heart_rate', L), [['2026-04-06T04:00:10.000Z', -240, 65]]);
    assert.deepEqual(samplesOf(store, 'heart_rate', 'Inspire 3'), [['2026-04-06T04:00:05.000Z', -240, 88]]);
    for (const m of ['hrv_rmssd', 'respiratory_rate', 'weight']) assert.deepEqual(samplesOf(store, m, L), [], m);
    assert.equal(samplesOf(store, 'weight', 'Fitbit App').length, 1);
    // the sinks see the changed legacy days (updated block or tombstone)
    const changed = [...store.changedBlocks(seq)].map((b) => `${b.key.metric}|${b.key.source}`).sort();
    assert.deepEqual(changed, [`heart_rate|${L}`, `hrv_rmssd|${L}`, `respiratory_rate|${L}`, `weight|${L}`]);
    assert.deepEqual(readMerged(store, 'me'), { repair: REPAIRED, lastImport: null });

    const stats = collectStats(store);
    assert.deepEqual(stats.merged, [{ account: 'me', repair: REPAIRED, lastImport: null }]);
    assert.match(
      formatStats(stats),
      /^ {2}Same measurement in two layers, stored once: 4 \(2 layer disagreements, 1 daily value, 1 weigh-in\) by the repair of older stores$/m,
    );
  });

  it('a new store has nothing to repair and stats says nothing about it', () => {
    const store = tmp.store();
    assert.deepEqual(readMerged(store, 'me'), { repair: null, lastImport: null });
    assert.doesNotMatch(formatStats(collectStats(store)), /Same measurement/);
  });

  it('re-importing repairs too (either layer), and stats shows the last import', async () => {
    for (const files of [GOOGLE_FILES, LEGACY_FILES]) {
      const store = tmp.store();
      writeOldDuplicates(store); // written by an older version after the migration ran
      await runImport(store, [makeExport(tmp, `takeout-20260415T120000Z-re-${files === GOOGLE_FILES ? 'google' : 'legacy'}`, files)]);
      assert.ok(!samplesOf(store, 'heart_rate', L).some((x) => x[0] === '2026-04-06T04:00:05.000Z'), 'the old 86 bpm twin is gone');
      assert.deepEqual(samplesOf(store, 'heart_rate', 'Inspire 3')[files === GOOGLE_FILES ? 1 : 0], ['2026-04-06T04:00:05.000Z', -240, 88]);
      assert.ok(!samplesOf(store, 'hrv_rmssd', L).some((x) => x[0] === '2026-04-14T05:05:00.000Z'), 'hrv_rmssd');
      assert.deepEqual(samplesOf(store, 'respiratory_rate', L), []);
      // the placeholder weigh-in is gone; the JSON's other day (no weight.csv row) stays
      assert.deepEqual(samplesOf(store, 'weight', L), files === GOOGLE_FILES ? [] : [['2026-04-08T03:59:59.000Z', -240, lb(105.3)]]);
      const last = readMerged(store, 'me').lastImport;
      assert.ok(last && last.intraday >= 2 && last.daily >= 1 && last.weighIns === 1, JSON.stringify(last));
      assert.match(
        formatStats(collectStats(store)),
        /stored once: \d+ \(\d+ layer disagreements?, \d+ daily values?, 1 weigh-in\) by the last Takeout import$/m,
      );
    }
  });
});
