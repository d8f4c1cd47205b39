/**
 * syncAccount against the real emulator over HTTP into a real SQLite store: a synthetic week
 * (with the spring DST change) equals the synthetic truth per (metric, device) where the API has an
 * exact counterpart; re-running is idempotent; late data is picked up by the overlap; the sleep
 * filter falls back and remembers; a missing scope fails one type only; rebuild from the raw pages
 * gives the same store.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isMetricId, metric as metricDef, type MetricId, type SessionKind } from '../../src/metrics/registry.js';
import { emptyCoverage, readCoverage } from '../../src/sources/google-health/coverage.js';
import { ROLLUP_SOURCE, UNKNOWN_DEVICE_SOURCE, WEARABLES_ROLLUP_SOURCE, dataType } from '../../src/sources/google-health/datatypes.js';
import { incrementalWindows, scheduledTypes } from '../../src/sources/google-health/plan.js';
import { windowFilter } from '../../src/sources/google-health/requests.js';
import { rebuildAccount } from '../../src/sources/google-health/rebuild.js';
import { planSync, syncAccount, type SyncReport } from '../../src/sources/google-health/sync.js';
import { storeDigest } from '../../src/store/digest.js';
import type { Store } from '../../src/store/types.js';
import { dayTotals, mergeTotals, syntheticDay, type DayTotals, type Totals } from '../../src/synthetic/index.js';
import { Zone, addDays } from '../../src/time/index.js';
import type { GoogleEmulator, GoogleEmulatorOptions } from '../../src/emulator/index.js';
import type { HealthClient } from '../../src/sources/google-health/client.js';
import { ACCOUNT, FIRST, LAST, NOW, SEED, TZ, Tmp, authorizeAccount, clientFor, emulator, syncConfig } from './helpers.js';

const tmp = new Tmp();
after(() => tmp.cleanup());

const DAYS = 7;
/** Registry metrics with no API counterpart (HRV details of the legacy CSV folders). */
const NO_COUNTERPART = new Set<MetricId>(['hrv_coverage', 'hrv_low_frequency', 'hrv_high_frequency']);
/** rollUp-only metrics: the synthetic tracker has them all, stored under WEARABLES_ROLLUP_SOURCE (all sources yield every minute to it). */
const ROLLUP = new Set<MetricId>(['calories', 'floors']);

function truth(): DayTotals {
  const out: DayTotals = {};
  for (let i = 0; i < DAYS; i++) {
    const day = syntheticDay({ seed: SEED, timezone: TZ, date: addDays(FIRST, i) });
    const t = dayTotals(day);
    // the API's int64 fields: the truth rounded
    if (day.daily.restingHeartRate && t.resting_heart_rate) {
      const e = t.resting_heart_rate['Inspire 3']!;
      e.sum = Math.round(day.daily.restingHeartRate.value);
    }
    if (day.daily.hrv && t.hrv_daily_nremhr) t.hrv_daily_nremhr['Inspire 3']!.sum = Math.round(day.daily.hrv.nremhr);
    // active energy is not in dayTotals (no Takeout counterpart): from the day's series
    const ae = day.activeEnergy;
    if (ae.t.length) {
      mergeTotals(out, {
        active_energy: { [ae.source]: { count: ae.t.length, sum: ae.v.reduce((a, b) => a + b, 0), first: Math.min(...ae.t), last: Math.max(...ae.t) } },
      });
    }
    mergeTotals(out, t);
  }
  return out;
}

interface Got {
  count: number;
  sum: number;
  first: number | null;
  last: number | null;
}

function seriesGot(store: Store, metric: MetricId, source: string): Got {
  let count = 0,
    sum = 0,
    first: number | null = null,
    last: number | null = null;
  for (const s of store.iterateSamples({ account: ACCOUNT, metric, source })) {
    count++;
    sum += s.v;
    first ??= s.t;
    last = s.t;
  }
  return { count, sum, first, last };
}

function sessionsGot(store: Store, kind: SessionKind, source: string): Got {
  const list = store.sessions(ACCOUNT, kind, -Infinity, Infinity, { resolve: false }).filter((s) => s.layer === 'api' && s.source === source);
  return {
    count: list.length,
    sum: list.reduce((a, s) => a + (s.end - s.start), 0),
    first: list.length ? Math.min(...list.map((s) => s.start)) : null,
    last: list.length ? Math.max(...list.map((s) => s.start)) : null,
  };
}

