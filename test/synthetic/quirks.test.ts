/**
 * The real exports' quirks in the generator (src/synthetic/quirks.ts): their rates over 120 days,
 * and, on a rendered export, that the JSON sleep logs equal the `sleep_session_v1` rows, that every
 * sleep is listed once per version with stages sharing the sleep_id, the weight placeholder, the
 * legacy daily summaries, the split day, and that the per-day figures add up.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HR_DISAGREEMENT_EVERY,
  dayFigures,
  generateTakeout,
  isBigSleepShift,
  isUserSleepsOnlyNap,
  jsonCalories,
  jsonHeartRate,
  legacySleep,
  splitInstant,
  syntheticDay,
  weightPlaceholder,
} from '../../src/synthetic/index.js';
import { mergeShortData, sleepStage } from '../../src/sources/takeout/parsers/legacy-sleep.js';
import { addDays, zoneNamed } from '../../src/time/index.js';

const TZ = 'America/New_York';
const F = 'Takeout/Fitbit';
/** A seed and an 11-day range with every quirk (checked below). */
const SEED = 20260312;
const START = '2026-02-20';
const DAYS = 11;

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

test('quirk rates over 90 days (seed 1)', () => {
  let hr = 0,
    hrBad = 0,
    minutes = 0,
    kcalBad = 0,
    mains = 0,
    big = 0,
    same = 0,
    naps = 0,
    napsOnly = 0,
    split = 0;
  for (let i = 0; i < 90; i++) {
    const date = addDays('2026-01-01', i);
    const d = syntheticDay({ seed: 1, date, timezone: TZ });
    for (let k = 0; k < d.heartRate.t.length; k++) {
      hr++;
      const v = d.heartRate.v[k] as number;
      const j = jsonHeartRate(1, d.heartRate.t[k] as number, v);
      if (j !== v) {
        hrBad++;
        assert.ok(Math.abs(j - v) >= 1 && Math.abs(j - v) <= 4, 'a few bpm');
      }
    }
    for (let k = 0; k < d.minutes.t.length; k++) {
      minutes++;
      if (jsonCalories(1, d.minutes.t[k] as number, d.minutes.calories[k] as number) !== d.minutes.calories[k]) kcalBad++;
    }
    if (splitInstant(1, date, TZ) !== null) split++;
    for (const s of d.sleeps) {
      const v1 = legacySleep(1, s, TZ);
      if (!s.mainSleep) {
        naps++;
        if (!v1) napsOnly++;
        assert.equal(!v1, isUserSleepsOnlyNap(1, s));
        if (v1) assert.ok(Math.abs(v1.start - s.start) <= 5 * 60_000 && Math.abs(v1.end - s.end) <= 5 * 60_000);
        continue;
      }
      assert.ok(v1, 'every main sleep has a legacy version');
      mains++;
      assert.equal(Math.abs((v1.start - s.start) % 30_000), 0, 'whole epochs');
      assert.equal(Math.abs((v1.end - s.end) % 30_000), 0, 'whole epochs');
      assert.ok(Math.abs(v1.end - s.end) <= 20 * 60_000, 'ends 0-20 min apart');
      if (isBigSleepShift(1, s)) {
        big++;
        const h = (s.start - v1.start) / 3_600_000;
        assert.ok(h >= 1 - 1e-9 && h <= 3, `legacy starts ${h} h earlier`);
      } else assert.ok(Math.abs(v1.start - s.start) <= 20 * 60_000, 'starts 0-20 min apart');
      if (v1.start === s.start && v1.end === s.end) same++;
      // the legacy stages cover its interval without gap or overlap
      let t = v1.start;
      for (const g of v1.segments) {
        assert.equal(g.start, t);
        t = g.end;
      }
      assert.equal(t, v1.end);
    }
  }
  const hrRate = hrBad / hr;
  assert.ok(hrRate > 1 / (3 * HR_DISAGREEMENT_EVERY) && hrRate < 3 / HR_DISAGREEMENT_EVERY, `heart-rate disagreements ${hrBad} in ${hr}`);
  assert.ok(kcalBad >= 5 && kcalBad <= minutes / 1500, `calories disagreements ${kcalBad} in ${minutes}`);
  assert.ok(big >= 2 && big <= 20, `${big} of ${mains} nights start hours apart`);
  assert.ok(same >= mains * 0.2 && same <= mains * 0.6, `${same} of ${mains} nights identical in both versions`);
  assert.ok(naps >= 4 && napsOnly >= 1 && napsOnly < naps, `${napsOnly} of ${naps} naps only in UserSleeps`);
  assert.ok(split >= 1 && split <= 8, `${split} split days`);
});

