/**
 * The synthetic "truth": one deterministic day of Fitbit-like data for one person.
 *
 * `syntheticDay({seed, date, timezone})` depends only on its arguments (never on which range is
 * being generated): every random choice comes from a PRNG seeded with a hash of (seed, date, purpose).
 * The Takeout renderer (`takeout.ts`) and the later Google Health API emulator serve this same truth.
 *
 * Ownership: a day owns the samples whose instant falls in its LOCAL day [local 00:00, next local
 * 00:00), except the sleep-derived series (HRV, SpO2), which belong to the sleep they were measured in,
 * i.e. to its `dateOfSleep` (the main sleep starts on the previous evening).
 * All values are in the registry's canonical units (m, kcal, kg, ms, %, °C); Fitbit-unit copies
 * (cm, ft, lb) that the JSON layer prints are kept next to them so both layers are exact.
 */
import type { MetricId } from '../metrics/registry.js';
import { Rng, hash32 } from './prng.js';
import { DAY_MS, MINUTE_MS, addDays, dayNumber } from '../time/index.js';
import { OffsetMap, localToUtc } from './time.js';

export const TRACKER = 'Inspire 3';
export const PHONE = 'Fitbit App';
/** Source of manually logged weights in the CSV layer. */
export const WEIGHT_SOURCE = 'Fitbit App';
export const FEET_TO_M = 0.3048;
export const LB_TO_KG = 0.45359237;

export const DEFAULT_TIMEZONE = 'America/New_York';
export const DEFAULT_SEED = 1;

/** Per-person constants (depend on the seed only). */
export interface SyntheticProfile {
  seed: number;
  profileId: string;
  displayName: string;
  restingBase: number;
  maxHr: number;
  heightCm: number;
  weightBaseLb: number;
  rmssdBase: number;
  spo2Base: number;
  respiratoryBase: number;
  skinTempBase: number;
  /** Resting energy, kcal per minute. */
  bmrPerMin: number;
  strideWalkCm: number;
  strideRunCm: number;
  memberSince: string;
}

export function syntheticProfile(seed: number): SyntheticProfile {
  const r = Rng.for(seed, 'profile');
  return {
    seed,
    profileId: (hash32(`profile|${seed}`) % 0xfffffff).toString(36).toUpperCase().padStart(6, '7').slice(0, 6),
    displayName: r.pick(['Alex', 'Sam', 'Robin', 'Kim', 'Jo', 'Charlie']),
    restingBase: r.int(54, 64),
    maxHr: r.int(178, 190),
    heightCm: r.int(162, 188),
    weightBaseLb: Math.round(r.uniform(140, 200) * 10) / 10,
    rmssdBase: r.uniform(28, 48),
    spo2Base: r.uniform(94.8, 96.8),
    respiratoryBase: r.uniform(13, 16.5),
    skinTempBase: r.uniform(33.2, 34.6),
    bmrPerMin: r.uniform(1.02, 1.22),
    strideWalkCm: r.int(68, 80),
    strideRunCm: r.int(100, 125),
    memberSince: '2019-06-14',
  };
}

/** A series of one data source: parallel arrays of UTC ms, offset (minutes east) and value. */
export interface Series {
  source: string;
  t: number[];
  offset: number[];
  v: number[];
}

export interface HeartRateSeries extends Series {
  /** Fitbit JSON `confidence` (0–3). */
  confidence: number[];
}

/** The merged per-minute grid the JSON layer prints: every minute of the local day. */
export interface MinuteGrid {
  t: number[];
  offset: number[];
  steps: number[];
  /** Centimetres (integers), the JSON distance unit. */
  distanceCm: number[];
  /** Feet (integers), the JSON altitude unit. */
  altitudeFt: number[];
  /** kcal, 2 decimals (same values as the CSV layer). */
  calories: number[];
  /** Source of each minute's steps/distance in the CSV layer ('' when none). */
  source: string[];
}

export type HeartZone = 'FAT_BURN' | 'CARDIO' | 'PEAK';

export interface AzmSample {
  t: number;
  offset: number;
  /** Active zone minutes earned in this minute (fat burn 1, cardio and peak 2). */
  minutes: number;
  zone: HeartZone;
}

export interface HrvSample {
  t: number;
  offset: number;
  rmssd: number;
  sdnn: number;
  coverage: number;
  lowFrequency: number;
  highFrequency: number;
}

export type SleepLevel = 'wake' | 'light' | 'deep' | 'rem' | 'asleep' | 'restless' | 'awake';

export interface SleepSegmentTruth {
  start: number;
  end: number;
  level: SleepLevel;
  /** UTC offsets (minutes east) in force at start and end. */
  startOffset: number;
  endOffset: number;
}