/** Mismatches between the store and the truth (empty = equal). */
function compare(store: Store, want: DayTotals): string[] {
  const bad: string[] = [];
  let checked = 0;
  for (const [id, bySource] of Object.entries<Record<string, Totals>>(want)) {
    assert.ok(isMetricId(id));
    if (NO_COUNTERPART.has(id)) continue;
    const def = metricDef(id);
    for (const [source, w] of Object.entries(bySource)) {
      const src = ROLLUP.has(id) ? WEARABLES_ROLLUP_SOURCE : source;
      const got = def.kind === 'session' ? sessionsGot(store, id as SessionKind, src) : seriesGot(store, id, src);
      const where = `${id} / ${src}`;
      checked++;
      if (got.count !== w.count) bad.push(`${where}: count ${got.count}, truth ${w.count}`);
      else if (Math.abs(got.sum - w.sum) > 1e-6 * Math.max(1, Math.abs(w.sum))) bad.push(`${where}: sum ${got.sum}, truth ${w.sum}`);
      else if (got.first !== w.first) bad.push(`${where}: first ${new Date(got.first ?? 0).toISOString()}, truth ${new Date(w.first).toISOString()}`);
      else if (got.last !== w.last) bad.push(`${where}: last ${new Date(got.last ?? 0).toISOString()}, truth ${new Date(w.last).toISOString()}`);
    }
  }
  assert.ok(checked >= 24, `compared ${checked} (metric, source) pairs`);
  return bad;
}

const cfg = syncConfig();

