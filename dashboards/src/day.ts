/**
 * *Fitbit · Day*: one day of one account in the viewer's time zone — minute heart rate, steps
 * per minute, the night's sleep stages, SpO2 and HRV (shifted 6 h back so the night before the
 * day is whole), the day's totals, and the latest values scraped from /metrics.
 *
 * Why the windows end in `offset 1ms` (right on Prometheus 2.x AND VictoriaMetrics):
 * - Prometheus 2.x range windows include both ends ([T−w, T]), VictoriaMetrics only the right one
 *   ((T−w, T]). Grafana aligns the steps of a range query to multiples of the step, so with a
 *   1-minute step every minute sample sits exactly on a step: `sum_over_time(x[1m])` counts it at
 *   two steps on Prometheus ("Steps per interval" doubled), once on VM.
 * - `offset 1ms` makes the window [T−w−1ms, T−1ms] on Prometheus and (T−w−1ms, T−1ms] on VM: for
 *   samples on whole milliseconds (every stamp the bridge writes: minutes, seconds) both are
 *   [T−w, T): each sample falls in exactly one step's window, whatever the step.
 * - The day's figures (stats) are instant queries at the range end `to`; the window is the
 *   range in exact milliseconds (`$__range_ms`, not the rounded `$__range`), so it is
 *   [from, to): the point stamped at the day's local midnight (`from`) and nothing of the next
 *   day (stamped at `to`). A day without a value shows none (never the day before).
 */
import type { Dashboard } from '@grafana/schema';
import { SLEEP_STAGE_CODES } from '../../src/sinks/remote-write/sleep-stages.js';
import { accountVariable, dashboard, row, stat, stateTimeline, target, timeseries, valueMap } from './grafana.js';
import { daily, gauge, history, NEWEST_SAMPLE_GAUGE, SLEEP_STAGE_HISTORY } from './names.js';

export const DAY_UID = 'fitbit-day';

const A = '{account="$account"}';
/** Per-day series without a source label: the one figure of the day the bridge merged across sources. */
const MERGED = '{account="$account",source=""}';
/** Half-open windows [T−w, T) on both TSDBs (see above). */
const HALF_OPEN = 'offset 1ms';
/** The time range of the dashboard, exactly: [from, to) with HALF_OPEN at the instant `to`. */
const THE_DAY = `[\${__range_ms}ms] ${HALF_OPEN}`;
const NIGHT_SHIFT = '6h';

const STAGE_COLORS: Record<keyof typeof SLEEP_STAGE_CODES, string> = {
  deep: 'dark-blue',
  light: 'light-blue',
  rem: 'purple',
  wake: 'orange',
  asleep: 'blue',
  restless: 'yellow',
  unknown: 'gray',
};

