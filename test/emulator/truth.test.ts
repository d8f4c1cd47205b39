/**
 * The emulator serves the synthetic truth the Takeout renderer writes: per local day and per
 * (metric, device), the emulator's points converted with the registry's `googleHealth.factor`
 * equal `dayTotals` (count, sum, first, last) - so a Takeout import and an API sync of the same
 * days give the same series. Plus: the reconcile rule reproduces the JSON layer's per-minute grid,
 * and the partial current day / `dataLagMs` visibility.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEFAULT_VARIANTS, LOSSY } from '../../src/emulator/health-api.js';
import { MANUAL_SLEEP, dataSourceOf } from '../../src/emulator/health-api/sources.js';
import { sourceLabel } from '../../src/sources/google-health/mapping.js';
import { metric as metricDef, type MetricId } from '../../src/metrics/registry.js';
import { dayTotals, PHONE, TRACKER, type Totals } from '../../src/synthetic/model.js';
import { localToUtc } from '../../src/synthetic/time.js';
import { addDays } from '../../src/time/index.js';
import { allPages, companions, day, dp, FIRST, LAST, pointsOf, startClient, TZ, type Client } from './helpers.js';

const camel = (id: string): string => id.replace(/-([a-z0-9])/g, (_m, x: string) => x.toUpperCase());
const H = 3_600_000;

let c: Client;
before(async () => {
  c = await startClient();
});
after(() => c.close());

interface Got {
  count: number;
  sum: number;
  first: number;
  last: number;
}

function add(m: Map<string, Got>, src: string, t: number, v: number): void {
  const g = m.get(src);
  if (!g) m.set(src, { count: 1, sum: v, first: t, last: t });
  else {
    g.count++;
    g.sum += v;
    g.first = Math.min(g.first, t);
    g.last = Math.max(g.last, t);
  }
}

/** What the emulator serves for one metric on one local day, per device, in the store's unit. */
async function served(metricId: MetricId, date: string): Promise<Map<string, Got>> {
  const def = metricDef(metricId);
  const gh = def.googleHealth;
  assert.ok(gh);
  const f = gh.factor ?? 1;
  const d = day(date);
  const out = new Map<string, Got>();
  const type = gh.dataType;
  const snake = type.replace(/-/g, '_');
  if (gh.rollupOnly) {
    // total-calories, floors: 60 s windows over the local day (rollups carry no device: the tracker's)
    const body = { range: { startTime: new Date(d.start).toISOString(), endTime: new Date(d.end).toISOString() }, windowSize: '60s', pageSize: 10000 };
    const r = await c.post(dp(type, ':rollUp'), body);
    assert.equal(r.status, 200, r.text);
    for (const w of (r.body as { rollupDataPoints?: Record<string, Record<string, unknown>>[] }).rollupDataPoints ?? []) {
      add(out, TRACKER, Date.parse(String(w.startTime)), Number(w[camel(type)]?.[gh.field]) * f);
    }
    return out;
  }
  let filter: string;
  if (def.kind === 'daily') filter = `${snake}.date >= "${date}" AND ${snake}.date < "${addDays(date, 1)}"`;
  else if (type === 'sleep') filter = `sleep.interval.civil_end_time >= "${date}" AND sleep.interval.civil_end_time < "${addDays(date, 1)}"`;
  else if (
    type === 'exercise' ||
    type === 'steps' ||
    type === 'distance' ||
    type === 'altitude' ||
    type === 'active-zone-minutes' ||
    type === 'active-energy-burned'
  ) {
    filter = `${snake}.interval.civil_start_time >= "${date}" AND ${snake}.interval.civil_start_time < "${addDays(date, 1)}"`;
  } else if (type === 'heart-rate-variability' || type === 'oxygen-saturation') {
    // owned by the night that ends on `date`: it starts after 21:30 the evening before
    const iso = (t: number) => new Date(t).toISOString();
    filter = `${snake}.sample_time.physical_time >= "${iso(d.start - 3 * H)}" AND ${snake}.sample_time.physical_time < "${iso(d.end - 3 * H)}"`;
  } else filter = `${snake}.sample_time.civil_time >= "${date}" AND ${snake}.sample_time.civil_time < "${addDays(date, 1)}"`;
  const pts = pointsOf(await allPages(c, dp(type), { filter, pageSize: 10000, prettyPrint: 'false' }));
  for (const p of pts) {
    const src = sourceLabel(p.dataSource); // the name the bridge gives the series
    if (body_(p, type)[gh.field] === 'NaN') continue; // no value (seen live), not stored by the bridge
    const body = p[camel(type)] as Record<string, unknown> & {
      interval?: { startTime: string; endTime: string };
      sampleTime?: { physicalTime: string };
      date?: { year: number; month: number; day: number };
    };
    if (def.kind === 'session') {
      const s = Date.parse(body.interval?.startTime ?? ''),
        e = Date.parse(body.interval?.endTime ?? '');
      add(out, src, s, e - s);
      continue;
    }
    let t: number;
    if (body.date) {
      const ds = `${body.date.year}-${String(body.date.month).padStart(2, '0')}-${String(body.date.day).padStart(2, '0')}`;
      t = localToUtc(TZ, ds, 0); // daily values are stamped at local midnight
    } else t = Date.parse(body.interval?.startTime ?? body.sampleTime?.physicalTime ?? '');
    add(out, src, t, Number(body[gh.field] ?? 0) * f);
  }
  return out;
}

