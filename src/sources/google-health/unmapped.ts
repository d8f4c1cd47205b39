/**
 * The Google Health API data types the bridge does NOT map onto a metric, and why. Every data type
 * of the discovery document (the DataPoint union and the rollUp-only values) is either synced onto
 * registry metrics (datatypes.ts) or listed here (test/google-health/unmapped.test.ts checks it
 * against test/fixtures/google-health/health-v4-discovery.json); docs/metrics.md prints this table.
 * `inDocument: false`: types published after the vendored document's revision (seen in the API's
 * release notes), listed so the reference says what happens to them too.
 */

export interface UnmappedDataType {
  /** Data type id (kebab-case, as in URL paths), or a name for a group not in the document. */
  id: string;
  why: string;
  /** False for types that are not in the vendored discovery document. Default true. */
  inDocument?: boolean;
}

export const UNMAPPED_DATA_TYPES: readonly UnmappedDataType[] = [
  {
    id: 'active-minutes',
    why: 'Minutes per activity level (light, moderate, vigorous): no Takeout counterpart the store could merge with; active_zone_minutes already carries the intensity minutes. Not synced.',
  },
  { id: 'activity-level', why: 'A classification of each interval (sedentary … vigorous), not a quantity. Not synced.' },
  {
    id: 'basal-energy-burned',
    why: 'Basal energy: calories (total energy) already includes it and active_energy is the rest, so it would be a third, derivable energy series. Not synced.',
  },
  {
    id: 'blood-glucose',
    why: 'Added in 2026 for glucose meters connected through Health Connect; no Fitbit device measures it and the bridge has no verified sample of its records. Not synced.',
  },
  { id: 'body-fat', why: 'Logged or smart-scale body fat: no registry metric yet (weight is synced). Not synced.' },
  {
    id: 'calories-in-heart-rate-zone',
    why: 'rollUp / dailyRollUp only: calories per heart-rate zone, an aggregate of calories the store keeps per minute. Not synced.',
  },
  {
    id: 'core-body-temperature',
    why: 'Added in 2026 for external core temperature sensors; no Fitbit tracker measures it (the nightly skin temperature is skin_temperature). Not synced.',
  },
  { id: 'daily-heart-rate-zones', why: "The day's heart-rate zone boundaries: settings of the zones, not a measurement. Not synced." },
  { id: 'daily-vo2-max', why: 'Cardio fitness (VO2 max) estimate: no registry metric yet. Not synced.' },
  {
    id: 'electrocardiogram',
    why: 'ECG readings: waveforms with a classification, behind their own scope (googlehealth.ecg.readonly), which the bridge does not request; a waveform fits none of the sinks (MQTT, TSDB, dump).',
  },
  {
    id: 'food',
    why: 'Food and nutrition logging records (the food catalogue); the bridge publishes body and activity data only. Not synced.',
  },
  { id: 'food-measurement-unit', why: 'Units of the food catalogue, not a measurement. Not synced.' },
  {
    id: 'heart-rate-variability-personal-range',
    why: 'dailyRollUp only: the personal baseline band of HRV, derived from the daily HRV the bridge stores (hrv_daily_rmssd). Not synced.',
  },
  { id: 'height', why: 'A profile value that rarely changes, not a series. Not synced.' },
  { id: 'hydration-log', why: 'Water intake logs: food and nutrition logging is out of scope. Not synced.' },
  {
    id: 'irregular-rhythm-notification',
    why: 'Irregular rhythm notifications (IRN): alerts behind their own scope (googlehealth.irn.readonly), events rather than a series. Not requested.',
  },
  { id: 'nutrition-log', why: 'Meal logs: food and nutrition logging is out of scope. Not synced.' },
  {
    id: 'resting-heart-rate-personal-range',
    why: 'dailyRollUp only: the personal baseline band of the resting heart rate, derived from resting_heart_rate. Not synced.',
  },
  { id: 'run-vo2-max', why: 'VO2 max estimated from runs: no registry metric yet. Not synced.' },
  { id: 'sedentary-period', why: 'Periods without activity: derivable from steps and activity. Not synced.' },
  { id: 'swim-lengths-data', why: 'Per-length swim data (strokes, style) of swim exercises: exercise sessions carry the summary. Not synced.' },
  {
    id: 'time-in-heart-rate-zone',
    why: 'Time per heart-rate zone: heart_rate is stored per sample and active_zone_minutes per minute, from which it follows. Not synced.',
  },
  { id: 'vo2-max', why: 'Cardio fitness (VO2 max) estimate: no registry metric yet. Not synced.' },
  {
    id: 'exercise routes (exportExerciseTcx)',
    inDocument: false,
    why: 'Not a data type but a method: the GPS route of an exercise as TCX. It needs the location scope (googlehealth.location.readonly), which the bridge does not request; exercise sessions are synced without routes.',
  },
  {
    id: "women's health types",
    inDocument: false,
    why: 'Added August 2026 with write-only scopes: an app can write them, nobody can read them through the API.',
  },
  {
    id: 'skin temperature sensors',
    inDocument: false,
    why: 'Added October 2026 on the v4beta channel only; the bridge reads v4 (the nightly skin temperature is skin_temperature).',
  },
];