export function dayDashboard(): Dashboard {
  const stages = (Object.keys(SLEEP_STAGE_CODES) as Array<keyof typeof SLEEP_STAGE_CODES>).map(
    (s) => [SLEEP_STAGE_CODES[s], s === 'rem' ? 'REM' : s, STAGE_COLORS[s]] as [number, string, string],
  );
  const small = { w: 4, h: 4 };
  return dashboard({
    uid: DAY_UID,
    title: 'Fitbit · Day',
    description:
      'One day of one account: minute heart rate, steps, sleep stages, SpO2, HRV and the day\'s totals (fitbit-bridge history by remote write; the "Latest" row reads the scraped /metrics).',
    tags: ['fitbit', 'day'],
    time: { from: 'now/d', to: 'now' },
    refresh: '5m',
    variables: [accountVariable(history('heart_rate'))],
    panels: [
      row('The day'),
      stat({
        title: 'Steps',
        size: small,
        decimals: 0,
        description:
          "The day's steps: every minute once, from the best source that has it (the tracker, else the phone, else the legacy export), written once the day has settled (remote_write.daily_settle_hours); until then today so far from /metrics.",
        targets: [
          target('A', `max(last_over_time(${daily('steps')}${MERGED}${THE_DAY})) or max(${gauge('steps')}${A})`, 'steps', {
            instant: true,
          }),
        ],
      }),
      stat({
        title: 'Resting heart rate',
        size: small,
        unit: 'suffix: bpm',
        decimals: 0,
        description: "The day's resting heart rate (known once the day is over; a day without one shows none).",
        targets: [target('A', `max(last_over_time(${history('resting_heart_rate')}${A}${THE_DAY}))`, 'resting', { instant: true })],
      }),
      stat({
        title: 'Time asleep',
        size: small,
        unit: 's',
        description:
          'Time asleep in the sleeps that ended that day, main sleep and naps (every stage but wake). Written 12 h after the day ended (remote_write.daily_settle_hours); "Last night asleep" below has it sooner.',
        targets: [target('A', `sum(last_over_time(${daily('sleep')}${MERGED}${THE_DAY}))`, 'asleep', { instant: true })],
      }),
      stat({
        title: 'Nightly HRV (RMSSD)',
        size: small,
        unit: 's',
        decimals: 1,
        targets: [target('A', `max(last_over_time(${history('hrv_daily_rmssd')}${A}${THE_DAY}))`, 'hrv', { instant: true })],
      }),
      stat({
        title: 'Nightly SpO2',
        size: small,
        unit: 'percentunit',
        decimals: 1,
        targets: [target('A', `max(last_over_time(${history('spo2_daily_avg')}${A}${THE_DAY}))`, 'spo2', { instant: true })],
      }),
      stat({
        title: 'Breathing rate',
        size: small,
        unit: 'suffix: /min',
        decimals: 1,
        targets: [target('A', `max(last_over_time(${history('respiratory_rate')}${A}${THE_DAY}))`, 'breathing', { instant: true })],
      }),
      timeseries({
        title: 'Heart rate',
        size: { w: 24, h: 9 },
        interval: '1m',
        unit: 'suffix: bpm',
        legendCalcs: ['min', 'mean', 'max'],
        description: 'Heart rate averaged per interval (one minute when zoomed in), per data source.',
        targets: [target('A', `avg_over_time(${history('heart_rate')}${A}[$__interval] ${HALF_OPEN})`, '{{source}}')],
      }),
      timeseries({
        title: 'Steps per interval',
        size: { w: 24, h: 7 },
        interval: '1m',
        bars: true,
        decimals: 0,
        legendCalcs: ['sum'],
        description:
          'Steps counted in each interval (one minute when zoomed in), per data source (a tracker and the phone can count the same walk: the day total above counts it once). The bar of an interval sits at its end.',
        targets: [target('A', `sum_over_time(${history('steps')}${A}[$__interval] ${HALF_OPEN})`, '{{source}}')],
      }),
      row('The night (18:00 the evening before to 18:00)'),
      stateTimeline({
        title: 'Sleep stages',
        size: { w: 24, h: 5 },
        interval: '1m',
        timeShift: NIGHT_SHIFT,
        description: 'Sleep stages minute by minute (fitbit_history_sleep_stage), per data source.',
        mappings: [valueMap(stages)],
        targets: [target('A', `last_over_time(${SLEEP_STAGE_HISTORY}${A}[$__interval])`, '{{source}}')],
      }),
      timeseries({
        title: 'SpO2',
        size: { w: 12, h: 8 },
        interval: '1m',
        timeShift: NIGHT_SHIFT,
        unit: 'percentunit',
        decimals: 1,
        spanNulls: 600_000,
        description: 'Blood oxygen saturation during sleep (about one sample a minute).',
        targets: [target('A', `avg_over_time(${history('spo2')}${A}[$__interval] ${HALF_OPEN})`, '{{source}}')],
      }),
      timeseries({
        title: 'HRV (5-minute windows)',
        size: { w: 12, h: 8 },
        interval: '1m',
        timeShift: NIGHT_SHIFT,
        unit: 's',
        spanNulls: 900_000,
        description: 'Heart rate variability in sleep, one value about every 5 minutes; each is held until the next one (last_over_time over 10 minutes).',
        targets: [
          target('A', `last_over_time(${history('hrv_rmssd')}${A}[10m])`, 'RMSSD {{source}}'),
          target('B', `last_over_time(${history('hrv_sdnn')}${A}[10m])`, 'SDNN {{source}}'),
        ],
      }),
      row('Latest (scraped from /metrics)'),
      stat({
        title: 'Heart rate now',
        size: small,
        unit: 'suffix: bpm',
        decimals: 0,
        targets: [target('A', `max(${gauge('heart_rate')}${A})`, 'bpm', { instant: true })],
      }),
      stat({
        title: 'Steps today',
        size: small,
        decimals: 0,
        targets: [target('A', `max(${gauge('steps')}${A})`, 'steps', { instant: true })],
      }),
      stat({
        title: 'Energy today',
        size: small,
        unit: 'suffix: kcal',
        decimals: 0,
        targets: [target('A', `max(${gauge('calories')}${A})`, 'kcal', { instant: true })],
      }),
      stat({
        title: 'Distance today',
        size: small,
        unit: 'lengthm',
        decimals: 0,
        targets: [target('A', `max(${gauge('distance')}${A})`, 'm', { instant: true })],
      }),
      stat({
        title: 'Last night asleep',
        size: small,
        unit: 's',
        targets: [target('A', `max(${gauge('sleep')}${A})`, 'asleep', { instant: true })],
      }),
      stat({
        title: 'Newest heart-rate sample',
        size: small,
        unit: 's',
        decimals: 0,
        description: 'How old the newest stored heart-rate sample is (tracker → phone → Google → bridge).',
        thresholds: [
          [null, 'green'],
          [3600, 'yellow'],
          [6 * 3600, 'red'],
        ],
        targets: [target('A', `time() - max(${NEWEST_SAMPLE_GAUGE}{account="$account",metric="heart_rate"})`, 'age', { instant: true })],
      }),
    ],
  });
}