export interface SleepLog {
  logId: number;
  /** Local date the sleep belongs to (the morning it ends). */
  dateOfSleep: string;
  type: 'stages' | 'classic';
  mainSleep: boolean;
  start: number;
  startOffset: number;
  end: number;
  endOffset: number;
  /** `levels.data`: consecutive, non-overlapping, covering [start, end). */
  segments: SleepSegmentTruth[];
  /** `levels.shortData`: wakes under 3 min that overlay `segments`. */
  shortWakes: SleepSegmentTruth[];
  minutesAsleep: number;
  minutesAwake: number;
  minutesToFallAsleep: number;
  minutesAfterWakeup: number;
  timeInBed: number;
  efficiency: number;
}

export interface ExerciseSession {
  logId: number;
  activityName: 'Walk' | 'Run' | 'Bike';
  activityTypeId: number;
  start: number;
  startOffset: number;
  end: number;
  endOffset: number;
  steps: number;
  /** Metres. */
  distanceM: number;
  calories: number;
  averageHeartRate: number;
  activeZoneMinutes: number;
  source: string;
}

export interface WeightEntry {
  logId: number;
  t: number;
  offset: number;
  lb: number;
  grams: number;
  /** kg = grams / 1000 (what the CSV layer says). */
  kg: number;
  bmi: number;
  /** Logged without a time: the JSON says 23:59:59 local. */
  manual: boolean;
}

export interface DailyValues {
  restingHeartRate: { value: number; error: number } | null;
  hrv: { rmssd: number; nremhr: number; entropy: number; deepRmssd: number } | null;
  spo2: { avg: number; lower: number; upper: number; baseline: number; stddev: number } | null;
  respiratoryRate: { full: number; deep: number; light: number; rem: number } | null;
  skinTemperature: { nightly: number; baseline: number; relativeStddev30d: number; samples: number } | null;
}

export interface SyntheticDay {
  seed: number;
  date: string;
  timezone: string;
  /** Local midnight of `date` and of the next day (UTC ms), with their offsets. */
  start: number;
  startOffset: number;
  end: number;
  endOffset: number;
  /** Worn intervals [start, end) (heart rate only inside them). */
  worn: { start: number; end: number }[];
  heartRate: HeartRateSeries;
  /** CSV layer, one series per source, no zero rows. */
  steps: Series[];
  distance: Series[];
  altitude: Series[];
  floors: Series[];
  /** Every minute (never zero). TOTAL energy (basal included), as in Takeout. */
  calories: Series[];
  /**
   * ACTIVE energy per minute (basal excluded; minutes with none left out): the Google Health API's
   * `active-energy-burned` (metric `active_energy`). Not in Takeout; for the API emulator.
   */
  activeEnergy: Series;
  activeZoneMinutes: AzmSample[];
  /** JSON layer per-minute grid (zero minutes included). */
  minutes: MinuteGrid;
  /** Sleeps whose dateOfSleep is this date (main sleep first, then naps). */
  sleeps: SleepLog[];
  /** HRV and SpO2 measured in this date's main sleep (may start the previous evening). */
  hrv: HrvSample[];
  spo2: Series;
  daily: DailyValues;
  weights: WeightEntry[];
  exercises: ExerciseSession[];
}

export interface SyntheticDayOptions {
  seed: number;
  /** Local date YYYY-MM-DD. */
  date: string;
  /** IANA zone. */
  timezone: string;
}

const r1 = (x: number): number => Math.round(x * 10) / 10;
const r2 = (x: number): number => Math.round(x * 100) / 100;
const r3 = (x: number): number => Math.round(x * 1000) / 1000;

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length ? s / xs.length : 0;
}

function logIdFor(seed: number, date: string, kind: number): number {
  // Fitbit log ids are ~11-digit integers; keep them unique per (date, kind) and deterministic.
  return 40_000_000_000 + (dayNumber(date) - 18_000) * 1000 + kind * 10 + (hash32(`${seed}|${date}`) % 10);
}

// ---- sleep -------------------------------------------------------------------------------------

interface MainSleepPlan {
  log: SleepLog;
  hrv: HrvSample[];
  spo2: Series;
  daily: Omit<DailyValues, 'restingHeartRate'>;
}

const EPOCH = 30_000;

