/**
 * *Fitbit · Trends*: months of one account, one value per local day — steps, resting heart
 * rate, time asleep, nightly HRV, SpO2, breathing rate, skin temperature, energy, active zone
 * minutes and exercise — each with its 7-day mean.
 *
 * Why the queries read `[1d] offset 12h` / `[7d] offset 12h` (right on Prometheus 2.x AND
 * VictoriaMetrics, whatever the step alignment):
 * - Per-day values are stamped at the local midnight that starts their day. Grafana asks a range
 *   query with step = the panel interval (1d) and aligns the steps to multiples of the step
 *   shifted by the dashboard zone's UTC offset at the range end (`utcOffsetSec`): the steps fall on
 *   local midnights, i.e. exactly on the stamps, or up to an hour off them in the part of the range
 *   on the other side of a DST change (or hours off when the viewer's zone is not the account's).
 * - Prometheus 2.x range windows include both ends, VictoriaMetrics excludes the left end: a
 *   window ending on a stamp sees two days on Prometheus (`last_over_time(x[1d])` repeats the day
 *   before into a day without data; `avg_over_time(x[7d])` averages 8 days), one on VM.
 * - `offset 12h` moves both window ends half a day away from any midnight: at step T the 1-day
 *   window (T−36h, T−12h] holds exactly ONE midnight — the day that ENDED at T — on both TSDBs,
 *   for any misalignment under 12 h, 23- and 25-hour days included; the 7-day window (T−7d−12h,
 *   T−12h] holds exactly the 7 days that ended at T (168 h ± 2 h of DST keeps them inside and the
 *   8th outside). A day without data has no point in its window: a gap, never yesterday's value.
 * - The bars are drawn before their point (`barAlignment: before`), over the day that ended at T.
 * Additive totals, sleep and exercise read the per-day series without a `source` label
 * (`source=""`): one figure per day merged across the sources by the bridge; per-source series of
 * older versions left in a TSDB are not selected. Daily values (resting heart rate, HRV, …) stay
 * one line per source.
 */
import type { Dashboard } from '@grafana/schema';
import { accountVariable, dashboard, target, timeseries, type TimeSeriesPanel } from './grafana.js';
import { daily, history } from './names.js';

export const TRENDS_UID = 'fitbit-trends';

const A = 'account="$account"';
const DAY = '1d';
/** Half a day: the windows' ends sit between midnights (see above). */
export const TRENDS_OFFSET = '12h';

/** A day's value at step T: the point stamped at the midnight that started the day ending at T. */
export function dayValue(selector: string): string {
  return `last_over_time(${selector}[${DAY}] offset ${TRENDS_OFFSET})`;
}

/** The mean of the 7 days ending at T (days with a value). */
export function weekMean(selector: string): string {
  return `avg_over_time(${selector}[7d] offset ${TRENDS_OFFSET})`;
}

/** One merged figure per day (no source label), and its 7-day mean. */
function merged(name: string, label: string): TimeSeriesPanel['targets'] {
  const sel = `${name}{${A},source=""}`;
  return [target('A', dayValue(sel), label), target('B', weekMean(sel), '7-day mean')];
}

/** The day's value per source, and its 7-day mean per source. */
function perSource(name: string, label: string): TimeSeriesPanel['targets'] {
  const sel = `${name}{${A}}`;
  return [target('A', dayValue(sel), `${label} {{source}}`), target('B', weekMean(sel), '7-day mean {{source}}')];
}

const before = { barAlignment: 'before' as const };

export function trendsDashboard(): Dashboard {
  const size = { w: 12, h: 8 };
  return dashboard({
    uid: TRENDS_UID,
    title: 'Fitbit · Trends',
    description: 'Months of one account, one value per local day (fitbit-bridge per-day history by remote write), each with its 7-day mean.',
    tags: ['fitbit', 'trends'],
    time: { from: 'now-90d', to: 'now' },
    refresh: '1h',
    variables: [accountVariable(daily('steps'))],
    panels: [
      timeseries({
        title: 'Steps per day',
        size,
        interval: DAY,
        bars: true,
        decimals: 0,
        legendCalcs: ['mean'],
        ...before,
        targets: merged(daily('steps'), 'steps'),
      }),
      timeseries({
        title: 'Resting heart rate',
        size,
        interval: DAY,
        unit: 'suffix: bpm',
        decimals: 0,
        spanNulls: true,
        legendCalcs: ['mean', 'min'],
        targets: perSource(history('resting_heart_rate'), 'resting'),
      }),
      timeseries({
        title: 'Time asleep',
        size,
        interval: DAY,
        bars: true,
        stacked: true,
        ...before,
        unit: 's',
        legendCalcs: ['mean'],
        description: 'Time asleep in the sleeps that ended that day: the main sleep and naps stacked; the line is the 7-day mean of the main sleep.',
        targets: [
          target('A', dayValue(`${daily('sleep')}{${A},source=""}`), 'asleep {{sleep}}'),
          target('B', weekMean(`${daily('sleep')}{${A},source="",sleep="main"}`), '7-day mean (main sleep)'),
        ],
      }),
      timeseries({
        title: 'Nightly HRV (RMSSD)',
        size,
        interval: DAY,
        unit: 's',
        spanNulls: true,
        legendCalcs: ['mean'],
        targets: perSource(history('hrv_daily_rmssd'), 'RMSSD'),
      }),
      timeseries({
        title: 'Nightly SpO2',
        size,
        interval: DAY,
        unit: 'percentunit',
        decimals: 1,
        spanNulls: true,
        targets: [
          target('A', dayValue(`${history('spo2_daily_avg')}{${A}}`), 'average {{source}}'),
          target('B', dayValue(`${history('spo2_daily_lower')}{${A}}`), 'lower {{source}}'),
          target('C', dayValue(`${history('spo2_daily_upper')}{${A}}`), 'upper {{source}}'),
        ],
      }),
      timeseries({
        title: 'Breathing rate',
        size,
        interval: DAY,
        unit: 'suffix: /min',
        decimals: 1,
        spanNulls: true,
        targets: perSource(history('respiratory_rate'), 'breaths'),
      }),
      timeseries({
        title: 'Nightly skin temperature',
        size,
        interval: DAY,
        unit: 'celsius',
        decimals: 2,
        spanNulls: true,
        targets: perSource(history('skin_temperature'), 'temperature'),
      }),
      timeseries({
        title: 'Energy burned per day',
        size,
        interval: DAY,
        bars: true,
        unit: 'suffix: kcal',
        decimals: 0,
        ...before,
        targets: merged(daily('calories'), 'kcal'),
      }),
      timeseries({
        title: 'Active zone minutes per day',
        size,
        interval: DAY,
        bars: true,
        decimals: 0,
        ...before,
        targets: merged(daily('active_zone_minutes'), 'AZM'),
      }),
      timeseries({ title: 'Exercise per day', size, interval: DAY, bars: true, ...before, unit: 's', targets: merged(daily('exercise'), 'exercise') }),
    ],
  });
}
