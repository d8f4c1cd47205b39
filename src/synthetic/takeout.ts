/**
 * Renders synthetic days as a Google Takeout Fitbit export (both layers, with the real quirks).
 * The layout follows real Fitbit Takeout exports (README: "How the import reads your export").
 * Files are produced one at a time, each as soon as it is complete, so memory stays bounded (at
 * most one chunk of each kind is open).
 *
 * Layers and their clocks:
 * - `Global Export Data/` JSON: heart_rate/steps/distance/altitude stamped in UTC (`MM/DD/YY HH:MM:SS`),
 *   calories and sleep in LOCAL time; one heart_rate file per local day; ~30-day and ~365-day chunks
 *   named by their first local day; zero minutes present; whole local days only.
 * - `Physical Activity_GoogleData/` CSV: `Z` stamps, per UTC day (heart rate) or per UTC month (dated
 *   the 1st); no zero-step rows; one row per data source; also the partial day after the last full one.
 */
import { TRACKER, WEIGHT_SOURCE, type ExerciseSession, type SleepLog, type SyntheticDay, type SyntheticProfile } from './model.js';
import { Bytes, writeFitbitStamp, writeIsoZ } from './bytes.js';
import {
  SLEEP_SESSION_LEGACY,
  SLEEP_SESSION_NEWEST,
  SLEEP_STAGES_LEGACY,
  SLEEP_STAGES_NEWEST,
  SPLIT_DAY_SOURCE,
  jsonCalories,
  jsonHeartRate,
  legacyHrvSummary,
  legacyRespiratoryRate,
  legacySleep,
  mergedStages,
  splitInstant,
  weightPlaceholder,
} from './quirks.js';
import { hash32 } from './prng.js';
import { Dbl, dbl, jacksonArray, type JValue } from './jackson.js';
import { MINUTE_MS, addDays, formatOffset } from '../time/index.js';
import { fmtFitbit, fmtFitbitDate, fmtIsoNaive, fmtIsoNaiveMinutes, fmtIsoZ, fmtSleepLocal, fmtSpaceUtc, isoDate } from './time.js';

/** Where rendered files go. `add` resolves when the sink can take more (backpressure). */
export interface FileSink {
  add(path: string, data: Buffer): Promise<void>;
}

export interface RenderOptions {
  timezone: string;
  profile: SyntheticProfile;
  /** First full local day of the export. */
  startDate: string;
  /** When the export was made (UTC ms). */
  exportMs: number;
  /** Folder inside the archive (default `Takeout/Fitbit`). */
  root?: string;
  crlf?: boolean;
  bom?: boolean;
  /** Put each CSV family in its own folder (`Physical Activity_GoogleData/Heart Rate/heart_rate_….csv`), as some 2026 exports do. */
  familyFolders?: boolean;
}

/** Row counts written, per layer and metric: `csv.heart_rate`, `json.steps`, … */
export type RenderCounts = Record<string, number>;

export const DIRS = {
  json: 'Global Export Data',
  csv: 'Physical Activity_GoogleData',
  health: 'Health Fitness Data_GoogleData',
  hrv: 'Heart Rate Variability',
  spo2: 'Oxygen Saturation (SpO2)',
  temp: 'Temperature',
  azm: 'Active Zone Minutes (AZM)',
  profile: 'Your Profile',
  biometrics: 'Biometrics',
} as const;

/** CSV headers of the Google layer (middle columns after the API field names). */
export const CSV_HEADERS = {
  heart_rate: 'timestamp,beats per minute,data source',
  steps: 'timestamp,steps,data source',
  distance: 'timestamp,distance,data source',
  calories: 'timestamp,calories,data source',
  /** Elevation GAIN in millimetres (3048 = one floor). */
  altitude: 'timestamp,gain,data source',
  floors: 'timestamp,floors,data source',
  active_zone_minutes: 'timestamp,heart rate zone,total minutes,data source',
  heart_rate_variability: 'timestamp,root mean square of successive differences milliseconds,standard deviation milliseconds,data source',
  oxygen_saturation: 'timestamp,oxygen saturation percentage,data source',
  daily_resting_heart_rate: 'timestamp,beats per minute,data source',
  daily_heart_rate_variability:
    'timestamp,average heart rate variability milliseconds,non rem heart rate beats per minute,entropy,deep sleep root mean square of successive differences milliseconds,data source',
  daily_oxygen_saturation:
    'timestamp,average percentage,lower bound percentage,upper bound percentage,baseline percentage,standard deviation percentage,data source',
  daily_respiratory_rate: 'timestamp,breaths per minute,data source',
  daily_sleep_temperature_derivations: 'timestamp,nightly temperature celsius,baseline temperature celsius,relative nightly stddev 30d celsius,data source',
  weight: 'timestamp,weight grams,data source',
} as const;

const USER_SLEEPS_HEADER =
  'sleep_id,sleep_type,minutes_in_sleep_period,minutes_after_wake_up,minutes_to_fall_asleep,minutes_asleep,minutes_awake,minutes_longest_awakening,minutes_to_persistent_sleep,start_utc_offset,sleep_start,end_utc_offset,sleep_end,data_source,algorithm_version,sleep_created,sleep_last_updated';
