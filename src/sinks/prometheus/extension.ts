/**
 * `/metrics` on the HTTP server of `fitbit-bridge run` (prom-client, its own registry):
 *
 * - the latest values of every account as gauges (gauges.ts: `fitbit_<name>{account, source}`,
 *   registry names, base units);
 * - the bridge's health — sync times, outcomes, failures and durations, API requests by outcome,
 *   quota left, whether an account needs a new authorisation, what the store holds;
 * - the sinks: how far MQTT and remote write are behind the store, remote write's counters
 *   (`fitbit_bridge_sink_*`, `fitbit_bridge_remote_write_*`) — read at scrape time from the
 *   `sinkStatus()` of every sink the bridge hosts (`ctx.sinks()`: the table of parts);
 * - Node's default process metrics (`process_*`, `nodejs_*`).
 * Names follow Prometheus conventions: base units, `_total` counters, `_timestamp_seconds`. No
 * label is named like a target label a scraper adds (`job`, `instance`): the sync job is `mode`.
 * No sample timestamps: these are current values (history goes out by remote write).
 * Every bridge metric is listed in BRIDGE_METRICS (docs and tests read it).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { errText } from '../../errors.js';
import type { Extension, ExtensionContext, SinkStatus } from '../../run/extension.js';
import { systemClock, type Clock } from '../../time/index.js';
import { resolveTimezone } from '../latest.js';
import { collectGauges, GAUGE_SPECS, NEWEST_SAMPLE_GAUGE, SLEEP_STAGE_GAUGE, type GaugeAccount, type GaugeSample } from './gauges.js';

export interface PrometheusExtensionOptions {
  /** The clock of the latest values ("today", last night). Default Date.now. */
  clock?: Clock;
  /** The latest-value gauges are recomputed at most this often while the store is unchanged (ms). Default 15 000. */
  gaugeCacheMs?: number;
  /**
   * /metrics serves one rendering for at most this long while no sync event came and the store did
   * not change (ms; the process and sink figures are at most this old). Default 1000; 0 renders
   * every scrape (the code path before issue 13; benchmarks compare both).
   */
  renderCacheMs?: number;
}

export interface PrometheusExtension extends Extension {
  /** The /metrics text as served (tests; also works without HTTP). */
  metricsText(): Promise<string>;
}

