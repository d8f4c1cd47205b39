/**
 * *Fitbit · Trends*: months of one account, one value per local day — steps, resting heart
 * rate, time asleep, nightly HRV, SpO2, breathing rate, skin temperature, energy, active zone
 * minutes and exercise — each with its 7-day mean.
 *
 * Per-day values are stamped at local midnight, so a 1-day step with `last_over_time(…[1d])`
 * picks exactly one per day and never vanishes under Prometheus' 5-minute lookback. Additive
 * totals (steps, energy, …) show the highest data source (sources count the same activity;
 * they are never summed).
 */
import type { Dashboard } from '@grafana/schema';
import { accountVariable, dashboard, target, timeseries, type TimeSeriesPanel } from './grafana.js';
import { daily, history } from './names.js';

export const TRENDS_UID = 'fitbit-trends';

const A = '{account="$account"}';
const DAY = '1d';

/** The day's value per source (or the highest source), and its 7-day mean. */
function perDay(name: string, label: string, maxOfSources: boolean): TimeSeriesPanel['targets'] {
  const agg = (e: string): string => (maxOfSources ? `max(${e})` : e);
  const legend = maxOfSources ? label : `${label} {{source}}`;
  return [
    target('A', agg(`last_over_time(${name}${A}[${DAY}])`), legend),
    target('B', agg(`avg_over_time(${name}${A}[7d])`), `7-day mean${maxOfSources ? '' : ' {{source}}'}`),
  ];
}

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
        targets: perDay(daily('steps'), 'steps', true),
      }),
      timeseries({
        title: 'Resting heart rate',
        size,
        interval: DAY,
        unit: 'suffix: bpm',
        decimals: 0,
        spanNulls: true,
        legendCalcs: ['mean', 'min'],
        targets: perDay(history('resting_heart_rate'), 'resting', false),
      }),
      timeseries({ title: 'Time asleep', size, interval: DAY, bars: true, unit: 's', legendCalcs: ['mean'], targets: perDay(daily('sleep'), 'asleep', true) }),
      timeseries({
        title: 'Nightly HRV (RMSSD)',
        size,
        interval: DAY,
        unit: 's',
        spanNulls: true,
        legendCalcs: ['mean'],
        targets: perDay(history('hrv_daily_rmssd'), 'RMSSD', false),
      }),
      timeseries({
        title: 'Nightly SpO2',
        size,
        interval: DAY,
        unit: 'percentunit',
        decimals: 1,
        spanNulls: true,
        targets: [
          target('A', `last_over_time(${history('spo2_daily_avg')}${A}[${DAY}])`, 'average {{source}}'),
          target('B', `last_over_time(${history('spo2_daily_lower')}${A}[${DAY}])`, 'lower {{source}}'),
          target('C', `last_over_time(${history('spo2_daily_upper')}${A}[${DAY}])`, 'upper {{source}}'),
        ],
      }),
      timeseries({
        title: 'Breathing rate',
        size,
        interval: DAY,
        unit: 'suffix: /min',
        decimals: 1,
        spanNulls: true,
        targets: perDay(history('respiratory_rate'), 'breaths', false),
      }),
      timeseries({
        title: 'Nightly skin temperature',
        size,
        interval: DAY,
        unit: 'celsius',
        decimals: 2,
        spanNulls: true,
        targets: perDay(history('skin_temperature'), 'temperature', false),
      }),
      timeseries({
        title: 'Energy burned per day',
        size,
        interval: DAY,
        bars: true,
        unit: 'suffix: kcal',
        decimals: 0,
        targets: perDay(daily('calories'), 'kcal', true),
      }),
      timeseries({
        title: 'Active zone minutes per day',
        size,
        interval: DAY,
        bars: true,
        decimals: 0,
        targets: perDay(daily('active_zone_minutes'), 'AZM', true),
      }),
      timeseries({ title: 'Exercise per day', size, interval: DAY, bars: true, unit: 's', targets: perDay(daily('exercise'), 'exercise', true) }),
    ],
  });
}
