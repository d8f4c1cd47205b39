/**
 * The shipped dashboards' day figures, evaluated the way Grafana evaluates them, against a REAL
 * Prometheus 2.x and a REAL VictoriaMetrics fed by the bridge's remote-write sink from a
 * hand-built store (America/New_York, 2026-02-27 … 2026-03-12: the DST change of 03-08, a day
 * without data on 03-05, a day split between the legacy layer and "Fitbit App" on 03-06, a tracker
 * and the phone counting the same walk every day).
 *
 * Grafana: range queries with step = the panel interval, start and end aligned to the step shifted
 * by the dashboard zone's UTC offset at the range end (Grafana's AlignTimeRange with utcOffsetSec);
 * instant stats at the range end, `$__range_ms` the exact range. Every day's value must equal the
 * figure computed here from the hand-built minutes (per minute the best-ranked source), on both
 * TSDBs; a day without data shows nothing; each minute sample counts once in "Steps per interval".
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { compareSources } from '../../src/reconcile/sources.js';
import { RemoteWriteClient } from '../../src/sinks/remote-write/client.js';
import { RemoteWriteSink } from '../../src/sinks/remote-write/sink.js';
import { LEGACY_JSON_SOURCE, type Sample, type SeriesKey, type Store } from '../../src/store/types.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, addDays, zoneNamed } from '../../src/time/index.js';
import { silentLogger } from '../../src/util/log.js';
import { durationSeconds, expand, panelQueries, type PanelQuery } from '../support/grafana-queries.js';
import { Prometheus, type TsdbServer } from '../support/prometheus.js';
import { Tmp } from '../support/tmp.js';
import { VictoriaMetrics } from '../support/victoria-metrics.js';

const TZ = 'America/New_York';
const zone = zoneNamed(TZ);
const ACCOUNT = 'me';
const FIRST = '2026-02-27';
const LAST = '2026-03-12';
const NO_DATA = '2026-03-05';
const SPLIT = '2026-03-06';
const EX = { exportMs: Date.UTC(2026, 3, 1) };

const tmp = new Tmp('fb-dash-sem-');
const jsonDir = fileURLToPath(new URL('../../dashboards/json/', import.meta.url));
const load = (f: string): Record<string, unknown> => JSON.parse(readFileSync(`${jsonDir}${f}`, 'utf8')) as Record<string, unknown>;
const trends = panelQueries(load('fitbit-trends.json'));
const day = panelQueries(load('fitbit-day.json'));

const dates: string[] = [];
for (let d = FIRST; d <= LAST; d = addDays(d, 1)) dates.push(d);
const midnight = (date: string): number => zone.midnightOfDate(date);

/** Hand-built minutes: per metric and source, UTC ms → value. */
const minutesOf = new Map<string, Map<string, Map<number, number>>>();
function put(store: Store, metric: SeriesKey['metric'], source: string, from: number, count: number, v: (i: number) => number): void {
  const samples: Sample[] = [];
  for (let i = 0; i < count; i++) {
    const t = from + i * MINUTE_MS;
    samples.push({ t, offset: zone.offsetAt(t), v: v(i) });
    const bySource = minutesOf.get(metric) ?? new Map<string, Map<number, number>>();
    minutesOf.set(metric, bySource);
    const m = bySource.get(source) ?? new Map<number, number>();
    bySource.set(source, m);
    m.set(t, v(i));
  }
  store.writeSamples({ account: ACCOUNT, metric, source }, samples, EX);
}

/** The expected figure of a local day: per minute the best-ranked source's value. */
function figure(metric: string, date: string): number | null {
  const from = midnight(date);
  const to = midnight(addDays(date, 1));
  const best = new Map<number, { source: string; v: number }>();
  for (const [source, m] of minutesOf.get(metric) ?? []) {
    for (const [t, v] of m) {
      if (t < from || t >= to) continue;
      const cur = best.get(t);
      if (!cur || compareSources(source, cur.source) < 0) best.set(t, { source, v });
    }
  }
  if (best.size === 0) return null;
  let s = 0;
  for (const x of best.values()) s += x.v;
  return s;
}

/** Resting heart rate per day and source. */
const rhr = new Map<string, Map<string, number>>();