/** The bridge's own metrics: name, type and labels (docs and tests). */
export const BRIDGE_METRICS = [
  { name: 'fitbit_bridge_info', type: 'gauge', labels: ['version'], help: 'Build information of the running bridge (always 1).' },
  {
    name: 'fitbit_bridge_sync_last_attempt_timestamp_seconds',
    type: 'gauge',
    labels: ['account'],
    help: 'When the last sync of the account started (Unix time).',
  },
  {
    name: 'fitbit_bridge_sync_last_success_timestamp_seconds',
    type: 'gauge',
    labels: ['account'],
    help: 'When the last successful sync of the account ended (Unix time).',
  },
  {
    name: 'fitbit_bridge_sync_last_failure_timestamp_seconds',
    type: 'gauge',
    labels: ['account'],
    help: 'When the last failed sync of the account ended (Unix time).',
  },
  {
    name: 'fitbit_bridge_sync_failing',
    type: 'gauge',
    labels: ['account'],
    help: "1 while the account's last sync failed (see the log for the error), else 0.",
  },
  {
    name: 'fitbit_bridge_sync_runs_total',
    type: 'counter',
    labels: ['account', 'mode', 'result'],
    help: 'Sync jobs run, by mode (recent, daily, backfill) and result (ok, error).',
  },
  { name: 'fitbit_bridge_sync_failures_total', type: 'counter', labels: ['account'], help: 'Sync jobs that failed, per account.' },
  {
    name: 'fitbit_bridge_sync_duration_seconds',
    type: 'histogram',
    labels: ['account', 'mode'],
    help: 'How long sync jobs took, by mode (recent, daily, backfill).',
  },
  { name: 'fitbit_bridge_sync_added_samples_total', type: 'counter', labels: ['account'], help: 'Samples and sessions added or changed by syncs.' },
  {
    name: 'fitbit_bridge_account_reauth_needed',
    type: 'gauge',
    labels: ['account'],
    help: '1 when the account needs a new Google authorisation (fitbit-bridge auth or the /auth page), else 0.',
  },
  {
    name: 'fitbit_bridge_api_quota_remaining',
    type: 'gauge',
    labels: ['account'],
    help: 'Google Health API requests left in the current minute (per user quota).',
  },
  {
    name: 'fitbit_bridge_api_requests_total',
    type: 'counter',
    labels: ['account', 'outcome'],
    help: 'Google Health API requests, by outcome (ok, rate_limited, server_error, timeout, …).',
  },
  { name: 'fitbit_bridge_store_samples', type: 'gauge', labels: ['account'], help: 'Samples held in the store per account.' },
  { name: 'fitbit_bridge_store_series', type: 'gauge', labels: ['account'], help: 'Series (metric, data source) held in the store per account.' },
  { name: 'fitbit_bridge_store_size_bytes', type: 'gauge', labels: [], help: 'Size of the SQLite store on disk (main file + WAL).' },
  {
    name: 'fitbit_bridge_store_change_sequence',
    type: 'gauge',
    labels: [],
    help: "The store's change sequence (grows with every write that changed something).",
  },
  { name: 'fitbit_bridge_sink_up', type: 'gauge', labels: ['sink'], help: '1 when the sink is running and connected to its receiver, else 0.' },
  {
    name: 'fitbit_bridge_sink_lag_seconds',
    type: 'gauge',
    labels: ['sink'],
    help: 'How long the sink has been behind the store (0 when it has delivered every change).',
  },
  {
    name: 'fitbit_bridge_sink_pending_changes',
    type: 'gauge',
    labels: ['sink'],
    help: 'Store changes (change sequence numbers) the sink has not delivered yet.',
  },
  {
    name: 'fitbit_bridge_sink_last_delivery_timestamp_seconds',
    type: 'gauge',
    labels: ['sink'],
    help: 'When the sink last delivered to its receiver (Unix time).',
  },
  { name: 'fitbit_bridge_remote_write_samples_total', type: 'counter', labels: [], help: 'Samples the remote-write receiver accepted.' },
  {
    name: 'fitbit_bridge_remote_write_rejected_samples_total',
    type: 'counter',
    labels: [],
    help: 'Samples the remote-write receiver rejected (isolated by bisection and logged).',
  },
  {
    name: 'fitbit_bridge_remote_write_requests_total',
    type: 'counter',
    labels: [],
    help: 'Remote-write HTTP requests (retries and bisection halves included).',
  },
  {
    name: 'fitbit_bridge_remote_write_retries_total',
    type: 'counter',
    labels: [],
    help: 'Remote-write requests sent again after a 5xx, 429, timeout or network error.',
  },
  { name: 'fitbit_bridge_remote_write_sent_bytes_total', type: 'counter', labels: [], help: 'Compressed bytes of the accepted remote-write requests.' },
  {
    name: 'fitbit_bridge_remote_write_daily_values_pending',
    type: 'gauge',
    labels: [],
    help: 'Per-day values (a metric and source, or sleep / exercise, on one local day) waiting to settle before they are written.',
  },
] as const;

/** Default process metrics left out: gauges named like counters (their by-type gauges remain). */
export const DROPPED_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'] as const;

export type BridgeMetricName = (typeof BRIDGE_METRICS)[number]['name'];

function def(name: BridgeMetricName): { name: string; help: string; labelNames: string[] } {
  const d = BRIDGE_METRICS.find((m) => m.name === name);
  if (!d) throw new Error(`unknown bridge metric ${name}`);
  return { name: d.name, help: d.help, labelNames: [...d.labels] };
}

