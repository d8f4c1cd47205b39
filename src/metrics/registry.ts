/**
 * The one registry of metrics. Everything else (store series names, dump folders, `stats`, docs,
 * and later MQTT keys, Prometheus names and Home Assistant classes) is generated from this table.
 *
 * Rules:
 * - A metric is one quantity in one canonical unit. Importers and API clients convert to it.
 * - Distinct quantities stay distinct: Takeout `calories` is TOTAL energy (BMR included) per
 *   minute; the Google Health API's `active-energy-burned` is ACTIVE energy only, so it is a
 *   different metric (`active_energy`). The API's per-minute total energy exists only as a
 *   `total-calories` rollUp.
 * - Records with several fields become one metric per field (HRV rmssd / sdnn, SpO2 avg / lower / upper).
 */

export type MetricKind = 'intraday' | 'daily' | 'session';

export interface GoogleHealthSource {
  /** Data type id as used in URL paths (kebab-case). */
  dataType: string;
  /** Field inside the data point's union member, e.g. `beatsPerMinute`; a dotted path into a nested message (`fullSleepStats.breathsPerMinute`). */
  field: string;
  /** Only available through rollUp / dailyRollUp, not `list`. */
  rollupOnly?: boolean;
  /** Conversion factor from the API's unit to the metric's unit. */
  factor?: number;
}

export interface MetricDef {
  id: MetricId;
  title: string;
  description: string;
  /** Canonical unit symbol. */
  unit: string;
  kind: MetricKind;
  /** Takeout files this metric is read from (documentation; importers hold the patterns). */
  takeout: readonly string[];
  /** The Google Health API counterpart, or null when there is none (see `note`). */
  googleHealth: GoogleHealthSource | null;
  /**
   * Rounding tolerance: two samples of this metric that are the same measurement (the Takeout
   * legacy layer and the CSV layer / API at the same instant, or on the same local day for daily
   * metrics; src/reconcile/samples.ts) and whose values differ by more than this are counted as a
   * layer disagreement. The match itself does not depend on it (it did before issue 9).
   */
  matchTolerance: number;
  /**
   * The values a sample may have, in the canonical unit (bounds included): physiological or
   * physical limits, generous enough for any real reading. A value outside (a negative bpm, a
   * 1e309 read as Infinity) is a skipped row or data point with a warning, never stored.
   * Sessions have none.
   */
  valid?: ValidRange;
  note?: string;
  /** Prometheus naming of the metric (scraped gauges, remote-written history, OpenMetrics export). */
  prometheus: PrometheusDef;
}

export interface ValidRange {
  min: number;
  max: number;
}

/**
 * How a metric is named in Prometheus (see docs/tsdb.md). Every name starts with `fitbit_` and
 * ends with the base unit (`_seconds`, `_meters`, `_grams`, `_celsius`, `_ratio`); bpm, steps,
 * kcal, floors, breaths per minute and active zone minutes have no base unit and are named plainly.
 *
 * - scraped gauge (the current value on /metrics): `fitbit_<name>` — prometheusGaugeName()
 * - history by remote write, real timestamps: `fitbit_history_<name>` — prometheusHistoryName()
 * - per local day, stamped at local midnight: `fitbit_history_daily_<name>` — prometheusDailyName()
 *   (sums of the additive intraday metrics, sleep and exercise time)
 * History names never equal a gauge name, so a scrape and the remote-written history of the same
 * quantity can live in one TSDB without mixing.
 */
export interface PrometheusDef {
  /** The name without the `fitbit_` prefix, base unit suffix included: `heart_rate_bpm`, `distance_meters`. */
  name: string;
  /** Factor from the canonical unit to the Prometheus base unit (ms → s: 0.001; % → ratio: 0.01). Default 1. */
  factor?: number;
  /** Intraday metrics whose samples add up: also written as one total per local day. */
  dailySum?: boolean;
}