function mainSleepPlan(p: SyntheticProfile, date: string, tz: string): MainSleepPlan {
  const r = Rng.for(p.seed, 'sleep', date);
  const startMin = -120 + r.int(-30, 150); // previous evening 21:30 … 00:30
  const start = localToUtc(tz, date, startMin) + r.int(0, 1) * EPOCH;
  const target = r.int(330, 540) * MINUTE_MS;
  const segs: SleepSegmentTruth[] = [];
  let t = start;
  const push = (level: SleepLevel, epochs: number): void => {
    if (epochs <= 0) return;
    const last = segs[segs.length - 1];
    const end = t + epochs * EPOCH;
    if (last && last.level === level) last.end = end;
    else segs.push({ start: t, end, level, startOffset: 0, endOffset: 0 });
    t = end;
  };
  push('wake', r.int(4, 24));
  while (t < start + target) {
    const frac = (t - start) / target;
    push('light', r.int(16, 50));
    push('deep', frac < 0.5 ? r.int(20, 70) : r.chance(0.4) ? r.int(6, 24) : 0);
    push('light', r.int(10, 40));
    push('rem', frac < 0.3 ? r.int(8, 24) : r.int(20, 60));
    if (r.chance(0.5)) push('wake', r.int(6, 14));
  }
  push('wake', r.int(4, 16));
  const end = t;
  // short wakes (< 3 min) over light / rem segments
  const shortWakes: SleepSegmentTruth[] = [];
  for (const s of segs) {
    if ((s.level === 'light' || s.level === 'rem') && s.end - s.start >= 8 * EPOCH && r.chance(0.35)) {
      const len = r.int(1, 5) * EPOCH;
      const at = s.start + r.int(2, Math.floor((s.end - s.start - len) / EPOCH) - 1) * EPOCH;
      shortWakes.push({ start: at, end: at + len, level: 'wake', startOffset: 0, endOffset: 0 });
    }
  }
  let wakeMs = 0;
  for (const s of segs) if (s.level === 'wake') wakeMs += s.end - s.start;
  for (const s of shortWakes) wakeMs += s.end - s.start;
  const timeInBed = Math.round((end - start) / MINUTE_MS);
  const minutesAwake = Math.round(wakeMs / MINUTE_MS);
  const minutesAsleep = timeInBed - minutesAwake;
  const lastSeg = segs[segs.length - 1];
  const offs = new OffsetMap(tz, start - DAY_MS, end + DAY_MS);
  for (const g of [...segs, ...shortWakes]) {
    g.startOffset = offs.get(g.start);
    g.endOffset = offs.get(g.end);
  }
  const log: SleepLog = {
    logId: logIdFor(p.seed, date, 1),
    dateOfSleep: date,
    type: 'stages',
    mainSleep: true,
    start,
    startOffset: offs.get(start),
    end,
    endOffset: offs.get(end),
    segments: segs,
    shortWakes,
    minutesAsleep,
    minutesAwake,
    minutesToFallAsleep: 0,
    minutesAfterWakeup: lastSeg && lastSeg.level === 'wake' ? Math.floor((lastSeg.end - lastSeg.start) / MINUTE_MS) : 0,
    timeInBed,
    efficiency: Math.min(100, Math.round((100 * minutesAsleep) / Math.max(1, timeInBed)) + 3),
  };
  const levelAt = (x: number): SleepLevel => {
    for (const s of segs) if (x >= s.start && x < s.end) return s.level;
    return 'wake';
  };

  // HRV every 5 min while asleep
  const nightRmssd = p.rmssdBase + r.normal() * 4;
  const hrv: HrvSample[] = [];
  const deep: number[] = [];
  for (let x = Math.ceil(start / (5 * MINUTE_MS)) * 5 * MINUTE_MS + 5 * MINUTE_MS; x < end - 5 * MINUTE_MS; x += 5 * MINUTE_MS) {
    const lv = levelAt(x);
    if (lv === 'wake') continue;
    const f = lv === 'deep' ? 1.25 : lv === 'rem' ? 0.85 : 1;
    const rmssd = r3(Math.max(8, nightRmssd * f + r.normal() * 4));
    hrv.push({
      t: x,
      offset: offs.get(x),
      rmssd,
      sdnn: r3(rmssd * r.uniform(1.1, 1.5)),
      coverage: r3(r.uniform(0.82, 1)),
      lowFrequency: r3(r.uniform(300, 1800)),
      highFrequency: r3(r.uniform(150, 1400)),
    });
    if (lv === 'deep') deep.push(rmssd);
  }
  // SpO2 about once a minute
  const spo2: Series = { source: TRACKER, t: [], offset: [], v: [] };
  const nightSpo2 = p.spo2Base + r.normal() * 0.5;
  for (let k = 1; start + (k + 1) * MINUTE_MS < end; k++) {
    const x = start + k * MINUTE_MS + r.int(0, 59) * 1000;
    let v = nightSpo2 + r.normal() * 1.1;
    if (r.chance(0.02)) v -= r.uniform(2, 6);
    spo2.t.push(x);
    spo2.offset.push(offs.get(x));
    spo2.v.push(r1(Math.min(100, Math.max(85, v))));
  }
  const sorted = [...spo2.v].sort((a, b) => a - b);
  const pct = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const avg = mean(spo2.v);
  const sd = Math.sqrt(mean(spo2.v.map((v) => (v - avg) ** 2)));
  const rr = p.respiratoryBase + r.normal() * 0.5;
  const daily: MainSleepPlan['daily'] = {
    hrv:
      hrv.length && !r.chance(0.04)
        ? {
            rmssd: r3(mean(hrv.map((h) => h.rmssd))),
            nremhr: r3(p.restingBase - r.uniform(0, 3)),
            entropy: r3(r.uniform(2, 3)),
            deepRmssd: r3(deep.length ? mean(deep) : nightRmssd),
          }
        : null,
    spo2: spo2.v.length && !r.chance(0.05) ? { avg: r1(avg), lower: r1(pct(0.1)), upper: r1(pct(0.9)), baseline: r1(p.spo2Base), stddev: r3(sd) } : null,
    respiratoryRate: r.chance(0.04)
      ? null
      : { full: r1(rr), deep: r1(rr - r.uniform(0.3, 1)), light: r1(rr + r.uniform(-0.3, 0.3)), rem: r1(rr + r.uniform(0.3, 1.2)) },
    skinTemperature: r.chance(0.06)
      ? null
      : {
          nightly: r3(p.skinTempBase + r.normal() * 0.3),
          baseline: r3(p.skinTempBase),
          relativeStddev30d: r3(r.uniform(0.2, 0.4)),
          samples: Math.round((end - start) / MINUTE_MS),
        },
  };
  return { log, hrv, spo2, daily };
}