const USER_SLEEP_STAGES_HEADER =
  'sleep_id,sleep_stage_id,sleep_stage_type,start_utc_offset,sleep_stage_start,end_utc_offset,sleep_stage_end,data_source,algorithm_version,sleep_stage_created,sleep_stage_last_updated';
const USER_EXERCISES_HEADER =
  'exercise_id,exercise_start,exercise_end,utc_offset,exercise_created,exercise_last_updated,activity_name,log_type,pool_length,pool_length_unit,intervals,distance_units,tracker_total_calories,tracker_total_steps,tracker_total_distance_mm,tracker_total_altitude_mm,tracker_avg_heart_rate,tracker_peak_heart_rate,tracker_avg_pace_mm_per_second,tracker_avg_speed_mm_per_second,tracker_peak_speed_mm_per_second,tracker_auto_stride_run_mm,tracker_auto_stride_walk_mm,tracker_swim_lengths,tracker_pool_length,tracker_pool_length_unit,tracker_cardio_load,manually_logged_total_calories,manually_logged_total_steps,manually_logged_total_distance_mm,manually_logged_pool_length,manually_logged_pool_length_unit,events';

/** Days per JSON chunk, as in real exports. */
export const JSON_CHUNK_DAYS = 30;
export const JSON_YEAR_CHUNK_DAYS = 365;

/** CSV number the way the Google layer prints it: `134.0`, `0.75`. */
export const csvNum = dbl;

/** `Daily Heart Rate Variability Summary - 2026-04-(5).csv`: the bracket holds day−1, the 1st has none. */
export function hrvSummaryFileName(date: string): string {
  const day = Number(date.slice(8, 10));
  return `Daily Heart Rate Variability Summary - ${date.slice(0, 8)}${day === 1 ? '' : `(${day - 1})`}.csv`;
}

const BOM = Buffer.from('\ufeff', 'utf8');
const J_REC = Buffer.from('{\n  "dateTime" : "');
const J_BPM = Buffer.from('",\n  "value" : {\n    "bpm" : ');
const J_CONF = Buffer.from(',\n    "confidence" : ');
const J_HR_END = Buffer.from('\n  }\n}');
const J_VAL = Buffer.from('",\n  "value" : "');
const J_VAL_END = Buffer.from('"\n}');

/** UserSleeps ids are 19-digit numbers unrelated to the JSON logId (join on time, not id). */
export function csvSleepId(logId: number): string {
  return `8${String(logId).padStart(11, '0').slice(-11)}${String(hash32(`sleep|${logId}`) % 10_000_000).padStart(7, '0')}`;
}

function local(t: number, offset: number): number {
  return t + offset * MINUTE_MS;
}

/** A text file being built (array of pieces, joined once). */
class Text {
  readonly w = new Bytes();
  constructor(public readonly path: string) {}
}

/**
 * The renderer: feed it days in order with `addDay` (full days, both layers) and at most one
 * `addPartialDay` (CSV layer up to the export instant), then `finish`.
 */
export class TakeoutRenderer {
  readonly counts: RenderCounts = {};
  private readonly root: string;
  private readonly eol: string;
  private readonly bom: boolean;
  /** Rolling files keyed by kind: flushed when their key (path) changes. */
  private readonly rolling = new Map<string, Text>();
  /** Records for the current JSON chunk(s). */
  private chunkStart = '';
  private yearChunkStart = '';
  private sleepLogs: JValue[] = [];
  private weightLogs: JValue[] = [];
  private restingHr: string[] = [];
  private dailySpo2: string[] = [];
  private dailySpo2Last = '';
  private computedTemp: string[] = [];
  private readonly singles = new Map<string, Text>();
  private readonly exercises: JValue[] = [];
  private readonly pending: { path: string; data: Buffer }[] = [];
  private dayIndex = 0;
  private finished = false;

  constructor(
    private readonly opts: RenderOptions,
    private readonly sink: FileSink,
  ) {
    this.root = (opts.root ?? 'Takeout/Fitbit').replace(/\/+$/, '');
    this.eol = opts.crlf ? '\r\n' : '\n';
    this.bom = !!opts.bom;
  }

  private p(dir: string, name: string): string {
    return `${this.root}/${dir}/${name}`;
  }

  /** A file of the Google CSV layer: flat, or (newer exports) in a folder per family (`Heart Rate/`). */
  private pa(kind: string, name: string): string {
    if (!this.opts.familyFolders) return this.p(DIRS.csv, name);
    const family = kind
      .split('_')
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join(' ');
    return this.p(`${DIRS.csv}/${family}`, name);
  }

  private count(key: string, n = 1): void {
    this.counts[key] = (this.counts[key] ?? 0) + n;
  }

  private emitText(path: string, text: string | Buffer, csv: boolean): void {
    const data = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    this.pending.push({ path, data: csv && this.bom ? Buffer.concat([BOM, data]) : data });
  }

