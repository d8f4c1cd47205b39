/**
 * The quirks of real Takeout exports (layers and algorithm versions that disagree), deterministic
 * from the seed. The model (`model.ts`) is the physical truth and what the Google Health API
 * emulator serves; these functions say how the Takeout layers deviate from it. The Takeout renderer
 * (`takeout.ts`) applies them and `figures.ts` / `takeoutDayTotals` take them into account.
 *
 * - Sleep versions: the model's sleeps are the NEWEST algorithm version (`sleep_session_v2`, what
 *   the API serves). `legacySleep` derives the `sleep_session_v1` version of a sleep, which the
 *   `sleep-*.json` logs also hold: start and end differ by 0–20 minutes (whole 30 s epochs; about 4
 *   sleeps in 10 are identical), about one main sleep in fifteen starts 1–3 hours earlier. Some naps exist only as a v2 row of
 *   `UserSleeps_*.csv` (no v1 row, no JSON log): `legacySleep` returns null for them.
 * - Same-instant layer disagreements: about 1 heart-rate instant in 25,000 and 1 calories minute
 *   in 5,000 carry another value in the JSON layer than in the CSV layer (the CSV value is the truth).
 * - Weight: some weigh-ins with a real instant say `"time": "23:59:59"` in `weight-*.json`;
 *   `weight.csv` keeps the real instant.
 * - Legacy daily summaries (`Daily Heart Rate Variability Summary`, `Daily Respiratory Rate
 *   Summary`) print slightly other values than the Google `daily_*.csv` (the truth).
 * - A split day (about one day in 40): its steps, distance and calories before `splitInstant` are
 *   only in the JSON layer; after it only in the CSV layer, one row per minute under `Fitbit App`.
 */
import { DAY_MS, MINUTE_MS, addDays } from '../time/index.js';
import { PHONE, type SleepLevel, type SleepLog, type SleepSegmentTruth, type WeightEntry } from './model.js';
import { Rng, hash32 } from './prng.js';
import { OffsetMap, localToUtc } from './time.js';

export const SLEEP_SESSION_LEGACY = 'sleep_session_v1';
export const SLEEP_SESSION_NEWEST = 'sleep_session_v2';
export const SLEEP_STAGES_LEGACY = 'sleep_stages_v1';
export const SLEEP_STAGES_NEWEST = 'sleep_stages_v2';
/** The CSV source of the part of a split day after the split. */
export const SPLIT_DAY_SOURCE = PHONE;

/** Heart-rate instants whose JSON value differs from the CSV value: 1 in … */
export const HR_DISAGREEMENT_EVERY = 25_000;
/** Calories minutes whose JSON value differs from the CSV value: 1 in … */
export const CALORIES_DISAGREEMENT_EVERY = 5_000;
/** Main sleeps whose legacy version starts hours earlier: 1 in … */
export const SLEEP_BIG_SHIFT_EVERY = 15;
/** Split days: 1 in … */
export const SPLIT_DAY_EVERY = 40;

const EPOCH = 30_000;

function h(seed: number, ...parts: (string | number)[]): number {
  return hash32(`${seed}|${parts.join('|')}`);
}

/** Whether this nap exists only as a newest-version row of `UserSleeps_*.csv` (half of the naps). */
export function isUserSleepsOnlyNap(seed: number, log: SleepLog): boolean {
  return !log.mainSleep && h(seed, 'nap-only-csv', log.logId) % 2 === 0;
}

/** Whether the legacy version of this main sleep starts 1–3 hours before the newest one. */
export function isBigSleepShift(seed: number, log: SleepLog): boolean {
  return log.mainSleep && h(seed, 'sleep-big-shift', log.logId) % SLEEP_BIG_SHIFT_EVERY === 0;
}

/**
 * `levels.data` with `levels.shortData` applied: the short wakes split the segments they fall
 * into (Fitbit's merge). What `UserSleepStages_*.csv` lists and what the stage figures count.
 */