const defs = [
  // ---- intraday ----------------------------------------------------------------------------
  {
    id: 'heart_rate',
    title: 'Heart rate',
    unit: 'bpm',
    valid: { min: 20, max: 300 },
    kind: 'intraday',
    description: 'Heart rate, one sample every 1–15 s while the tracker is worn.',
    takeout: ['Global Export Data/heart_rate-YYYY-MM-DD.json (UTC stamps)', 'Physical Activity_GoogleData/heart_rate_YYYY-MM-DD.csv'],
    googleHealth: { dataType: 'heart-rate', field: 'beatsPerMinute' },
    matchTolerance: 0.5,
    prometheus: { name: 'heart_rate_bpm' },
  },
  {
    id: 'steps',
    title: 'Steps',
    unit: 'steps',
    valid: { min: 0, max: 100_000 },
    kind: 'intraday',
    description: 'Steps per minute.',
    takeout: ['Global Export Data/steps-YYYY-MM-DD.json (UTC stamps, zero minutes included)', 'Physical Activity_GoogleData/steps_YYYY-MM-01.csv'],
    googleHealth: { dataType: 'steps', field: 'count' },
    matchTolerance: 0.5,
    prometheus: { name: 'steps', dailySum: true },
  },
  {
    id: 'distance',
    title: 'Distance',
    unit: 'm',
    valid: { min: 0, max: 100_000 },
    kind: 'intraday',
    description: 'Distance covered per minute, in metres.',
    takeout: ['Global Export Data/distance-YYYY-MM-DD.json (centimetres, UTC stamps)', 'Physical Activity_GoogleData/distance_YYYY-MM-01.csv (metres)'],
    googleHealth: { dataType: 'distance', field: 'millimeters', factor: 0.001 },
    matchTolerance: 0.01,
    prometheus: { name: 'distance_meters', dailySum: true },
  },
  {
    id: 'calories',
    title: 'Energy burned (total)',
    unit: 'kcal',
    valid: { min: 0, max: 10_000 },
    kind: 'intraday',
    description: 'Total energy burned per minute (basal metabolic rate included).',
    takeout: ['Global Export Data/calories-YYYY-MM-DD.json (LOCAL stamps)', 'Physical Activity_GoogleData/calories_YYYY-MM-01.csv'],
    googleHealth: { dataType: 'total-calories', field: 'kcalSum', rollupOnly: true },
    matchTolerance: 0.01,
    prometheus: { name: 'energy_burned_kcal', dailySum: true },
    note: 'Total energy. The API has it only as a total-calories rollUp (60 s windows, no device; a rollUp of all sources sums a phone\'s and a watch\'s minutes), so the sync asks the tracker family (`google-wearables`) and stores it under the source "Google Health (wearables)", and all sources only for the minutes the tracker leaves empty, under "Google Health (all sources)": no minute is in both. Both sit beside (not merged with) the Takeout per-device series; active-energy-burned is a different quantity (active_energy).',
  },
  {
    id: 'active_energy',
    title: 'Active energy burned',
    unit: 'kcal',
    valid: { min: 0, max: 10_000 },
    kind: 'intraday',
    description: 'Active energy burned per minute (basal metabolic rate excluded).',
    takeout: [],
    googleHealth: { dataType: 'active-energy-burned', field: 'kcal' },
    matchTolerance: 0.01,
    prometheus: { name: 'active_energy_burned_kcal', dailySum: true },
    note: 'No Takeout counterpart: Takeout calories are total energy and are never merged with this.',
  },
  {
    id: 'altitude',
    title: 'Elevation gain',
    unit: 'm',
    valid: { min: 0, max: 10_000 },
    kind: 'intraday',
    description: 'Elevation climbed per minute, in metres (a gain, not a height above sea level).',
    takeout: ['Global Export Data/altitude-YYYY-MM-DD.json (feet)', 'Physical Activity_GoogleData/altitude_YYYY-MM-01.csv'],
    googleHealth: { dataType: 'altitude', field: 'gainMillimeters', factor: 0.001 },
    matchTolerance: 0.01,
    prometheus: { name: 'elevation_gain_meters', dailySum: true },
  },
  {
    id: 'floors',
    title: 'Floors',
    unit: 'floors',
    valid: { min: 0, max: 1000 },
    kind: 'intraday',
    description: 'Floors climbed per minute.',
    takeout: ['Physical Activity_GoogleData/floors_YYYY-MM-01.csv'],
    googleHealth: { dataType: 'floors', field: 'countSum', rollupOnly: true },
    matchTolerance: 0.5,
    note: 'The API has floors only as a rollUp (no device): like calories, the tracker family under the source "Google Health (wearables)", all sources only for the minutes it leaves empty under "Google Health (all sources)", beside (not merged with) the Takeout per-device series.',
    prometheus: { name: 'floors', dailySum: true },
  },
  {
    id: 'active_zone_minutes',
    title: 'Active zone minutes',
    unit: 'min',
    valid: { min: 0, max: 1440 },
    kind: 'intraday',
    description: 'Active zone minutes earned per minute (cardio and peak count double).',
    takeout: ['Physical Activity_GoogleData/active_zone_minutes_YYYY-MM-01.csv', 'Active Zone Minutes (AZM)/Active Zone Minutes - YYYY-MM-01.csv (LOCAL)'],
    googleHealth: { dataType: 'active-zone-minutes', field: 'activeZoneMinutes' },
    matchTolerance: 0.5,
    prometheus: { name: 'active_zone_minutes', dailySum: true },
  },
  {
    id: 'hrv_rmssd',
    title: 'HRV (RMSSD)',
    unit: 'ms',
    valid: { min: 0, max: 2000 },
    kind: 'intraday',
    description: 'Heart rate variability, root mean square of successive differences, about every 5 min in sleep.',
    takeout: [
      'Physical Activity_GoogleData/heart_rate_variability_YYYY-MM-01.csv',
      'Heart Rate Variability/Heart Rate Variability Details - YYYY-MM-DD.csv (LOCAL)',
    ],
    googleHealth: { dataType: 'heart-rate-variability', field: 'rootMeanSquareOfSuccessiveDifferencesMilliseconds' },
    matchTolerance: 0.01,
    prometheus: { name: 'hrv_rmssd_seconds', factor: 0.001 },
  },
  {
    id: 'hrv_sdnn',
    title: 'HRV (SDNN)',
    unit: 'ms',
    valid: { min: 0, max: 2000 },
    kind: 'intraday',
    description: 'Heart rate variability, standard deviation of NN intervals.',
    takeout: ['Physical Activity_GoogleData/heart_rate_variability_YYYY-MM-01.csv'],
    googleHealth: { dataType: 'heart-rate-variability', field: 'standardDeviationMilliseconds' },
    matchTolerance: 0.01,
    prometheus: { name: 'hrv_sdnn_seconds', factor: 0.001 },
  },
  {
    id: 'hrv_coverage',
    title: 'HRV coverage',
    unit: 'ratio',
    valid: { min: 0, max: 1 },
    kind: 'intraday',
    description: 'Share of the 5-minute HRV window with usable beats (0–1).',
    takeout: ['Heart Rate Variability/Heart Rate Variability Details - YYYY-MM-DD.csv (LOCAL)'],
    googleHealth: null,
    matchTolerance: 0.001,
    prometheus: { name: 'hrv_coverage_ratio' },
  },
  {
    id: 'hrv_low_frequency',
    title: 'HRV low-frequency power',
    unit: 'ms²',
    valid: { min: 0, max: 10_000_000 },
    kind: 'intraday',
    description: 'Low-frequency power of the HRV spectrum.',
    takeout: ['Heart Rate Variability/Heart Rate Variability Details - YYYY-MM-DD.csv (LOCAL)'],
    googleHealth: null,
    matchTolerance: 0.01,
    prometheus: { name: 'hrv_low_frequency_power_square_seconds', factor: 1e-6 },
  },
  {
    id: 'hrv_high_frequency',
    title: 'HRV high-frequency power',
    unit: 'ms²',
    valid: { min: 0, max: 10_000_000 },
    kind: 'intraday',
    description: 'High-frequency power of the HRV spectrum.',
    takeout: ['Heart Rate Variability/Heart Rate Variability Details - YYYY-MM-DD.csv (LOCAL)'],
    googleHealth: null,
    matchTolerance: 0.01,
    prometheus: { name: 'hrv_high_frequency_power_square_seconds', factor: 1e-6 },
  },
  {
    id: 'spo2',
    title: 'Blood oxygen (SpO2)',
    unit: '%',
    valid: { min: 0, max: 100 },
    kind: 'intraday',
    description: 'Oxygen saturation, about one sample a minute in sleep.',
    takeout: ['Physical Activity_GoogleData/oxygen_saturation_YYYY-MM-01.csv', 'Oxygen Saturation (SpO2)/Minute SpO2 - YYYY-MM-DD.csv'],
    googleHealth: { dataType: 'oxygen-saturation', field: 'percentage' },
    matchTolerance: 0.05,
    prometheus: { name: 'spo2_ratio', factor: 0.01 },
  },
  {
    id: 'weight',
    title: 'Weight',
    unit: 'kg',
    valid: { min: 1, max: 700 },
    kind: 'intraday',
    description: 'Body weight at the time it was measured or logged.',
    takeout: ['Global Export Data/weight-YYYY-MM-DD.json (lb or kg, per the profile)', 'Physical Activity_GoogleData/weight.csv (grams)'],
    googleHealth: { dataType: 'weight', field: 'weightGrams', factor: 0.001 },
    matchTolerance: 0.05,
    prometheus: { name: 'weight_grams', factor: 1000 },
  },
  {
    id: 'sleep_breathing_rate',
    title: 'Breathing rate per sleep',
    unit: 'breaths/min',
    valid: { min: 1, max: 100 },
    kind: 'intraday',
    description: 'Average breathing rate over one sleep (every sleep of a day, naps included), stamped when it was measured (the end of the sleep).',
    takeout: [],
    googleHealth: { dataType: 'respiratory-rate-sleep-summary', field: 'fullSleepStats.breathsPerMinute' },
    matchTolerance: 0.01,
    note: 'Google Health API only (respiratory-rate-sleep-summary, full-sleep statistics; the per-stage rates are not stored). The daily value is respiratory_rate.',
    prometheus: { name: 'sleep_respiratory_rate_breaths_per_minute' },
  },
  // ---- daily (stamped at local midnight) ------------------------------------------------------
  {
    id: 'resting_heart_rate',
    title: 'Resting heart rate',
    unit: 'bpm',
    valid: { min: 20, max: 250 },
    kind: 'daily',
    description: 'Resting heart rate of the day.',
    takeout: ['Global Export Data/resting_heart_rate-YYYY-MM-DD.json', 'Physical Activity_GoogleData/daily_resting_heart_rate.csv'],
    googleHealth: { dataType: 'daily-resting-heart-rate', field: 'beatsPerMinute' },
    matchTolerance: 0.5,
    prometheus: { name: 'resting_heart_rate_bpm' },
  },
  {
    id: 'hrv_daily_rmssd',
    title: 'Daily HRV (RMSSD)',
    unit: 'ms',
    valid: { min: 0, max: 2000 },
    kind: 'daily',
    description: 'Average nightly heart rate variability (RMSSD) of the day.',
    takeout: ['Physical Activity_GoogleData/daily_heart_rate_variability.csv', 'Heart Rate Variability/Daily Heart Rate Variability Summary - YYYY-MM-(D).csv'],
    googleHealth: { dataType: 'daily-heart-rate-variability', field: 'averageHeartRateVariabilityMilliseconds' },
    matchTolerance: 0.01,
    prometheus: { name: 'hrv_nightly_rmssd_seconds', factor: 0.001 },
  },
  {
    id: 'hrv_daily_nremhr',
    title: 'Non-REM heart rate',
    unit: 'bpm',
    valid: { min: 20, max: 300 },
    kind: 'daily',
    description: 'Average heart rate in non-REM sleep.',
    takeout: ['Heart Rate Variability/Daily Heart Rate Variability Summary - YYYY-MM-(D).csv'],
    googleHealth: { dataType: 'daily-heart-rate-variability', field: 'nonRemHeartRateBeatsPerMinute' },
    matchTolerance: 0.01,
    prometheus: { name: 'non_rem_heart_rate_bpm' },
  },
  {
    id: 'hrv_daily_entropy',
    title: 'HRV entropy',
    unit: '1',
    valid: { min: 0, max: 100 },
    kind: 'daily',
    description: "Entropy of the night's heart rate variability.",
    takeout: ['Heart Rate Variability/Daily Heart Rate Variability Summary - YYYY-MM-(D).csv'],
    googleHealth: { dataType: 'daily-heart-rate-variability', field: 'entropy' },
    matchTolerance: 0.001,
    prometheus: { name: 'hrv_entropy' },
  },
  {
    id: 'spo2_daily_avg',
    title: 'Daily SpO2 average',
    unit: '%',
    valid: { min: 0, max: 100 },
    kind: 'daily',
    description: 'Average nightly oxygen saturation.',
    takeout: ['Physical Activity_GoogleData/daily_oxygen_saturation.csv', 'Oxygen Saturation (SpO2)/Daily SpO2 - YYYY-MM-DD-YYYY-MM-DD.csv'],
    googleHealth: { dataType: 'daily-oxygen-saturation', field: 'averagePercentage' },
    matchTolerance: 0.05,
    prometheus: { name: 'spo2_nightly_avg_ratio', factor: 0.01 },
  },
  {
    id: 'spo2_daily_lower',
    title: 'Daily SpO2 lower bound',
    unit: '%',
    valid: { min: 0, max: 100 },
    kind: 'daily',
    description: 'Lower bound of the nightly oxygen saturation.',
    takeout: ['Physical Activity_GoogleData/daily_oxygen_saturation.csv', 'Oxygen Saturation (SpO2)/Daily SpO2 - YYYY-MM-DD-YYYY-MM-DD.csv'],
    googleHealth: { dataType: 'daily-oxygen-saturation', field: 'lowerBoundPercentage' },
    matchTolerance: 0.05,
    prometheus: { name: 'spo2_nightly_lower_ratio', factor: 0.01 },
  },
  {
    id: 'spo2_daily_upper',
    title: 'Daily SpO2 upper bound',
    unit: '%',
    valid: { min: 0, max: 100 },
    kind: 'daily',
    description: 'Upper bound of the nightly oxygen saturation.',
    takeout: ['Physical Activity_GoogleData/daily_oxygen_saturation.csv', 'Oxygen Saturation (SpO2)/Daily SpO2 - YYYY-MM-DD-YYYY-MM-DD.csv'],
    googleHealth: { dataType: 'daily-oxygen-saturation', field: 'upperBoundPercentage' },
    matchTolerance: 0.05,
    prometheus: { name: 'spo2_nightly_upper_ratio', factor: 0.01 },
  },
  {
    id: 'respiratory_rate',
    title: 'Breathing rate',
    unit: 'breaths/min',
    valid: { min: 1, max: 100 },
    kind: 'daily',
    description: "Average breathing rate during the night's sleep.",
    takeout: ['Physical Activity_GoogleData/daily_respiratory_rate.csv', 'Heart Rate Variability/Daily Respiratory Rate Summary - YYYY-MM-DD.csv'],
    googleHealth: { dataType: 'daily-respiratory-rate', field: 'breathsPerMinute' },
    matchTolerance: 0.01,
    prometheus: { name: 'respiratory_rate_breaths_per_minute' },
  },
  {
    id: 'skin_temperature',
    title: 'Nightly skin temperature',
    unit: '°C',
    valid: { min: -20, max: 50 },
    kind: 'daily',
    description: 'Nightly skin temperature during sleep.',
    takeout: ['Physical Activity_GoogleData/daily_sleep_temperature_derivations.csv', 'Temperature/Computed Temperature - YYYY-MM-DD.csv (LOCAL)'],
    googleHealth: { dataType: 'daily-sleep-temperature-derivations', field: 'nightlyTemperatureCelsius' },
    matchTolerance: 0.01,
    prometheus: { name: 'skin_temperature_celsius' },
  },
  // ---- sessions ------------------------------------------------------------------------------
  {
    id: 'sleep',
    title: 'Sleep',
    unit: 'stage',
    kind: 'session',
    description: 'Sleep sessions with their stages (wake, light, deep, rem; classic: asleep, restless, wake).',
    takeout: [
      'Global Export Data/sleep-YYYY-MM-DD.json (LOCAL)',
      'Health Fitness Data_GoogleData/UserSleeps_YYYY-MM-DD.csv + UserSleepStages_YYYY-MM-DD.csv (explicit offsets)',
    ],
    googleHealth: { dataType: 'sleep', field: 'stages' },
    matchTolerance: 0,
    prometheus: { name: 'sleep_seconds' },
  },
  {
    id: 'exercise',
    title: 'Exercise',
    unit: 'session',
    kind: 'session',
    description: 'Exercise sessions (activity name, duration, calories, distance, heart rate).',
    takeout: ['Global Export Data/exercise-N.json (UTC stamps)', 'Health Fitness Data_GoogleData/UserExercises_YYYY-MM-DD.csv'],
    googleHealth: { dataType: 'exercise', field: 'exerciseType' },
    matchTolerance: 0,
    prometheus: { name: 'exercise_seconds' },
  },
] as const satisfies readonly (Omit<MetricDef, 'id'> & { id: string })[];

