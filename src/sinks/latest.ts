/**
 * The "latest values" of an account, computed from the store: what a dashboard shows right now
 * (MQTT / Home Assistant; later the Prometheus gauges). Pure and typed: the store is only read,
 * and "now" is an argument, so a test can walk a simulated day with an injected clock.
 *
 * - "Today" is the local day of the account's zone at `now` ([local midnight, next local
 *   midnight), DST-aware through Zone).
 * - Sources stay separate in the store (a tracker and the phone app are different series, the
 *   Takeout JSON layer's leftovers are a third). Totals merge them per minute like every day
 *   total (src/reconcile/day-totals.ts): the highest-ranked source that has a minute gives it
 *   (tracker > phone / apps > legacy layer), never the sum: a phone counting the same walk as the
 *   tracker must not double it, and a day split between the layers is whole.
 * - "Steps in the last 60 minutes" counts the minutes stamped in [now − 60 min, now].
 * - Single readings (heart rate, daily values) are the newest sample of any source at or before
 *   `now`.
 * - Every reading carries the instant it was measured (with the UTC offset in force there) and
 *   its age at `now`. A total's instant is the newest sample it counts.
 *
 * `DailyHighWater` is the guard for totals that must never drop within a local day (a drop reads
 * as a meter reset to Home Assistant's `total_increasing` and doubles its statistics), e.g. while
 * samples are being re-attributed from one source to another.
 */
import type { MetricId } from '../metrics/registry.js';
import { windowTotal } from '../reconcile/day-totals.js';
import type { SeriesInfo, SleepStage, Store, StoredSession } from '../store/types.js';
import { DAY_MS, HOUR_MS, formatIso, localDayAtOffset, zoneNamed } from '../time/index.js';
import { sleepDayFigures } from '../reconcile/sleep.js';

/** The keys of the latest-values model, in their published order. */
export const LATEST_KEYS = [
  'heart_rate',
  'steps_today',
  'steps_last_60_min',
  'calories_today',
  'distance_today',
  'floors_today',
  'resting_heart_rate',
  'hrv',
  'spo2',
  'breathing_rate',
  'sleep_stage',
  'sleep_duration',
  'newest_sample',
] as const;

export type LatestKey = (typeof LATEST_KEYS)[number];

/** Stages a `sleep_stage` reading can take (the store's normalised names). */
export const SLEEP_STAGES: readonly SleepStage[] = ['wake', 'light', 'deep', 'rem', 'asleep', 'restless', 'unknown'];

/** Totals of the local day (never decrease within a day once guarded). */
export const DAILY_TOTAL_KEYS = ['steps_today', 'calories_today', 'distance_today', 'floors_today'] as const satisfies readonly LatestKey[];
export type DailyTotalKey = (typeof DAILY_TOTAL_KEYS)[number];

export interface Reading<V extends number | string = number> {
  /** The value in the unit of LATEST_UNITS, null when unknown. */
  value: V | null;
  /** When it was measured (UTC ms), null when unknown. */
  at: number | null;
  /** UTC offset in force at `at` (minutes east), null when unknown. */
  offset: number | null;
  /** Seconds from `at` to the evaluation instant (whole seconds, ≥ 0), null when unknown. */
  ageS: number | null;
  /**
   * How far the data behind the reading reaches, for the freshness rules of the MQTT entities:
   * `sleep_stage`: the instant the stage ends (its segment's end, at most the session's end; at
   * or before the evaluation instant when the newest session ended); `steps_last_60_min`: the
   * newest steps sample of any source at or before the evaluation instant (the window may be
   * empty while data still arrives). Absent for the other readings.
   */
  through?: number | null;
}

export interface LatestValues {
  account: string;
  /** IANA zone "today" was computed in. */
  timezone: string;
  /** The evaluation instant (UTC ms). */
  now: number;
  /** The local date at `now` (YYYY-MM-DD) and its bounds (UTC ms, [start, end)). */
  localDate: string;
  dayStart: number;
  dayEnd: number;
  values: {
    [K in LatestKey]: K extends 'sleep_stage' ? Reading<SleepStage> : Reading;
  };
}

/** Units of the readings (registry units where a metric backs them). */
export const LATEST_UNITS: Record<LatestKey, string | null> = {
  heart_rate: 'bpm',
  steps_today: 'steps',
  steps_last_60_min: 'steps',
  calories_today: 'kcal',
  distance_today: 'm',
  floors_today: 'floors',
  resting_heart_rate: 'bpm',
  hrv: 'ms',
  spo2: '%',
  breathing_rate: 'breaths/min',
  sleep_stage: null,
  sleep_duration: 'min',
  newest_sample: null,
};

