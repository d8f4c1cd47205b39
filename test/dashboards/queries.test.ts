/**
 * Every query of every shipped dashboard against a real Prometheus 2.42 loaded the way a user's
 * is: a real `fitbit-bridge run` (two accounts synced live from the Google emulator: four days
 * up to now) remote-writes its history into Prometheus, and Prometheus scrapes its /metrics every
 * second. With the variables filled in (account, $__interval = 1m or the panel's minimum,
 * $__range = 1d), each panel query and each variable query must name a fitbit_ metric and
 * return data — for the selected account only. A query of the remote-written history must return
 * data when the synthetic truth has samples of its metrics in the query's window
 * (support/dashboard-truth.ts: whether the last days had a workout, whether yesterday's per-day
 * series have settled, depends on the date and the time of day); the metrics every synthetic day
 * has (heart rate, steps, energy, sleep) always do, and everything else (the bridge's own
 * metrics, the scraped gauges) always must.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SLEEP_STAGE_HISTORY } from '../../src/sinks/remote-write/sleep-stages.js';
import { tsdbTruth, truthHas, type Span } from '../support/dashboard-truth.js';
import { durationSeconds, expand, fitbitMetricNames, labelValues, panelQueries, variableQueries } from '../support/grafana-queries.js';
import { startLiveBridge, type LiveBridge } from '../support/live-bridge.js';
import { Prometheus } from '../support/prometheus.js';

const jsonDir = fileURLToPath(new URL('../../dashboards/json/', import.meta.url));
const dashboards = readdirSync(jsonDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => ({ file: f, d: JSON.parse(readFileSync(`${jsonDir}${f}`, 'utf8')) as Record<string, unknown> }));

const ACCOUNTS = ['alice', 'bob'];
/** The account selected in the dashboards: the second one, so a query that ignores the variable shows up. */
const SELECTED = 'bob';
/**
 * History series every synthetic day has: a query of only these is always asked for data. (The
 * per-day series are not: the Day stats read only the viewed day's, which settles after the day.)
 */
const ALWAYS = new Set(['fitbit_history_heart_rate_bpm', 'fitbit_history_steps', SLEEP_STAGE_HISTORY]);

/** The longest range selector of an expression ([1m], [3d], …), else Prometheus's 5-minute lookback (ms). */
function lookbackMs(expr: string): number {
  const ranges = [...expr.matchAll(/\[(\d+(?:ms|s|m|h|d|w|y))\]/g)].map((m) => durationSeconds(m[1]!) * 1000);
  return ranges.length > 0 ? Math.max(...ranges) : 300_000;
}