function body_(p: Record<string, unknown>, type: string): Record<string, unknown> {
  return (p[camel(type)] ?? {}) as Record<string, unknown>;
}

/** Per device: the synthetic truth, plus the companion sources' (sources.ts), by the bridge's source names. */
function want(date: string): Record<string, Record<string, Totals>> {
  const out: Record<string, Record<string, Totals>> = {};
  for (const [id, bySource] of Object.entries(dayTotals(day(date)))) {
    out[id] = {};
    for (const [src, t] of Object.entries(bySource)) out[id][sourceLabel(dataSourceOf(src, DEFAULT_VARIANTS))] = t;
  }
  const co = companions(date);
  const add = (id: string, src: string, t: number, v: number): void => {
    const by = (out[id] ??= {});
    const label = sourceLabel(dataSourceOf(src, DEFAULT_VARIANTS));
    const g = by[label];
    if (!g) by[label] = { count: 1, sum: v, first: t, last: t };
    else {
      g.count++;
      g.sum += v;
      g.first = Math.min(g.first, t);
      g.last = Math.max(g.last, t);
    }
  };
  for (const s of co.sleeps) add('sleep', MANUAL_SLEEP, s.start, s.end - s.start);
  return out;
}

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));

test('per day and per (metric, device): count, sum, first, last equal the synthetic truth', async () => {
  const lossy = new Set(LOSSY.map((l) => `${l.dataType}|${l.field}`));
  let compared = 0;
  const metricsSeen = new Set<string>();
  for (let date = FIRST; date <= LAST; date = addDays(date, 1)) {
    const truth = want(date);
    for (const [id, bySource] of Object.entries(truth) as [MetricId, Record<string, Totals>][]) {
      const gh = metricDef(id).googleHealth;
      if (!gh) continue; // hrv_coverage / low / high frequency: no API counterpart
      const got = await served(id, date);
      assert.deepEqual([...got.keys()].sort(), Object.keys(bySource).sort(), `${date} ${id}: devices`);
      for (const [src, want] of Object.entries(bySource)) {
        const g = got.get(src);
        const where = `${date} ${id} / ${src}`;
        assert.ok(g, where);
        assert.equal(g.count, want.count, `${where}: count`);
        const sum = lossy.has(`${gh.dataType}|${gh.field}`) ? Math.round(want.sum) : want.sum;
        assert.ok(close(g.sum, sum), `${where}: sum ${g.sum}, truth ${sum}`);
        assert.equal(g.first, want.first, `${where}: first`);
        assert.equal(g.last, want.last, `${where}: last`);
        compared++;
        metricsSeen.add(id);
      }
    }
  }
  // every API-backed metric of the truth took part (sessions and daily included)
  for (const id of [
    'heart_rate',
    'steps',
    'distance',
    'calories',
    'altitude',
    'floors',
    'active_zone_minutes',
    'hrv_rmssd',
    'hrv_sdnn',
    'spo2',
    'resting_heart_rate',
    'hrv_daily_rmssd',
    'hrv_daily_nremhr',
    'hrv_daily_entropy',
    'spo2_daily_avg',
    'spo2_daily_lower',
    'spo2_daily_upper',
    'respiratory_rate',
    'skin_temperature',
    'sleep',
    'weight',
    'exercise',
  ])
    assert.ok(metricsSeen.has(id), `${id} compared`);
  assert.ok(compared > 80, `compared ${compared} (metric, device, day) series`);
});