function napPlan(p: SyntheticProfile, date: string, tz: string, r: Rng): SleepLog {
  const start = localToUtc(tz, date, r.int(13 * 60, 16 * 60));
  const segs: SleepSegmentTruth[] = [];
  let t = start;
  const push = (level: SleepLevel, minutes: number): void => {
    if (minutes <= 0) return;
    const last = segs[segs.length - 1];
    const end = t + minutes * MINUTE_MS;
    if (last && last.level === level) last.end = end;
    else segs.push({ start: t, end, level, startOffset: 0, endOffset: 0 });
    t = end;
  };
  const total = r.int(20, 75);
  push('awake', r.int(1, 4));
  while (t < start + total * MINUTE_MS) {
    push('asleep', r.int(5, 20));
    if (r.chance(0.5)) push('restless', r.int(1, 3));
  }
  push('awake', r.int(1, 4));
  const timeInBed = Math.round((t - start) / MINUTE_MS);
  let awake = 0;
  let restless = 0;
  for (const s of segs) {
    if (s.level === 'awake') awake += (s.end - s.start) / MINUTE_MS;
    if (s.level === 'restless') restless += (s.end - s.start) / MINUTE_MS;
  }
  const first = segs[0];
  const last = segs[segs.length - 1];
  const offs = new OffsetMap(tz, start - DAY_MS, t + DAY_MS);
  for (const g of segs) {
    g.startOffset = offs.get(g.start);
    g.endOffset = offs.get(g.end);
  }
  return {
    logId: logIdFor(p.seed, date, 2),
    dateOfSleep: date,
    type: 'classic',
    mainSleep: false,
    start,
    startOffset: offs.get(start),
    end: t,
    endOffset: offs.get(t),
    segments: segs,
    shortWakes: [],
    minutesAsleep: timeInBed - awake - restless,
    minutesAwake: awake + restless,
    minutesToFallAsleep: first ? (first.end - first.start) / MINUTE_MS : 0,
    minutesAfterWakeup: last ? (last.end - last.start) / MINUTE_MS : 0,
    timeInBed,
    efficiency: Math.round((100 * (timeInBed - awake - restless)) / Math.max(1, timeInBed)),
  };
}

// ---- the day -----------------------------------------------------------------------------------

/** Per-minute activity: 0 still, 1 slow walk, 2 walk, 3 exercise. */
type Activity = 0 | 1 | 2 | 3;
/** Per-minute sleep state: 0 awake, 1 light/asleep, 2 deep, 3 rem, 4 wake in sleep. */
type SleepState = 0 | 1 | 2 | 3 | 4;

function newSeries(source: string): Series {
  return { source, t: [], offset: [], v: [] };
}

const dayCache = new Map<string, SyntheticDay>();

/** Empties the small day cache (tests use it to prove a rebuilt day is identical). */
export function clearSyntheticDayCache(): void {
  dayCache.clear();
}

/** One deterministic day. Cached (a few entries) since neighbours and layers ask for the same day. */
export function syntheticDay(opts: SyntheticDayOptions): SyntheticDay {
  const key = `${opts.seed}|${opts.date}|${opts.timezone}`;
  const hit = dayCache.get(key);
  if (hit) return hit;
  const day = buildDay(opts);
  dayCache.set(key, day);
  if (dayCache.size > 4) {
    const first = dayCache.keys().next().value;
    if (first !== undefined) dayCache.delete(first);
  }
  return day;
}

