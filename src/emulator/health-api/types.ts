/**
 * Every data type the emulator knows: ids (path kebab-case, filter snake_case, DataPoint union
 * key), record kind, filter members, scope family, operations, page sizes, rollUp range limits,
 * and how the synthetic truth of one local day (`SyntheticDay`) becomes its points.
 *
 * Units: every value is in the API's unit and converts exactly (registry `googleHealth.factor`)
 * to the store's canonical unit the Takeout importer uses: distance and altitude gain m → mm
 * (integers), weight kg → g, energy kcal, percentages, ms, °C and bpm as they are. Two truth values
 * are not integers but the API field is int64 (see `LOSSY`): they are rounded.
 */
import type { DataSource, SleepStage, StageSummary } from '../../sources/google-health/api-types.js';
import { TRACKER, WEIGHT_SOURCE, type SleepLevel, type SleepLog, type SyntheticDay } from '../../synthetic/model.js';
import type { OffsetMap } from '../../synthetic/time.js';
import { MINUTE_MS } from '../../time/index.js';
import type { MemberKind } from './filter.js';
import { apiDate, fmtDurationMs, fmtOffsetDuration, fmtTimestamp, observationInterval, sampleTime, sessionInterval } from './format.js';
import { MANUAL_SLEEP, MANUAL_WEIGHT_SOURCE, type Companions } from './sources.js';
import type { Variants } from './variants.js';

export { dataSourceOf, isWearable } from './sources.js';

export const SCOPE_PREFIX = 'https://www.googleapis.com/auth/googlehealth.';

export type RecordKind = 'interval' | 'sample' | 'daily' | 'session';
export type Operation = 'list' | 'reconcile' | 'rollUp' | 'dailyRollUp' | 'get';

/** One point of the truth: instants in UTC ms, offsets in minutes east. */
export interface Row {
  /** Start (interval, session), sample instant, or local midnight (daily). */
  t: number;
  /** Exclusive end (= t for samples). */
  end: number;
  off: number;
  endOff: number;
  /** Device display name (the Takeout CSV `data source`), or a companion source key (sources.ts). */
  src: string;
  /** The value rollUps aggregate, in API units. */
  v: number;
  /** Index into the day's record list of the type (body building). */
  k: number;
  /** Instant from which the point exists at Google (before `dataLagMs`). */
  visibleAt: number;
}

/** A day of truth plus what the catalog needs to read it. */
export interface DayContext {
  day: SyntheticDay;
  dayN: number;
  offs: OffsetMap;
  v: Variants;
  /** The companion sources' truth of the day (none with `shapes: documented`). */
  co: Companions;
}

export interface RollupSpec {
  /** Key in RollupDataPoint / DailyRollupDataPoint. */
  key: string;
  /** The value object of a window, null when it is zero (zero windows are left out). */
  value(rows: readonly Row[], ctx: (r: Row) => DayContext): Record<string, unknown> | null;
  /** Max range in days (discovery: 14 for heart-rate, active-minutes, total-calories; else 90). */
  maxDays: 14 | 90;
}

export interface DataTypeDef {
  id: string;
  filterId: string;
  /** Union key in DataPoint / ReconciledDataPoint. */
  key: string;
  record: RecordKind;
  /** Scope family (after `googlehealth.`). */
  scope: string;
  ops: ReadonlySet<Operation>;
  /** Filter members for list / reconcile. */
  members(v: Variants): Record<string, MemberKind>;
  defaultPageSize(v: Variants): number;
  maxPageSize: number;
  /** Points of `name` are identifiable (list points carry `name`; `get` works). */
  identifiable: boolean;
  rows(c: DayContext): Row[];
  body(c: DayContext, r: Row): Record<string, unknown>;
  rollup?: RollupSpec;
  dataSource?(r: Row, c: DayContext): DataSource;
}

const INTERVAL: Record<string, MemberKind> = { 'interval.start_time': 'start', 'interval.civil_start_time': 'civil_start' };
const SAMPLE: Record<string, MemberKind> = { 'sample_time.physical_time': 'sample', 'sample_time.civil_time': 'civil_sample' };
const DAILY: Record<string, MemberKind> = { date: 'date' };
const SESSION: Record<string, MemberKind> = { 'interval.civil_start_time': 'civil_start' };
const EXERCISE_START: Record<string, MemberKind> = { 'interval.start_time': 'start' };
const SLEEP_END: Record<string, MemberKind> = { 'interval.end_time': 'end', 'interval.civil_end_time': 'civil_end' };
const SLEEP_START: Record<string, MemberKind> = { 'interval.civil_start_time': 'civil_start', 'interval.start_time': 'start' };