  private emitCsv(file: Text): void {
    this.emitText(file.path, file.w.data(), true);
  }

  /** Appends CSV rows to the rolling file of `kind`, switching (and flushing) when the path changes. */
  private roll(kind: string, path: string, header: string): Text {
    let f = this.rolling.get(kind);
    if (f && f.path !== path) {
      this.emitCsv(f);
      f = undefined;
    }
    if (!f) {
      f = new Text(path);
      f.w.str(header + this.eol);
      this.rolling.set(kind, f);
    }
    return f;
  }

  private single(name: string, path: string, header: string): Text {
    let f = this.singles.get(name);
    if (!f) {
      f = new Text(path);
      f.w.str(header + this.eol);
      this.singles.set(name, f);
    }
    return f;
  }

  private async drain(): Promise<void> {
    while (this.pending.length) {
      const f = this.pending.shift();
      if (f) await this.sink.add(f.path, f.data);
    }
  }

  // ---- the CSV layer (Z stamps) ---------------------------------------------------------------

  private csvIntraday(day: SyntheticDay, before: number, split: number | null): void {
    const eol = this.eol;
    // heart rate, one file per UTC day
    {
      const hr = day.heartRate;
      let f: Text | undefined;
      let curDay = '';
      const tail = Buffer.from(`.0,${hr.source}${eol}`);
      for (let i = 0; i < hr.t.length; i++) {
        const t = hr.t[i] as number;
        if (t >= before) break;
        const d = isoDate(t);
        if (d !== curDay) {
          curDay = d;
          f = this.roll('heart_rate', this.pa('heart_rate', `heart_rate_${d}.csv`), CSV_HEADERS.heart_rate);
        }
        const w = (f as Text).w;
        writeIsoZ(w, t);
        w.byte(44)
          .uint(hr.v[i] as number)
          .bytes(tail);
        this.count('csv.heart_rate');
      }
    }
    // monthly per-minute files; rows of all sources in time order
    const monthly = (kind: keyof typeof CSV_HEADERS, series: readonly { source: string; t: number[]; v: number[] }[], fmt: (v: number) => string): void => {
      const idx = series.map(() => 0);
      for (;;) {
        let best = -1;
        let bt = Infinity;
        for (let s = 0; s < series.length; s++) {
          const t = series[s]?.t[idx[s] as number];
          if (t !== undefined && t < bt) {
            bt = t;
            best = s;
          }
        }
        if (best < 0 || bt >= before) break;
        const s = series[best] as { source: string; t: number[]; v: number[] };
        const i = idx[best] as number;
        idx[best] = i + 1;
        const f = this.roll(kind, this.pa(kind, `${kind}_${isoDate(bt).slice(0, 8)}01.csv`), CSV_HEADERS[kind]);
        writeIsoZ(f.w, bt);
        f.w.str(`,${fmt(s.v[i] as number)},${s.source}${eol}`);
        this.count(`csv.${kind}`);
      }
    };
    if (split === null) {
      monthly('steps', day.steps, csvNum);
      monthly('distance', day.distance, csvNum);
      monthly('calories', day.calories, csvNum);
    } else {
      // a split day: before the split only the JSON layer; after it one row per minute from the phone app
      const g = day.minutes;
      const steps = { source: SPLIT_DAY_SOURCE, t: [] as number[], v: [] as number[] };
      const distance = { source: SPLIT_DAY_SOURCE, t: [] as number[], v: [] as number[] };
      const calories = { source: SPLIT_DAY_SOURCE, t: [] as number[], v: [] as number[] };
      for (let i = 0; i < g.t.length; i++) {
        const t = g.t[i] as number;
        if (t < split) continue;
        if ((g.steps[i] as number) > 0) {
          steps.t.push(t);
          steps.v.push(g.steps[i] as number);
        }
        if ((g.distanceCm[i] as number) > 0) {
          distance.t.push(t);
          distance.v.push((g.distanceCm[i] as number) / 100);
        }
        calories.t.push(t);
        calories.v.push(g.calories[i] as number);
      }
      monthly('steps', [steps], csvNum);
      monthly('distance', [distance], csvNum);
      monthly('calories', [calories], csvNum);
    }
    monthly('altitude', day.altitude, (m) => String(Math.round(m * 1000)));
    monthly('floors', day.floors, csvNum);
    for (const a of day.activeZoneMinutes) {
      if (a.t >= before) break;
      const f = this.roll(
        'active_zone_minutes',
        this.pa('active_zone_minutes', `active_zone_minutes_${isoDate(a.t).slice(0, 8)}01.csv`),
        CSV_HEADERS.active_zone_minutes,
      );
      f.w.str(`${fmtIsoZ(a.t)},${a.zone},${a.minutes},${TRACKER}${eol}`);
      this.count('csv.active_zone_minutes');
    }
    for (const w of day.weights) {
      if (w.t >= before) continue;
      this.single('weight', this.pa('weight', 'weight.csv'), CSV_HEADERS.weight).w.str(`${fmtIsoZ(w.t)},${csvNum(w.grams)},${WEIGHT_SOURCE}${eol}`);
      this.count('csv.weight');
    }
  }

