/**
 * What the Fitbit app shows per local day, from the synthetic truth (`model.ts`) and the layer
 * quirks (`quirks.ts`): the oracle of the end-to-end figure tests.
 *
 * - Day totals (steps, distance, energy, floors, elevation, active zone minutes) are the whole
 *   local day merged per minute across sources (the tracker where it has the minute, else the phone,
 *   else the JSON layer): on a split day that is the JSON part plus the CSV part.
 * - Sleep: the sleeps ENDING on the local day, main sleep and naps apart, of the chosen version
 *   (`newest` = the model's sleeps = `sleep_session_v2`; `legacy` = `sleep_session_v1` = the JSON
 *   logs, the newest version where a sleep has no legacy one). Time asleep = every stage but wake
 *   and restless (Fitbit's `minutesAsleep`), seconds per stage from the stages with the short wakes
 *   applied (`mainSleep`: `UserSleepStages_*.csv`, the JSON `data` + `shortData`).
 * - Exercise: seconds of the workouts starting that local day.
 * - Daily values: the Google daily files' values (the legacy summaries differ; the Google layer wins).
 * - Weight: the weigh-ins of the day (kg, `weight.csv` grams / 1000); the last one when several.
 *
 * Figure names and units follow the dump's day summary (`figure,value,unit,source`).
 */
import type { SleepStage } from '../store/types.js';
import { addDays, localDateAtOffset } from '../time/index.js';
import { dayTotals, syntheticDay, type DayTotals, type SleepLevel, type SleepLog, type SyntheticDay } from './model.js';
import { SPLIT_DAY_SOURCE, legacySleep, mergedStages, splitInstant } from './quirks.js';

export type SleepVersion = 'newest' | 'legacy';

/** One local day's figures: figure name → value (canonical units: m, kcal, kg, s, …). */
export type DayFigures = Record<string, number>;

/** The store's stage name of a model level. */
export function stageOf(level: SleepLevel): SleepStage {
  return level === 'awake' || level === 'wake' ? 'wake' : level;
}

/** The chosen version of a sleep of the model (newest = the model's own). */
export function chosenSleep(day: SyntheticDay, log: SleepLog, version: SleepVersion): SleepLog {
  if (version === 'newest') return log;
  return legacySleep(day.seed, log, day.timezone) ?? log;
}

/** Time asleep (s) and seconds per stage of one sleep version. */
export function sleepFigures(log: SleepLog): { asleep: number; stages: Partial<Record<SleepStage, number>> } {
  const stages: Partial<Record<SleepStage, number>> = {};
  let asleep = 0;
  for (const g of mergedStages(log)) {
    const st = stageOf(g.level);
    const sec = (g.end - g.start) / 1000;
    stages[st] = (stages[st] ?? 0) + sec;
    if (st !== 'wake' && st !== 'restless') asleep += sec;
  }
  return { asleep, stages };
}

/**
 * The per-day figures of one local day. `version` chooses the sleep version (`takeout.sleep_version`).
 * Figures a day does not have are left out (no weigh-in, no HRV, …; a day without any data is `{}`).
 */