function buildDay({ seed, date, timezone: tz }: SyntheticDayOptions): SyntheticDay {
  dayNumber(date); // validates
  const p = syntheticProfile(seed);
  const r = Rng.for(seed, 'day', date);
  const start = localToUtc(tz, date, 0);
  const end = localToUtc(tz, addDays(date, 1), 0);
  const offs = new OffsetMap(tz, start - DAY_MS, end + DAY_MS);
  const M = Math.round((end - start) / MINUTE_MS);
  const minuteOf = (t: number): number => Math.floor((t - start) / MINUTE_MS);

  const main = mainSleepPlan(p, date, tz);
  const nextMain = mainSleepPlan(p, addDays(date, 1), tz);

  // --- sleep state per minute
  const sleepState = new Uint8Array(M) as Uint8Array & { [i: number]: SleepState };
  const markSleep = (log: SleepLog): void => {
    for (const s of log.segments) {
      const st: SleepState = s.level === 'deep' ? 2 : s.level === 'rem' ? 3 : s.level === 'wake' || s.level === 'awake' ? 4 : 1;
      for (let m = Math.max(0, minuteOf(s.start)); m < Math.min(M, minuteOf(s.end - 1) + 1); m++) sleepState[m] = st;
    }
  };
  markSleep(main.log);
  markSleep(nextMain.log);
  const mainEndMin = Math.max(0, minuteOf(main.log.end));
  const nextStartMin = Math.min(M, minuteOf(nextMain.log.start));

  // --- exercise
  const exercises: ExerciseSession[] = [];
  let exFrom = -1;
  let exTo = -1;
  let exKind: ExerciseSession['activityName'] = 'Walk';
  if (r.chance(0.35)) {
    exKind = r.next() < 0.5 ? 'Walk' : r.next() < 0.7 ? 'Run' : 'Bike';
    const dur = r.int(25, 70);
    exFrom = r.chance(0.4) ? mainEndMin + r.int(20, 60) : minuteOf(localToUtc(tz, date, r.int(17 * 60, 19 * 60)));
    exTo = exFrom + dur;
    if (exFrom < mainEndMin + 10 || exTo > nextStartMin - 60) exFrom = exTo = -1;
  }
  // --- nap
  const sleeps: SleepLog[] = [main.log];
  if (r.chance(0.1)) {
    const nap = napPlan(p, date, tz, r);
    const a = minuteOf(nap.start),
      b = minuteOf(nap.end);
    if (a > mainEndMin + 60 && b < nextStartMin - 60 && (exFrom < 0 || b < exFrom - 10 || a > exTo + 10)) {
      sleeps.push(nap);
      markSleep(nap);
    }
  }

  // --- activity per minute
  const activity = new Uint8Array(M) as Uint8Array & { [i: number]: Activity };
  const busy = r.uniform(0.015, 0.05);
  for (let m = 0; m < M; m++) {
    if (sleepState[m] !== 0) continue;
    if (m >= exFrom && m < exTo) {
      activity[m] = 3;
      continue;
    }
    if (r.chance(busy)) {
      const len = r.chance(0.7) ? r.int(1, 6) : r.int(6, 25);
      const lv: Activity = r.chance(0.5) ? 1 : 2;
      for (let k = m; k < Math.min(M, m + len); k++) if (sleepState[k] === 0 && !(k >= exFrom && k < exTo)) activity[k] = lv;
      m += len - 1;
    }
  }

  // --- worn
  const wornMin = new Uint8Array(M).fill(1);
  const blocks = r.chance(0.2) ? 2 : 1;
  let notWornTotal = 0;
  for (let b = 0; b < blocks; b++) {
    for (let tries = 0; tries < 20; tries++) {
      const len = r.int(20, 80);
      const a = r.int(mainEndMin + 30, Math.max(mainEndMin + 30, nextStartMin - 60 - len));
      let ok = a + len <= nextStartMin - 60 && notWornTotal + len <= 150;
      for (let k = a; ok && k < a + len; k++) if (sleepState[k] !== 0 || (k >= exFrom - 5 && k < exTo + 5) || wornMin[k] === 0) ok = false;
      if (!ok) continue;
      for (let k = a; k < a + len; k++) wornMin[k] = 0;
      notWornTotal += len;
      break;
    }
  }
  const worn: { start: number; end: number }[] = [];
  for (let m = 0; m < M;) {
    if (!wornMin[m]) {
      m++;
      continue;
    }
    let k = m;
    while (k < M && wornMin[k]) k++;
    worn.push({ start: start + m * MINUTE_MS, end: Math.min(end, start + k * MINUTE_MS) });
    m = k;
  }

  // --- steps / distance (tracker + phone) per minute
  const strideCm = exKind === 'Run' ? p.strideRunCm : p.strideWalkCm;
  const trackerSteps = new Int32Array(M);
  const phoneSteps = new Int32Array(M);
  const phoneCarried = r.chance(0.8);
  for (let m = 0; m < M; m++) {
    const a = activity[m];
    let s = 0;
    if (a === 1) s = r.int(12, 70);
    else if (a === 2) s = r.int(80, 125);
    else if (a === 3) s = exKind === 'Run' ? r.int(150, 176) : exKind === 'Walk' ? r.int(100, 128) : r.int(0, 3);
    if (wornMin[m]) {
      trackerSteps[m] = s;
      if (s > 0 && a !== 3 && r.chance(0.25)) phoneSteps[m] = Math.max(1, Math.round(s * r.uniform(0.75, 1)));
    } else if (phoneCarried && s > 0) {
      phoneSteps[m] = Math.max(1, Math.round(s * r.uniform(0.8, 1)));
    }
  }

  // --- heart rate
  const rhrDay = p.restingBase + r.normal() * 1.5;
  const exTarget = exKind === 'Run' ? r.uniform(148, 166) : exKind === 'Bike' ? r.uniform(128, 150) : r.uniform(100, 118);
  const hr: HeartRateSeries = { source: TRACKER, t: [], offset: [], v: [], confidence: [] };
  let bpm = rhrDay + (sleepState[0] ? 0 : 12);
  let t = start + r.int(0, 9) * 1000;
  const phase = r.uniform(0, Math.PI * 2);
  while (t < end) {
    const m = minuteOf(t);
    if (!wornMin[m]) {
      t = start + (m + 1) * MINUTE_MS + r.int(0, 20) * 1000;
      continue;
    }
    const st = sleepState[m] ?? 0;
    const a = activity[m] ?? 0;
    let target: number;
    if (st === 2) target = rhrDay - 6;
    else if (st === 1) target = rhrDay - 2;
    else if (st === 3) target = rhrDay + 4;
    else if (st === 4) target = rhrDay + 8;
    else if (a === 3) target = exTarget;
    else if (a === 2) target = rhrDay + 42;
    else if (a === 1) target = rhrDay + 26;
    else target = rhrDay + 12 + 6 * Math.sin(phase + (t - start) / 5_400_000);
    const dt = a === 3 ? r.int(1, 2) : a > 0 ? r.int(1, 4) : r.int(1, 10);
    const k = Math.min(1, 0.06 * dt);
    bpm += (target - bpm) * k + r.normal() * Math.sqrt(dt) * 0.9;
    bpm = Math.min(p.maxHr + 5, Math.max(38, bpm));
    hr.t.push(t);
    hr.offset.push(offs.get(t));
    hr.v.push(Math.round(bpm));
    hr.confidence.push(a === 3 ? r.int(1, 3) : r.chance(0.03) ? r.int(0, 1) : r.int(2, 3));
    t += dt * 1000;
  }

  // --- per-minute mean heart rate → AZM and exercise stats
  const minuteHrSum = new Float64Array(M);
  const minuteHrN = new Int32Array(M);
  for (let i = 0; i < hr.t.length; i++) {
    const m = minuteOf(hr.t[i] as number);
    minuteHrSum[m] = (minuteHrSum[m] ?? 0) + (hr.v[i] as number);
    minuteHrN[m] = (minuteHrN[m] ?? 0) + 1;
  }
  const hrr = p.maxHr - p.restingBase;
  const fatBurn = p.restingBase + 0.4 * hrr,
    cardio = p.restingBase + 0.6 * hrr,
    peak = p.restingBase + 0.85 * hrr;
  const azm: AzmSample[] = [];
  for (let m = 0; m < M; m++) {
    const n = minuteHrN[m] ?? 0;
    if (!n) continue;
    const avg = (minuteHrSum[m] ?? 0) / n;
    if (avg < fatBurn) continue;
    const zone: HeartZone = avg >= peak ? 'PEAK' : avg >= cardio ? 'CARDIO' : 'FAT_BURN';
    const x = start + m * MINUTE_MS;
    azm.push({ t: x, offset: offs.get(x), minutes: zone === 'FAT_BURN' ? 1 : 2, zone });
  }

  // --- per-minute grid, CSV series
  const grid: MinuteGrid = { t: [], offset: [], steps: [], distanceCm: [], altitudeFt: [], calories: [], source: [] };
  const steps = [newSeries(TRACKER), newSeries(PHONE)];
  const distance = [newSeries(TRACKER), newSeries(PHONE)];
  const altitude = [newSeries(TRACKER)];
  const floors = [newSeries(TRACKER)];
  const calories = [newSeries(TRACKER)];
  const [stT, stP] = steps as [Series, Series];
  const [diT, diP] = distance as [Series, Series];
  const [alT] = altitude as [Series];
  const [flT] = floors as [Series];
  const [caT] = calories as [Series];
  const actE = newSeries(TRACKER);
  const stride = (m: number): number => (activity[m] === 3 ? strideCm : p.strideWalkCm);
  for (let m = 0; m < M; m++) {
    const x = start + m * MINUTE_MS;
    const o = offs.get(x);
    const ts = trackerSteps[m] ?? 0,
      ps = phoneSteps[m] ?? 0;
    const tcm = Math.round(ts * stride(m)),
      pcm = Math.round(ps * stride(m));
    if (ts > 0) {
      stT.t.push(x);
      stT.offset.push(o);
      stT.v.push(ts);
      diT.t.push(x);
      diT.offset.push(o);
      diT.v.push(tcm / 100);
    }
    if (ps > 0) {
      stP.t.push(x);
      stP.offset.push(o);
      stP.v.push(ps);
      diP.t.push(x);
      diP.offset.push(o);
      diP.v.push(pcm / 100);
    }
    let fl = 0;
    if (wornMin[m] && (activity[m] === 1 || activity[m] === 2) && r.chance(0.015)) fl = r.chance(0.2) ? 2 : 1;
    if (fl) {
      flT.t.push(x);
      flT.offset.push(o);
      flT.v.push(fl);
      alT.t.push(x);
      alT.offset.push(o);
      alT.v.push(r3(fl * 10 * FEET_TO_M));
    }
    const n = minuteHrN[m] ?? 0;
    const avgHr = n ? (minuteHrSum[m] ?? 0) / n : rhrDay;
    const base = p.bmrPerMin * (sleepState[m] ? 0.93 : 1);
    const active = activity[m] === 3 ? Math.max(0, avgHr - rhrDay) * 0.075 : (wornMin[m] ? ts : ps) * 0.045;
    const kcal = r2(base + active + fl * 0.6);
    const act = r2(kcal - r2(base));
    if (act > 0) {
      actE.t.push(x);
      actE.offset.push(o);
      actE.v.push(act);
    }
    caT.t.push(x);
    caT.offset.push(o);
    caT.v.push(kcal);
    const useTracker = wornMin[m] === 1;
    grid.t.push(x);
    grid.offset.push(o);
    grid.steps.push(useTracker ? ts : ps);
    grid.distanceCm.push(useTracker ? tcm : pcm);
    grid.altitudeFt.push(fl * 10);
    grid.calories.push(kcal);
    grid.source.push(useTracker ? (ts > 0 ? TRACKER : '') : ps > 0 ? PHONE : '');
  }

  // --- exercise session summary
  if (exFrom >= 0) {
    const s = start + exFrom * MINUTE_MS + r.int(0, 59) * 1000;
    const e = start + exTo * MINUTE_MS + r.int(0, 59) * 1000;
    let hs = 0,
      hn = 0;
    for (let i = 0; i < hr.t.length; i++) {
      const x = hr.t[i] as number;
      if (x >= s && x < e) {
        hs += hr.v[i] as number;
        hn++;
      }
    }
    let st = 0,
      cm = 0,
      kc = 0,
      az = 0;
    for (let m = exFrom; m < exTo; m++) {
      st += trackerSteps[m] ?? 0;
      cm += Math.round((trackerSteps[m] ?? 0) * strideCm);
      kc += caT.v[m] ?? 0;
    }
    for (const a of azm) if (a.t >= start + exFrom * MINUTE_MS && a.t < start + exTo * MINUTE_MS) az += a.minutes;
    exercises.push({
      logId: logIdFor(seed, date, 3),
      activityName: exKind,
      activityTypeId: exKind === 'Walk' ? 90013 : exKind === 'Run' ? 90009 : 90001,
      start: s,
      startOffset: offs.get(s),
      end: e,
      endOffset: offs.get(e),
      steps: st,
      distanceM: r2(cm / 100),
      calories: Math.round(kc),
      averageHeartRate: hn ? Math.round(hs / hn) : Math.round(rhrDay),
      activeZoneMinutes: az,
      source: TRACKER,
    });
  }

  // --- weight
  const weights: WeightEntry[] = [];
  if (r.chance(0.2)) {
    const manual = r.chance(0.3);
    const x = manual ? localToUtc(tz, date, 23 * 60 + 59) + 59_000 : start + Math.min(M - 1, mainEndMin + r.int(5, 40)) * MINUTE_MS + r.int(0, 59) * 1000;
    const lb = r1(p.weightBaseLb + 2 * Math.sin(dayNumber(date) / 40) + r.normal() * 0.6);
    const grams = Math.round(lb * LB_TO_KG * 1000);
    const h = p.heightCm / 100;
    // Fitbit weight log ids are the local wall-clock time read as UTC, in ms
    weights.push({ logId: x + offs.get(x) * MINUTE_MS, t: x, offset: offs.get(x), lb, grams, kg: grams / 1000, bmi: r2(grams / 1000 / (h * h)), manual });
  }

  const daily: DailyValues = {
    restingHeartRate: r.chance(0.04) ? null : { value: r2(rhrDay), error: r2(r.uniform(3, 8)) },
    ...main.daily,
  };
  return {
    seed,
    date,
    timezone: tz,
    start,
    startOffset: offs.get(start),
    end,
    endOffset: offs.get(end),
    worn,
    heartRate: hr,
    steps,
    distance,
    altitude,
    floors,
    calories,
    activeEnergy: actE,
    activeZoneMinutes: azm,
    minutes: grid,
    sleeps,
    hrv: main.hrv,
    spo2: main.spo2,
    daily,
    weights,
    exercises,
  };
}