describe('sync of a synthetic week from the emulator', () => {
  let emu: GoogleEmulator;
  let client: HealthClient;
  let store: Store;
  let first: SyncReport;
  let digest = '';

  before(async () => {
    emu = await emulator();
    client = clientFor(emu, await authorizeAccount(emu, tmp.mkdir('tokens')));
    store = tmp.store();
    first = await syncAccount({ store, client, account: ACCOUNT, timezone: TZ, mode: 'all', config: cfg, now: () => NOW });
    digest = storeDigest(store);
  });
  after(async () => {
    await client.close();
    await emu.close();
  });

  it('equals the synthetic truth per (metric, device)', () => {
    assert.deepEqual(
      Object.entries(first.types)
        .filter(([, t]) => t.error)
        .map(([k, t]) => `${k}: ${t.error}`),
      [],
    );
    assert.deepEqual(compare(store, truth()), []);
    assert.equal(first.warnings.length, 0);
  });

  it('names every source from what its points carry: no series after an unknown device (issue 10)', () => {
    const sources = new Set(store.listSeries({ account: ACCOUNT }).map((x) => x.source));
    assert.ok(!sources.has(UNKNOWN_DEVICE_SOURCE), [...sources].join(', '));
    // the emulator's companions: Fitbit Air (device {}), a Health Connect app without and with a manufacturer
    const ae = new Set(store.listSeries({ account: ACCOUNT, metric: 'active_energy' }).map((x) => x.source));
    assert.deepEqual([...ae].sort(), ['Fitbit (unnamed device)', 'Inspire 3', 'com.xiaomi.wearable', 'xiaomi'].sort());
    const sleepSources = new Set(store.sessions(ACCOUNT, 'sleep', -Infinity, Infinity, { resolve: false }).map((x) => x.source));
    assert.ok(!sleepSources.has(UNKNOWN_DEVICE_SOURCE));
    assert.ok(sleepSources.has('Fitbit (manual entry)'), [...sleepSources].join(', '));
    // "NaN" in daily records is no value: never stored
    for (const x of store.listSeries({ account: ACCOUNT }))
      for (const smp of store.iterateSamples(x)) assert.ok(Number.isFinite(smp.v), `${x.metric}/${x.source}`);
  });

  it('spends few requests: wide windows, full pages', () => {
    const hr = first.types['heart-rate']!;
    // ~124k samples of heart rate: 13 full pages + window ends + the probe that ends the backfill,
    // and (the emulator's clock is the real one, long after this week) the empty first page of
    // each past window, as the live API answers
    assert.ok(hr.pages <= Math.ceil(hr.points / 10_000) + 8, `heart-rate: ${hr.pages} pages for ${hr.points} points`);
    // (< 110 without the empty first pages: variant emptyPages=none)
    assert.ok(first.requests < 160, `${first.requests} requests for a week of everything`);
  });

  it('records durable coverage per type: from the first day with data, backfill done', () => {
    for (const [id, t] of Object.entries(first.types)) {
      assert.equal(t.backfillDone, true, `${id}: backfill done`);
      const c = readCoverage(store, ACCOUNT, id);
      assert.equal(c.window, null, `${id}: no window left half-fetched`);
      assert.ok(c.segments.length >= 1, `${id}: segments`);
      if (t.points > 0 && id !== 'total-calories' && id !== 'floors') {
        // (some days lack a daily value: the truth skips a few at random)
        assert.ok(c.firstData !== null && c.firstData <= addDays(FIRST, 3) && c.firstData >= addDays(FIRST, -1), `${id}: first data ${c.firstData}`);
        assert.ok(c.lastData !== null && c.lastData <= LAST, `${id}: last data ${c.lastData}`);
      }
      assert.ok(c.to !== null && c.to >= LAST, `${id}: covered to ${c.to}`);
    }
    // rollUp types stop at the oldest data the list types found
    const cal = readCoverage(store, ACCOUNT, 'total-calories');
    assert.ok(cal.from !== null && cal.from >= addDays(FIRST, -7), `total-calories covered from ${cal.from}`);
    assert.equal(readCoverage(store, ACCOUNT, 'sleep').member, 'interval.end_time');
  });

  it('rollUp types ask the tracker family, then all sources, per window; no minute is stored twice', () => {
    for (const type of ['total-calories', 'floors']) {
      const families = new Set<string>();
      for (const p of store.rawPages(ACCOUNT, type)) {
        const req = JSON.parse(p.request) as { body?: { dataSourceFamily?: string } };
        families.add(String(req.body?.dataSourceFamily));
      }
      assert.deepEqual([...families].sort(), ['users/me/dataSourceFamilies/all-sources', 'users/me/dataSourceFamilies/google-wearables'], type);
    }
    // the synthetic tracker has every calorie and floor: all sources yield each minute to it
    for (const metric of ['calories', 'floors'] as const) {
      assert.ok(seriesGot(store, metric, WEARABLES_ROLLUP_SOURCE).count > 0, metric);
      assert.equal(seriesGot(store, metric, ROLLUP_SOURCE).count, 0, `${metric}: nothing under ${ROLLUP_SOURCE}`);
    }
  });

  it('respiratory-rate-sleep-summary fills sleep_breathing_rate, one sample per main sleep', () => {
    const got = seriesGot(store, 'sleep_breathing_rate', 'Inspire 3');
    assert.ok(got.count >= DAYS - 2 && got.count <= DAYS + 1, `${got.count} per-sleep breathing rates in ${DAYS} days`);
    assert.ok(got.sum / got.count > 8 && got.sum / got.count < 25, 'breaths per minute');
  });

  it('keeps the raw pages, compressed', () => {
    const st = store.rawPageStats(ACCOUNT);
    assert.equal(st.pages, first.pages);
    assert.ok(st.storedBytes * 10 < st.rawBytes, `stored ${st.storedBytes} of ${st.rawBytes} bytes`);
  });

  it('re-running is idempotent: nothing added or changed, same digest', async () => {
    const again = await syncAccount({ store, client, account: ACCOUNT, timezone: TZ, mode: 'all', config: cfg, now: () => NOW });
    assert.equal(again.added, 0);
    assert.equal(again.changed, 0);
    assert.equal(storeDigest(store), digest);
    // only the incremental windows are re-read (backfill done)
    assert.ok(again.requests < first.requests / 2, `${again.requests} requests on the rerun`);
  });

  it('rebuild from the raw pages into an empty store gives the same store', async () => {
    const target = tmp.store();
    const r = await rebuildAccount({ store, account: ACCOUNT, target });
    assert.equal(r.failed, 0);
    assert.equal(storeDigest(target), digest);
    // in place: nothing changes
    const r2 = await rebuildAccount({ store, account: ACCOUNT });
    assert.equal(r2.added, 0);
    assert.equal(r2.changed, 0);
    assert.equal(storeDigest(store), digest);
  });

  it('planSync (--dry-run) estimates without requests', () => {
    const before = first.requests;
    const fresh = tmp.store();
    const plan = planSync({ store: fresh, account: ACCOUNT, timezone: TZ, mode: 'all', config: cfg, now: () => NOW });
    assert.equal(plan.types.length, 19);
    assert.ok(plan.requests > 0 && plan.etaSeconds > 0);
    const done = planSync({ store, account: ACCOUNT, timezone: TZ, mode: 'all', config: cfg, now: () => NOW });
    assert.ok(done.types.every((t) => t.backfillDone));
    assert.ok(done.requests < plan.requests);
    assert.equal(first.requests, before);
  });
});