export function mergedStages(log: SleepLog): SleepSegmentTruth[] {
  if (!log.shortWakes.length) return log.segments.map((s) => ({ ...s }));
  const sw = [...log.shortWakes].sort((a, b) => a.start - b.start);
  const out: SleepSegmentTruth[] = [];
  for (const d of log.segments) {
    let cur = d.start;
    let curOffset = d.startOffset;
    for (const w of sw) {
      if (w.end <= cur || w.start >= d.end) continue;
      if (w.start > cur) out.push({ start: cur, end: w.start, level: d.level, startOffset: curOffset, endOffset: w.startOffset });
      if (w.end > cur) {
        cur = w.end;
        curOffset = w.endOffset;
      }
      if (cur >= d.end) break;
    }
    if (cur < d.end) out.push({ start: cur, end: d.end, level: d.level, startOffset: curOffset, endOffset: d.endOffset });
  }
  for (const w of sw) out.push({ ...w });
  out.sort((a, b) => a.start - b.start || a.end - b.end);
  return out;
}

function isWake(level: SleepLevel): boolean {
  return level === 'wake' || level === 'awake';
}

/** Recomputes the summary fields of a log from its segments (as the model does). */
function withStats(log: SleepLog): SleepLog {
  const segs = log.segments;
  let wakeMs = 0;
  let restlessMs = 0;
  for (const s of segs) {
    if (isWake(s.level)) wakeMs += s.end - s.start;
    if (s.level === 'restless') restlessMs += s.end - s.start;
  }
  for (const s of log.shortWakes) wakeMs += s.end - s.start;
  const timeInBed = Math.round((log.end - log.start) / MINUTE_MS);
  const minutesAwake = Math.round((wakeMs + restlessMs) / MINUTE_MS);
  const minutesAsleep = timeInBed - minutesAwake;
  const first = segs[0];
  const last = segs[segs.length - 1];
  return {
    ...log,
    minutesAsleep,
    minutesAwake,
    minutesToFallAsleep: log.type === 'classic' && first && isWake(first.level) ? Math.round((first.end - first.start) / MINUTE_MS) : 0,
    minutesAfterWakeup: last && isWake(last.level) ? Math.floor((last.end - last.start) / MINUTE_MS) : 0,
    timeInBed,
    efficiency:
      log.type === 'stages'
        ? Math.min(100, Math.round((100 * minutesAsleep) / Math.max(1, timeInBed)) + 3)
        : Math.round((100 * minutesAsleep) / Math.max(1, timeInBed)),
  };
}

/**
 * The legacy (`sleep_session_v1`) version of a sleep of the model, which the `sleep-*.json` logs
 * hold verbatim; null when the sleep has no legacy version (a nap only in `UserSleeps_*.csv`).
 * Same `logId` and `dateOfSleep`; the stages are the newest version's, clipped to the legacy
 * interval and padded (wake, or light when it starts hours earlier).
 */