  private csvSleepDerived(day: SyntheticDay): void {
    const eol = this.eol;
    for (const h of day.hrv) {
      const f = this.roll(
        'heart_rate_variability',
        this.pa('heart_rate_variability', `heart_rate_variability_${isoDate(h.t).slice(0, 8)}01.csv`),
        CSV_HEADERS.heart_rate_variability,
      );
      f.w.str(`${fmtIsoZ(h.t)},${csvNum(h.rmssd)},${csvNum(h.sdnn)},${TRACKER}${eol}`);
      this.count('csv.hrv');
    }
    const s = day.spo2;
    for (let i = 0; i < s.t.length; i++) {
      const t = s.t[i] as number;
      const f = this.roll(
        'oxygen_saturation',
        this.pa('oxygen_saturation', `oxygen_saturation_${isoDate(t).slice(0, 8)}01.csv`),
        CSV_HEADERS.oxygen_saturation,
      );
      f.w.str(`${fmtIsoZ(t)},${csvNum(s.v[i] as number)},${s.source}${eol}`);
      this.count('csv.spo2');
    }
    // the dated folders
    if (day.hrv.length) {
      const rows = day.hrv.map((h) => `${fmtIsoNaive(local(h.t, h.offset))},${h.rmssd},${h.coverage},${h.lowFrequency},${h.highFrequency}${eol}`);
      this.emitText(
        this.p(DIRS.hrv, `Heart Rate Variability Details - ${day.date}.csv`),
        `timestamp,rmssd,coverage,low_frequency,high_frequency${eol}${rows.join('')}`,
        true,
      );
    }
    if (s.t.length) {
      const rows: string[] = [];
      for (let i = 0; i < s.t.length; i++) rows.push(`${fmtIsoZ(s.t[i] as number)},${s.v[i]}${eol}`);
      this.emitText(this.p(DIRS.spo2, `Minute SpO2 - ${day.date}.csv`), `timestamp,value${eol}${rows.join('')}`, true);
    }
    const d = day.daily;
    const stamp = `${day.date}T00:00:00`;
    const one = (name: keyof typeof CSV_HEADERS, row: string): void => {
      this.single(name, this.pa(name, `${name}.csv`), CSV_HEADERS[name]).w.str(`${stamp}Z,${row},${TRACKER}${eol}`);
      this.count(`csv.${name}`);
    };
    if (d.restingHeartRate) one('daily_resting_heart_rate', csvNum(d.restingHeartRate.value));
    if (d.hrv) {
      one('daily_heart_rate_variability', `${csvNum(d.hrv.rmssd)},${csvNum(d.hrv.nremhr)},${csvNum(d.hrv.entropy)},${csvNum(d.hrv.deepRmssd)}`);
      this.emitText(
        this.p(DIRS.hrv, hrvSummaryFileName(day.date)),
        (() => {
          const l = legacyHrvSummary(day.seed, day.date, d.hrv);
          return `timestamp,rmssd,nremhr,entropy${eol}${stamp},${l.rmssd},${l.nremhr},${l.entropy}${eol}`;
        })(),
        true,
      );
    }
    if (d.spo2) {
      one(
        'daily_oxygen_saturation',
        `${csvNum(d.spo2.avg)},${csvNum(d.spo2.lower)},${csvNum(d.spo2.upper)},${csvNum(d.spo2.baseline)},${csvNum(d.spo2.stddev)}`,
      );
      this.dailySpo2Last = day.date;
      this.dailySpo2.push(`${stamp},${d.spo2.avg},${d.spo2.lower},${d.spo2.upper}${eol}`);
    }
    if (d.respiratoryRate) {
      one('daily_respiratory_rate', csvNum(d.respiratoryRate.full));
      this.emitText(
        this.p(DIRS.hrv, `Daily Respiratory Rate Summary - ${day.date}.csv`),
        `timestamp,daily_respiratory_rate${eol}${stamp},${legacyRespiratoryRate(day.seed, day.date, d.respiratoryRate.full)}${eol}`,
        true,
      );
    }
    if (d.skinTemperature) {
      const st = d.skinTemperature;
      one('daily_sleep_temperature_derivations', `${csvNum(st.nightly)},${csvNum(st.baseline)},${csvNum(st.relativeStddev30d)}`);
      const main = day.sleeps.find((x) => x.mainSleep);
      if (main) {
        const rel = Math.round((st.nightly - st.baseline) * 1000) / 1000;
        this.computedTemp.push(
          `IDT,${fmtIsoNaive(local(main.start, main.startOffset))},${fmtIsoNaive(local(main.end, main.endOffset))},${st.samples},${st.nightly},${Math.round(rel * st.samples * 1000) / 1000},${Math.round(rel * rel * st.samples * 1000) / 1000},${st.relativeStddev30d},${Math.round(Math.abs(rel) * 500 + 100) / 1000}${eol}`,
        );
      }
    }
    // AZM (local, naive, minutes)
    for (const a of day.activeZoneMinutes) {
      const lt = local(a.t, a.offset);
      const f = this.roll('azm_local', this.p(DIRS.azm, `Active Zone Minutes - ${isoDate(lt).slice(0, 8)}01.csv`), 'date_time,heart_zone_id,total_minutes');
      f.w.str(`${fmtIsoNaiveMinutes(lt)},${a.zone},${a.minutes}${eol}`);
    }
  }