/** The metric behind each store-backed reading (documentation and the unit check in the tests). */
export const LATEST_METRICS: Partial<Record<LatestKey, MetricId>> = {
  heart_rate: 'heart_rate',
  steps_today: 'steps',
  steps_last_60_min: 'steps',
  calories_today: 'calories',
  distance_today: 'distance',
  floors_today: 'floors',
  resting_heart_rate: 'resting_heart_rate',
  hrv: 'hrv_daily_rmssd',
  spo2: 'spo2_daily_avg',
  breathing_rate: 'respiratory_rate',
  sleep_stage: 'sleep',
  sleep_duration: 'sleep',
};

export interface LatestOptions {
  /** The evaluation instant (UTC ms): inject a clock. */
  now: number;
  /** IANA zone of the account (config, else the store's account info; see resolveTimezone). */
  timezone: string;
}

/** The account's zone: the config's, else the one stored for the account, else UTC. */
export function resolveTimezone(store: Store, account: string, configured?: string | null): { timezone: string; from: 'config' | 'store' | 'default' } {
  if (configured) return { timezone: configured, from: 'config' };
  const stored = store.getAccount(account)?.timezone;
  if (stored) return { timezone: stored, from: 'store' };
  return { timezone: 'UTC', from: 'default' };
}

function reading<V extends number | string>(value: V | null, at: number | null, offset: number | null, now: number): Reading<V> {
  if (value === null) return { value: null, at: null, offset: null, ageS: null };
  return { value, at, offset, ageS: at === null ? null : Math.max(0, Math.floor((now - at) / 1000)) };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** The newest sample at or before `now` over the given series. */
function newest(store: Store, series: readonly SeriesInfo[], now: number): { t: number; offset: number; v: number } | null {
  let best: { t: number; offset: number; v: number } | null = null;
  const byLast = [...series].sort((a, b) => (b.last ?? -Infinity) - (a.last ?? -Infinity));
  for (const s of byLast) {
    if (s.last === null || s.first === null || s.first > now) continue;
    if (best !== null && s.last <= best.t) continue;
    const key = { account: s.account, metric: s.metric, source: s.source };
    let found: { t: number; offset: number; v: number } | null = null;
    if (s.last <= now) {
      for (const x of store.iterateSamples(key, s.last, s.last + 1)) found = x;
    }
    if (found === null) {
      // Samples stamped after `now` (clock skew, a test's clock): look back a few days.
      for (const x of store.iterateSamples(key, now - 3 * DAY_MS, now + 1)) found = x;
    }
    if (found !== null && (best === null || found.t > best.t)) best = found;
  }
  return best;
}

function sleepReadings(
  store: Store,
  account: string,
  now: number,
  yesterdayStart: number,
): {
  stage: Reading<SleepStage>;
  duration: Reading;
} {
  const sessions = store.sessions(account, 'sleep', now - 3 * DAY_MS, now + 1).filter((s) => s.start <= now);
  // Current or last stage: the stage covering `now` in a session that is still going on, else
  // the last stage of the newest session.
  let stage: Reading<SleepStage> = reading<SleepStage>(null, null, null, now);
  let newestSession: StoredSession | null = null;
  for (const s of sessions) if (newestSession === null || s.start > newestSession.start) newestSession = s;
  if (newestSession !== null && newestSession.segments.length > 0) {
    const segs = [...newestSession.segments].sort((a, b) => a.start - b.start);
    const covering = segs.filter((g) => g.start <= now && now < g.end).pop();
    const past = segs.filter((g) => g.start <= now);
    const seg = covering ?? past[past.length - 1];
    if (seg) {
      const offset = seg.start >= newestSession.end ? newestSession.endOffset : newestSession.startOffset;
      stage = { ...reading<SleepStage>(seg.stage, seg.start, offset, now), through: Math.min(seg.end, newestSession.end) };
    }
  }
  // Last night: the main sleep figure (sleepDayFigures: the chosen version of each physical sleep,
  // a night in two parts summed) of the newest local day, today or yesterday, whose main sleep has ended.
  const ended = sessions.filter((s) => s.end <= now && s.end >= yesterdayStart && s.mainSleep !== false);
  let night: StoredSession | null = null;
  for (const s of ended) if (night === null || s.end > night.end) night = s;
  let duration = reading<number>(null, null, null, now);
  if (night !== null) {
    const day = localDayAtOffset(night.end, night.endOffset);
    const fig = sleepDayFigures(store, account, [day]).find((f) => f.kind === 'main');
    if (fig) duration = reading(Math.round(fig.asleepSeconds / 60), night.end, night.endOffset, now);
  }
  return { stage, duration };
}

/** Computes the latest values of one account at `opts.now`. Reads only. */
export function computeLatest(store: Store, account: string, opts: LatestOptions): LatestValues {
  const { now, timezone } = opts;
  const zone = zoneNamed(timezone);
  const day = zone.dayAt(now);
  const yesterday = zone.dayAt(day.start - 1);
  const all = store.listSeries({ account });
  const of = (m: MetricId): SeriesInfo[] => all.filter((s) => s.metric === m);

  const single = (m: MetricId, digits = 2): Reading => {
    const n = newest(store, of(m), now);
    return n === null ? reading<number>(null, null, null, now) : reading(round(n.v, digits), n.t, n.offset, now);
  };
  const total = (m: MetricId, from: number, to: number, digits: number): Reading => {
    const series = of(m);
    if (series.length === 0) return reading<number>(null, null, null, now);
    const r = windowTotal(store, series, from, to);
    return { value: round(r.value, digits), at: r.t, offset: r.offset, ageS: r.t === null ? null : Math.max(0, Math.floor((now - r.t) / 1000)) };
  };
  const todayTo = Math.min(day.end, now + 1);

  const newestAny = newest(store, all, now);
  const newestSteps = newest(store, of('steps'), now);
  const sleep = sleepReadings(store, account, now, yesterday.start);

  return {
    account,
    timezone,
    now,
    localDate: day.date,
    dayStart: day.start,
    dayEnd: day.end,
    values: {
      heart_rate: single('heart_rate', 1),
      steps_today: total('steps', day.start, todayTo, 0),
      steps_last_60_min: { ...total('steps', now - HOUR_MS, now + 1, 0), through: newestSteps === null ? null : newestSteps.t },
      calories_today: total('calories', day.start, todayTo, 1),
      distance_today: total('distance', day.start, todayTo, 1),
      floors_today: total('floors', day.start, todayTo, 0),
      resting_heart_rate: single('resting_heart_rate', 1),
      hrv: single('hrv_daily_rmssd', 2),
      spo2: single('spo2_daily_avg', 2),
      breathing_rate: single('respiratory_rate', 2),
      sleep_stage: sleep.stage,
      sleep_duration: sleep.duration,
      newest_sample: newestAny === null ? reading<number>(null, null, null, now) : reading(newestAny.t, newestAny.t, newestAny.offset, now),
    },
  };
}

/** ISO 8601 of an instant (whole seconds) with the offset `tz` has there. */
export function isoInZone(t: number, tz: string): string {
  const s = Math.floor(t / 1000) * 1000;
  return formatIso(s, zoneNamed(tz).offsetAt(s));
}

/** ISO 8601 of a reading's instant with the offset in force there, null when unknown. */
export function readingIso(r: Reading<number | string>): string | null {
  return r.at === null ? null : formatIso(r.at, r.offset ?? 0);
}

// ---- the guard for daily totals ----------------------------------------------------------------

export interface HighWaterState {
  /** Local date (YYYY-MM-DD) the maxima belong to. */
  date: string;
  max: Partial<Record<DailyTotalKey, number>>;
}

/**
 * Keeps every daily total monotonic within its local day: the published value is the highest
 * seen today. A new local date starts from the computed values again (the midnight reset).
 * The state is small and JSON-serialisable so a sink can keep it across restarts.
 */
export class DailyHighWater {
  private s: HighWaterState;

  constructor(state: HighWaterState | null = null) {
    this.s =
      state && typeof state.date === 'string' && state.max && typeof state.max === 'object'
        ? { date: state.date, max: { ...state.max } }
        : { date: '', max: {} };
  }

  /** Applies the guard to `latest` in place; returns true when the remembered maxima changed. */
  apply(latest: LatestValues): boolean {
    let changed = false;
    if (this.s.date !== latest.localDate) {
      this.s = { date: latest.localDate, max: {} };
      changed = true;
    }
    for (const k of DAILY_TOTAL_KEYS) {
      const r = latest.values[k];
      const max = this.s.max[k];
      if (r.value === null) {
        if (max !== undefined) latest.values[k] = { ...r, value: max };
        continue;
      }
      if (max === undefined || r.value > max) {
        this.s.max[k] = r.value;
        changed = true;
      } else if (r.value < max) {
        latest.values[k] = { ...r, value: max };
      }
    }
    return changed;
  }

  state(): HighWaterState {
    return { date: this.s.date, max: { ...this.s.max } };
  }
}