test('active energy: the API-only metric is the truth activeEnergy, per minute, in kcal', async () => {
  const d = day('2024-03-09');
  const got = await served('active_energy', '2024-03-09');
  const g = got.get(TRACKER);
  assert.ok(g);
  assert.equal(g.count, d.activeEnergy.t.length);
  // and the companion sources, under the names the bridge gives them
  const co = companions('2024-03-09').activeEnergy;
  assert.deepEqual([...got.keys()].filter((k) => k !== TRACKER).sort(), ['Fitbit (unnamed device)', 'com.xiaomi.wearable', 'xiaomi'].sort());
  assert.equal(
    [...got.entries()].filter(([k]) => k !== TRACKER).reduce((n, [, x]) => n + x.count, 0),
    co.length,
  );
  assert.ok(
    close(
      g.sum,
      d.activeEnergy.v.reduce((a, b) => a + b, 0),
    ),
  );
});

test('reconcile: per minute the tracker if it has a point, else the phone = the JSON layer grid', async () => {
  const d = day('2024-03-09');
  const filter = 'steps.interval.civil_start_time >= "2024-03-09" AND steps.interval.civil_start_time < "2024-03-10"';
  const rec = pointsOf(await allPages(c, dp('steps', ':reconcile'), { filter, pageSize: 10000 }));
  const grid = new Map<number, number>();
  d.minutes.t.forEach((t, i) => {
    if ((d.minutes.steps[i] ?? 0) > 0) grid.set(t, d.minutes.steps[i] as number);
  });
  assert.ok(d.steps.find((s) => s.source === PHONE)?.t.length, 'the day has phone steps (the rule is exercised)');
  assert.equal(rec.length, grid.size);
  for (const p of rec) {
    const s = p.steps as { interval: { startTime: string }; count: string };
    assert.equal(Number(s.count), grid.get(Date.parse(s.interval.startTime)), s.interval.startTime);
  }
  // google-wearables: the tracker only
  const wear = pointsOf(
    await allPages(c, dp('steps', ':reconcile'), { filter, pageSize: 10000, dataSourceFamily: 'users/me/dataSourceFamilies/google-wearables' }),
  );
  assert.equal(wear.length, d.steps.find((s) => s.source === TRACKER)?.t.length);
  assert.equal((await c.get(dp('steps', ':reconcile'), { dataSourceFamily: 'users/me/dataSourceFamilies/nope' })).status, 400);
});