// ---- truth totals ------------------------------------------------------------------------------

export interface Totals {
  count: number;
  sum: number;
  /** First and last instant (UTC ms). */
  first: number;
  last: number;
}

/** Totals per metric and data source: `totals.steps['Inspire 3']`. */
export type DayTotals = Partial<Record<MetricId, Record<string, Totals>>>;

function addTo(out: DayTotals, metric: MetricId, source: string, t: number, v: number): void {
  const bySource = (out[metric] ??= {});
  const cur = bySource[source];
  if (!cur) bySource[source] = { count: 1, sum: v, first: t, last: t };
  else {
    cur.count++;
    cur.sum += v;
    if (t < cur.first) cur.first = t;
    if (t > cur.last) cur.last = t;
  }
}

function addSeries(out: DayTotals, metric: MetricId, s: Series, from = -Infinity, to = Infinity): void {
  for (let i = 0; i < s.t.length; i++) {
    const t = s.t[i] as number;
    if (t >= from && t < to) addTo(out, metric, s.source, t, s.v[i] as number);
  }
}

/**
 * The truth a CSV-layer importer should find for this day, per metric and data source (sessions:
 * count and the sum of their durations in ms). Daily metrics are stamped at the day's local midnight.
 * `before` limits to instants before it (a partial last day); daily values and sessions are then left out.
 */