describe('late data and modes', () => {
  it('data that arrives late (dataLagMs) is picked up by the overlap of the next passes', async () => {
    const lag = 3 * 3_600_000;
    // 01:00 local on the day after LAST (EDT, -04:00): the last evening is not visible yet
    const t1 = Date.UTC(2026, 2, 9, 5, 0, 0);
    const emu = await emulator({ dataLagMs: lag });
    emu.setClock(t1);
    const client = clientFor(emu, await authorizeAccount(emu, tmp.mkdir('tokens')));
    try {
      const store = tmp.store();
      await syncAccount({ store, client, account: ACCOUNT, timezone: TZ, mode: 'all', config: cfg, now: () => t1 });
      const partial = storeDigest(store);
      const hrBefore = seriesGot(store, 'heart_rate', 'Inspire 3').count;
      emu.advanceClock(12 * 3_600_000);
      const t2 = t1 + 12 * 3_600_000;
      const recent = await syncAccount({ store, client, account: ACCOUNT, timezone: TZ, mode: 'recent', config: cfg, now: () => t2 });
      assert.ok(recent.added > 0, 'the recent pass added the late intraday data');
      assert.ok(
        Object.keys(recent.types).every((k) => !k.startsWith('daily-') && k !== 'sleep'),
        'recent = intraday types',
      );
      assert.ok(seriesGot(store, 'heart_rate', 'Inspire 3').count > hrBefore);
      const daily = await syncAccount({ store, client, account: ACCOUNT, timezone: TZ, mode: 'daily', config: cfg, now: () => t2 });
      assert.ok(Object.keys(daily.types).includes('sleep') && !Object.keys(daily.types).includes('heart-rate'));
      assert.notEqual(storeDigest(store), partial);
      assert.deepEqual(compare(store, truth()), []);
    } finally {
      await client.close();
      await emu.close();
    }
  });
});