  private csvSessions(day: SyntheticDay): void {
    const eol = this.eol;
    const month = `${day.date.slice(0, 8)}01`;
    const created = fmtSpaceUtc(day.end + 3 * 3_600_000);
    for (const physical of day.sleeps) {
      // once per algorithm version, sharing the sleep_id (as real exports may do)
      const sleepId = csvSleepId(physical.logId);
      const legacy = legacySleep(day.seed, physical, this.opts.timezone);
      const versions: [SleepLog, string, string, number][] = [];
      if (legacy) versions.push([legacy, SLEEP_SESSION_LEGACY, SLEEP_STAGES_LEGACY, 1]);
      versions.push([physical, SLEEP_SESSION_NEWEST, SLEEP_STAGES_NEWEST, 2]);
      for (const [s, sessionVersion, stagesVersion, v] of versions) {
        const us = this.roll('user_sleeps', this.p(DIRS.health, `UserSleeps_${month}.csv`), USER_SLEEPS_HEADER);
        let longest = 0;
        for (const g of s.segments) if (g.level === 'wake' || g.level === 'awake') longest = Math.max(longest, Math.round((g.end - g.start) / MINUTE_MS));
        us.w.str(
          [
            sleepId,
            s.type === 'stages' ? 'STAGES' : 'CLASSIC',
            s.timeInBed,
            s.minutesAfterWakeup,
            s.minutesToFallAsleep,
            s.minutesAsleep,
            s.minutesAwake,
            longest,
            s.minutesToFallAsleep,
            formatOffset(s.startOffset),
            fmtSpaceUtc(s.start),
            formatOffset(s.endOffset),
            fmtSpaceUtc(s.end),
            TRACKER,
            sessionVersion,
            created,
            created,
          ].join(',') + eol,
        );
        this.count('csv.sleep');
        const st = this.roll('user_sleep_stages', this.p(DIRS.health, `UserSleepStages_${month}.csv`), USER_SLEEP_STAGES_HEADER);
        mergedStages(s).forEach((g, i) => {
          st.w.str(
            [
              sleepId,
              `${sleepId.slice(0, 15)}${v}${String(i).padStart(3, '0')}`,
              g.level === 'wake' || g.level === 'awake' ? 'AWAKE' : g.level.toUpperCase(),
              formatOffset(g.startOffset),
              fmtSpaceUtc(g.start),
              formatOffset(g.endOffset),
              fmtSpaceUtc(g.end),
              TRACKER,
              stagesVersion,
              created,
              created,
            ].join(',') + eol,
          );
        });
      }
    }
    for (const e of day.exercises) {
      const secs = Math.max(1, (e.end - e.start) / 1000);
      const speedMm = Math.round((e.distanceM * 1000) / secs);
      const strideMm = e.steps ? Math.round((e.distanceM * 1000) / e.steps) : 0;
      const ue = this.roll('user_exercises', this.p(DIRS.health, `UserExercises_${month}.csv`), USER_EXERCISES_HEADER);
      ue.w.str(
        [
          e.logId,
          fmtSpaceUtc(e.start),
          fmtSpaceUtc(e.end),
          formatOffset(e.startOffset),
          fmtSpaceUtc(e.end + 60_000),
          fmtSpaceUtc(e.end + 60_000),
          e.activityName,
          'AUTO_DETECTED',
          0,
          'UNSPECIFIED',
          0,
          'METRIC',
          e.calories,
          e.steps,
          Math.round(e.distanceM * 1000),
          0,
          e.averageHeartRate,
          e.averageHeartRate + 18,
          speedMm ? Math.round(1e6 / speedMm) : 0,
          speedMm,
          Math.round(speedMm * 1.3),
          e.activityName === 'Run' ? strideMm : 0,
          e.activityName === 'Walk' ? strideMm : 0,
          0,
          0,
          'UNSPECIFIED',
          0,
          0,
          0,
          0,
          0,
          'UNSPECIFIED',
          '',
        ].join(',') + eol,
      );
      this.count('csv.exercise');
    }
  }

  // ---- the JSON layer --------------------------------------------------------------------------