export const DEFAULT_PAGE_SIZE = 1440;
export const MAX_PAGE_SIZE = 10_000;
export const SESSION_PAGE_SIZE = 25;

// ---- helpers -----------------------------------------------------------------------------------

const int64 = (n: number): string | undefined => (n === 0 ? undefined : String(Math.round(n)));
const dbl = (n: number): number | undefined => (n === 0 ? undefined : n);

/** Drops undefined members (proto3: zero fields omitted). */
function compact<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

function minuteRows(c: DayContext, series: { source: string; t: number[]; offset: number[]; v: number[] }[], scale: number): Row[] {
  const rows: Row[] = [];
  for (const s of series) {
    for (let i = 0; i < s.t.length; i++) {
      const t = s.t[i] as number;
      const v = s.v[i] as number;
      rows.push({
        t,
        end: t + MINUTE_MS,
        off: s.offset[i] as number,
        endOff: c.offs.get(t + MINUTE_MS),
        src: s.source,
        v: scale === 1 ? v : Math.round(v * scale),
        k: i,
        visibleAt: t + MINUTE_MS,
      });
    }
  }
  return rows;
}

function sampleRows(series: { source: string; t: number[]; offset: number[]; v: number[] }): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < series.t.length; i++) {
    const t = series.t[i] as number;
    rows.push({
      t,
      end: t,
      off: series.offset[i] as number,
      endOff: series.offset[i] as number,
      src: series.source,
      v: series.v[i] as number,
      k: i,
      visibleAt: t,
    });
  }
  return rows;
}

function mainSleepEnd(day: SyntheticDay): { t: number; off: number } | null {
  const m = day.sleeps.find((s) => s.mainSleep);
  return m ? { t: m.end, off: m.endOffset } : null;
}

function dailyRow(c: DayContext, v: number, visibleAt: number): Row[] {
  const d = c.day;
  return [{ t: d.start, end: d.end, off: d.startOffset, endOff: d.endOffset, src: TRACKER, v, k: 0, visibleAt }];
}

/** Sleep-derived daily values exist once the night's main sleep has ended (else at the day's end). */
function sleepDerivedAt(d: SyntheticDay): number {
  return mainSleepEnd(d)?.t ?? d.end;
}

const iv = (r: Row) => observationInterval(r.t, r.off, r.end, r.endOff);
const st = (r: Row) => sampleTime(r.t, r.off);
const date = (c: DayContext) => apiDate(c.day.date);

function sumOf(rows: readonly Row[]): number {
  let s = 0;
  for (const r of rows) s += r.v;
  return s;
}

/** Sum of 2-decimal kcal values, without float noise. */
const kcal = (x: number): number => Math.round(x * 100) / 100;

const intSum = (key: string, field: string, maxDays: 14 | 90 = 90): RollupSpec => ({
  key,
  maxDays,
  value: (rows) => {
    const s = sumOf(rows);
    return s === 0 ? null : { [field]: String(s) };
  },
});
const kcalSum = (key: string, maxDays: 14 | 90): RollupSpec => ({
  key,
  maxDays,
  value: (rows) => {
    const s = kcal(sumOf(rows));
    return s === 0 ? null : { kcalSum: s };
  },
});

const STAGE: Record<SleepLevel, NonNullable<SleepStage['type']>> = {
  wake: 'AWAKE',
  awake: 'AWAKE',
  light: 'LIGHT',
  deep: 'DEEP',
  rem: 'REM',
  asleep: 'ASLEEP',
  restless: 'RESTLESS',
};

const EXERCISE_TYPE = { Walk: 'WALKING', Run: 'RUNNING', Bike: 'BIKING' } as const;

const ops = (...o: Operation[]): ReadonlySet<Operation> => new Set(o);
const ALL_OPS = ops('list', 'reconcile', 'rollUp', 'dailyRollUp');
const LIST_OPS = ops('list', 'reconcile');
const fixed = (n: number) => (): number => n;

/**
 * Values the truth holds with decimals where the API field is int64: rounded to the nearest
 * integer (Takeout CSVs carry the decimals).
 */
