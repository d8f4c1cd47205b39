/**
 * The JSON API (docs/api.md) on a real `run` controller and HTTP server over a store imported
 * from a generated Takeout export: status, metrics, coverage (days in local time as the dump has
 * them, gaps with causes), series (raw and downsampled with min/max per bucket, the sources merged
 * as the day totals merge them), sleep, trends (the dump summary's figures), bad parameters → 400
 * naming the parameter, and a cross-site POST refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { dayTotals } from '../../src/reconcile/day-totals.js';
import { Controller } from '../../src/run/controller.js';
import { summaryRows } from '../../src/sinks/dump/summary.js';
import { importTakeout } from '../../src/sources/takeout/import.js';
import { openStore } from '../../src/store/store.js';
import type { Store } from '../../src/store/types.js';
import { generateTakeout } from '../../src/synthetic/index.js';
import { addDays, dateOfDay, dayNumber, DAY_MS, localDayAtOffset } from '../../src/time/index.js';
import { sampleDayFigures } from '../../src/web/api/coverage.js';
import { metric } from '../../src/metrics/registry.js';
import { silentLogger } from '../../src/util/log.js';
import { Tmp } from '../support/tmp.js';
import { webConfig } from '../support/web-config.js';

const tmp = new Tmp('fb-webapi-');
after(() => tmp.cleanup());
const TZ = 'America/New_York';
const END = '2026-03-20';
const DAYS = 6;

interface Json {
  status: number;
  body: Record<string, unknown>;
}

describe('web API on a generated store', () => {
  let store: Store;
  let controller: Controller;
  let base: string;

  const get = async (path: string): Promise<Json> => {
    const r = await fetch(`${base}${path}`);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };

  before(async () => {
    const out = tmp.mkdir('gen');
    const gen = await generateTakeout({ out, format: 'zip', days: DAYS, endDate: END, seed: 12, timezone: TZ, partialDay: false });
    const dbPath = tmp.dbPath();
    store = openStore(dbPath);
    await importTakeout({ paths: gen.files, account: 'alice', store, logger: silentLogger(), timezone: TZ });
    controller = new Controller({ config: webConfig(tmp, dbPath, TZ), store, logger: silentLogger(), version: 'test', sync: null });
    await controller.start();
    base = controller.http!.url()!;
  });
  after(async () => {
    await controller?.stop();
    store?.close();
  });

  test('status: version, csrf token, the account, problems as a list', async () => {
    const { status, body } = await get('/api/status');
    assert.equal(status, 200);
    assert.equal(body.version, 'test');
    assert.equal(typeof body.csrf, 'string');
    assert.ok((body.csrf as string).length > 20);
    const accounts = body.accounts as {
      name: string;
      timezone: string | null;
      live: boolean;
      auth: { state: string; expires_at: number | null };
      data_types: { metric: string; newest_sample_at: number | null }[];
    }[];
    assert.equal(accounts.length, 1);
    assert.equal(accounts[0]!.name, 'alice');
    assert.equal(accounts[0]!.live, false);
    assert.equal(accounts[0]!.auth.state, 'missing');
    assert.equal(accounts[0]!.auth.expires_at, null);
    assert.equal(accounts[0]!.timezone, TZ, "the zone the store learnt from the export's profile");
    const hr = accounts[0]!.data_types.find((d) => d.metric === 'heart_rate');
    assert.ok(hr && typeof hr.newest_sample_at === 'number');
    assert.ok(Array.isArray(body.sinks));
    assert.ok(Array.isArray(body.imports));
    assert.ok(Array.isArray(body.problems));
  });

  test('metrics: what the account has, with sources and first/last', async () => {
    const { status, body } = await get('/api/metrics?account=alice');
    assert.equal(status, 200);
    const ms = body.metrics as { metric: string; kind: string; unit: string; sources: string[]; first: number; last: number }[];
    const hr = ms.find((m) => m.metric === 'heart_rate');
    assert.ok(hr);
    assert.equal(hr.kind, 'samples');
    assert.equal(hr.unit, 'bpm');
    assert.ok(hr.sources.length >= 1);
    assert.ok(hr.first < hr.last);
    assert.equal(ms.find((m) => m.metric === 'sleep')?.kind, 'sessions');
    assert.equal(ms.find((m) => m.metric === 'resting_heart_rate')?.kind, 'daily');
  });

  test('coverage: one entry per local day with data, worn minutes for heart rate', async () => {
    const { status, body } = await get('/api/coverage?account=alice&metric=heart_rate');
    assert.equal(status, 200);
    assert.equal(body.measure, 'worn_minutes');
    const days = body.days as { date: string; value: number; fraction: number; sources: Record<string, number> }[];
    const start = addDays(END, -(DAYS - 1));
    assert.ok(days.some((d) => d.date === start));
    assert.ok(days.some((d) => d.date === END));
    for (const d of days) {
      assert.ok(d.value > 0 && d.value <= 1440, `${d.date}: ${d.value}`);
      assert.ok(d.fraction > 0 && d.fraction <= 1);
      for (const v of Object.values(d.sources)) assert.ok(v <= d.value);
    }
    // the worn minutes of a day: distinct local minutes with a sample, counted directly from the store
    const day = dayNumber(addDays(END, -2));
    const minutes = new Set<number>();
    for (const s of store.listSeries({ account: 'alice', metric: 'heart_rate' }))
      for (const x of store.iterateSamples(s, (day - 1) * DAY_MS, (day + 2) * DAY_MS))
        if (localDayAtOffset(x.t, x.offset) === day) minutes.add(Math.floor((x.t + x.offset * 60_000) / 60_000));
    assert.equal(days.find((d) => d.date === addDays(END, -2))?.value, minutes.size);
    assert.equal(body.first, days[0]!.date);
    // range
    const r = await get(`/api/coverage?account=alice&metric=heart_rate&from=${END}&to=${END}`);
    assert.deepEqual(
      (r.body.days as { date: string }[]).map((d) => d.date),
      [END],
    );
    // steps: samples merged per minute; the count is the number of samples the day totals add up
    const steps = await get('/api/coverage?account=alice&metric=steps');
    assert.equal(steps.body.measure, 'samples');
    const sleep = await get('/api/coverage?account=alice&metric=sleep');
    assert.equal(sleep.body.measure, 'sessions');
    assert.ok((sleep.body.days as unknown[]).length >= DAYS - 1);
  });

  test('coverage: the trailing gap of a Takeout-only account is takeout_only', async () => {
    const { body } = await get('/api/coverage?account=alice&metric=heart_rate');
    const gaps = body.gaps as { from: string; to: string; days: number; cause: string; remedy: string }[];
    const last = gaps[gaps.length - 1];
    // the test may run on any date: the trailing gap exists when "yesterday" is after END
    if (last && last.from > END) {
      assert.equal(last.cause, 'takeout_only');
      assert.ok(last.remedy.length > 10);
    }
  });

  test('series: raw when few samples, downsampled with min/max that keep a spike, merged sources', async () => {
    const day = dayNumber(addDays(END, -1));
    const from = day * DAY_MS;
    const to = from + DAY_MS;
    const stored: { t: number; v: number }[] = [];
    for (const s of store.listSeries({ account: 'alice', metric: 'heart_rate' })) for (const x of store.iterateSamples(s, from, to)) stored.push(x);
    assert.equal(store.listSeries({ account: 'alice', metric: 'heart_rate' }).length, 1, 'the generator writes one heart-rate source');
    // two hours raw: the store's samples as they are
    const raw = await get(`/api/series?account=alice&metric=heart_rate&from=${from}&to=${from + 7_200_000}&width=10000`);
    assert.equal(raw.status, 200);
    assert.equal(raw.body.unit, 'bpm');
    assert.equal(raw.body.bucket_ms, 0);
    const inTwo = stored.filter((x) => x.t < from + 7_200_000);
    assert.deepEqual(
      raw.body.t,
      inTwo.map((x) => x.t),
    );
    assert.deepEqual(
      raw.body.max,
      inTwo.map((x) => x.v),
    );
    // the day in 100 buckets: the highest and lowest values survive
    assert.ok(stored.length > 100);
    const down = await get(`/api/series?account=alice&metric=heart_rate&from=${from}&to=${to}&width=100`);
    assert.ok((down.body.bucket_ms as number) >= DAY_MS / 100);
    assert.ok((down.body.t as number[]).length <= 100);
    assert.equal(Math.max(...(down.body.max as number[])), Math.max(...stored.map((x) => x.v)));
    assert.equal(Math.min(...(down.body.min as number[])), Math.min(...stored.map((x) => x.v)));
    // steps merged: the sum of the raw merged series is the day total (src/reconcile/day-totals.ts) of the UTC day's local minutes
    const local = dayNumber(addDays(END, -1));
    const tot = dayTotals(store, 'alice', 'steps', [local], { timezone: TZ })[0]!;
    const lt = await get(`/api/series?account=alice&metric=steps&from=${tot.t}&to=${tot.t + DAY_MS}&width=10000`);
    assert.equal(Math.round((lt.body.mean as number[]).reduce((a, b) => a + b, 0)), Math.round(tot.value));
  });

  test('bad parameters: 400 naming the parameter; unknown account 404', async () => {
    const cases: [string, number, RegExp][] = [
      ['/api/metrics', 400, /^account: required/],
      ['/api/metrics?account=bob', 404, /^account: no account "bob"/],
      ['/api/coverage?account=alice', 400, /^metric: required/],
      ['/api/coverage?account=alice&metric=pulse', 400, /^metric: unknown metric "pulse"/],
      ['/api/coverage?account=alice&metric=steps&from=2026-02-30', 400, /^from: expected a date YYYY-MM-DD/],
      ['/api/coverage?account=alice&metric=steps&from=2026-03-02&to=2026-03-01', 400, /^from: 2026-03-02 is after to/],
      ['/api/series?account=alice&metric=heart_rate&from=x&to=1&width=10', 400, /^from: expected an instant/],
      ['/api/series?account=alice&metric=heart_rate&from=0&to=1000', 400, /^width: required/],
      ['/api/series?account=alice&metric=heart_rate&from=0&to=1000&width=0', 400, /^width: expected a whole number 1\.\.10000/],
      ['/api/series?account=alice&metric=heart_rate&from=1000&to=10&width=5', 400, /^to: must be after from/],
      ['/api/nothing', 404, /^no API/],
    ];
    for (const [path, code, re] of cases) {
      const r = await get(path);
      assert.equal(r.status, code, path);
      assert.match(r.body.error as string, re, path);
    }
  });

  test('a cross-site POST is refused (Origin of another site), a same-site one without the token too', async () => {
    const r = await fetch(`${base}/api/uploads`, { method: 'POST', headers: { origin: 'http://evil.example', 'x-csrf-token': 'x' } });
    assert.equal(r.status, 403);
    assert.match(await r.text(), /cross-site request refused/);
    const r2 = await fetch(`${base}/api/uploads`, { method: 'POST', headers: { origin: base } });
    assert.equal(r2.status, 403);
    assert.match(await r2.text(), /CSRF token/);
  });

  test('trends: the dump summary figures of every day', async () => {
    const { status, body } = await get('/api/trends?account=alice');
    assert.equal(status, 200);
    const days = body.days as {
      date: string;
      steps: number | null;
      resting_hr: number | null;
      asleep_main_min: number | null;
      asleep_naps_min: number | null;
      hrv_rmssd: number | null;
    }[];
    assert.ok(days.length >= DAYS);
    const nums = days.map((d) => dayNumber(d.date));
    const rows = summaryRows(store, 'alice', nums, [metric('steps'), metric('sleep'), metric('resting_heart_rate'), metric('hrv_daily_rmssd')]);
    for (const d of days) {
      const r = rows.get(dayNumber(d.date)) ?? [];
      const v = (f: string): number | null => r.find((x) => x.figure === f)?.value ?? null;
      assert.equal(d.steps, v('steps') === null ? null : Math.round(v('steps')!), d.date);
      assert.equal(d.resting_hr, v('resting_heart_rate'), d.date);
      assert.equal(d.hrv_rmssd, v('hrv_daily_rmssd'), d.date);
      assert.equal(d.asleep_main_min, v('sleep_main_asleep') === null ? null : Math.round(v('sleep_main_asleep')! / 6) / 10, d.date);
    }
    assert.ok(days.some((d) => d.steps !== null && d.steps > 0));
    assert.ok(days.some((d) => d.asleep_main_min !== null && d.asleep_main_min > 60));
    const one = await get(`/api/trends?account=alice&from=${END}&to=${END}`);
    assert.deepEqual(
      (one.body.days as { date: string }[]).map((d) => d.date),
      [END],
    );
  });

  test('sleep: the night ending on a date, stages inside the session, the dump figure of time asleep', async () => {
    const { status, body } = await get(`/api/sleep?account=alice&date=${END}`);
    assert.equal(status, 200);
    const sessions = body.sessions as {
      start: number;
      end: number;
      offset_min: number;
      main: boolean;
      minutes_asleep: number;
      minutes_in_bed: number;
      stages: { start: number; end: number; stage: string }[];
    }[];
    assert.ok(sessions.length >= 1);
    const main = sessions.filter((s) => s.main);
    assert.equal(main.length >= 1, true);
    for (const s of sessions) {
      assert.equal(localDayAtOffset(s.end, s.offset_min), dayNumber(END));
      assert.ok(s.minutes_asleep <= s.minutes_in_bed);
      for (const g of s.stages) {
        assert.ok(g.start >= s.start && g.end <= s.end);
        assert.match(g.stage, /^(awake|light|deep|rem|asleep|restless)$/);
      }
    }
    const fig = summaryRows(store, 'alice', [dayNumber(END)], [metric('sleep')]).get(dayNumber(END))!;
    const asleep = fig.find((r) => r.figure === 'sleep_main_asleep')!.value / 60;
    assert.ok(Math.abs(main.reduce((a, s) => a + s.minutes_asleep, 0) - asleep) < 0.2);
    const bad = await get('/api/sleep?account=alice');
    assert.equal(bad.status, 400);
    assert.match(bad.body.error as string, /^date: required/);
  });

  test('coverage and trends follow new data (the caches are brought up to date from the change sequence)', async () => {
    const before = await get('/api/coverage?account=alice&metric=heart_rate');
    await get('/api/trends?account=alice');
    // two hours of heart rate and a few steps on a new day, three days after the export
    const day = dayNumber(addDays(END, 3));
    const t0 = day * DAY_MS + 12 * 3600_000; // noon UTC: 07:00 or 08:00 in New York, the same local day
    const hr = Array.from({ length: 7200 / 5 }, (_, k) => ({ t: t0 + k * 5000, offset: -240, v: 80 }));
    store.write(() => store.writeSamples({ account: 'alice', metric: 'heart_rate', source: 'Test tracker' }, hr, { exportMs: 1 }));
    store.write(() =>
      store.writeSamples(
        { account: 'alice', metric: 'steps', source: 'Test tracker' },
        [
          { t: t0, offset: -240, v: 30 },
          { t: t0 + 60_000, offset: -240, v: 12 },
        ],
        { exportMs: 1 },
      ),
    );
    const after = await get('/api/coverage?account=alice&metric=heart_rate');
    const days = after.body.days as { date: string; value: number; sources: Record<string, number> }[];
    assert.equal(days.length, (before.body.days as unknown[]).length + 1);
    const fresh = sampleDayFigures(store, 'alice', metric('heart_rate'), null);
    assert.deepEqual(
      days.map((d) => [d.date, d.value, d.sources]),
      [...fresh.entries()].sort((a, b) => a[0] - b[0]).map(([d, f]) => [dateOfDay(d), f.value, f.sources]),
    );
    assert.equal(days.find((d) => d.date === addDays(END, 3))?.value, 120);
    const tr = await get(`/api/trends?account=alice&from=${addDays(END, 3)}`);
    assert.deepEqual(tr.body.days, [{ date: addDays(END, 3), steps: 42, resting_hr: null, asleep_main_min: null, asleep_naps_min: null, hrv_rmssd: null }]);
  });
});