  private jsonDay(day: SyntheticDay, split: number | null): void {
    // heart rate: one file per local day, UTC stamps
    const hr = day.heartRate;
    const w = new Bytes(hr.t.length * 100);
    w.byte(91);
    for (let i = 0; i < hr.t.length; i++) {
      if (i) w.byte(44);
      w.bytes(J_REC);
      writeFitbitStamp(w, hr.t[i] as number);
      w.bytes(J_BPM)
        .uint(jsonHeartRate(day.seed, hr.t[i] as number, hr.v[i] as number))
        .bytes(J_CONF)
        .uint(hr.confidence[i] as number)
        .bytes(J_HR_END);
    }
    w.byte(93);
    this.count('json.heart_rate', hr.t.length);
    this.emitText(this.p(DIRS.json, `heart_rate-${day.date}.json`), w.data(), false);

    // per-minute chunks: steps/distance/altitude UTC, calories LOCAL; zero minutes included
    const g = day.minutes;
    const rec = (w: Bytes, stamp: number, v: number | string): void => {
      if (w.len > 1) w.byte(44);
      w.bytes(J_REC);
      writeFitbitStamp(w, stamp);
      w.bytes(J_VAL);
      if (typeof v === 'number') w.uint(v);
      else w.str(v);
      w.bytes(J_VAL_END);
    };
    const steps = this.jsonChunk('steps'),
      distance = this.jsonChunk('distance'),
      altitude = this.jsonChunk('altitude'),
      calories = this.jsonChunk('calories');
    let minutes = 0;
    for (let i = 0; i < g.t.length; i++) {
      const t = g.t[i] as number;
      if (g.altitudeFt[i]) rec(altitude, t, g.altitudeFt[i] as number); // sparse: only minutes with a gain
      if (split !== null && t >= split) continue; // a split day: the rest is only in the CSV layer
      minutes++;
      rec(steps, t, g.steps[i] as number);
      rec(distance, t, g.distanceCm[i] as number);
      const kcal = g.calories[i] as number;
      rec(calories, local(t, g.offset[i] as number), dbl(split === null ? jsonCalories(day.seed, t, kcal) : kcal));
    }
    this.count('json.steps', minutes);
    this.count('json.distance', minutes);
    this.count('json.altitude', g.altitudeFt.filter((x) => x > 0).length);
    this.count('json.calories', minutes);

    // the JSON logs are the legacy algorithm version (some naps have none)
    for (const s of day.sleeps) {
      const legacy = legacySleep(day.seed, s, this.opts.timezone);
      if (!legacy) continue;
      this.sleepLogs.push(sleepJson(legacy));
      this.count('json.sleep');
    }
    for (const w of day.weights) {
      const lt = local(w.t, w.offset);
      this.weightLogs.push({
        logId: w.logId,
        weight: new Dbl(w.lb),
        bmi: new Dbl(w.bmi),
        date: fmtFitbitDate(lt),
        time: weightPlaceholder(day.seed, w) ? '23:59:59' : fmtFitbit(lt).slice(9),
        source: 'API',
      });
      this.count('json.weight');
    }
    const rhr = day.daily.restingHeartRate;
    this.restingHr.push(
      `{\n  "dateTime" : "${fmtFitbitDate(local(day.start, 0) + day.startOffset * MINUTE_MS)} 00:00:00",\n  "value" : ${
        rhr
          ? `{\n    "date" : "${fmtFitbitDate(local(day.start, day.startOffset))}",\n    "value" : ${dbl(rhr.value)},\n    "error" : ${dbl(rhr.error)}\n  }`
          : '{\n    "date" : null,\n    "value" : 0.0,\n    "error" : 0.0\n  }'
      }\n}`,
    );
    if (rhr) this.count('json.resting_heart_rate');
    for (const e of day.exercises) this.exercises.push(exerciseJson(e));
  }

  private chunkRecords = new Map<string, Bytes>();
  private jsonChunk(kind: string): Bytes {
    let a = this.chunkRecords.get(kind);
    if (!a) {
      a = new Bytes(4 * 1024 * 1024);
      a.byte(91);
      this.chunkRecords.set(kind, a);
    }
    return a;
  }

  private flushChunk(): void {
    if (!this.chunkStart) return;
    for (const [kind, recs] of this.chunkRecords) {
      this.emitText(this.p(DIRS.json, `${kind}-${this.chunkStart}.json`), recs.byte(93).data(), false);
    }
    this.chunkRecords.clear();
    if (this.sleepLogs.length) this.emitText(this.p(DIRS.json, `sleep-${this.chunkStart}.json`), jacksonArray([...this.sleepLogs].reverse()), false);
    if (this.weightLogs.length) this.emitText(this.p(DIRS.json, `weight-${this.chunkStart}.json`), jacksonArray(this.weightLogs), false);
    this.sleepLogs = [];
    this.weightLogs = [];
    if (this.dailySpo2.length) {
      this.emitText(
        this.p(DIRS.spo2, `Daily SpO2 - ${this.chunkStart}-${this.dailySpo2Last}.csv`),
        `timestamp,average_value,lower_bound,upper_bound${this.eol}${this.dailySpo2.join('')}`,
        true,
      );
    }
    this.dailySpo2 = [];
    if (this.computedTemp.length) {
      this.emitText(
        this.p(DIRS.temp, `Computed Temperature - ${this.chunkStart}.csv`),
        `type,sleep_start,sleep_end,temperature_samples,nightly_temperature,baseline_relative_sample_sum,baseline_relative_sample_sum_of_squares,baseline_relative_nightly_standard_deviation,baseline_relative_sample_standard_deviation${this.eol}${this.computedTemp.join('')}`,
        true,
      );
    }
    this.computedTemp = [];
  }