test('rollUp per dataSourceFamily: all sources sum phone and tracker (the reported double count), google-wearables the tracker only', async () => {
  const d = day('2024-03-09');
  const range = { startTime: new Date(d.start).toISOString(), endTime: new Date(d.end).toISOString() };
  const sumOf = (source: string): number => (d.steps.find((s) => s.source === source)?.v ?? []).reduce((a, b) => a + b, 0);
  const tracker = sumOf(TRACKER),
    phone = sumOf(PHONE);
  const trackerMinutes = new Set(d.steps.find((s) => s.source === TRACKER)?.t);
  assert.ok(
    d.steps.find((s) => s.source === PHONE)?.t.some((t) => trackerMinutes.has(t)),
    'the day has minutes both the phone and the tracker counted (the double count is exercised)',
  );
  const day1 = async (family?: string): Promise<unknown> => {
    const r = await c.post(dp('steps', ':rollUp'), { range, windowSize: '86400s', ...(family ? { dataSourceFamily: family } : {}) });
    assert.equal(r.status, 200, r.text);
    return (r.body as { rollupDataPoints: { steps: unknown }[] }).rollupDataPoints.map((w) => w.steps);
  };
  assert.deepEqual(await day1(), [{ countSum: String(tracker + phone) }], 'default: every source summed');
  assert.deepEqual(await day1('users/me/dataSourceFamilies/all-sources'), [{ countSum: String(tracker + phone) }]);
  assert.deepEqual(await day1('users/me/dataSourceFamilies/google-sources'), [{ countSum: String(tracker + phone) }], 'both are first-party sources');
  assert.deepEqual(await day1('users/me/dataSourceFamilies/google-wearables'), [{ countSum: String(tracker) }]);
  // dailyRollUp likewise
  const daily = async (family?: string): Promise<unknown> => {
    const [y, m, dd] = '2024-03-09'.split('-').map(Number);
    const r = await c.post(dp('steps', ':dailyRollUp'), {
      range: { start: { date: { year: y, month: m, day: dd } }, end: { date: { year: y, month: m, day: (dd ?? 0) + 1 } } },
      ...(family ? { dataSourceFamily: family } : {}),
    });
    assert.equal(r.status, 200, r.text);
    return (r.body as { rollupDataPoints: { steps: unknown }[] }).rollupDataPoints.map((w) => w.steps);
  };
  assert.deepEqual(await daily(), [{ countSum: String(tracker + phone) }]);
  assert.deepEqual(await daily('users/me/dataSourceFamilies/google-wearables'), [{ countSum: String(tracker) }]);
  const bad = await c.post(dp('steps', ':rollUp'), { range, windowSize: '60s', dataSourceFamily: 'users/me/dataSourceFamilies/phones' });
  assert.equal(bad.status, 400);
});

test('the current day is served up to now; dataLagMs hides the newest points', async () => {
  const d = day(LAST);
  const now = d.start + 15 * H + 123_456;
  for (const lag of [0, 2 * H]) {
    const p = await startClient({ clock: () => now, dataLagMs: lag, accessTokenLifetimeSec: 86_400 });
    try {
      const steps = pointsOf(await allPages(p, dp('steps'), { filter: `steps.interval.civil_start_time >= "${LAST}"`, pageSize: 10000 }));
      const hr = pointsOf(await allPages(p, dp('heart-rate'), { filter: `heart_rate.sample_time.civil_time >= "${LAST}"`, pageSize: 10000 }));
      const wantSteps = dayTotals(d, now - lag - 60_000 + 1).steps ?? {};
      const wantHr = dayTotals(d, now - lag + 1).heart_rate?.[TRACKER];
      assert.equal(
        steps.length,
        Object.values(wantSteps).reduce((n, t) => n + t.count, 0),
        `steps, lag ${lag}`,
      );
      assert.equal(hr.length, wantHr?.count, `heart rate, lag ${lag}`);
      const newest = Date.parse((hr[0]?.heartRate as { sampleTime: { physicalTime: string } }).sampleTime.physicalTime);
      assert.ok(newest <= now - lag && newest > now - lag - 60_000, 'the newest sample is just before now - lag');
      // tonight's resting heart rate does not exist yet
      assert.deepEqual((await p.get(dp('daily-resting-heart-rate'), { filter: `daily_resting_heart_rate.date >= "${LAST}"` })).body, {});
      // later: the lagged points arrive (late data after a phone sync)
      p.emu.advanceClock(lag + 1);
      const later = pointsOf(await allPages(p, dp('heart-rate'), { filter: `heart_rate.sample_time.civil_time >= "${LAST}"`, pageSize: 10000 }));
      assert.equal(later.length, dayTotals(d, now + 2).heart_rate?.[TRACKER]?.count);
    } finally {
      await p.close();
    }
  }
});