describe('steady state: recent passes ask only for what is new', () => {
  it('with data visible 45 minutes late (dataLagMs), short passes from the newest stored point lose nothing', async () => {
    const lag = 45 * 60_000;
    // 20:00 local on LAST (EDT, -04:00); the data ends at its midnight
    const t1 = Date.UTC(2026, 2, 9, 0, 0, 0);
    const emu = await emulator({ dataLagMs: lag });
    emu.setClock(t1);
    const client = clientFor(emu, await authorizeAccount(emu, tmp.mkdir('tokens')));
    const steady = syncConfig({ recent_overlap_minutes: 2, overlap_every_hours: 24 });
    try {
      const store = tmp.store();
      await syncAccount({ store, client, account: ACCOUNT, timezone: TZ, mode: 'all', config: steady, now: () => t1 });
      let t = t1;
      // every 15 minutes until the last minute of LAST is visible, as run's recent pass (no late-data re-read)
      while (t < t1 + 4 * 3_600_000 + lag) {
        t += 15 * 60_000;
        emu.setClock(t);
        const r = await syncAccount({ store, client, account: ACCOUNT, timezone: TZ, mode: 'recent', config: steady, now: () => t, lateOverlap: false });
        // one request a type (a rollUp type: one a source family)
        const expected = Object.keys(r.types).reduce((n, k) => n + (dataType(k).families?.length ?? 1), 0);
        assert.equal(r.requests, expected, `one request a type and family at ${new Date(t).toISOString()}`);
        for (const [k, v] of Object.entries(r.types)) assert.equal(v.error, undefined, k);
      }
      for (const type of ['heart-rate', 'steps']) {
        const c = readCoverage(store, ACCOUNT, type);
        assert.ok(c.newestPoint !== null && c.newestPoint < t1 + 4 * 3_600_000, `${type}: newest point ${c.newestPoint}`);
      }
      await syncAccount({ store, client, account: ACCOUNT, timezone: TZ, mode: 'daily', config: steady, now: () => t });
      assert.deepEqual(compare(store, truth()), []);
    } finally {
      await client.close();
      await emu.close();
    }
  });

  it('plans: the late-data re-read of whole days when due, else from the newest stored point to the minute', () => {
    const zone = new Zone(TZ);
    const def = dataType('heart-rate');
    const now = Date.UTC(2026, 2, 9, 17, 3, 30);
    const c = syncConfig({ recent_overlap_minutes: 10, overlap_every_hours: 6, overlap_hours: 48 });
    const cov = { ...emptyCoverage(), from: FIRST, to: '2026-03-09', syncedUntil: now - 300_000 };
    const newest = Date.UTC(2026, 2, 9, 16, 57, 45);
    // never re-read: due
    assert.deepEqual(incrementalWindows(def, { ...cov, newestPoint: newest }, zone, now, c), [{ from: '2026-03-07', to: '2026-03-10' }]);
    // re-read 1 h ago: what is new, from the minute 10 minutes before the newest point
    const short = incrementalWindows(def, { ...cov, newestPoint: newest, overlapAt: now - 3_600_000 }, zone, now, c);
    assert.deepEqual(short, [{ from: '2026-03-09', to: '2026-03-10', fromInstant: Date.UTC(2026, 2, 9, 16, 47, 0) }]);
    assert.equal(
      windowFilter(def, def.members[0]!, short[0]!, zone),
      'heart_rate.sample_time.physical_time >= "2026-03-09T16:47:00Z" AND heart_rate.sample_time.physical_time < "2026-03-10T04:00:00Z"',
    );
    // due, but the pass leaves the re-read to another (run's recent pass)
    assert.deepEqual(incrementalWindows(def, { ...cov, newestPoint: newest, overlapAt: now - 7 * 3_600_000 }, zone, now, c, false), short);
    // overlap_every_hours 0: every pass re-reads (the behaviour before)
    assert.deepEqual(incrementalWindows(def, { ...cov, newestPoint: newest, overlapAt: now - 60_000 }, zone, now, { ...c, overlap_every_hours: 0 }), [
      { from: '2026-03-07', to: '2026-03-10' },
    ]);
    // scheduled jobs: recent = sync.recent_types, daily = every type
    assert.deepEqual(scheduledTypes('recent', c), ['heart-rate']);
    assert.deepEqual(scheduledTypes('recent', { ...c, recent_types: ['steps', 'heart_rate'] }), ['heart-rate', 'steps']);
    assert.equal(scheduledTypes('daily', c).length, 19);
    assert.throws(() => scheduledTypes('recent', { ...c, recent_types: ['sleep'] }), /not an intraday type/);
  });
});

describe('sleep filter member', () => {
  it('falls back to civil_start_time when end_time is refused, remembers it, and the data is the same', async () => {
    const emu = await emulator({ variant: { sleepFilterMember: 'civil_start_time' } });
    const client = clientFor(emu, await authorizeAccount(emu, tmp.mkdir('tokens')));
    try {
      const store = tmp.store();
      const r = await syncAccount({ store, client, account: ACCOUNT, timezone: TZ, mode: 'all', types: ['sleep'], config: cfg, now: () => NOW });
      assert.equal(r.types.sleep?.error, undefined);
      assert.equal(r.types.sleep?.member, 'interval.civil_start_time');
      assert.equal(readCoverage(store, ACCOUNT, 'sleep').member, 'interval.civil_start_time');
      const refused = client.stats.requests.client_error;
      assert.equal(refused, 1, 'one refused request');
      const want = truth().sleep!['Inspire 3']!;
      assert.deepEqual(sessionsGot(store, 'sleep', 'Inspire 3'), { count: want.count, sum: want.sum, first: want.first, last: want.last });
      // the next run asks with the member that worked
      const again = await syncAccount({ store, client, account: ACCOUNT, timezone: TZ, mode: 'all', types: ['sleep'], config: cfg, now: () => NOW });
      assert.equal(client.stats.requests.client_error, refused);
      assert.equal(again.added + again.sessions, 0);
    } finally {
      await client.close();
      await emu.close();
    }
  });
});