  private flushYearChunk(): void {
    if (!this.yearChunkStart || !this.restingHr.length) return;
    // real exports pad the chunk to its full length with empty entries, future days included
    for (let i = this.restingHr.length; i < JSON_YEAR_CHUNK_DAYS; i++) {
      const d = addDays(this.yearChunkStart, i);
      this.restingHr.push(
        `{\n  "dateTime" : "${d.slice(5, 7)}/${d.slice(8, 10)}/${d.slice(2, 4)} 00:00:00",\n  "value" : {\n    "date" : null,\n    "value" : 0.0,\n    "error" : 0.0\n  }\n}`,
      );
    }
    this.emitText(this.p(DIRS.json, `resting_heart_rate-${this.yearChunkStart}.json`), `[${this.restingHr.join(',')}]`, false);
    this.restingHr = [];
  }

  // ---- public ----------------------------------------------------------------------------------

  /** Adds one full local day (both layers). Days must come in order, without gaps. */
  async addDay(day: SyntheticDay): Promise<void> {
    if (this.finished) throw new Error('renderer already finished');
    if (this.dayIndex % JSON_CHUNK_DAYS === 0) {
      this.flushChunk();
      this.chunkStart = day.date;
    }
    if (this.dayIndex % JSON_YEAR_CHUNK_DAYS === 0) {
      this.flushYearChunk();
      this.yearChunkStart = day.date;
    }
    this.dayIndex++;
    const split = splitInstant(day.seed, day.date, this.opts.timezone);
    this.csvIntraday(day, Infinity, split);
    this.csvSleepDerived(day);
    this.csvSessions(day);
    this.jsonDay(day, split);
    await this.drain();
  }

  /** Adds the CSV layer of a day up to (not including) `before`: the export's partial last day. */
  async addPartialDay(day: SyntheticDay, before: number): Promise<void> {
    this.csvIntraday(day, before, null);
    await this.drain();
  }

  /** Flushes every open file and writes the single files (profile, daily CSVs, readmes, odd files). */
  async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.flushChunk();
    this.flushYearChunk();
    for (const f of this.rolling.values()) this.emitCsv(f);
    this.rolling.clear();
    for (const f of this.singles.values()) this.emitCsv(f);
    this.singles.clear();
    for (let i = 0; i < this.exercises.length; i += 100) {
      this.emitText(this.p(DIRS.json, `exercise-${i}.json`), jacksonArray(this.exercises.slice(i, i + 100)), false);
    }
    this.extras();
    await this.drain();
  }

  private extras(): void {
    const eol = this.eol;
    const p = this.opts.profile;
    const tz = this.opts.timezone;
    this.emitText(
      this.p(DIRS.profile, 'Profile.csv'),
      [
        'id,full_name,first_name,last_name,display_name_setting,username,email_address,date_of_birth,child,country,state,city,timezone,locale,member_since,about_me,start_of_week,sleep_tracking,time_display_format,gender,height,weight,weight_unit,distance_unit,height_unit',
        `${p.profileId},${p.displayName} Example,${p.displayName},Example,name,null,null,1988-02-29,false,null,null,null,${tz},en_US,${p.memberSince},null,SUNDAY,Normal,12hour,NA,${p.heightCm}.0,${dbl(p.weightBaseLb)},en_US,METRIC,METRIC`,
        '',
      ].join(eol),
      true,
    );
    // 7-byte "no data" files
    this.pending.push({ path: this.p(DIRS.biometrics, 'Blood Pressure.csv'), data: Buffer.from('No data') });
    this.pending.push({ path: this.p(DIRS.biometrics, 'Glucose.csv'), data: Buffer.from('No data') });
    // files an importer does not know
    this.emitText(
      this.p('Paired Devices', 'Paired Devices.csv'),
      `device_id,device_type,device_version,last_sync_time${eol}2791473641,TRACKER,Inspire 3,${fmtIsoZ(this.opts.exportMs - 3_600_000)}${eol}`,
      true,
    );
    this.emitText(
      this.p(DIRS.json, 'badge.json'),
      jacksonArray([{ badgeType: 'DAILY_STEPS', value: new Dbl(10000), dateTime: this.opts.startDate, timesAchieved: 3 }]),
      false,
    );
    this.emitText(this.p(DIRS.json, `swim_lengths_data-${this.opts.startDate}.json`), '[]', false);
    this.emitText(this.pa('live_pace', `live_pace_${this.opts.startDate}.csv`), `timestamp,pace,data source${eol}`, true);
    // readmes (they list columns the files do not always have)
    const readme = (kind: string, header: string): void => {
      const dated = !kind.startsWith('daily_') && kind !== 'weight';
      this.emitText(
        this.pa(kind, `${kind}_readme.txt`),
        [
          'Time Series Data Export',
          '',
          'The Time Series export provides a detailed timeline of your tracked activity.',
          '',
          'Files Included:',
          '----------',
          '',
          dated ? `${kind}_YYYY-MM-DD.csv - Where YYYY-MM-DD is the starting date for the entries in the file.` : `${kind}.csv`,
          '',
          `${kind.replace(/_/g, ' ')} recorded by your devices.`,
          'Each entry has the following values:',
          '',
          ...header
            .split(',')
            .map(
              (c) =>
                `    ${c.padEnd(33)} - ${c === 'timestamp' ? 'Date and time at which the entry was logged.' : c === 'data source' ? 'The origin or source of this data.' : `The ${c}.`}`,
            ),
          `    ${'data source type'.padEnd(33)} - The kind of source (listed here, not always present in the files).`,
          '',
        ].join(eol),
        false,
      );
    };
    for (const [kind, header] of Object.entries(CSV_HEADERS)) readme(kind, header);
    this.pending.push({
      path: 'Takeout/archive_browser.html',
      data: Buffer.from(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Archive Overview</title></head><body><h1>Archive Overview</h1><p>Fitbit</p></body></html>\n',
      ),
    });
  }
}