function csvRows(text: string): string[][] {
  return text
    .split(/\r?\n/)
    .slice(1)
    .filter((l) => l.length)
    .map((l) => l.split(','));
}

const spaceUtc = (s: string): number => Date.parse(s.replace(' ', 'T').replace('+0000', 'Z'));

describe_rendered();

function describe_rendered(): void {
  let root = '';
  const zone = zoneNamed(TZ);
  /** A naive local stamp (`2026-04-14T04:26:30.000`) as an instant, in the profile zone. */
  const localMs = (s: string): number => {
    const naive = Date.parse(`${s.slice(0, 19)}Z`);
    // the offset at the instant: two passes settle it (no stamp here falls in a DST gap)
    let t = naive - (zone.offsetAt(naive) ?? 0) * 60_000;
    t = naive - (zone.offsetAt(t) ?? 0) * 60_000;
    return t;
  };

  before(async () => {
    const out = await mkdtemp(join(tmpdir(), 'fb-quirks-'));
    dirs.push(out);
    await generateTakeout({ out, format: 'dir', days: DAYS, endDate: addDays(START, DAYS - 1), seed: SEED, timezone: TZ, partialDay: false });
    root = join(out, F);
  });

  test('the range holds every quirk', () => {
    const tags = new Set<string>();
    for (let i = 0; i < DAYS; i++) {
      const date = addDays(START, i);
      const d = syntheticDay({ seed: SEED, date, timezone: TZ });
      if (splitInstant(SEED, date, TZ) !== null) tags.add('split');
      for (const s of d.sleeps) {
        if (isBigSleepShift(SEED, s)) tags.add('big');
        if (isUserSleepsOnlyNap(SEED, s)) tags.add('nap only in UserSleeps');
      }
      for (const w of d.weights) if (!w.manual && weightPlaceholder(SEED, w)) tags.add('weight placeholder');
    }
    assert.deepEqual([...tags].sort(), ['big', 'nap only in UserSleeps', 'split', 'weight placeholder']);
  });

  test('sleep-*.json logs equal the sleep_session_v1 rows; each sleep once per version; stages per version share the sleep_id', async () => {
    const health = join(root, 'Health Fitness Data_GoogleData');
    const us = (await Promise.all((await readdir(health)).filter((f) => f.startsWith('UserSleeps_')).map((f) => readFile(join(health, f), 'utf8')))).flatMap(
      csvRows,
    );
    const stages = (
      await Promise.all((await readdir(health)).filter((f) => f.startsWith('UserSleepStages_')).map((f) => readFile(join(health, f), 'utf8')))
    ).flatMap(csvRows);
    const json = join(root, 'Global Export Data');
    const logs = (
      await Promise.all(
        (await readdir(json)).filter((f) => f.startsWith('sleep-')).map(async (f) => JSON.parse(await readFile(join(json, f), 'utf8')) as unknown[]),
      )
    ).flat() as {
      logId: number;
      startTime: string;
      endTime: string;
      mainSleep: boolean;
      type: string;
      levels: { data: { dateTime: string; level: string; seconds: number }[]; shortData?: { dateTime: string; level: string; seconds: number }[] };
    }[];
    const v1 = us.filter((u) => u[14] === 'sleep_session_v1');
    const v2 = us.filter((u) => u[14] === 'sleep_session_v2');
    assert.equal(v1.length + v2.length, us.length, 'only the two versions');
    assert.equal(v1.length, logs.length, 'one v1 row per JSON log');
    assert.ok(v2.length > v1.length, 'a nap only in UserSleeps (v2, no JSON log)');
    let physical = 0;
    for (let i = 0; i < DAYS; i++) physical += syntheticDay({ seed: SEED, date: addDays(START, i), timezone: TZ }).sleeps.length;
    assert.equal(v2.length, physical, 'the newest version = the model (one row per physical sleep)');
    let differ = 0;
    for (const log of logs) {
      const start = localMs(log.startTime);
      const row = v1.find((u) => spaceUtc(u[10]!) === start);
      assert.ok(row, `JSON log ${log.logId} (${log.startTime}) has a v1 row at the same instant`);
      assert.equal(spaceUtc(row[12]!), localMs(log.endTime), 'same end');
      assert.equal(row[1], log.type === 'stages' ? 'STAGES' : 'CLASSIC');
      const other = v2.find((u) => u[0] === row[0]);
      assert.ok(other, 'the v2 row shares the sleep_id');
      if (other[10] !== row[10] || other[12] !== row[12]) differ++;
      // the JSON's stages (data + shortData merged) == the v1 stage rows of that sleep_id
      const seg = (x: { dateTime: string; level: string; seconds: number }): { start: number; end: number; stage: ReturnType<typeof sleepStage> } => {
        const s = localMs(x.dateTime);
        return { start: s, end: s + x.seconds * 1000, stage: sleepStage(x.level) };
      };
      const want = mergeShortData(log.levels.data.map(seg), (log.levels.shortData ?? []).map(seg));
      const got = stages
        .filter((s) => s[0] === row[0] && s[8] === 'sleep_stages_v1')
        .map((s) => ({ start: spaceUtc(s[4]!), end: spaceUtc(s[6]!), stage: sleepStage(s[2]!) }));
      assert.deepEqual(got, want, `stages of ${log.logId}`);
      const got2 = stages.filter((s) => s[0] === row[0] && s[8] === 'sleep_stages_v2').map((s) => [spaceUtc(s[4]!), spaceUtc(s[6]!)] as const);
      assert.ok(got2.length > 0, 'v2 stages under the same sleep_id');
      assert.equal(got2[0]![0], spaceUtc(other[10]!));
      assert.equal(got2[got2.length - 1]![1], spaceUtc(other[12]!));
      for (let k = 1; k < got2.length; k++) assert.ok(got2[k]![0] >= got2[k - 1]![1], 'v2 stages do not overlap');
    }
    assert.ok(differ >= 3, `${differ} sleeps whose versions differ`);
  });

  test('weight: the JSON says 23:59:59 where weight.csv has the real instant in grams', async () => {
    const csv = csvRows(await readFile(join(root, 'Physical Activity_GoogleData/weight.csv'), 'utf8'));
    const json = join(root, 'Global Export Data');
    const logs = (
      await Promise.all(
        (await readdir(json)).filter((f) => f.startsWith('weight-')).map(async (f) => JSON.parse(await readFile(join(json, f), 'utf8')) as unknown[]),
      )
    ).flat() as { weight: number; date: string; time: string }[];
    assert.equal(logs.length, csv.length);
    let placeholder = 0;
    for (const l of logs) {
      const row = csv.find((r) => Math.abs(Number(r[1]) / 453.59237 - l.weight) < 0.05);
      assert.ok(row, `${l.date}: ${l.weight} lb in weight.csv`);
      const local = new Date(Date.parse(row[0]!) + (zone.offsetAt(Date.parse(row[0]!)) ?? 0) * 60_000).toISOString();
      if (l.time === '23:59:59' && local.slice(11, 19) !== '23:59:59') placeholder++;
      else assert.equal(local.slice(11, 19), l.time);
    }
    assert.ok(placeholder >= 1, 'a placeholder time with a real instant in weight.csv');
  });

  test('legacy daily summaries differ slightly from the Google daily files', async () => {
    const google = new Map(
      csvRows(await readFile(join(root, 'Physical Activity_GoogleData/daily_heart_rate_variability.csv'), 'utf8')).map((r) => [
        r[0]!.slice(0, 10),
        Number(r[1]),
      ]),
    );
    const rr = new Map(
      csvRows(await readFile(join(root, 'Physical Activity_GoogleData/daily_respiratory_rate.csv'), 'utf8')).map((r) => [r[0]!.slice(0, 10), Number(r[1])]),
    );
    const hrvDir = join(root, 'Heart Rate Variability');
    let n = 0;
    for (const f of await readdir(hrvDir)) {
      const rows = csvRows(await readFile(join(hrvDir, f), 'utf8'));
      if (f.startsWith('Daily Heart Rate Variability Summary')) {
        for (const r of rows) {
          const g = google.get(r[0]!.slice(0, 10));
          assert.ok(g !== undefined && Number(r[1]) !== g && Math.abs(Number(r[1]) - g) <= 1.5, `${f}: ${r[1]} vs ${g}`);
          n++;
        }
      }
      if (f.startsWith('Daily Respiratory Rate Summary')) {
        for (const r of rows) {
          const g = rr.get(r[0]!.slice(0, 10));
          assert.ok(g !== undefined && Number(r[1]) !== g && Math.abs(Number(r[1]) - g) <= 0.41, `${f}: ${r[1]} vs ${g}`);
          n++;
        }
      }
    }
    assert.ok(n >= 10);
  });

  test('the split day: JSON layer before the split (no source), CSV layer after it (Fitbit App); together the day figure', async () => {
    let date = '';
    for (let i = 0; i < DAYS && !date; i++) if (splitInstant(SEED, addDays(START, i), TZ) !== null) date = addDays(START, i);
    const split = splitInstant(SEED, date, TZ) as number;
    const d = syntheticDay({ seed: SEED, date, timezone: TZ });
    const pa = join(root, 'Physical Activity_GoogleData');
    const csv = (await Promise.all((await readdir(pa)).filter((f) => /^steps_\d/.test(f)).map((f) => readFile(join(pa, f), 'utf8'))))
      .flatMap(csvRows)
      .map((r) => ({ t: Date.parse(r[0]!), v: Number(r[1]), src: r[2] }))
      .filter((r) => r.t >= d.start && r.t < d.end);
    assert.ok(csv.length > 0 && csv.every((r) => r.t >= split && r.src === 'Fitbit App'), 'CSV rows of the day: after the split, from the app');
    const json = join(root, 'Global Export Data');
    let jsonSteps = 0;
    let jsonMinutes = 0;
    for (const f of (await readdir(json)).filter((x) => x.startsWith('steps-'))) {
      for (const x of JSON.parse(await readFile(join(json, f), 'utf8')) as { dateTime: string; value: string }[]) {
        const t = Date.parse(`20${x.dateTime.slice(6, 8)}-${x.dateTime.slice(0, 2)}-${x.dateTime.slice(3, 5)}T${x.dateTime.slice(9)}Z`);
        if (t < d.start || t >= d.end) continue;
        assert.ok(t < split, 'no JSON minute after the split');
        jsonMinutes++;
        jsonSteps += Number(x.value);
      }
    }
    assert.equal(jsonMinutes, (split - d.start) / 60_000);
    const total = jsonSteps + csv.reduce((a, r) => a + r.v, 0);
    assert.equal(total, dayFigures({ seed: SEED, timezone: TZ, date }).steps);
    assert.ok(jsonMinutes > 0 && total > 0);
  });
}

