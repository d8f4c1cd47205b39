/**
 * The table of Takeout file kinds. A file is recognised by its BASENAME (and, where a name is
 * generic, its parent folder's name) — never by the root folder, which varies: `Takeout/Fitbit/`,
 * `Fitbit/`, `Takeout/Google Health/`, `MyFitbitData/<Name>/…`, `user-site-export/`, and 2026
 * exports that put each CSV family in its own sub-folder.
 *
 * `clock` says how the file's stamps are read:
 * - `utc`: UTC instants (`…Z` or the legacy JSON `MM/DD/YY HH:MM:SS` of heart_rate/steps/distance/
 *   altitude/exercise); the offset stored with a sample is the user's zone's offset at that instant.
 * - `local`: wall-clock time in the user's zone (calories and sleep JSON, naive CSVs, daily
 *   records stamped at local midnight). Needs a zone; without one the file fails.
 * - `offset`: UTC stamps with explicit offset columns (UserSleeps, UserSleepStages, UserExercises).
 */
import type { ParseContext } from './parsers/common.js';
import type { JsonStream } from './parsers/legacy-intraday.js';
import * as lj from './parsers/legacy-intraday.js';
import * as ls from './parsers/legacy-sleep.js';
import * as ld from './parsers/legacy-daily.js';
import * as gc from './parsers/google-csv.js';
import * as hc from './parsers/health-csv.js';
import * as sc from './parsers/sessions-csv.js';

export type Clock = 'utc' | 'local' | 'offset';
export type Parser = (stream: JsonStream, ctx: ParseContext, size: number) => Promise<void>;

export interface FileKind {
  id: string;
  /** Short human label for the summary. */
  label: string;
  format: 'json' | 'csv';
  clock: Clock;
  /** Matched against the basename. */
  name: RegExp;
  /** When set, the parent folder's name must match too. */
  parent?: RegExp;
  parse: Parser;
}

const D = String.raw`\d{4}-\d{2}-\d{2}`;
const re = (s: string): RegExp => new RegExp(`^${s}$`, 'i');