export function legacySleep(seed: number, log: SleepLog, timezone: string): SleepLog | null {
  if (isUserSleepsOnlyNap(seed, log)) return null;
  const r = Rng.for(seed, 'sleep-v1', log.logId);
  const maxEpochs = log.mainSleep ? 40 : 10;
  const sign = (): number => (r.chance(0.5) ? -1 : 1);
  // about 4 sleeps in 10 have identical instants in both versions (6 of 13 in a real export)
  const same = r.chance(0.4);
  let start = same ? log.start : log.start + sign() * r.int(0, maxEpochs) * EPOCH;
  const end = same ? log.end : log.end + sign() * r.int(0, maxEpochs) * EPOCH;
  if (isBigSleepShift(seed, log)) {
    // never before 18:30 local of the evening before (naps end by ~17:30)
    const floor = localToUtc(timezone, addDays(log.dateOfSleep, -1), 18 * 60 + 30);
    start = Math.max(floor, log.start - r.int(60, 180) * MINUTE_MS);
    start -= (start - log.start) % EPOCH;
  }
  const offs = new OffsetMap(timezone, start - DAY_MS, end + DAY_MS);
  const seg = (a: number, b: number, level: SleepLevel): SleepSegmentTruth => ({ start: a, end: b, level, startOffset: offs.get(a), endOffset: offs.get(b) });
  const wake: SleepLevel = log.type === 'stages' ? 'wake' : 'awake';
  const fill: SleepLevel = log.type === 'stages' ? 'light' : 'asleep';
  const segs: SleepSegmentTruth[] = [];
  const push = (s: SleepSegmentTruth): void => {
    if (s.end <= s.start) return;
    const last = segs[segs.length - 1];
    if (last && last.level === s.level && last.end === s.start) {
      last.end = s.end;
      last.endOffset = s.endOffset;
    } else segs.push(s);
  };
  if (start < log.start) {
    const pad = log.start - start;
    if (pad > 30 * MINUTE_MS) {
      const w = r.int(6, 20) * EPOCH;
      push(seg(start, start + w, wake));
      push(seg(start + w, log.start, fill));
    } else push(seg(start, log.start, wake));
  }
  for (const s of log.segments) {
    const a = Math.max(s.start, start);
    const b = Math.min(s.end, end);
    if (b > a) push(seg(a, b, s.level));
  }
  if (end > log.end) push(seg(log.end, end, wake));
  const shortWakes = log.shortWakes.filter((w) => w.start >= start && w.end <= end).map((w) => ({ ...w }));
  return withStats({ ...log, start, startOffset: offs.get(start), end, endOffset: offs.get(end), segments: segs, shortWakes });
}

/** The heart-rate value the JSON layer prints at `t` instead of `bpm` (`bpm` itself almost always). */
export function jsonHeartRate(seed: number, t: number, bpm: number): number {
  const x = h(seed, 'hr-layer', t);
  if (x % HR_DISAGREEMENT_EVERY !== 0) return bpm;
  const d = 1 + ((x >>> 20) % 4);
  return bpm + ((x >>> 24) & 1 ? d : -d);
}

/** The calories value the JSON layer prints for the minute at `t` instead of `kcal`. */
export function jsonCalories(seed: number, t: number, kcal: number): number {
  const x = h(seed, 'kcal-layer', t);
  if (x % CALORIES_DISAGREEMENT_EVERY !== 0) return kcal;
  return Math.round((kcal + 0.05 + ((x >>> 20) % 30) / 100) * 100) / 100;
}

/** Whether `weight-*.json` prints the placeholder time `23:59:59` for a weigh-in logged at a real instant. */
export function weightPlaceholder(seed: number, w: WeightEntry): boolean {
  return w.manual || h(seed, 'weight-placeholder', w.logId) % 2 === 0;
}

/** Legacy `Daily Heart Rate Variability Summary` values: a little off the Google daily file's. */
export function legacyHrvSummary(
  seed: number,
  date: string,
  v: { rmssd: number; nremhr: number; entropy: number },
): { rmssd: number; nremhr: number; entropy: number } {
  const r = Rng.for(seed, 'legacy-hrv', date);
  const r3 = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    rmssd: r3(v.rmssd + r.pick([-1, 1]) * r.uniform(0.1, 1.5)),
    nremhr: r3(v.nremhr + r.pick([-1, 1]) * r.uniform(0.05, 0.6)),
    entropy: r3(v.entropy + r.pick([-1, 1]) * r.uniform(0.01, 0.1)),
  };
}

/** Legacy `Daily Respiratory Rate Summary` value: a little off the Google daily file's. */
export function legacyRespiratoryRate(seed: number, date: string, full: number): number {
  const r = Rng.for(seed, 'legacy-rr', date);
  return Math.round((full + r.pick([-1, 1]) * r.uniform(0.1, 0.4)) * 10) / 10;
}

/**
 * The split instant of a split day (UTC ms, a whole local minute 09:00–13:00), or null for a
 * normal day. Before it the day's steps, distance and calories are only in the JSON layer.
 */
export function splitInstant(seed: number, date: string, timezone: string): number | null {
  const x = h(seed, 'split-day', date);
  if (x % SPLIT_DAY_EVERY !== 0) return null;
  return localToUtc(timezone, date, 9 * 60 + ((x >>> 16) % 241));
}