function seed(store: Store): void {
  store.setAccount({ name: ACCOUNT, profileId: null, timezone: TZ });
  dates.forEach((date, k) => {
    if (date === NO_DATA) return;
    const m0 = midnight(date);
    const at = (h: number, min = 0): number => zone.fromWallClock(Date.parse(`${date}T00:00:00Z`) + h * HOUR_MS + min * MINUTE_MS).t;
    if (date === SPLIT) {
      // first hours only in the legacy layer (zero minutes included), the rest only under "Fitbit App"
      put(store, 'steps', LEGACY_JSON_SOURCE, m0, 6 * 60, (i) => (i % 7 === 0 ? 12 : 0));
      put(store, 'steps', 'Fitbit App', at(6), 18 * 60, (i) => (i % 5) + 1);
      put(store, 'calories', LEGACY_JSON_SOURCE, m0, 6 * 60, () => 1.1);
      put(store, 'calories', 'Fitbit App', at(6), 18 * 60, () => 1.4);
      return;
    }
    // the tracker walks from 08:00 for an hour; the phone counts the same walk (more) and 12:00–12:29 alone
    put(store, 'steps', 'Inspire 3', at(8), 60, (i) => 80 + ((i + k) % 11));
    put(store, 'steps', 'Fitbit App', at(8, 10), 40, () => 95);
    put(store, 'steps', 'Fitbit App', at(12), 30, (i) => 20 + k + (i % 3));
    // energy: the tracker all day but 14:00–15:59, the all-sources rollUp for the gap
    put(store, 'calories', 'Google Health (wearables)', m0, 14 * 60, () => 1.25 + k / 100);
    put(store, 'calories', 'Google Health (all sources)', at(14), 2 * 60, () => 2);
    put(store, 'calories', 'Google Health (wearables)', at(16), 8 * 60, () => 1.5);
    const v = 50 + (k % 6);
    const daily = rhr.get(date) ?? new Map<string, number>();
    rhr.set(date, daily);
    daily.set('Inspire 3', v);
    store.writeSamples({ account: ACCOUNT, metric: 'resting_heart_rate', source: 'Inspire 3' }, [{ t: m0, offset: zone.offsetAt(m0), v }], EX);
  });
}

/** Grafana's AlignTimeRange: floor((t + offset) / step) * step − offset. */
function align(t: number, stepMs: number, offsetSec: number): number {
  const off = offsetSec * 1000;
  return Math.floor((t + off) / stepMs) * stepMs - off;
}

const tsdbs: Array<{ name: string; db: TsdbServer }> = [];
const notes: string[] = [];

before(async () => {
  const prom = await Prometheus.start();
  const vm = await VictoriaMetrics.start();
  tsdbs.push({ name: 'Prometheus', db: prom }, { name: 'VictoriaMetrics', db: vm });
  for (const { db } of tsdbs) {
    const store = tmp.store(); // the same hand-built store for each TSDB
    seed(store);
    const client = new RemoteWriteClient({ url: `${db.url}/api/v1/write`, timeoutMs: 30_000, maxBackoffMs: 1000, logger: silentLogger() });
    // a clock long after the data: every day has settled
    const sink = new RemoteWriteSink({
      store,
      client,
      logger: silentLogger(),
      batchSamples: 5000,
      dailySettleMs: 12 * HOUR_MS,
      clock: () => Date.UTC(2026, 5, 1),
    });
    const r = await sink.drain();
    assert.equal(r.rejected, 0);
  }
  await (tsdbs[1]!.db as VictoriaMetrics).forceFlush();
});

after(async () => {
  for (const { db } of tsdbs) await db.cleanup();
  tmp.cleanup();
});

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

function query(list: PanelQuery[], panel: string, refId = 'A'): PanelQuery {
  const q = list.find((x) => x.panel === panel && x.refId === refId);
  assert.ok(q, `${panel} ${refId}`);
  return q;
}

/** The midnight of the local day whose midnight lies in (T − 36 h, T − 12 h]: the day that ended at step T. */
function dayEndingAt(T: number): string | null {
  for (const d of dates) {
    const m = midnight(d);
    if (m > T - 36 * HOUR_MS && m <= T - 12 * HOUR_MS) return d;
  }
  return null;
}

