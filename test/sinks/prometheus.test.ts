/**
 * `/metrics` of a real `fitbit-bridge run` (two accounts synced live from the Google emulator, a
 * third configured but never authorised; MQTT to a real mosquitto, remote write to a real
 * Prometheus that also scrapes /metrics every second):
 * - `promtool check metrics` finds nothing to lint; no sample carries a timestamp;
 * - the latest values are gauges under the registry's names, labelled by account and source, in
 *   base units, and equal the store's newest samples (and computeLatest's totals); labels bounded;
 * - bridge health: sync times, runs, failures by account, quota, reauth, store; sink lag of MQTT
 *   and remote write follows a broker outage; remote write's counters; default process metrics;
 * - a Takeout-only bridge (Controller with sync: null) publishes the gauges without sync metrics.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { METRICS, metric, prometheusFactor, prometheusGaugeName, prometheusHistoryName, isMetricId } from '../../src/metrics/registry.js';
import { Controller } from '../../src/run/controller.js';
import { computeLatest, SLEEP_STAGES } from '../../src/sinks/latest.js';
import { BRIDGE_METRICS, DROPPED_DEFAULT_METRICS, prometheusExtension } from '../../src/sinks/prometheus/extension.js';
import { ALL_SOURCES, GAUGE_SPECS, MAX_SOURCES, NEWEST_SAMPLE_GAUGE, SLEEP_STAGE_GAUGE } from '../../src/sinks/prometheus/gauges.js';
import type { Store } from '../../src/store/types.js';
import { silentLogger } from '../../src/util/log.js';
import { startLiveBridge, type LiveBridge } from '../support/live-bridge.js';
import { Mosquitto } from '../support/mosquitto.js';
import { Prometheus, promtoolBinary } from '../support/prometheus.js';
import { Tmp } from '../support/tmp.js';
import { importDataset } from './remote-write-helpers.js';

const TZ = 'America/New_York';

interface Line {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the sample lines of a text exposition; throws on a line with a timestamp or anything else unexpected. */
function parseExposition(text: string): Line[] {
  const out: Line[] = [];
  for (const raw of text.split('\n')) {
    if (raw === '' || raw.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})? (\S+)$/.exec(raw);
    if (!m) throw new Error(`not "name{labels} value" (a timestamp?): ${raw}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, '$1');
    out.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return out;
}

function promtoolCheck(text: string): { status: number | null; output: string } {
  const r = spawnSync(promtoolBinary(), ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

function newestSample(store: Store, account: string, metricId: string, source: string): { t: number; v: number } {
  const s = store.listSeries({ account, source }).find((x) => x.metric === metricId);
  assert.ok(s && s.last !== null, `${account} ${metricId} ${source} has samples`);
  let found: { t: number; v: number } | null = null;
  for (const x of store.iterateSamples(s, s.last, s.last + 1)) found = x;
  assert.ok(found);
  return found;
}

describe('/metrics of a live bridge, scraped by a real Prometheus', { timeout: 180_000 }, () => {
  let prom: Prometheus;
  let broker: Mosquitto;
  let b: LiveBridge;
  const scrape = async (): Promise<string> => (await fetch(b.metricsUrl)).text();
  const one = async (expr: string): Promise<number | null> => prom.scalar(expr);

  before(async () => {
    prom = await Prometheus.start({ scrapeInterval: '1s' });
    broker = await Mosquitto.start();
    b = await startLiveBridge({
      accounts: ['alice', 'bob'],
      unauthorised: ['carol'],
      days: 3,
      remoteWriteUrl: prom.remoteWriteUrl,
      mqttUrl: broker.url,
      timezone: TZ,
    });
    await b.idle();
    await prom.setScrape([{ job: 'fitbit-bridge', targets: [b.target], scrapeInterval: '1s' }]);
    await prom.waitFor(
      async () => (await one('up{job="fitbit-bridge"}')) === 1 && (await one('count(fitbit_heart_rate_bpm)')) === 2,
      30_000,
      'the first scrape',
    );
  });

  after(async () => {
    await b?.close();
    await broker?.cleanup();
    await prom?.cleanup();
  });

  test('promtool check metrics passes on the scrape, and no sample has a timestamp', async () => {
    const text = await scrape();
    const r = promtoolCheck(text);
    assert.equal(r.output, '', `promtool lint:\n${r.output}`);
    assert.equal(r.status, 0);
    const lines = parseExposition(text);
    assert.ok(lines.length > 100);
    // the check itself can fail: a gauge named like a counter, and a sample with a timestamp
    assert.notEqual(promtoolCheck('# HELP x_total a gauge\n# TYPE x_total gauge\nx_total 1\n').status, 0);
    assert.throws(() => parseExposition('fitbit_heart_rate_bpm{account="a"} 60 1700000000000\n'));
    // no label a scraper would rename (job, instance → exported_job, exported_instance)
    for (const l of lines) for (const k of ['job', 'instance']) assert.ok(!(k in l.labels), `${l.name} has a label ${k}`);
    const scraped = await prom.series(['{__name__=~"fitbit_.+"}']);
    for (const s of scraped) assert.ok(!Object.keys(s).some((k) => k.startsWith('exported_')), `${s.__name__}: ${JSON.stringify(s)}`);
  });

  test("the latest values are gauges named by the registry, in base units, equal to the store's newest samples", async () => {
    // the gauges may be up to 15 s old (gaugeCacheMs): not in the first 20 s of an hour (New York's
    // midnight is on the hour), so "today" is the same day for the scrape and for computeLatest below
    if (Date.now() % 3_600_000 < 20_000) await new Promise((r) => setTimeout(r, 20_000));
    const lines = parseExposition(await scrape());
    for (const account of ['alice', 'bob']) {
      for (const id of ['heart_rate', 'hrv_rmssd', 'spo2', 'resting_heart_rate', 'hrv_daily_rmssd'] as const) {
        const m = metric(id);
        const name = prometheusGaugeName(m);
        const got = lines.filter((l) => l.name === name && l.labels.account === account);
        assert.equal(got.length, 1, `${name}{account="${account}"}: one source`);
        const g = got[0]!;
        const n = newestSample(b.store, account, id, g.labels.source!);
        assert.ok(Math.abs(g.value - n.v * prometheusFactor(m)) < 1e-9, `${name}: ${g.value} = ${n.v} × ${prometheusFactor(m)}`);
        const ts = lines.find(
          (l) => l.name === NEWEST_SAMPLE_GAUGE && l.labels.account === account && l.labels.metric === id && l.labels.source === g.labels.source,
        );
        assert.equal(ts?.value, n.t / 1000, `${NEWEST_SAMPLE_GAUGE} of ${id}`);
        // and Prometheus scraped the same value
        const scraped = await prom.scalar(`${name}{account="${account}",source="${g.labels.source!}"}`);
        assert.equal(scraped, g.value);
      }
      const latest = computeLatest(b.store, account, { now: Date.now(), timezone: TZ });
      const total = (name: string): number | undefined =>
        lines.find((l) => l.name === name && l.labels.account === account && l.labels.source === ALL_SOURCES)?.value;
      assert.equal(total('fitbit_steps'), latest.values.steps_today.value, 'steps today from computeLatest');
      assert.equal(total('fitbit_distance_meters'), latest.values.distance_today.value);
      assert.equal(total('fitbit_sleep_seconds'), (latest.values.sleep_duration.value ?? NaN) * 60, 'last night asleep, in seconds');
      const stages = lines.filter((l) => l.name === SLEEP_STAGE_GAUGE && l.labels.account === account);
      assert.equal(stages.length, SLEEP_STAGES.length);
      assert.equal(
        stages
          .filter((l) => l.value === 1)
          .map((l) => l.labels.stage)
          .join(),
        latest.values.sleep_stage.value,
      );
    }
    // no gauge for the account that has no data
    assert.equal(lines.filter((l) => l.name.startsWith('fitbit_') && !l.name.startsWith('fitbit_bridge_') && l.labels.account === 'carol').length, 0);
  });

  test('every gauge is a registry gauge name (never a history name); labels are bounded', async () => {
    const gaugeNames = new Set([...GAUGE_SPECS.map((g) => g.name), NEWEST_SAMPLE_GAUGE, SLEEP_STAGE_GAUGE]);
    for (const g of GAUGE_SPECS) {
      assert.equal(g.name, prometheusGaugeName(metric(g.metric)));
      assert.ok(!METRICS.some((m) => prometheusHistoryName(m) === g.name));
    }
    const sources = new Set(b.store.listSeries().map((s) => s.source));
    const series = await prom.series(['{__name__=~"fitbit_.+",__name__!~"fitbit_history_.+|fitbit_bridge_.+"}']);
    assert.ok(series.length > 20);
    for (const s of series) {
      const { __name__: name, job, instance, ...labels } = s;
      assert.ok(name && gaugeNames.has(name), `${name} is a known gauge`);
      assert.ok(job && instance);
      assert.ok(['alice', 'bob'].includes(labels.account ?? ''), `${name}: account ${labels.account}`);
      for (const k of Object.keys(labels)) assert.ok(['account', 'source', 'metric', 'stage'].includes(k), `${name}: label ${k}`);
      if (labels.source !== undefined) assert.ok(labels.source === ALL_SOURCES || sources.has(labels.source), `${name}: source ${labels.source}`);
      if (labels.metric !== undefined) assert.ok(isMetricId(labels.metric), `${name}: metric ${labels.metric}`);
      if (labels.stage !== undefined) assert.ok((SLEEP_STAGES as readonly string[]).includes(labels.stage));
    }
    const bound = 2 * (GAUGE_SPECS.length * MAX_SOURCES + METRICS.length * MAX_SOURCES + SLEEP_STAGES.length);
    assert.ok(series.length <= bound);
  });

  test('bridge health: sync times, runs, quota, store, authorisation, and every documented metric', async () => {
    const lines = parseExposition(await scrape());
    const names = new Set(lines.map((l) => l.name.replace(/_(bucket|sum|count)$/, '')));
    for (const m of BRIDGE_METRICS) {
      if (m.name === 'fitbit_bridge_sync_last_failure_timestamp_seconds') continue; // only after a failure (next test)
      assert.ok(names.has(m.name), `${m.name} is published`);
    }
    const v = (name: string, labels: Record<string, string> = {}): number | undefined =>
      lines.find((l) => l.name === name && Object.entries(labels).every(([k, x]) => l.labels[k] === x))?.value;
    const now = Date.now() / 1000;
    for (const account of ['alice', 'bob']) {
      const ok = v('fitbit_bridge_sync_last_success_timestamp_seconds', { account });
      assert.ok(ok !== undefined && ok > now - 300 && ok <= now + 1, `${account}: last success ${ok}`);
      assert.equal(v('fitbit_bridge_sync_runs_total', { account, mode: 'recent', result: 'ok' }), 1);
      assert.equal(v('fitbit_bridge_sync_failures_total', { account }), 0, 'initialised to 0');
      assert.equal(v('fitbit_bridge_sync_failing', { account }), 0);
      assert.equal(v('fitbit_bridge_account_reauth_needed', { account }), 0);
      assert.ok((v('fitbit_bridge_api_quota_remaining', { account }) ?? 0) > 0);
      assert.ok((v('fitbit_bridge_api_requests_total', { account, outcome: 'ok' }) ?? 0) > 10);
      const samples = b.store.listSeries({ account }).reduce((n, s) => n + s.count, 0);
      assert.equal(v('fitbit_bridge_store_samples', { account }), samples);
      assert.equal(v('fitbit_bridge_sync_duration_seconds_count', { account, mode: 'backfill' }), 1);
    }
    assert.equal(v('fitbit_bridge_account_reauth_needed', { account: 'carol' }), 1, 'configured, never authorised');
    assert.equal(v('fitbit_bridge_store_change_sequence'), b.store.currentSeq());
    // default process metrics, without the gauges named like counters
    assert.ok(
      names.has('process_cpu_seconds_total') &&
        names.has('process_resident_memory_bytes') &&
        names.has('nodejs_heap_size_used_bytes') &&
        names.has('nodejs_active_handles'),
    );
    for (const n of DROPPED_DEFAULT_METRICS) assert.ok(!names.has(n), `${n} left out`);
  });

  test('sink lag: MQTT and remote write are caught up; an MQTT outage shows as lag until the broker is back', async () => {
    await b.idle();
    let lines = parseExposition(await scrape());
    const v = (name: string, labels: Record<string, string> = {}): number | undefined =>
      lines.find((l) => l.name === name && Object.entries(labels).every(([k, x]) => l.labels[k] === x))?.value;
    for (const sink of ['mqtt', 'remote_write']) {
      assert.equal(v('fitbit_bridge_sink_up', { sink }), 1, `${sink} up`);
      assert.equal(v('fitbit_bridge_sink_pending_changes', { sink }), 0, `${sink} caught up`);
      assert.equal(v('fitbit_bridge_sink_lag_seconds', { sink }), 0);
      assert.ok((v('fitbit_bridge_sink_last_delivery_timestamp_seconds', { sink }) ?? 0) > Date.now() / 1000 - 600);
    }
    const stats = b.rw!.stats();
    assert.ok(stats.samplesSent > 1000);
    assert.equal(v('fitbit_bridge_remote_write_samples_total'), stats.samplesSent);
    assert.equal(v('fitbit_bridge_remote_write_rejected_samples_total'), 0);
    assert.equal(v('fitbit_bridge_remote_write_requests_total'), stats.requests);

    await broker.stop();
    await new Promise((r) => setTimeout(r, 300));
    const t = Date.now();
    b.store.writeSamples({ account: 'alice', metric: 'heart_rate', source: 'Inspire 3' }, [{ t, offset: -300, v: 123 }], { exportMs: t });
    await prom.waitFor(async () => ((await one('fitbit_bridge_sink_pending_changes{sink="mqtt"}')) ?? 0) > 0, 20_000, 'MQTT lag in Prometheus');
    lines = parseExposition(await scrape());
    assert.equal(v('fitbit_bridge_sink_up', { sink: 'mqtt' }), 0, 'broker gone');
    assert.equal(v('fitbit_heart_rate_bpm', { account: 'alice', source: 'Inspire 3' }), 123, 'the new sample is the latest value at once');
    assert.equal(v(NEWEST_SAMPLE_GAUGE, { account: 'alice', metric: 'heart_rate', source: 'Inspire 3' }), t / 1000);
    await broker.restart();
    await prom.waitFor(
      async () => (await one('fitbit_bridge_sink_pending_changes{sink="mqtt"}')) === 0 && (await one('fitbit_bridge_sink_up{sink="mqtt"}')) === 1,
      30_000,
      'MQTT caught up again',
    );
  });

  test('sync failures by account: a revoked grant counts for that account only', async () => {
    b.emu.revokeAll();
    // alice consents again; bob is left without
    const { TokenManager, tokenSetFromResponse } = await import('../../src/auth/oauth-client.js');
    const tm = new TokenManager({
      account: 'alice',
      dir: b.config.google.token_dir,
      tokenEndpoint: b.emu.tokenEndpoint,
      clientId: b.emu.clientId,
      clientSecret: b.emu.clientSecret,
    });
    await tm.save(tokenSetFromResponse(b.emu.issueTokens(), Date.now()));
    b.controller.enqueueAll('recent');
    await b.controller.idle();
    await prom.waitFor(async () => (await one('fitbit_bridge_sync_failures_total{account="bob"}')) === 1, 20_000, "bob's failure in Prometheus");
    assert.equal(await one('fitbit_bridge_sync_failures_total{account="alice"}'), 0);
    assert.equal(await one('fitbit_bridge_sync_failing{account="bob"}'), 1);
    assert.equal(await one('fitbit_bridge_sync_failing{account="alice"}'), 0);
    assert.equal(await one('fitbit_bridge_account_reauth_needed{account="bob"}'), 1);
    assert.equal(await one('fitbit_bridge_sync_runs_total{account="bob",mode="recent",result="error"}'), 1);
    const failedAt = await one('fitbit_bridge_sync_last_failure_timestamp_seconds{account="bob"}');
    assert.ok(failedAt !== null && failedAt > Date.now() / 1000 - 120);
    assert.equal(await one('count(fitbit_bridge_sync_last_failure_timestamp_seconds{account="alice"})'), null);
  });
});

describe('/metrics of a Takeout-only bridge (no live source)', () => {
  const tmp = new Tmp('fb-prom-takeout-');
  after(() => tmp.cleanup());

  test('the gauges come from the store; no sync metrics for accounts without a live source', async () => {
    const store = tmp.store();
    await importDataset(tmp, store, 2);
    const file = join(tmp.dir, 'config.yaml');
    writeFileSync(file, '');
    const config = loadConfig({ file, overrides: { 'store.path': store.path }, env: { FITBIT_BRIDGE_HTTP__PORT: '0', FITBIT_BRIDGE_HTTP__BIND: '127.0.0.1' } });
    // the export ends 2026-04-30 (New York): evaluate "today" on its last day
    const at = Date.parse('2026-04-30T20:00:00-04:00');
    const ext = prometheusExtension({ clock: () => at });
    const controller = new Controller({ config, store, logger: silentLogger(), version: 'test', sync: null, parts: [ext] });
    await controller.start();
    try {
      const text = await (await fetch(`${controller.http!.url()!}/metrics`)).text();
      const r = promtoolCheck(text);
      assert.equal(r.output, '', r.output);
      const lines = parseExposition(text);
      const latest = computeLatest(store, 'default', { now: at, timezone: store.getAccount('default')?.timezone ?? 'UTC' });
      assert.ok((latest.values.steps_today.value ?? 0) > 1000, 'a real day of steps');
      assert.equal(lines.find((l) => l.name === 'fitbit_steps' && l.labels.account === 'default')?.value, latest.values.steps_today.value);
      assert.ok(lines.some((l) => l.name === 'fitbit_heart_rate_bpm' && l.labels.account === 'default'));
      assert.ok(!lines.some((l) => l.name === 'fitbit_bridge_sync_failures_total'), 'no live source, no failure counter');
      assert.ok(!lines.some((l) => l.name.startsWith('fitbit_bridge_remote_write_')), 'no remote-write sink, no remote-write metrics');
      assert.ok(!lines.some((l) => l.name.startsWith('fitbit_bridge_sink_') && l.labels.sink !== undefined), 'no sinks, no sink series');
      assert.equal(lines.find((l) => l.name === 'fitbit_bridge_account_reauth_needed' && l.labels.account === 'default')?.value, 0);
      assert.equal(await ext.metricsText().then((t) => t.includes('fitbit_steps{account="default",source="all"}')), true);
    } finally {
      await controller.stop();
    }
  });
});
