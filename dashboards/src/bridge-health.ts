/**
 * *Fitbit · Bridge health*: is the bridge keeping up? Sync lag and data age, sync runs and
 * failures, API requests and quota, authorisation, the sinks' lag (MQTT, remote write), the store
 * and the bridge process. Reads the scraped /metrics only.
 */
import type { Dashboard } from '@grafana/schema';
import { accountVariable, dashboard, row, stat, target, timeseries, valueMap } from './grafana.js';
import { bridge, NEWEST_SAMPLE_GAUGE } from './names.js';

export const BRIDGE_HEALTH_UID = 'fitbit-bridge-health';

const A = '{account="$account"}';
/** Restricts process metrics to the bridge's scrape target. */
const ON_BRIDGE = `* on(job, instance) group_left() ${bridge('fitbit_bridge_info')}`;

export function bridgeHealthDashboard(): Dashboard {
  const small = { w: 4, h: 4 };
  const half = { w: 12, h: 8 };
  return dashboard({
    uid: BRIDGE_HEALTH_UID,
    title: 'Fitbit · Bridge health',
    description: 'Is fitbit-bridge keeping up: sync lag, errors, API quota, authorisation, sink lag, store and process (the scraped /metrics).',
    tags: ['fitbit', 'health'],
    time: { from: 'now-24h', to: 'now' },
    refresh: '1m',
    variables: [accountVariable(bridge('fitbit_bridge_store_samples'))],
    panels: [
      row('Now'),
      stat({
        title: 'Since last successful sync',
        size: small,
        unit: 's',
        decimals: 0,
        noValue: 'never',
        thresholds: [
          [null, 'green'],
          [3600, 'yellow'],
          [6 * 3600, 'red'],
        ],
        targets: [target('A', `time() - ${bridge('fitbit_bridge_sync_last_success_timestamp_seconds')}${A}`, 'lag', { instant: true })],
      }),
      stat({
        title: 'Newest sample',
        size: small,
        unit: 's',
        decimals: 0,
        description: 'Age of the newest stored sample of any metric (how fresh the data is; a tracker that was not synced to the phone shows here).',
        thresholds: [
          [null, 'green'],
          [3 * 3600, 'yellow'],
          [24 * 3600, 'red'],
        ],
        targets: [target('A', `time() - max(${NEWEST_SAMPLE_GAUGE}${A})`, 'age', { instant: true })],
      }),
      stat({
        title: 'Authorisation',
        size: small,
        colorBackground: true,
        mappings: [
          valueMap([
            [0, 'OK', 'green'],
            [1, 'run fitbit-bridge auth', 'red'],
          ]),
        ],
        targets: [target('A', `max(${bridge('fitbit_bridge_account_reauth_needed')}${A})`, 'reauth', { instant: true })],
      }),
      stat({
        title: 'Last sync',
        size: small,
        colorBackground: true,
        mappings: [
          valueMap([
            [0, 'OK', 'green'],
            [1, 'failing', 'red'],
          ]),
        ],
        targets: [target('A', `max(${bridge('fitbit_bridge_sync_failing')}${A})`, 'failing', { instant: true })],
      }),
      stat({
        title: 'API quota left (this minute)',
        size: small,
        decimals: 0,
        targets: [target('A', `min(${bridge('fitbit_bridge_api_quota_remaining')}${A})`, 'quota', { instant: true })],
      }),
      stat({
        title: 'Samples stored',
        size: small,
        unit: 'short',
        decimals: 0,
        targets: [target('A', `sum(${bridge('fitbit_bridge_store_samples')}${A})`, 'samples', { instant: true })],
      }),
      row('Sync'),
      timeseries({
        title: 'Sync lag and data age',
        size: half,
        unit: 's',
        description: 'Seconds since the last successful sync, and the age of the newest stored sample of the main metrics.',
        targets: [
          target('A', `time() - ${bridge('fitbit_bridge_sync_last_success_timestamp_seconds')}${A}`, 'since last successful sync'),
          target(
            'B',
            `time() - max by (metric) (${NEWEST_SAMPLE_GAUGE}{account="$account",metric=~"heart_rate|steps|hrv_daily_rmssd|resting_heart_rate"})`,
            'newest {{metric}}',
          ),
        ],
      }),
      timeseries({
        title: 'Sync runs and failures',
        size: half,
        bars: true,
        decimals: 0,
        stacked: true,
        targets: [
          target('A', `sum by (mode, result) (increase(${bridge('fitbit_bridge_sync_runs_total')}${A}[$__interval]))`, '{{mode}} {{result}}'),
          target('B', `sum(increase(${bridge('fitbit_bridge_sync_failures_total')}${A}[$__interval]))`, 'failures'),
        ],
      }),
      timeseries({
        title: 'API requests by outcome',
        size: half,
        unit: 'reqps',
        targets: [target('A', `sum by (outcome) (rate(${bridge('fitbit_bridge_api_requests_total')}${A}[$__rate_interval]))`, '{{outcome}}')],
      }),
      timeseries({
        title: 'API quota left',
        size: half,
        decimals: 0,
        targets: [target('A', `min(${bridge('fitbit_bridge_api_quota_remaining')}${A})`, 'requests left this minute')],
      }),
      row('Sinks and store'),
      timeseries({
        title: 'Sink lag',
        size: half,
        unit: 's',
        description: 'How long each sink (mqtt, remote_write) has been behind the store; 0 when it delivered every change.',
        targets: [target('A', `max by (sink) (${bridge('fitbit_bridge_sink_lag_seconds')})`, '{{sink}}')],
      }),
      timeseries({
        title: 'Sink changes pending',
        size: half,
        decimals: 0,
        targets: [
          target('A', `max by (sink) (${bridge('fitbit_bridge_sink_pending_changes')})`, '{{sink}}'),
          target('B', `max(${bridge('fitbit_bridge_remote_write_daily_values_pending')})`, 'remote write: per-day values settling'),
        ],
      }),
      timeseries({
        title: 'Remote write',
        size: half,
        unit: 'short',
        targets: [
          target('A', `sum(rate(${bridge('fitbit_bridge_remote_write_samples_total')}[$__rate_interval]))`, 'samples/s accepted'),
          target('B', `sum(increase(${bridge('fitbit_bridge_remote_write_rejected_samples_total')}[$__interval]))`, 'samples rejected'),
          target('C', `sum(increase(${bridge('fitbit_bridge_remote_write_retries_total')}[$__interval]))`, 'retries'),
        ],
      }),
      timeseries({
        title: 'Store',
        size: half,
        unit: 'short',
        targets: [
          target('A', `sum(${bridge('fitbit_bridge_store_samples')}${A})`, 'samples ($account)'),
          target('B', `max(${bridge('fitbit_bridge_store_size_bytes')})`, 'bytes on disk (all accounts)'),
        ],
      }),
      row('Process'),
      timeseries({
        title: 'Memory',
        size: half,
        unit: 'bytes',
        targets: [target('A', `process_resident_memory_bytes ${ON_BRIDGE}`, 'resident'), target('B', `nodejs_heap_size_used_bytes ${ON_BRIDGE}`, 'heap used')],
      }),
      timeseries({
        title: 'CPU and event loop',
        size: half,
        unit: 's',
        targets: [
          target('A', `rate(process_cpu_seconds_total[$__rate_interval]) ${ON_BRIDGE}`, 'CPU seconds per second'),
          target('B', `nodejs_eventloop_lag_p99_seconds ${ON_BRIDGE}`, 'event loop lag p99'),
        ],
      }),
    ],
  });
}