test('per-day figures: sleep of the chosen version, main and nap apart', () => {
  let bigDate = '';
  for (let i = 0; i < 120 && !bigDate; i++) {
    const date = addDays('2026-01-01', i);
    if (syntheticDay({ seed: SEED, date, timezone: TZ }).sleeps.some((s) => isBigSleepShift(SEED, s))) bigDate = date;
  }
  const newest = dayFigures({ seed: SEED, timezone: TZ, date: bigDate });
  const legacy = dayFigures({ seed: SEED, timezone: TZ, date: bigDate, sleepVersion: 'legacy' });
  const main = syntheticDay({ seed: SEED, date: bigDate, timezone: TZ }).sleeps[0]!;
  assert.ok(Math.abs((newest.sleep_main_asleep as number) - main.minutesAsleep * 60) <= 60, 'newest = the model (minutesAsleep)');
  assert.ok((legacy.sleep_main_asleep as number) > (newest.sleep_main_asleep as number) + 1800, 'the legacy version starting hours earlier counts more');
  const stageSum = ['deep', 'light', 'rem', 'wake'].reduce((a, s) => a + (newest[`sleep_main_stage_${s}`] ?? 0), 0);
  assert.equal(stageSum, (main.end - main.start) / 1000, 'the stages cover the sleep');
  for (const k of ['steps', 'distance', 'calories', 'floors', 'active_zone_minutes']) assert.ok(typeof newest[k] === 'number', k);
});