export const LOSSY: readonly { dataType: string; field: string; why: string }[] = [
  { dataType: 'daily-resting-heart-rate', field: 'beatsPerMinute', why: 'int64 in the API; the truth (and daily_resting_heart_rate.csv) has 2 decimals' },
  { dataType: 'daily-heart-rate-variability', field: 'nonRemHeartRateBeatsPerMinute', why: 'int64 in the API; the truth has 3 decimals' },
];

// ---- sessions ----------------------------------------------------------------------------------

function sleepRow(s: SleepLog, k: number, src: string): Row {
  return { t: s.start, end: s.end, off: s.startOffset, endOff: s.endOffset, src, v: s.end - s.start, k, visibleAt: s.end };
}

/** The sleep log of a sleep row (the tracker's, or a companion's manual one). */
export function sleepOf(c: DayContext, r: Row): SleepLog | undefined {
  return r.src === MANUAL_SLEEP ? c.co.sleeps[r.k] : c.day.sleeps[r.k];
}

/**
 * A Sleep. `documented`: as the discovery document describes it (civil interval times,
 * `metadata.externalId`, zero members omitted). `live`, as captured by outside integrators:
 * `metadata.mainSleep`, summary minutes as strings with zeros present ("0"), stages with their
 * offsets, no civil start / end and no `metadata.externalId`.
 */
function sleepBody(s: SleepLog, v: Variants): Record<string, unknown> {
  const live = v.shapes === 'live';
  const n = (x: number): string | undefined => (live ? String(Math.round(x)) : int64(x));
  const stages: SleepStage[] = s.segments.map((g) => ({
    startTime: fmtTimestamp(g.start),
    startUtcOffset: fmtOffsetDuration(g.startOffset),
    endTime: fmtTimestamp(g.end),
    endUtcOffset: fmtOffsetDuration(g.endOffset),
    type: STAGE[g.level],
  }));
  const byType = new Map<string, { minutes: number; count: number }>();
  for (const g of s.segments) {
    const k = STAGE[g.level];
    const e = byType.get(k) ?? { minutes: 0, count: 0 };
    e.minutes += (g.end - g.start) / MINUTE_MS;
    e.count++;
    byType.set(k, e);
  }
  const stagesSummary: StageSummary[] = [...byType].map(([type, e]) => compact({ type: type, minutes: n(Math.floor(e.minutes)), count: n(e.count) }));
  const si = sessionInterval(s.start, s.startOffset, s.end, s.endOffset);
  if (live) {
    delete si.civilStartTime;
    delete si.civilEndTime;
  }
  const classic = s.type !== 'stages';
  return compact({
    interval: si,
    type: classic ? 'CLASSIC' : 'STAGES',
    stages,
    metadata: live
      ? { processed: true, mainSleep: s.mainSleep, nap: !s.mainSleep, stagesStatus: classic ? 'REJECTED_NAP' : 'SUCCEEDED' }
      : compact({ externalId: String(s.logId), processed: true, nap: s.mainSleep ? undefined : true, stagesStatus: classic ? 'REJECTED_NAP' : 'SUCCEEDED' }),
    summary: compact({
      minutesAsleep: n(s.minutesAsleep),
      minutesAwake: n(s.minutesAwake),
      minutesInSleepPeriod: n(s.timeInBed),
      minutesToFallAsleep: n(s.minutesToFallAsleep),
      minutesAfterWakeUp: n(s.minutesAfterWakeup),
      stagesSummary,
    }),
  });
}

// ---- the catalog -------------------------------------------------------------------------------