describe('paging as the live API does it', () => {
  it('with every first page of a past range empty but carrying a nextPageToken, a backfill stores exactly what it stores without', async () => {
    // a month after the synthetic week: the newest windows are empty, so the backfill must probe
    // over the empty stretch, and the probe's first page is empty too (a past range)
    const later = NOW + 30 * 86_400_000;
    const rows = async (variant: GoogleEmulatorOptions['variant']): Promise<{ digest: string; report: SyncReport; samples: number; sessions: number }> => {
      const emu = await emulator({ variant, clock: () => later });
      const client = clientFor(emu, await authorizeAccount(emu, tmp.mkdir('tokens')));
      try {
        const store = tmp.store();
        const report = await syncAccount({ store, client, account: ACCOUNT, timezone: TZ, mode: 'backfill', config: cfg, now: () => later });
        let samples = 0;
        for (const sr of store.listSeries()) for (const _ of store.iterateSamples({ account: ACCOUNT, metric: sr.metric, source: sr.source })) samples++;
        const sessions = (['sleep', 'exercise'] as const).reduce((n, k) => n + store.sessions(ACCOUNT, k, -Infinity, Infinity, { resolve: false }).length, 0);
        return { digest: storeDigest(store), report, samples, sessions };
      } finally {
        await client.close();
        await emu.close();
      }
    };
    const live = await rows({ emptyPages: 'past-first' });
    const old = await rows({ emptyPages: 'none' });
    assert.deepEqual(
      Object.entries(live.report.types)
        .filter(([, t]) => t.error)
        .map(([k, t]) => `${k}: ${t.error}`),
      [],
    );
    assert.ok(old.samples > 100_000 && old.sessions > 0, `${old.samples} samples, ${old.sessions} sessions`);
    assert.equal(live.samples, old.samples);
    assert.equal(live.sessions, old.sessions);
    assert.equal(live.digest, old.digest, 'the same rows');
    // every type finished its backfill (the probe did not take an empty page for "no older data" too early, nor loop)
    for (const [id, t] of Object.entries(live.report.types)) assert.equal(t.backfillDone, old.report.types[id]?.backfillDone, id);
    assert.ok(live.report.requests > old.report.requests, 'the empty pages cost requests');
  });
});

describe('exercise filter member', () => {
  it('falls back to interval.start_time when civil_start_time is refused, and the data is the same', async () => {
    const emu = await emulator({ variant: { exerciseFilterMember: 'start_time' } });
    const client = clientFor(emu, await authorizeAccount(emu, tmp.mkdir('tokens')));
    try {
      const store = tmp.store();
      const r = await syncAccount({ store, client, account: ACCOUNT, timezone: TZ, mode: 'all', types: ['exercise'], config: cfg, now: () => NOW });
      assert.equal(r.types.exercise?.error, undefined);
      assert.equal(r.types.exercise?.member, 'interval.start_time');
      assert.equal(client.stats.requests.client_error, 1, 'one refused request');
      const want = truth().exercise?.['Inspire 3'];
      if (want) assert.deepEqual(sessionsGot(store, 'exercise', 'Inspire 3'), { count: want.count, sum: want.sum, first: want.first, last: want.last });
    } finally {
      await client.close();
      await emu.close();
    }
  });
});

describe('errors of one type', () => {
  it('a missing scope fails that type only; the others are synced', async () => {
    const emu = await emulator();
    const scopes = ['activity_and_fitness', 'health_metrics_and_measurements'].map((s) => `https://www.googleapis.com/auth/googlehealth.${s}.readonly`);
    const client = clientFor(emu, await authorizeAccount(emu, tmp.mkdir('tokens'), ACCOUNT, scopes));
    try {
      const store = tmp.store();
      const r = await syncAccount({ store, client, account: ACCOUNT, timezone: TZ, mode: 'daily', config: cfg, now: () => NOW });
      assert.equal(r.types.sleep?.reason, 'ACCESS_TOKEN_SCOPE_INSUFFICIENT');
      assert.match(r.types.sleep?.error ?? '', /lacks googlehealth\.sleep\.readonly, which dataPoints\.list needs to read sleep .*fitbit-bridge auth/);
      assert.equal(r.types['daily-resting-heart-rate']?.error, undefined);
      assert.ok((r.types['daily-resting-heart-rate']?.added ?? 0) > 0);
      assert.equal(store.sessions(ACCOUNT, 'sleep').length, 0);
      assert.ok(readCoverage(store, ACCOUNT, 'sleep').lastError !== null);
    } finally {
      await client.close();
      await emu.close();
    }
  });
});