export function dayFigures(opts: { seed: number; timezone: string; date: string; sleepVersion?: SleepVersion }): DayFigures {
  const day = syntheticDay({ seed: opts.seed, timezone: opts.timezone, date: opts.date });
  const version = opts.sleepVersion ?? 'newest';
  const out: DayFigures = {};
  const g = day.minutes;
  let steps = 0,
    cm = 0,
    kcal = 0;
  for (let i = 0; i < g.t.length; i++) {
    steps += g.steps[i] as number;
    cm += g.distanceCm[i] as number;
    kcal += g.calories[i] as number;
  }
  const sum = (xs: readonly { v: number[] }[]): number => xs.reduce((a, s) => a + s.v.reduce((b, v) => b + v, 0), 0);
  out.steps = steps;
  out.distance = round6(cm / 100);
  out.calories = round6(kcal);
  out.floors = sum(day.floors);
  out.altitude = round6(sum(day.altitude));
  out.active_zone_minutes = day.activeZoneMinutes.reduce((a, x) => a + x.minutes, 0);

  // sleeps ending on this local day (the main sleep of `date`, its naps)
  for (const kind of ['main', 'nap'] as const) {
    const mine = day.sleeps.filter((s) => s.mainSleep === (kind === 'main')).map((s) => chosenSleep(day, s, version));
    const ending = mine.filter((s) => localDateAtOffset(s.end, s.endOffset) === opts.date);
    if (!ending.length) continue;
    let asleep = 0;
    const stages: Partial<Record<SleepStage, number>> = {};
    for (const s of ending) {
      const f = sleepFigures(s);
      asleep += f.asleep;
      for (const [st, sec] of Object.entries(f.stages) as [SleepStage, number][]) stages[st] = (stages[st] ?? 0) + sec;
    }
    for (const [st, sec] of Object.entries(stages)) out[`sleep_${kind}_stage_${st}`] = sec;
    // the time asleep (stages are `sleep_<kind>_stage_<stage>`, so a classic sleep's stage `asleep` has its own name)
    out[`sleep_${kind}_asleep`] = asleep;
  }
  if (day.exercises.length) out.exercise = day.exercises.reduce((a, e) => a + (e.end - e.start) / 1000, 0);

  const d = day.daily;
  if (d.restingHeartRate) out.resting_heart_rate = d.restingHeartRate.value;
  if (d.hrv) {
    out.hrv_daily_rmssd = d.hrv.rmssd;
    out.hrv_daily_nremhr = d.hrv.nremhr;
    out.hrv_daily_entropy = d.hrv.entropy;
  }
  if (d.respiratoryRate) out.respiratory_rate = d.respiratoryRate.full;
  if (d.spo2) {
    out.spo2_daily_avg = d.spo2.avg;
    out.spo2_daily_lower = d.spo2.lower;
    out.spo2_daily_upper = d.spo2.upper;
  }
  if (d.skinTemperature) out.skin_temperature = d.skinTemperature.nightly;
  const w = day.weights[day.weights.length - 1];
  if (w) out.weight = w.kg;
  return out;
}

/** `dayFigures` for `days` consecutive local days from `startDate`: date → figures. */
export function rangeFigures(opts: { seed: number; timezone: string; startDate: string; days: number; sleepVersion?: SleepVersion }): Map<string, DayFigures> {
  const out = new Map<string, DayFigures>();
  for (let i = 0; i < opts.days; i++) {
    const date = addDays(opts.startDate, i);
    out.set(date, dayFigures({ ...opts, date }));
  }
  return out;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * The truth a CSV-layer importer should find for this day of a rendered Takeout (per metric and
 * data source), i.e. `dayTotals` with the Takeout layers' quirks: on a split day the steps,
 * distance and calories of the CSV layer are the phone app's rows after the split. Sleep: the
 * physical sleeps (one per sleep, whatever the number of versions rendered).
 */
export function takeoutDayTotals(day: SyntheticDay, before = Infinity): DayTotals {
  const out = dayTotals(day, before);
  const split = before === Infinity ? splitInstant(day.seed, day.date, day.timezone) : null;
  if (split === null) return out;
  const g = day.minutes;
  const bySource: Record<'steps' | 'distance' | 'calories', { count: number; sum: number; first: number; last: number }> = {
    steps: { count: 0, sum: 0, first: Infinity, last: -Infinity },
    distance: { count: 0, sum: 0, first: Infinity, last: -Infinity },
    calories: { count: 0, sum: 0, first: Infinity, last: -Infinity },
  };
  const add = (k: keyof typeof bySource, t: number, v: number): void => {
    const x = bySource[k];
    x.count++;
    x.sum += v;
    x.first = Math.min(x.first, t);
    x.last = Math.max(x.last, t);
  };
  for (let i = 0; i < g.t.length; i++) {
    const t = g.t[i] as number;
    if (t < split) continue;
    if ((g.steps[i] as number) > 0) add('steps', t, g.steps[i] as number);
    if ((g.distanceCm[i] as number) > 0) add('distance', t, (g.distanceCm[i] as number) / 100);
    add('calories', t, g.calories[i] as number);
  }
  for (const k of ['steps', 'distance', 'calories'] as const) {
    delete out[k];
    if (bySource[k].count) out[k] = { [SPLIT_DAY_SOURCE]: bySource[k] };
  }
  return out;
}