const served: DataTypeDef[] = [
  {
    id: 'steps',
    filterId: 'steps',
    key: 'steps',
    record: 'interval',
    scope: 'activity_and_fitness',
    ops: ALL_OPS,
    members: () => INTERVAL,
    defaultPageSize: fixed(DEFAULT_PAGE_SIZE),
    maxPageSize: MAX_PAGE_SIZE,
    identifiable: false,
    rows: (c) => minuteRows(c, c.day.steps, 1),
    body: (_c, r) => compact({ interval: iv(r), count: int64(r.v) }),
    rollup: intSum('steps', 'countSum'),
  },
  {
    id: 'distance',
    filterId: 'distance',
    key: 'distance',
    record: 'interval',
    scope: 'activity_and_fitness',
    ops: ALL_OPS,
    members: () => INTERVAL,
    defaultPageSize: fixed(DEFAULT_PAGE_SIZE),
    maxPageSize: MAX_PAGE_SIZE,
    identifiable: false,
    rows: (c) => minuteRows(c, c.day.distance, 1000), // metres → millimetres
    body: (_c, r) => compact({ interval: iv(r), millimeters: int64(r.v) }),
    rollup: intSum('distance', 'millimetersSum'),
  },
  {
    id: 'floors',
    filterId: 'floors',
    key: 'floors',
    record: 'interval',
    scope: 'activity_and_fitness',
    ops: ops('reconcile', 'rollUp', 'dailyRollUp'),
    members: () => INTERVAL,
    defaultPageSize: fixed(DEFAULT_PAGE_SIZE),
    maxPageSize: MAX_PAGE_SIZE,
    identifiable: false,
    rows: (c) => minuteRows(c, c.day.floors, 1),
    body: (_c, r) => compact({ interval: iv(r), count: int64(r.v) }),
    rollup: intSum('floors', 'countSum'),
  },
  {
    id: 'altitude',
    filterId: 'altitude',
    key: 'altitude',
    record: 'interval',
    scope: 'activity_and_fitness',
    ops: ALL_OPS,
    members: () => INTERVAL,
    defaultPageSize: fixed(DEFAULT_PAGE_SIZE),
    maxPageSize: MAX_PAGE_SIZE,
    identifiable: false,
    rows: (c) => minuteRows(c, c.day.altitude, 1000), // metres of gain → millimetres
    body: (_c, r) => compact({ interval: iv(r), gainMillimeters: int64(r.v) }),
    rollup: intSum('altitude', 'gainMillimetersSum'),
  },
  {
    id: 'active-energy-burned',
    filterId: 'active_energy_burned',
    key: 'activeEnergyBurned',
    record: 'interval',
    scope: 'activity_and_fitness',
    ops: ALL_OPS,
    members: () => INTERVAL,
    defaultPageSize: fixed(DEFAULT_PAGE_SIZE),
    maxPageSize: MAX_PAGE_SIZE,
    identifiable: false,
    rows: (c) => [
      ...minuteRows(c, [c.day.activeEnergy], 1),
      ...c.co.activeEnergy.map((m, i) => ({
        t: m.t,
        end: m.t + MINUTE_MS,
        off: m.offset,
        endOff: c.offs.get(m.t + MINUTE_MS),
        src: m.src,
        v: m.kcal,
        k: i,
        visibleAt: m.t + MINUTE_MS,
      })),
    ],
    body: (_c, r) => compact({ interval: iv(r), kcal: dbl(r.v) }),
    rollup: kcalSum('activeEnergyBurned', 90),
  },
  {
    // total energy per minute (basal included) exists only as rollups
    id: 'total-calories',
    filterId: 'total_calories',
    key: 'totalCalories',
    record: 'interval',
    scope: 'activity_and_fitness',
    ops: ops('rollUp', 'dailyRollUp'),
    members: () => INTERVAL,
    defaultPageSize: fixed(DEFAULT_PAGE_SIZE),
    maxPageSize: MAX_PAGE_SIZE,
    identifiable: false,
    rows: (c) => minuteRows(c, c.day.calories, 1),
    body: (_c, r) => compact({ interval: iv(r), kcal: dbl(r.v) }),
    rollup: kcalSum('totalCalories', 14),
  },
  {
    id: 'active-zone-minutes',
    filterId: 'active_zone_minutes',
    key: 'activeZoneMinutes',
    record: 'interval',
    scope: 'activity_and_fitness',
    ops: ALL_OPS,
    members: () => INTERVAL,
    defaultPageSize: fixed(DEFAULT_PAGE_SIZE),
    maxPageSize: MAX_PAGE_SIZE,
    identifiable: false,
    rows: (c) =>
      c.day.activeZoneMinutes.map((a, i) => ({
        t: a.t,
        end: a.t + MINUTE_MS,
        off: a.offset,
        endOff: c.offs.get(a.t + MINUTE_MS),
        src: TRACKER,
        v: a.minutes,
        k: i,
        visibleAt: a.t + MINUTE_MS,
      })),
    body: (c, r) => compact({ interval: iv(r), activeZoneMinutes: int64(r.v), heartRateZone: c.day.activeZoneMinutes[r.k]?.zone }),
    rollup: {
      key: 'activeZoneMinutes',
      maxDays: 90,
      value: (rows, ctx) => {
        let fat = 0,
          cardio = 0,
          peak = 0;
        for (const r of rows) {
          const z = ctx(r).day.activeZoneMinutes[r.k]?.zone;
          if (z === 'FAT_BURN') fat += r.v;
          else if (z === 'CARDIO') cardio += r.v;
          else if (z === 'PEAK') peak += r.v;
        }
        if (fat + cardio + peak === 0) return null;
        return compact({ sumInFatBurnHeartZone: int64(fat), sumInCardioHeartZone: int64(cardio), sumInPeakHeartZone: int64(peak) });
      },
    },
  },
  {
    id: 'heart-rate',
    filterId: 'heart_rate',
    key: 'heartRate',
    record: 'sample',
    scope: 'health_metrics_and_measurements',
    ops: ALL_OPS,
    members: () => SAMPLE,
    defaultPageSize: (v) => v.heartRateDefaultPageSize,
    maxPageSize: MAX_PAGE_SIZE,
    identifiable: false,
    rows: (c) => sampleRows(c.day.heartRate),
    body: (_c, r) => compact({ sampleTime: st(r), beatsPerMinute: int64(r.v) }),
    rollup: {
      key: 'heartRate',
      maxDays: 14,
      value: (rows) => {
        if (!rows.length) return null;
        let min = Infinity,
          max = -Infinity,
          sum = 0;
        for (const r of rows) {
          sum += r.v;
          if (r.v < min) min = r.v;
          if (r.v > max) max = r.v;
        }
        return compact({ beatsPerMinuteMin: dbl(min), beatsPerMinuteAvg: dbl(sum / rows.length), beatsPerMinuteMax: dbl(max) });
      },
    },
  },
  {
    id: 'heart-rate-variability',
    filterId: 'heart_rate_variability',
    key: 'heartRateVariability',
    record: 'sample',
    scope: 'health_metrics_and_measurements',
    ops: LIST_OPS,
    members: () => SAMPLE,
    defaultPageSize: fixed(DEFAULT_PAGE_SIZE),
    maxPageSize: MAX_PAGE_SIZE,
    identifiable: false,
    rows: (c) => c.day.hrv.map((h, i) => ({ t: h.t, end: h.t, off: h.offset, endOff: h.offset, src: TRACKER, v: h.rmssd, k: i, visibleAt: h.t })),
    body: (c, r) => {
      const h = c.day.hrv[r.k];
      return compact({
        sampleTime: st(r),
        rootMeanSquareOfSuccessiveDifferencesMilliseconds: dbl(h?.rmssd ?? 0),
        standardDeviationMilliseconds: dbl(h?.sdnn ?? 0),
      });
    },
  },
  {
    id: 'daily-heart-rate-variability',
    filterId: 'daily_heart_rate_variability',
    key: 'dailyHeartRateVariability',
    record: 'daily',
    scope: 'health_metrics_and_measurements',
    ops: LIST_OPS,
    members: () => DAILY,
    defaultPageSize: fixed(DEFAULT_PAGE_SIZE),
    maxPageSize: MAX_PAGE_SIZE,
    identifiable: false,
    // live: a night with HRV samples but no nightly value has a record of "NaN"s (seen live)
    rows: (c) =>
      c.day.daily.hrv
        ? dailyRow(c, c.day.daily.hrv.rmssd, sleepDerivedAt(c.day))
        : c.v.shapes === 'live' && c.day.hrv.length
          ? dailyRow(c, NaN, sleepDerivedAt(c.day))
          : [],
    body: (c) => {
      const h = c.day.daily.hrv;
      if (!h)
        return {
          date: date(c),
          averageHeartRateVariabilityMilliseconds: 'NaN',
          entropy: 'NaN',
          deepSleepRootMeanSquareOfSuccessiveDifferencesMilliseconds: 'NaN',
        };
      return compact({
        date: date(c),
        averageHeartRateVariabilityMilliseconds: dbl(h?.rmssd ?? 0),
        nonRemHeartRateBeatsPerMinute: int64(h?.nremhr ?? 0),
        entropy: dbl(h?.entropy ?? 0),
        deepSleepRootMeanSquareOfSuccessiveDifferencesMilliseconds: dbl(h?.deepRmssd ?? 0),
      });
    },
  },
  {
    id: 'daily-resting-heart-rate',
    filterId: 'daily_resting_heart_rate',
    key: 'dailyRestingHeartRate',
    record: 'daily',
    scope: 'health_metrics_and_measurements',
    ops: LIST_OPS,
    members: () => DAILY,
    defaultPageSize: fixed(DEFAULT_PAGE_SIZE),
    maxPageSize: MAX_PAGE_SIZE,
    identifiable: false,
    // the whole day's heart rate goes into it: it exists once the day is over
    rows: (c) => (c.day.daily.restingHeartRate ? dailyRow(c, Math.round(c.day.daily.restingHeartRate.value), c.day.end) : []),
    body: (c, r) => compact({ date: date(c), beatsPerMinute: int64(r.v), dailyRestingHeartRateMetadata: { calculationMethod: 'WITH_SLEEP' } }),
  },
  {
    id: 'oxygen-saturation',
    filterId: 'oxygen_saturation',
    key: 'oxygenSaturation',
    record: 'sample',
    scope: 'health_metrics_and_measurements',
    ops: LIST_OPS,
    members: () => SAMPLE,
    defaultPageSize: fixed(DEFAULT_PAGE_SIZE),
    maxPageSize: MAX_PAGE_SIZE,
    identifiable: false,
    rows: (c) => sampleRows(c.day.spo2),
    body: (_c, r) => compact({ sampleTime: st(r), percentage: dbl(r.v) }),
  },
  {
    id: 'daily-oxygen-saturation',
    filterId: 'daily_oxygen_saturation',
    key: 'dailyOxygenSaturation',
    record: 'daily',
    scope: 'health_metrics_and_measurements',
    ops: LIST_OPS,
    members: () => DAILY,
    defaultPageSize: fixed(DEFAULT_PAGE_SIZE),
    maxPageSize: MAX_PAGE_SIZE,
    identifiable: false,
    rows: (c) => (c.day.daily.spo2 ? dailyRow(c, c.day.daily.spo2.avg, sleepDerivedAt(c.day)) : []),
    body: (c) => {
      const s = c.day.daily.spo2;
      return compact({
        date: date(c),
        averagePercentage: dbl(s?.avg ?? 0),
        lowerBoundPercentage: dbl(s?.lower ?? 0),
        upperBoundPercentage: dbl(s?.upper ?? 0),
        standardDeviationPercentage: dbl(s?.stddev ?? 0),
      });
    },
  },
  {
    id: 'daily-respiratory-rate',
    filterId: 'daily_respiratory_rate',
    key: 'dailyRespiratoryRate',
    record: 'daily',
    scope: 'health_metrics_and_measurements',
    ops: LIST_OPS,
    members: () => DAILY,
    defaultPageSize: fixed(DEFAULT_PAGE_SIZE),
    maxPageSize: MAX_PAGE_SIZE,
    identifiable: false,
    rows: (c) => (c.day.daily.respiratoryRate ? dailyRow(c, c.day.daily.respiratoryRate.full, sleepDerivedAt(c.day)) : []),
    body: (c, r) => compact({ date: date(c), breathsPerMinute: dbl(r.v) }),
  },
  {
    // one per main sleep, stamped at the sleep's end (the summary exists once the sleep is over)
    id: 'respiratory-rate-sleep-summary',
    filterId: 'respiratory_rate_sleep_summary',
    key: 'respiratoryRateSleepSummary',
    record: 'sample',
    scope: 'health_metrics_and_measurements',
    ops: LIST_OPS,
    members: () => SAMPLE,
    defaultPageSize: fixed(DEFAULT_PAGE_SIZE),
    maxPageSize: MAX_PAGE_SIZE,
    identifiable: false,
    rows: (c) => {
      const rr = c.day.daily.respiratoryRate;
      const end = mainSleepEnd(c.day);
      return rr && end ? [{ t: end.t, end: end.t, off: end.off, endOff: end.off, src: TRACKER, v: rr.full, k: 0, visibleAt: end.t }] : [];
    },
    body: (c, r) => {
      const rr = c.day.daily.respiratoryRate;
      const stat = (x: number | undefined) => (x ? { breathsPerMinute: x } : undefined);
      return compact({
        sampleTime: st(r),
        fullSleepStats: stat(rr?.full),
        deepSleepStats: stat(rr?.deep),
        lightSleepStats: stat(rr?.light),
        remSleepStats: stat(rr?.rem),
      });
    },
  },
  {
    id: 'daily-sleep-temperature-derivations',
    filterId: 'daily_sleep_temperature_derivations',
    key: 'dailySleepTemperatureDerivations',
    record: 'daily',
    scope: 'health_metrics_and_measurements',
    ops: LIST_OPS,
    members: () => DAILY,
    defaultPageSize: fixed(DEFAULT_PAGE_SIZE),
    maxPageSize: MAX_PAGE_SIZE,
    identifiable: false,
    // live: a main sleep without a nightly temperature has a record of "NaN"s; with one, the 30-day
    // spread is "NaN" one day in five (seen live: "NaN" in numeric fields of these records)
    rows: (c) =>
      c.day.daily.skinTemperature
        ? dailyRow(c, c.day.daily.skinTemperature.nightly, sleepDerivedAt(c.day))
        : c.v.shapes === 'live' && c.day.sleeps.some((x) => x.mainSleep)
          ? dailyRow(c, NaN, sleepDerivedAt(c.day))
          : [],
    body: (c) => {
      const s = c.day.daily.skinTemperature;
      if (!s) return { date: date(c), nightlyTemperatureCelsius: 'NaN', relativeNightlyStddev30dCelsius: 'NaN' };
      return compact({
        date: date(c),
        nightlyTemperatureCelsius: dbl(s.nightly),
        baselineTemperatureCelsius: dbl(s.baseline),
        relativeNightlyStddev30dCelsius: c.v.shapes === 'live' && c.dayN % 5 === 0 ? 'NaN' : dbl(s.relativeStddev30d),
      });
    },
  },
  {
    id: 'weight',
    filterId: 'weight',
    key: 'weight',
    record: 'sample',
    scope: 'health_metrics_and_measurements',
    ops: ops('list', 'reconcile', 'rollUp', 'dailyRollUp', 'get'),
    members: () => SAMPLE,
    defaultPageSize: fixed(DEFAULT_PAGE_SIZE),
    maxPageSize: MAX_PAGE_SIZE,
    identifiable: true,
    rows: (c) => c.day.weights.map((w, i) => ({ t: w.t, end: w.t, off: w.offset, endOff: w.offset, src: WEIGHT_SOURCE, v: w.grams, k: i, visibleAt: w.t })),
    body: (_c, r) => compact({ sampleTime: st(r), weightGrams: dbl(r.v) }),
    dataSource: () => MANUAL_WEIGHT_SOURCE,
    rollup: {
      key: 'weight',
      maxDays: 90,
      value: (rows) => (rows.length ? { weightGramsAvg: sumOf(rows) / rows.length } : null),
    },
  },
  {
    id: 'sleep',
    filterId: 'sleep',
    key: 'sleep',
    record: 'session',
    scope: 'sleep',
    ops: ops('list', 'reconcile', 'get'),
    members: (v) => (v.sleepFilterMember === 'end_time' ? SLEEP_END : SLEEP_START),
    defaultPageSize: fixed(SESSION_PAGE_SIZE),
    maxPageSize: SESSION_PAGE_SIZE,
    identifiable: true,
    rows: (c) => [...c.day.sleeps.map((s, i) => sleepRow(s, i, TRACKER)), ...c.co.sleeps.map((s, i) => sleepRow(s, i, MANUAL_SLEEP))],
    body: (c, r) => {
      const s = sleepOf(c, r);
      return s ? sleepBody(s, c.v) : {};
    },
  },
  {
    id: 'exercise',
    filterId: 'exercise',
    key: 'exercise',
    record: 'session',
    scope: 'activity_and_fitness',
    ops: ops('list', 'reconcile', 'get'),
    members: (v) => (v.exerciseFilterMember === 'civil_start_time' ? SESSION : EXERCISE_START),
    defaultPageSize: fixed(SESSION_PAGE_SIZE),
    maxPageSize: SESSION_PAGE_SIZE,
    identifiable: true,
    rows: (c) =>
      c.day.exercises.map((e, i) => ({
        t: e.start,
        end: e.end,
        off: e.startOffset,
        endOff: e.endOffset,
        src: e.source,
        v: e.end - e.start,
        k: i,
        visibleAt: e.end,
      })),
    body: (c, r) => {
      const e = c.day.exercises[r.k];
      if (!e) return {};
      const live = c.v.shapes === 'live';
      // live: START / STOP events, time in heart-rate zones (the active zone minutes as moderate, the
      // rest light: the truth has no finer split), and exerciseMetadata
      const zoneMs = Math.min(e.end - e.start, e.activeZoneMinutes * MINUTE_MS);
      const dur = (ms: number): string | undefined => (ms > 0 ? fmtDurationMs(ms) : undefined);
      return compact({
        interval: sessionInterval(e.start, e.startOffset, e.end, e.endOffset),
        exerciseType: EXERCISE_TYPE[e.activityName],
        displayName: e.activityName,
        activeDuration: fmtDurationMs(e.end - e.start),
        exerciseEvents: live
          ? [
              { eventTime: fmtTimestamp(e.start), eventUtcOffset: fmtOffsetDuration(e.startOffset), exerciseEventType: 'START' },
              { eventTime: fmtTimestamp(e.end), eventUtcOffset: fmtOffsetDuration(e.endOffset), exerciseEventType: 'STOP' },
            ]
          : undefined,
        exerciseMetadata: live ? (e.activityName === 'Walk' ? {} : { hasGps: true }) : undefined,
        metricsSummary: compact({
          caloriesKcal: dbl(e.calories),
          distanceMillimeters: dbl(Math.round(e.distanceM * 1000)),
          steps: int64(e.steps),
          averageHeartRateBeatsPerMinute: int64(e.averageHeartRate),
          activeZoneMinutes: int64(e.activeZoneMinutes),
          heartRateZoneDurations: live ? compact({ lightTime: dur(e.end - e.start - zoneMs), moderateTime: dur(zoneMs) }) : undefined,
        }),
      });
    },
  },
];