export type MetricId = (typeof defs)[number]['id'];

export const METRICS: readonly MetricDef[] = defs;

const byId = new Map<string, MetricDef>(METRICS.map((m) => [m.id, m]));

export function isMetricId(id: string): id is MetricId {
  return byId.has(id);
}

export function metric(id: MetricId): MetricDef {
  const m = byId.get(id);
  if (!m) throw new Error(`unknown metric id: ${id}`);
  return m;
}

export function metricsOfKind(kind: MetricKind): MetricDef[] {
  return METRICS.filter((m) => m.kind === kind);
}

/**
 * Why `v` is not a valid value of metric `id` (not a finite number, or outside the metric's
 * `valid` range), for a warning; null when it is valid.
 */
export function invalidValue(id: MetricId, v: number): string | null {
  if (!Number.isFinite(v)) return `${v} is not a finite number`;
  const r = byId.get(id)?.valid;
  if (r && (v < r.min || v > r.max)) return `${v} is outside the valid range of ${id} (${r.min} to ${r.max} ${byId.get(id)!.unit})`;
  return null;
}

/** The factor from a metric's canonical unit to its Prometheus base unit (1 when none). */
export function prometheusFactor(m: MetricDef): number {
  return m.prometheus.factor ?? 1;
}

/** Name of the current value on a /metrics scrape (no timestamps): `fitbit_heart_rate_bpm`. */
export function prometheusGaugeName(m: MetricDef): string {
  return `fitbit_${m.prometheus.name}`;
}

/** Name of the history written with real timestamps (remote write, OpenMetrics export): `fitbit_history_heart_rate_bpm`. */
export function prometheusHistoryName(m: MetricDef): string {
  return `fitbit_history_${m.prometheus.name}`;
}

/**
 * Name of the per-local-day series stamped at local midnight (`fitbit_history_daily_steps`), or
 * null for metrics that have none: the daily totals of additive intraday metrics
 * (`prometheus.dailySum`) and the daily time asleep / exercising of the session metrics.
 * (Daily-kind metrics such as resting heart rate are stamped at local midnight already: their
 * history series is the daily series.)
 */
export function prometheusDailyName(m: MetricDef): string | null {
  if (m.kind === 'session' || m.prometheus.dailySum === true) return `fitbit_history_daily_${m.prometheus.name}`;
  return null;
}

/** Session kinds are the session metrics' ids. */
export type SessionKind = Extract<MetricId, 'sleep' | 'exercise'>;