describe('dashboard day figures on Prometheus 2.x and VictoriaMetrics', { timeout: 120_000 }, () => {
  // the dashboard zone's offset at the range end: New York (EDT), UTC and Berlin (a viewer elsewhere)
  const viewers: Array<[string, number]> = [
    ['New York', -4 * 3600],
    ['UTC', 0],
    ['Berlin', 3600],
  ];
  const from = Date.UTC(2026, 1, 20);
  const to = Date.UTC(2026, 2, 16, 12);

  for (const [panel, metric] of [
    ['Steps per day', 'steps'],
    ['Energy burned per day', 'calories'],
  ] as const) {
    test(`Trends "${panel}": each day once, a day without data empty, the 7-day mean over exactly 7 days`, async () => {
      const a = query(trends, panel, 'A');
      const b = query(trends, panel, 'B');
      const step = durationSeconds(a.interval ?? '1d');
      for (const { name, db } of tsdbs) {
        for (const [viewer, off] of viewers) {
          const start = align(from, step * 1000, off);
          const end = align(to, step * 1000, off);
          const A = await db.queryRange(expand(a.expr, { vars: { account: ACCOUNT }, interval: a.interval!, range: '1d' }), start, end, step);
          const B = await db.queryRange(expand(b.expr, { vars: { account: ACCOUNT }, interval: b.interval!, range: '1d' }), start, end, step);
          assert.ok(A.length <= 1 && B.length <= 1, `${name} ${viewer}: one series (no per-source leftovers)`);
          const got = new Map(A[0]?.values ?? []);
          const mean = new Map(B[0]?.values ?? []);
          const seen: string[] = [];
          for (let T = start; T <= end; T += step * 1000) {
            const d = dayEndingAt(T);
            const want = d === null ? null : figure(metric, d);
            const where = `${name}, viewer ${viewer}, step ${new Date(T).toISOString()} (day ${d})`;
            if (want === null) assert.equal(got.get(T), undefined, `${where}: no value`);
            else {
              assert.ok(got.has(T) && close(got.get(T)!, want), `${where}: ${got.get(T)} ≠ ${want}`);
              seen.push(d!);
            }
            // the 7-day mean: the days whose midnight is in (T − 7d − 12h, T − 12h]
            const week = dates.filter((x) => midnight(x) > T - 7 * DAY_MS - 12 * HOUR_MS && midnight(x) <= T - 12 * HOUR_MS);
            const vals = week.map((x) => figure(metric, x)).filter((x): x is number => x !== null);
            if (vals.length === 0) assert.equal(mean.get(T), undefined, `${where}: no mean`);
            else {
              const m = vals.reduce((s, x) => s + x, 0) / vals.length;
              assert.ok(mean.has(T) && close(mean.get(T)!, m), `${where}: mean ${mean.get(T)} ≠ ${m} over ${vals.length} days`);
              assert.ok(week.length <= 7, `${where}: ${week.length} days in a week`);
            }
          }
          assert.deepEqual(
            seen.sort(),
            dates.filter((x) => x !== NO_DATA),
            `${name} ${viewer}: every day with data shown exactly once`,
          );
          if (viewer === 'New York')
            notes.push(`${name} ${panel}: ${seen.map((d) => `${d.slice(5)}=${Math.round(figure(metric, d)! * 100) / 100}`).join(' ')}`);
        }
      }
    });
  }

  test('Trends "Resting heart rate": the day value per source, none on a day without one', async () => {
    const a = query(trends, 'Resting heart rate', 'A');
    for (const { name, db } of tsdbs) {
      const start = align(from, DAY_MS, -4 * 3600);
      const end = align(to, DAY_MS, -4 * 3600);
      const r = await db.queryRange(expand(a.expr, { vars: { account: ACCOUNT }, interval: '1d', range: '1d' }), start, end, 86_400);
      assert.equal(r.length, 1);
      for (const [T, v] of r[0]!.values) {
        const d = dayEndingAt(T);
        assert.ok(d !== null && rhr.get(d)?.get('Inspire 3') === v, `${name} ${new Date(T).toISOString()}: ${v} (day ${d})`);
      }
      assert.deepEqual(
        r[0]!.values.map(([T]) => dayEndingAt(T)),
        [...rhr.keys()].sort(),
        name,
      );
    }
  });

  test('Day stats: the figure of the viewed day (instant at the range end over $__range_ms), nothing for a day without data', async () => {
    const steps = query(day, 'Steps');
    const rest = query(day, 'Resting heart rate');
    for (const { name, db } of tsdbs) {
      for (const d of dates) {
        const f = midnight(d);
        const t = midnight(addDays(d, 1));
        const fill = { vars: { account: ACCOUNT }, interval: '1m', range: `${Math.round((t - f) / 1000)}s`, rangeMs: t - f };
        const s = await db.query(expand(steps.expr, fill), t);
        const want = figure('steps', d);
        if (want === null) assert.deepEqual(s, [], `${name} ${d}: no steps`);
        else assert.ok(s.length === 1 && close(s[0]!.v, want), `${name} ${d}: steps ${JSON.stringify(s)} ≠ ${want}`);
        const r = await db.query(expand(rest.expr, fill), t);
        const wr = rhr.get(d)?.get('Inspire 3') ?? null;
        if (wr === null) assert.deepEqual(r, [], `${name} ${d}: no resting heart rate`);
        else assert.ok(r.length === 1 && r[0]!.v === wr, `${name} ${d}: resting ${JSON.stringify(r)} ≠ ${wr}`);
      }
    }
  });

  test('Day "Steps per interval": every minute sample once, per source, at 1-minute and 5-minute steps', async () => {
    const q = query(day, 'Steps per interval');
    for (const { name, db } of tsdbs) {
      for (const d of ['2026-03-04', SPLIT, '2026-03-08']) {
        for (const stepS of [60, 300]) {
          const start = align(midnight(d), stepS * 1000, zone.offsetAt(midnight(addDays(d, 1))) * 60);
          const end = align(midnight(addDays(d, 1)), stepS * 1000, zone.offsetAt(midnight(addDays(d, 1))) * 60);
          const r = await db.queryRange(expand(q.expr, { vars: { account: ACCOUNT }, interval: `${stepS}s`, range: '1d' }), start, end, stepS);
          for (const [source, m] of minutesOf.get('steps')!) {
            // the windows [T − step, T) of the steps T in [start, end] cover [start − step, end)
            let want = 0;
            for (const [t, v] of m) if (t >= start - stepS * 1000 && t < end) want += v;
            const s = r.find((x) => x.labels.source === source);
            const got = (s?.values ?? []).reduce((n, [, v]) => n + v, 0);
            assert.ok(close(got, want), `${name} ${d} step ${stepS}s ${source}: ${got} ≠ ${want}`);
          }
        }
      }
    }
  });

  test('before: the old query forms on the same data differ between the TSDBs (measured, for the record)', async (t) => {
    const d = '2026-03-04';
    const start = midnight(d);
    const end = midnight(addDays(d, 1));
    const out: string[] = [];
    for (const { name, db } of tsdbs) {
      const r = await db.queryRange(`sum_over_time(fitbit_history_steps{account="${ACCOUNT}",source="Inspire 3"}[1m])`, start, end, 60);
      const perInterval = (r[0]?.values ?? []).reduce((n, [, v]) => n + v, 0);
      const c = await db.query(`count_over_time(fitbit_history_daily_steps{account="${ACCOUNT}"}[1d])`, midnight('2026-03-10'));
      const w = await db.query(`count_over_time(fitbit_history_daily_steps{account="${ACCOUNT}"}[7d])`, midnight('2026-03-12'));
      const gap = await db.query(`last_over_time(fitbit_history_daily_steps{account="${ACCOUNT}"}[1d])`, midnight('2026-03-05') + 3 * HOUR_MS);
      out.push(
        `${name}: old "Steps per interval" sum over ${d} (tracker) ${perInterval}; count_over_time(daily[1d]) at a local midnight ${c[0]?.v}; ` +
          `count_over_time(daily[7d]) at a local midnight ${w[0]?.v}; last_over_time(daily[1d]) on the day without data ${gap[0]?.v ?? 'none'}`,
      );
    }
    let tracker = 0;
    for (const [tt, v] of minutesOf.get('steps')!.get('Inspire 3')!) if (tt >= start && tt < end) tracker += v;
    out.push(`tracker steps on ${d}: ${tracker}`);
    for (const n of [...notes, ...out]) t.diagnostic(n);
  });
});