describe('dashboard queries against a real Prometheus', { timeout: 180_000 }, () => {
  let prom: Prometheus;
  let bridge: LiveBridge;
  let names: Set<string>;
  let truth: Map<string, Span[]>;

  before(async () => {
    prom = await Prometheus.start({ scrapeInterval: '1s' });
    const syncedAt = Date.now();
    bridge = await startLiveBridge({ accounts: ACCOUNTS, days: 4, remoteWriteUrl: prom.remoteWriteUrl });
    // every account is the emulator's one synthetic user
    const u = bridge.emu.user;
    truth = tsdbTruth({ ...u, syncedAt, dailySettleMs: bridge.config.remote_write.daily_settle_hours * 3_600_000 });
    await bridge.idle();
    await prom.setScrape([{ job: 'fitbit-bridge', targets: [bridge.target], scrapeInterval: '1s' }]);
    // the remote-write sink writes the sleep-stage history itself
    await prom.waitFor(async () => (await prom.series([SLEEP_STAGE_HISTORY])).length > 0, 30_000, `${SLEEP_STAGE_HISTORY} delivered by remote write`);
    // a few scrapes, so rate() / increase() over a minute have two samples
    await prom.waitFor(
      async () => {
        const r = await prom.query('count_over_time(fitbit_bridge_info[1m])');
        return (r[0]?.v ?? 0) >= 4;
      },
      30_000,
      'four scrapes of the bridge',
    );
    names = new Set(await prom.api<string[]>('/api/v1/label/__name__/values'));
  });

  after(async () => {
    await bridge?.close();
    await prom?.cleanup();
  });

  test('the bridge is scraped and its history is in Prometheus', async () => {
    assert.equal(await prom.scalar(`up{job="fitbit-bridge"}`), 1);
    assert.ok(names.has('fitbit_history_heart_rate_bpm'));
    assert.ok(names.has('fitbit_heart_rate_bpm'));
  });

  for (const { file, d } of dashboards) {
    test(`${file}: every variable query lists every account`, async () => {
      const vars = variableQueries(d);
      assert.ok(vars.length > 0);
      for (const v of vars) {
        assert.ok(fitbitMetricNames(v.query).length > 0, `${v.name}: names a fitbit_ metric`);
        const now = Date.now();
        const values = await labelValues(prom, v.query, now - 3 * 86_400_000, now);
        assert.deepEqual(values, ACCOUNTS, `${file} $${v.name}: ${v.query}`);
      }
    });

    test(`${file}: every panel query returns data for the selected account only`, async (t) => {
      const queries = panelQueries(d);
      const failures: string[] = [];
      const notAsked: string[] = [];
      for (const q of queries) {
        const interval = q.interval && durationSeconds(q.interval) > 60 ? q.interval : '1m';
        const expr = expand(q.expr, { vars: { account: SELECTED }, interval, range: '1d' });
        const where = `${file} "${q.panel}" ${q.refId}: ${expr}`;
        const metrics = fitbitMetricNames(expr);
        if (metrics.length === 0) failures.push(`${where}: names no fitbit_ metric`);
        const end = Date.now() - (q.timeShift ? durationSeconds(q.timeShift) * 1000 : 0);
        const start = q.instant ? end : end - (q.interval === '1d' ? 14 : 2) * 86_400_000;
        // the history a query reads must return data when the truth has samples in its window
        // (a minute of slack at the window's start); a query of only always-present series always is
        const history = metrics.filter((m) => m.startsWith('fitbit_history_'));
        const from = start - lookbackMs(expr) + 60_000;
        const expected = history.every((m) => truthHas(truth, m, from, end));
        if (!expected) {
          if (history.every((m) => ALWAYS.has(m)))
            failures.push(`${where}: the synthetic truth has no data in [${new Date(from).toISOString()}, ${new Date(end).toISOString()}] (broken truth?)`);
          notAsked.push(`${q.panel} ${q.refId}`);
          continue;
        }
        for (const m of metrics) {
          // histogram series carry suffixes; everything else must exist as named
          if (!names.has(m)) failures.push(`${where}: ${m} is not in Prometheus`);
        }
        let series: Array<{ labels: Record<string, string>; values: number[] }>;
        try {
          series = q.instant
            ? (await prom.query(expr, end)).map((s) => ({ labels: s.labels, values: [s.v] }))
            : (await prom.queryRange(expr, start, end, Math.max(60, durationSeconds(interval)))).map((s) => ({
                labels: s.labels,
                values: s.values.map(([, v]) => v),
              }));
        } catch (e) {
          failures.push(`${where}: ${String(e)}`);
          continue;
        }
        if (!series.some((s) => s.values.some((v) => Number.isFinite(v)))) failures.push(`${where}: no data`);
        for (const s of series) {
          if (s.labels.account !== undefined && s.labels.account !== SELECTED) failures.push(`${where}: returns account ${s.labels.account}`);
          for (const k of Object.keys(s.labels))
            if (k.startsWith('exported_')) failures.push(`${where}: label ${k} (a metric label clashes with a target label)`);
        }
      }
      if (notAsked.length > 0) t.diagnostic(`not asked for data (no samples in the synthetic truth for the query's window): ${notAsked.join(', ')}`);
      assert.ok(notAsked.length < queries.length / 2, `${file}: most queries must be asked for data`);
      assert.deepEqual(failures, [], failures.join('\n'));
    });
  }

  test('a query of an account that does not exist returns nothing (the checks above can fail)', async () => {
    const q = panelQueries(dashboards.find((x) => x.file === 'fitbit-day.json')!.d).find((x) => x.panel === 'Heart rate')!;
    const expr = expand(q.expr, { vars: { account: 'nobody' }, interval: '1m', range: '1d' });
    const now = Date.now();
    assert.deepEqual(await prom.queryRange(expr, now - 86_400_000, now, 60), []);
  });
});