export function dayTotals(day: SyntheticDay, before = Infinity): DayTotals {
  const out: DayTotals = {};
  addSeries(out, 'heart_rate', day.heartRate, -Infinity, before);
  for (const s of day.steps) addSeries(out, 'steps', s, -Infinity, before);
  for (const s of day.distance) addSeries(out, 'distance', s, -Infinity, before);
  for (const s of day.calories) addSeries(out, 'calories', s, -Infinity, before);
  for (const s of day.altitude) addSeries(out, 'altitude', s, -Infinity, before);
  for (const s of day.floors) addSeries(out, 'floors', s, -Infinity, before);
  for (const a of day.activeZoneMinutes) if (a.t < before) addTo(out, 'active_zone_minutes', TRACKER, a.t, a.minutes);
  for (const w of day.weights) if (w.t < before) addTo(out, 'weight', WEIGHT_SOURCE, w.t, w.kg);
  if (before !== Infinity) return out;
  for (const h of day.hrv) {
    addTo(out, 'hrv_rmssd', TRACKER, h.t, h.rmssd);
    addTo(out, 'hrv_sdnn', TRACKER, h.t, h.sdnn);
    addTo(out, 'hrv_coverage', TRACKER, h.t, h.coverage);
    addTo(out, 'hrv_low_frequency', TRACKER, h.t, h.lowFrequency);
    addTo(out, 'hrv_high_frequency', TRACKER, h.t, h.highFrequency);
  }
  addSeries(out, 'spo2', day.spo2);
  const d = day.daily,
    t = day.start;
  if (d.restingHeartRate) addTo(out, 'resting_heart_rate', TRACKER, t, d.restingHeartRate.value);
  if (d.hrv) {
    addTo(out, 'hrv_daily_rmssd', TRACKER, t, d.hrv.rmssd);
    addTo(out, 'hrv_daily_nremhr', TRACKER, t, d.hrv.nremhr);
    addTo(out, 'hrv_daily_entropy', TRACKER, t, d.hrv.entropy);
  }
  if (d.spo2) {
    addTo(out, 'spo2_daily_avg', TRACKER, t, d.spo2.avg);
    addTo(out, 'spo2_daily_lower', TRACKER, t, d.spo2.lower);
    addTo(out, 'spo2_daily_upper', TRACKER, t, d.spo2.upper);
  }
  if (d.respiratoryRate) addTo(out, 'respiratory_rate', TRACKER, t, d.respiratoryRate.full);
  if (d.skinTemperature) addTo(out, 'skin_temperature', TRACKER, t, d.skinTemperature.nightly);
  for (const s of day.sleeps) addTo(out, 'sleep', TRACKER, s.start, s.end - s.start);
  for (const e of day.exercises) addTo(out, 'exercise', e.source, e.start, e.end - e.start);
  return out;
}

/** Totals of `days` full local days from `startDate` (the same truth `generateTakeout` reports, without the partial day). */
export function rangeTotals(opts: { seed: number; timezone: string; startDate: string; days: number }): DayTotals {
  const out: DayTotals = {};
  for (let i = 0; i < opts.days; i++) mergeTotals(out, dayTotals(syntheticDay({ seed: opts.seed, timezone: opts.timezone, date: addDays(opts.startDate, i) })));
  return out;
}

/** Adds `b` into `a` (for range totals). */
export function mergeTotals(a: DayTotals, b: DayTotals): DayTotals {
  for (const [metric, bySource] of Object.entries(b) as [MetricId, Record<string, Totals>][]) {
    for (const [source, tb] of Object.entries(bySource)) {
      const ta = (a[metric] ??= {})[source];
      if (!ta) a[metric][source] = { ...tb };
      else {
        ta.count += tb.count;
        ta.sum += tb.sum;
        ta.first = Math.min(ta.first, tb.first);
        ta.last = Math.max(ta.last, tb.last);
      }
    }
  }
  return a;
}