function sleepJson(s: SleepLog): JValue {
  const data = s.segments.map((g) => ({
    dateTime: fmtSleepLocal(local(g.start, g.startOffset)),
    level: g.level,
    seconds: Math.round((g.end - g.start) / 1000),
  }));
  const shortData = s.shortWakes.map((g) => ({
    dateTime: fmtSleepLocal(local(g.start, g.startOffset)),
    level: g.level,
    seconds: Math.round((g.end - g.start) / 1000),
  }));
  const summary: Record<string, JValue> = {};
  const levels = s.type === 'stages' ? ['deep', 'light', 'rem', 'wake'] : ['asleep', 'awake', 'restless'];
  for (const lv of levels) {
    let count = 0,
      ms = 0;
    for (const g of s.segments)
      if (g.level === lv) {
        count++;
        ms += g.end - g.start;
      }
    if (lv === 'wake')
      for (const g of s.shortWakes) {
        count++;
        ms += g.end - g.start;
      }
    summary[lv] =
      s.type === 'stages'
        ? { count, minutes: Math.round(ms / MINUTE_MS), thirtyDayAvgMinutes: Math.round(ms / MINUTE_MS) }
        : { count, minutes: Math.round(ms / MINUTE_MS) };
  }
  const lv: Record<string, JValue> = { summary, data };
  if (s.type === 'stages') lv.shortData = shortData;
  return {
    logId: s.logId,
    dateOfSleep: s.dateOfSleep,
    startTime: fmtSleepLocal(local(s.start, s.startOffset)),
    endTime: fmtSleepLocal(local(s.end, s.endOffset)),
    duration: s.end - s.start,
    minutesToFallAsleep: s.minutesToFallAsleep,
    minutesAsleep: s.minutesAsleep,
    minutesAwake: s.minutesAwake,
    minutesAfterWakeup: s.minutesAfterWakeup,
    timeInBed: s.timeInBed,
    efficiency: s.efficiency,
    type: s.type,
    infoCode: 0,
    logType: 'auto_detected',
    levels: lv,
    mainSleep: s.mainSleep,
  };
}

function exerciseJson(e: ExerciseSession): JValue {
  const stamp = fmtFitbit(e.start);
  return {
    logId: e.logId,
    activityName: e.activityName,
    activityTypeId: e.activityTypeId,
    activityLevel: [
      { minutes: 0, name: 'sedentary' },
      { minutes: 2, name: 'lightly' },
      { minutes: 5, name: 'fairly' },
      { minutes: Math.max(0, Math.round((e.end - e.start) / MINUTE_MS) - 7), name: 'very' },
    ],
    averageHeartRate: e.averageHeartRate,
    calories: e.calories,
    distance: new Dbl(Math.round(e.distanceM) / 1000),
    distanceUnit: 'Kilometer',
    duration: e.end - e.start,
    activeDuration: e.end - e.start,
    steps: e.steps,
    source: {
      type: 'tracker',
      name: TRACKER,
      id: '2791473641',
      url: 'https://www.fitbit.com/',
      trackerFeatures: ['HEARTRATE', 'STEPS', 'CALORIES', 'DISTANCE'],
    },
    logType: 'auto_detected',
    manualValuesSpecified: { calories: false, distance: false, steps: false },
    heartRateZones: [],
    activeZoneMinutes: { totalMinutes: e.activeZoneMinutes, minutesInHeartRateZones: [] },
    lastModified: fmtFitbit(e.end + 60_000),
    startTime: stamp,
    originalStartTime: stamp,
    originalDuration: e.end - e.start,
    elevationGain: new Dbl(0),
    hasGps: false,
    shouldFetchDetails: false,
    hasActiveZoneMinutes: true,
  };
}