/** A counter that mirrors a running total kept elsewhere (read at scrape time). */
function mirroredCounter(registry: Registry, name: BridgeMetricName, read: () => number): Counter {
  return new Counter({
    ...def(name),
    registers: [registry],
    collect(this: Counter) {
      this.reset();
      this.inc(read());
    },
  });
}

export function prometheusExtension(opts: PrometheusExtensionOptions = {}): PrometheusExtension {
  const clock = opts.clock ?? systemClock;
  const cacheMs = opts.gaugeCacheMs ?? 15_000;
  const renderMs = opts.renderCacheMs ?? 1000;
  let registry = new Registry();
  const refresh: Array<() => void> = [];
  let cache: { seq: number; at: number; samples: GaugeSample[] } | null = null;
  const listeners: Array<() => void> = [];

  function gaugeAccounts(c: ExtensionContext): GaugeAccount[] {
    const names = new Set<string>(c.config.accounts.map((a) => a.name));
    for (const s of c.store.listSeries()) names.add(s.account);
    const configured = new Map(c.config.accounts.map((a) => [a.name, a.timezone ?? null]));
    return [...names].sort().map((name) => ({ name, timezone: resolveTimezone(c.store, name, configured.get(name) ?? null).timezone }));
  }

  function latestSamples(c: ExtensionContext): GaugeSample[] {
    const now = clock();
    const seq = c.store.currentSeq();
    if (cache && cache.seq === seq && Math.abs(now - cache.at) < cacheMs) return cache.samples;
    const samples = collectGauges(c.store, gaugeAccounts(c), now);
    cache = { seq, at: now, samples };
    return samples;
  }

  async function metricsText(): Promise<string> {
    for (const f of refresh) f();
    return registry.metrics();
  }

  return {
    name: 'prometheus',
    kind: 'sink',
    metricsText,
    async start(c: ExtensionContext): Promise<void> {
      registry = new Registry();
      cache = null;
      collectDefaultMetrics({ register: registry });
      // prom-client's totals of the by-type gauges end in _total, which is for counters
      // (promtool check metrics); the by-type gauges (nodejs_active_handles, …) stay.
      for (const n of DROPPED_DEFAULT_METRICS) registry.removeSingleMetric(n);
      const g = (name: BridgeMetricName): Gauge => new Gauge({ ...def(name), registers: [registry] });
      const counter = (name: BridgeMetricName): Counter => new Counter({ ...def(name), registers: [registry] });

      g('fitbit_bridge_info').set({ version: c.version }, 1);
      const lastAttempt = g('fitbit_bridge_sync_last_attempt_timestamp_seconds');
      const lastSuccess = g('fitbit_bridge_sync_last_success_timestamp_seconds');
      const lastFailure = g('fitbit_bridge_sync_last_failure_timestamp_seconds');
      const failing = g('fitbit_bridge_sync_failing');
      const reauth = g('fitbit_bridge_account_reauth_needed');
      const quota = g('fitbit_bridge_api_quota_remaining');
      const storeSamples = g('fitbit_bridge_store_samples');
      const storeSeries = g('fitbit_bridge_store_series');
      const storeBytes = g('fitbit_bridge_store_size_bytes');
      const storeSeq = g('fitbit_bridge_store_change_sequence');
      const runs = counter('fitbit_bridge_sync_runs_total');
      const failures = counter('fitbit_bridge_sync_failures_total');
      const added = counter('fitbit_bridge_sync_added_samples_total');
      const requests = counter('fitbit_bridge_api_requests_total');
      const duration = new Histogram({ ...def('fitbit_bridge_sync_duration_seconds'), buckets: [1, 5, 15, 60, 300, 900, 3600], registers: [registry] });

      const onFinished = (e: { account: string; job: string; ok: boolean; added: number; ms: number }): void => {
        runs.inc({ account: e.account, mode: e.job, result: e.ok ? 'ok' : 'error' });
        duration.observe({ account: e.account, mode: e.job }, e.ms / 1000);
        if (e.ok) added.inc({ account: e.account }, e.added);
        else {
          failures.inc({ account: e.account });
          lastFailure.set({ account: e.account }, Date.now() / 1000);
        }
      };
      const onRequest = (e: { account: string; outcome: string }): void => requests.inc({ account: e.account, outcome: e.outcome });
      c.events.on('sync:finished', onFinished);
      c.events.on('api:request', onRequest);
      listeners.push(
        () => c.events.off('sync:finished', onFinished),
        () => c.events.off('api:request', onRequest),
      );

      // sinks
      const sinkUp = g('fitbit_bridge_sink_up');
      const sinkLag = g('fitbit_bridge_sink_lag_seconds');
      const sinkPending = g('fitbit_bridge_sink_pending_changes');
      const sinkLast = g('fitbit_bridge_sink_last_delivery_timestamp_seconds');
      const statuses = (): SinkStatus[] => c.sinks().flatMap((s) => s.sinkStatus?.() ?? []);
      let rwCounters: NonNullable<SinkStatus['remoteWrite']> | null = null;
      const rw = (): NonNullable<SinkStatus['remoteWrite']> | null => rwCounters;
      // remote write's own metrics exist only while a remote-write sink runs
      let rwMetrics: { daysPending: Gauge } | null = null;
      const rwNames: BridgeMetricName[] = [
        'fitbit_bridge_remote_write_samples_total',
        'fitbit_bridge_remote_write_rejected_samples_total',
        'fitbit_bridge_remote_write_requests_total',
        'fitbit_bridge_remote_write_retries_total',
        'fitbit_bridge_remote_write_sent_bytes_total',
        'fitbit_bridge_remote_write_daily_values_pending',
      ];
      const syncRwMetrics = (on: boolean): { daysPending: Gauge } | null => {
        if (on && !rwMetrics) {
          mirroredCounter(registry, 'fitbit_bridge_remote_write_samples_total', () => rw()?.samplesSent ?? 0);
          mirroredCounter(registry, 'fitbit_bridge_remote_write_rejected_samples_total', () => rw()?.samplesRejected ?? 0);
          mirroredCounter(registry, 'fitbit_bridge_remote_write_requests_total', () => rw()?.requests ?? 0);
          mirroredCounter(registry, 'fitbit_bridge_remote_write_retries_total', () => rw()?.retries ?? 0);
          mirroredCounter(registry, 'fitbit_bridge_remote_write_sent_bytes_total', () => rw()?.bytesSent ?? 0);
          rwMetrics = { daysPending: g('fitbit_bridge_remote_write_daily_values_pending') };
        } else if (!on && rwMetrics) {
          for (const n of rwNames) registry.removeSingleMetric(n);
          rwMetrics = null;
        }
        return rwMetrics;
      };

      // latest values
      const gauges = new Map<string, Gauge>();
      for (const spec of GAUGE_SPECS)
        gauges.set(spec.name, new Gauge({ name: spec.name, help: spec.help, labelNames: [...spec.labels], registers: [registry] }));
      gauges.set(
        NEWEST_SAMPLE_GAUGE,
        new Gauge({
          name: NEWEST_SAMPLE_GAUGE,
          help: 'When the newest stored sample of the series was measured (Unix time), per account, metric id and data source.',
          labelNames: ['account', 'metric', 'source'],
          registers: [registry],
        }),
      );
      gauges.set(
        SLEEP_STAGE_GAUGE,
        new Gauge({
          name: SLEEP_STAGE_GAUGE,
          help: 'The current sleep stage (during a sleep still going on), else the last stage of the newest sleep: 1 for that stage, 0 for the others.',
          labelNames: ['account', 'stage'],
          registers: [registry],
        }),
      );

      refresh.length = 0;
      refresh.push(() => {
        for (const a of c.accounts()) {
          if (a.live) {
            // every live account has its failure counter from the start (a rate of 0, not "no data")
            failures.inc({ account: a.name }, 0);
            added.inc({ account: a.name }, 0);
          }
          if (a.lastSyncAt !== null) lastAttempt.set({ account: a.name }, a.lastSyncAt / 1000);
          if (a.lastSuccessAt !== null) lastSuccess.set({ account: a.name }, a.lastSuccessAt / 1000);
          if (a.live) failing.set({ account: a.name }, a.lastError !== null ? 1 : 0);
          reauth.set({ account: a.name }, a.auth === 'reauth-needed' || (a.live && a.auth === 'missing') ? 1 : 0);
          if (a.quotaLeft !== null) quota.set({ account: a.name }, a.quotaLeft);
        }
        const perAccount = new Map<string, { samples: number; series: number }>();
        for (const s of c.store.listSeries()) {
          const p = perAccount.get(s.account) ?? { samples: 0, series: 0 };
          p.samples += s.count;
          p.series += 1;
          perAccount.set(s.account, p);
        }
        storeSamples.reset();
        storeSeries.reset();
        for (const [account, p] of perAccount) {
          storeSamples.set({ account }, p.samples);
          storeSeries.set({ account }, p.series);
        }
        storeBytes.set(c.store.diskBytes());
        storeSeq.set(c.store.currentSeq());

        sinkUp.reset();
        sinkLag.reset();
        sinkPending.reset();
        sinkLast.reset();
        rwCounters = null;
        for (const s of statuses()) {
          sinkUp.set({ sink: s.sink }, s.up ? 1 : 0);
          sinkLag.set({ sink: s.sink }, s.lagSeconds);
          sinkPending.set({ sink: s.sink }, s.pendingChanges);
          if (s.lastDeliveryAt !== null) sinkLast.set({ sink: s.sink }, s.lastDeliveryAt / 1000);
          if (s.remoteWrite) rwCounters = s.remoteWrite;
        }
        const rwm = syncRwMetrics(rwCounters !== null);
        if (rwCounters && rwm) rwm.daysPending.set(rwCounters.dailyWaiting);

        let samples: GaugeSample[] = [];
        try {
          samples = latestSamples(c);
        } catch (e) {
          c.logger.warn({ err: errText(e) }, '/metrics: could not read the latest values from the store');
        }
        for (const gauge of gauges.values()) gauge.reset();
        for (const s of samples) gauges.get(s.name)?.set(s.labels, s.value);
      });

      // /metrics: one rendering serves every scrape while nothing changed (no sync event, no
      // store change) for at most renderCacheMs, and concurrent scrapes share the rendering in
      // progress — 50 clients cost one rendering, not 50 interleaved ones (issue 13)
      let gen = 0;
      const bump = (): void => {
        gen++;
      };
      for (const ev of ['sync:finished', 'api:request', 'account:status', 'store:changed'] as const) {
        c.events.on(ev, bump);
        listeners.push(() => c.events.off(ev, bump));
      }
      let rendered: { key: string; at: number; body: Buffer } | null = null;
      let inflight: Promise<Buffer> | null = null;
      const served = (): Promise<Buffer> => {
        if (renderMs <= 0) return metricsText().then((t) => Buffer.from(t));
        const key = `${gen}:${c.store.currentSeq()}`;
        if (rendered && rendered.key === key && Date.now() - rendered.at < renderMs) return Promise.resolve(rendered.body);
        inflight ??= metricsText()
          .then((t) => {
            const body = Buffer.from(t);
            rendered = { key, at: Date.now(), body };
            return body;
          })
          .finally(() => {
            inflight = null;
          });
        return inflight;
      };
      c.http.route('/metrics', async (_req, res) => {
        const body = await served();
        res.writeHead(200, { 'content-type': registry.contentType, 'content-length': body.length, 'cache-control': 'no-store' });
        res.end(body);
      });
    },
    async stop(): Promise<void> {
      for (const off of listeners.splice(0)) off();
      refresh.length = 0;
      cache = null;
      registry.clear();
    },
  };
}