/** Documented data types the synthetic user has no data for: served, always empty. */
const EMPTY: [id: string, key: string, record: RecordKind, scope: string, rollup?: string][] = [
  ['active-minutes', 'activeMinutes', 'interval', 'activity_and_fitness', 'activeMinutes'],
  ['activity-level', 'activityLevel', 'daily', 'activity_and_fitness'],
  ['basal-energy-burned', 'basalEnergyBurned', 'interval', 'activity_and_fitness'],
  ['sedentary-period', 'sedentaryPeriod', 'interval', 'activity_and_fitness', 'sedentaryPeriod'],
  ['swim-lengths-data', 'swimLengthsData', 'interval', 'activity_and_fitness', 'swimLengthsData'],
  ['time-in-heart-rate-zone', 'timeInHeartRateZone', 'interval', 'activity_and_fitness', 'timeInHeartRateZone'],
  ['daily-heart-rate-zones', 'dailyHeartRateZones', 'daily', 'health_metrics_and_measurements'],
  ['blood-glucose', 'bloodGlucose', 'sample', 'health_metrics_and_measurements', 'bloodGlucose'],
  ['body-fat', 'bodyFat', 'sample', 'health_metrics_and_measurements', 'bodyFat'],
  ['core-body-temperature', 'coreBodyTemperature', 'sample', 'health_metrics_and_measurements', 'coreBodyTemperature'],
  ['height', 'height', 'sample', 'health_metrics_and_measurements'],
  ['run-vo2-max', 'runVo2Max', 'sample', 'activity_and_fitness', 'runVo2Max'],
  ['vo2-max', 'vo2Max', 'sample', 'activity_and_fitness'],
  ['daily-vo2-max', 'dailyVo2Max', 'daily', 'activity_and_fitness'],
  ['hydration-log', 'hydrationLog', 'session', 'health_metrics_and_measurements', 'hydrationLog'],
  ['nutrition-log', 'nutritionLog', 'session', 'health_metrics_and_measurements', 'nutritionLog'],
  ['electrocardiogram', 'electrocardiogram', 'session', 'ecg'],
  ['irregular-rhythm-notification', 'irregularRhythmNotification', 'session', 'irn'],
];

const MEMBERS_OF: Record<RecordKind, Record<string, MemberKind>> = { interval: INTERVAL, sample: SAMPLE, daily: DAILY, session: SESSION };

function emptyType([id, key, record, scope, rollup]: (typeof EMPTY)[number]): DataTypeDef {
  const members = id === 'electrocardiogram' ? { 'interval.start_time': 'start' as const } : MEMBERS_OF[record];
  return {
    id,
    filterId: id.replace(/-/g, '_'),
    key,
    record,
    scope,
    ops: rollup ? ALL_OPS : LIST_OPS,
    members: () => members,
    defaultPageSize: fixed(DEFAULT_PAGE_SIZE),
    maxPageSize: MAX_PAGE_SIZE,
    identifiable: record === 'session',
    rows: () => [],
    body: () => ({}),
    ...(rollup ? { rollup: { key: rollup, maxDays: id === 'active-minutes' ? 14 : 90, value: () => null } } : {}),
  };
}

export const DATA_TYPES: ReadonlyMap<string, DataTypeDef> = new Map([...served, ...EMPTY.map(emptyType)].map((d) => [d.id, d]));

/** The data types with synthetic data (the bridge syncs these). */
export const SERVED_TYPES: readonly string[] = served.map((d) => d.id);