export const FILE_KINDS: readonly FileKind[] = [
  // ---- legacy JSON ("Global Export Data", old "Physical Activity", "user-site-export")
  { id: 'json.heart_rate', label: 'heart_rate JSON', format: 'json', clock: 'utc', name: re(`heart_rate-${D}\\.json`), parse: lj.parseHeartRateJson },
  { id: 'json.steps', label: 'steps JSON', format: 'json', clock: 'utc', name: re(`steps-${D}\\.json`), parse: lj.parseStepsJson },
  { id: 'json.distance', label: 'distance JSON', format: 'json', clock: 'utc', name: re(`distance-${D}\\.json`), parse: lj.parseDistanceJson },
  { id: 'json.altitude', label: 'altitude JSON', format: 'json', clock: 'utc', name: re(`altitude-${D}\\.json`), parse: lj.parseAltitudeJson },
  { id: 'json.calories', label: 'calories JSON', format: 'json', clock: 'local', name: re(`calories-${D}\\.json`), parse: lj.parseCaloriesJson },
  {
    id: 'json.resting_heart_rate',
    label: 'resting_heart_rate JSON',
    format: 'json',
    clock: 'local',
    name: re(`resting_heart_rate-${D}\\.json`),
    parse: ld.parseRestingHeartRateJson,
  },
  { id: 'json.weight', label: 'weight JSON', format: 'json', clock: 'local', name: re(`weight-${D}\\.json`), parse: ld.parseWeightJson },
  { id: 'json.sleep', label: 'sleep JSON', format: 'json', clock: 'local', name: re(`sleep-${D}\\.json`), parse: ls.parseSleepJson },
  { id: 'json.exercise', label: 'exercise JSON', format: 'json', clock: 'utc', name: re(`exercise-\\d+\\.json`), parse: ld.parseExerciseJson },
  // ---- Google layer CSV
  { id: 'csv.heart_rate', label: 'heart_rate CSV', format: 'csv', clock: 'utc', name: re(`heart_rate_${D}\\.csv`), parse: gc.parseHeartRateCsv },
  { id: 'csv.steps', label: 'steps CSV', format: 'csv', clock: 'utc', name: re(`steps_${D}\\.csv`), parse: gc.parseStepsCsv },
  { id: 'csv.distance', label: 'distance CSV', format: 'csv', clock: 'utc', name: re(`distance_${D}\\.csv`), parse: gc.parseDistanceCsv },
  { id: 'csv.calories', label: 'calories CSV', format: 'csv', clock: 'utc', name: re(`calories_${D}\\.csv`), parse: gc.parseCaloriesCsv },
  { id: 'csv.altitude', label: 'altitude CSV', format: 'csv', clock: 'utc', name: re(`altitude_${D}\\.csv`), parse: gc.parseAltitudeCsv },
  { id: 'csv.floors', label: 'floors CSV', format: 'csv', clock: 'utc', name: re(`floors_${D}\\.csv`), parse: gc.parseFloorsCsv },
  {
    id: 'csv.active_zone_minutes',
    label: 'active_zone_minutes CSV',
    format: 'csv',
    clock: 'utc',
    name: re(`active_zone_minutes_${D}\\.csv`),
    parse: gc.parseAzmCsv,
  },
  {
    id: 'csv.heart_rate_variability',
    label: 'heart_rate_variability CSV',
    format: 'csv',
    clock: 'utc',
    name: re(`heart_rate_variability_${D}\\.csv`),
    parse: gc.parseHrvCsv,
  },
  {
    id: 'csv.oxygen_saturation',
    label: 'oxygen_saturation CSV',
    format: 'csv',
    clock: 'utc',
    name: re(`oxygen_saturation_${D}\\.csv`),
    parse: gc.parseSpo2Csv,
  },
  { id: 'csv.weight', label: 'weight CSV', format: 'csv', clock: 'utc', name: re(`weight(_${D})?\\.csv`), parse: gc.parseWeightCsv },
  {
    id: 'csv.daily_resting_heart_rate',
    label: 'daily_resting_heart_rate CSV',
    format: 'csv',
    clock: 'local',
    name: re(`daily_resting_heart_rate(_${D})?\\.csv`),
    parse: gc.parseDailyRestingHeartRateCsv,
  },
  {
    id: 'csv.daily_heart_rate_variability',
    label: 'daily_heart_rate_variability CSV',
    format: 'csv',
    clock: 'local',
    name: re(`daily_heart_rate_variability(_${D})?\\.csv`),
    parse: gc.parseDailyHrvCsv,
  },
  {
    id: 'csv.daily_oxygen_saturation',
    label: 'daily_oxygen_saturation CSV',
    format: 'csv',
    clock: 'local',
    name: re(`daily_oxygen_saturation(_${D})?\\.csv`),
    parse: gc.parseDailySpo2Csv,
  },
  {
    id: 'csv.daily_respiratory_rate',
    label: 'daily_respiratory_rate CSV',
    format: 'csv',
    clock: 'local',
    name: re(`daily_respiratory_rate(_${D})?\\.csv`),
    parse: gc.parseDailyRespiratoryRateCsv,
  },
  {
    id: 'csv.daily_sleep_temperature_derivations',
    label: 'daily_sleep_temperature_derivations CSV',
    format: 'csv',
    clock: 'local',
    name: re(`daily_sleep_temperature_derivations(_${D})?\\.csv`),
    parse: gc.parseDailyTemperatureCsv,
  },
  // ---- old Fitbit CSV folders (no data source: legacy layer)
  {
    id: 'hrv.details',
    label: 'Heart Rate Variability Details',
    format: 'csv',
    clock: 'local',
    name: re(`Heart Rate Variability Details - ${D}\\.csv`),
    parse: hc.parseHrvDetailsCsv,
  },
  {
    id: 'hrv.daily',
    label: 'Daily Heart Rate Variability Summary',
    format: 'csv',
    clock: 'local',
    name: re(`Daily Heart Rate Variability Summary - .*\\.csv`),
    parse: hc.parseDailyHrvSummaryCsv,
  },
  {
    id: 'resp.daily',
    label: 'Daily Respiratory Rate Summary',
    format: 'csv',
    clock: 'local',
    name: re(`Daily Respiratory Rate Summary - .*\\.csv`),
    parse: hc.parseDailyRespiratorySummaryCsv,
  },
  { id: 'spo2.minute', label: 'Minute SpO2', format: 'csv', clock: 'utc', name: re(`Minute SpO2 - .*\\.csv`), parse: hc.parseMinuteSpo2Csv },
  { id: 'spo2.daily', label: 'Daily SpO2', format: 'csv', clock: 'local', name: re(`Daily SpO2 - .*\\.csv`), parse: hc.parseDailySpo2SummaryCsv },
  {
    id: 'temp.computed',
    label: 'Computed Temperature',
    format: 'csv',
    clock: 'local',
    name: re(`Computed Temperature - .*\\.csv`),
    parse: hc.parseComputedTemperatureCsv,
  },
  {
    id: 'azm.local',
    label: 'Active Zone Minutes (AZM)',
    format: 'csv',
    clock: 'local',
    name: re(`Active Zone Minutes - .*\\.csv`),
    parse: hc.parseAzmLocalCsv,
  },
  // ---- sessions with explicit offsets
  { id: 'csv.user_sleeps', label: 'UserSleeps', format: 'csv', clock: 'offset', name: re(`UserSleeps(_.*)?\\.csv`), parse: sc.parseUserSleepsCsv },
  {
    id: 'csv.user_sleep_stages',
    label: 'UserSleepStages',
    format: 'csv',
    clock: 'offset',
    name: re(`UserSleepStages(_.*)?\\.csv`),
    parse: sc.parseUserSleepStagesCsv,
  },
  { id: 'csv.user_exercises', label: 'UserExercises', format: 'csv', clock: 'offset', name: re(`UserExercises(_.*)?\\.csv`), parse: sc.parseUserExercisesCsv },
];

/** The profile (read in the pre-pass, counted as imported in the main pass). */
export const PROFILE_NAME = /^Profile\.csv$/i;
export const PROFILE_PARENT = /^(Your Profile|Profile|Personal & Account|Account)$/i;

/** Known files that carry nothing to import. */
const IGNORED: RegExp[] = [/_readme\.txt$/i, /^README\.txt$/i, /^archive_browser\.html$/i];

export type Classified = { type: 'kind'; kind: FileKind } | { type: 'profile' } | { type: 'ignored' } | { type: 'unknown' };

/** Splits an archive path into basename and parent folder name. */
export function baseAndParent(path: string): { base: string; parent: string } {
  const parts = path.split(/[\\/]+/).filter(Boolean);
  return { base: parts[parts.length - 1] ?? '', parent: parts[parts.length - 2] ?? '' };
}

export function isProfilePath(path: string): boolean {
  const { base, parent } = baseAndParent(path);
  return PROFILE_NAME.test(base) && (PROFILE_PARENT.test(parent) || !parent.includes('GoogleData'));
}

export function classify(path: string): Classified {
  const { base, parent } = baseAndParent(path);
  if (isProfilePath(path)) return { type: 'profile' };
  for (const r of IGNORED) if (r.test(base)) return { type: 'ignored' };
  for (const k of FILE_KINDS) {
    if (k.name.test(base) && (!k.parent || k.parent.test(parent))) return { type: 'kind', kind: k };
  }
  return { type: 'unknown' };
}
