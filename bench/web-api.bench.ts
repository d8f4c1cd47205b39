/**
 * The web UI's JSON API (src/web/api/) against its budgets (issue 12): a day of 40,000 heart-rate
 * samples answers GET /api/series in < 300 ms server time; three years of daily coverage
 * (GET /api/coverage) and trends (GET /api/trends) in < 500 ms.
 *
 * Builds a store of three years (default 1096 local days, Europe/Berlin) written directly:
 * heart rate every 5 s for 16 h a day from a tracker (11,520 samples a day) and, on the last day,
 * 40,000 samples plus 5,000 of a second source (so /api/series merges two sources); steps per
 * minute from the tracker and the phone; a daily resting heart rate and HRV; a night of sleep with
 * stages. Then serves the API on a real HTTP server in this process and times each request on
 * loopback (the whole round trip: server time plus a local transfer), median and max of --runs:
 * - series: the 40,000-sample day at width 1000 and 10000 (the day view), and the whole history
 *   of heart rate at width 1500;
 * - coverage: heart rate, three years — the first request (decodes every block once) and the next
 *   ones (the cache, unchanged store), and after one new day is written (the cache brought up to
 *   date from the change sequence);
 * - trends: three years, first request and after one new day (the answer is cached while the
 *   store is unchanged, so an unchanged repeat is not a measurement of the work).
 * Baselines measured in the same run, the naive way: series = every sample of the day of every
 * source read with readDay and sent as JSON objects; coverage = per local day, the three UTC day
 * blocks around it read again with readDay and the minutes counted with a Set; trends = the dump
 * summary of each day computed on its own.
 *
 *   node --import tsx bench/web-api.bench.ts [--days 1096] [--runs 7] [--keep <store.db>]
 *
 * --keep: build the store at that path and keep it (a later run with the same path reuses it).
 * --dist: run the compiled code (dist/, `npm run build` first) as `fitbit-bridge run` does; the
 * default runs the sources through tsx, where every imported binding read in a hot loop costs more.
 * Each time is the loopback round trip (wall) and the CPU time this process used for it (server
 * and client; on a busy machine the wall time includes waiting for a core).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExtensionContext } from '../src/run/extension.js';
import type { Sample, SessionSegment, SleepStage, Store } from '../src/store/types.js';
import { mulberry32 } from '../src/synthetic/prng.js';

/** --dist: the compiled code (npm run build) as `fitbit-bridge run` runs it; default the sources (tsx). */
const DIST = process.argv.includes('--dist');
const root = DIST ? '../dist' : '../src';
const { loadConfig } = (await import(`${root}/config/load.js`)) as typeof import('../src/config/load.js');
const { metric } = (await import(`${root}/metrics/registry.js`)) as typeof import('../src/metrics/registry.js');
const { AccountBook } = (await import(`${root}/run/accounts.js`)) as typeof import('../src/run/accounts.js');
const { BridgeEvents } = (await import(`${root}/run/extension.js`)) as typeof import('../src/run/extension.js');
const { BridgeHttpServer } = (await import(`${root}/run/http.js`)) as typeof import('../src/run/http.js');
const { StoreFollower } = (await import(`${root}/run/store-follower.js`)) as typeof import('../src/run/store-follower.js');
const { summaryRows } = (await import(`${root}/sinks/dump/summary.js`)) as typeof import('../src/sinks/dump/summary.js');
const { openStore } = (await import(`${root}/store/store.js`)) as typeof import('../src/store/store.js');
const { dateOfDay, DAY_MS, dayNumber, localDayAtOffset, MINUTE_MS, zoneNamed } = (await import(
  `${root}/time/index.js`
)) as typeof import('../src/time/index.js');
const { silentLogger } = (await import(`${root}/util/log.js`)) as typeof import('../src/util/log.js');
const { mountApi } = (await import(`${root}/web/api/index.js`)) as typeof import('../src/web/api/index.js');

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const DAYS = arg('days', 1096);
const keepAt = process.argv.indexOf('--keep');
const KEEP = keepAt >= 0 ? process.argv[keepAt + 1]! : null;
const RUNS = arg('runs', 7);
const TZ = 'Europe/Berlin';
const LAST = '2026-03-31';
const ACCOUNT = 'bench';
const TRACKER = 'Charge 6';
const PHONE = 'Fitbit App';

function build(store: Store): { samples: number; lastMidnight: number } {
  const zone = zoneNamed(TZ);
  const r = mulberry32(42);
  const lastDay = dayNumber(LAST);
  let samples = 0;
  let lastMidnight = 0;
  const write = (source: string, m: 'heart_rate' | 'steps' | 'resting_heart_rate' | 'hrv_daily_rmssd', s: Sample[]): void => {
    store.writeSamples({ account: ACCOUNT, metric: m, source }, s, { exportMs: 1 });
    samples += s.length;
  };
  store.setAccount({ name: ACCOUNT, profileId: null, timezone: TZ });
  for (let day = lastDay - DAYS + 1; day <= lastDay; day += 30) {
    store.write(() => {
      for (let d = day; d < Math.min(day + 30, lastDay + 1); d++) {
        const midnight = zone.midnightOfDate(dateOfDay(d));
        lastMidnight = midnight;
        const at = (ms: number): Sample => ({ t: midnight + ms, offset: zone.offsetAt(midnight + ms), v: 0 });
        const hr: Sample[] = [];
        if (d === lastDay) {
          // the day view's worst case: 40,000 samples (one every 2.16 s)
          for (let k = 0; k < 40_000; k++) hr.push({ ...at(k * 2160), v: 55 + Math.round(r() * 60) });
          const other: Sample[] = [];
          for (let k = 0; k < 5000; k++) other.push({ ...at(k * 17_280 + 1000), v: 60 + Math.round(r() * 40) });
          write(PHONE, 'heart_rate', other);
        } else {
          // worn 16 h: every 5 s from 06:00
          for (let k = 0; k < 11_520; k++) hr.push({ ...at(6 * 3600_000 + k * 5000), v: 55 + Math.round(r() * 50) });
        }
        write(TRACKER, 'heart_rate', hr);
        const steps: Sample[] = [];
        const phone: Sample[] = [];
        for (let m = 7 * 60; m < 21 * 60; m++) {
          if (r() < 0.5) steps.push({ ...at(m * MINUTE_MS), v: Math.round(r() * 100) });
          if (r() < 0.1) phone.push({ ...at(m * MINUTE_MS), v: Math.round(r() * 80) });
        }
        write(TRACKER, 'steps', steps);
        write(PHONE, 'steps', phone);
        write(TRACKER, 'resting_heart_rate', [{ ...at(0), v: 55 + Math.round(r() * 8) }]);
        write(TRACKER, 'hrv_daily_rmssd', [{ ...at(0), v: 30 + Math.round(r() * 300) / 10 }]);
        // the night that ends this morning: 23:00 → 07:00 with stages
        const start = midnight - 3600_000;
        const segments: SessionSegment[] = [];
        const stages: SleepStage[] = ['light', 'deep', 'light', 'rem', 'wake', 'light', 'deep', 'rem'];
        for (let k = 0; k < 8; k++) segments.push({ start: start + k * 3600_000, end: start + (k + 1) * 3600_000, stage: stages[k]! });
        store.upsertSession({
          account: ACCOUNT,
          kind: 'sleep',
          source: TRACKER,
          layer: 'takeout-csv',
          start,
          startOffset: zone.offsetAt(start),
          end: start + 8 * 3600_000,
          endOffset: zone.offsetAt(start + 8 * 3600_000),
          mainSleep: true,
          version: 'sleep_session_v2',
          segments,
          details: {},
        });
      }
    });
  }
  return { samples, lastMidnight };
}

function stats(ms: number[]): { median: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, max: s[s.length - 1]! };
}

interface Timing {
  median: number;
  max: number;
  cpu: number;
  bytes?: number;
}

async function timed(url: string): Promise<{ ms: number; cpu: number; bytes: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  // a keep-alive connection the server closed while the bench computed a baseline: one new try
  const r = await fetch(url).catch(() => fetch(url));
  const body = await r.arrayBuffer();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  if (r.status !== 200) throw new Error(`${url}: ${r.status} ${Buffer.from(body).toString()}`);
  return { ms, cpu: (c.user + c.system) / 1000, bytes: body.byteLength };
}

async function once(url: string): Promise<Timing> {
  const x = await timed(url);
  return { median: x.ms, max: x.ms, cpu: x.cpu, bytes: x.bytes };
}

async function runs(url: string, n = RUNS): Promise<Timing> {
  const ms: number[] = [];
  const cpu: number[] = [];
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const x = await timed(url);
    ms.push(x.ms);
    cpu.push(x.cpu);
    bytes = x.bytes;
  }
  return { ...stats(ms), cpu: stats(cpu).median, bytes };
}

function time<T>(fn: () => T, n = RUNS): Timing & { out: T } {
  const ms: number[] = [];
  const cpu: number[] = [];
  let out!: T;
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    out = fn();
    ms.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { ...stats(ms), cpu: stats(cpu).median, out };
}

/** Naive day read: every sample of every source of the metric, as JSON objects. */
function naiveSeries(store: Store, from: number, to: number): string {
  const out: { t: number; v: number; source: string }[] = [];
  for (const s of store.listSeries({ account: ACCOUNT, metric: 'heart_rate' }))
    for (let d = Math.floor(from / DAY_MS); d * DAY_MS < to; d++)
      for (const x of store.readDay(s, d)) if (x.t >= from && x.t < to) out.push({ t: x.t, v: x.v, source: s.source });
  return JSON.stringify(out);
}

/** Naive coverage: per local day its three UTC blocks read again, minutes counted in a Set. */
function naiveCoverage(store: Store): string {
  const series = store.listSeries({ account: ACCOUNT, metric: 'heart_rate' });
  const days = new Set<number>();
  for (const s of series) for (const d of store.days(s)) days.add(d);
  const out: { date: string; value: number }[] = [];
  for (const day of [...days].sort((a, b) => a - b)) {
    const minutes = new Set<number>();
    for (const s of series)
      for (let d = day - 1; d <= day + 1; d++)
        for (const x of store.readDay(s, d)) if (localDayAtOffset(x.t, x.offset) === day) minutes.add(Math.floor((x.t + x.offset * MINUTE_MS) / MINUTE_MS));
    if (minutes.size > 0) out.push({ date: dateOfDay(day), value: minutes.size });
  }
  return JSON.stringify(out);
}

/** Naive trends: the dump summary of each day on its own. */
function naiveTrends(store: Store, lo: number, hi: number): string {
  const defs = [metric('steps'), metric('sleep'), metric('resting_heart_rate'), metric('hrv_daily_rmssd')];
  const out = [];
  for (let d = lo; d <= hi; d++) out.push(summaryRows(store, ACCOUNT, [d], defs).get(d) ?? []);
  return JSON.stringify(out);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fb-bench-webapi-'));
  try {
    const dbPath = KEEP ?? join(dir, 'store.db');
    const reuse = KEEP !== null && existsSync(KEEP);
    const store = openStore(dbPath);
    const t0 = performance.now();
    const { samples, lastMidnight } = reuse ? { samples: 0, lastMidnight: zoneNamed(TZ).midnightOfDate(LAST) } : build(store);
    if (reuse) console.log(`store: reusing ${KEEP}`);
    else console.log(`store: ${DAYS} days, ${samples.toLocaleString('en-US')} samples written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const file = join(dir, 'empty.yaml');
    writeFileSync(file, '');
    const config = loadConfig({
      file,
      overrides: { 'store.path': dbPath },
      env: { FITBIT_BRIDGE_ACCOUNTS__0__NAME: ACCOUNT, FITBIT_BRIDGE_ACCOUNTS__0__TIMEZONE: TZ },
    });
    const server = new BridgeHttpServer({ bind: '127.0.0.1', port: 0, logger: silentLogger() });
    const logger = silentLogger();
    const events = new BridgeEvents();
    const follower = new StoreFollower({ store, logger, events });
    const book = new AccountBook([ACCOUNT]);
    const ctx: ExtensionContext = {
      config,
      store,
      logger,
      events,
      version: 'bench',
      http: server,
      accounts: () => book.list(),
      accountBook: book,
      follower,
      sinks: () => [],
    };
    // no background warm-up: the first requests below measure the whole computation
    const stopApi = mountApi(ctx, { prewarmMs: null });
    const base = await server.listen();
    const api = `${base}/api`;
    const rows: [string, string, string, string, string][] = [];
    const row = (what: string, r: Timing, budget: string): void => {
      rows.push([
        what,
        `${r.median.toFixed(1)} / ${r.max.toFixed(1)}`,
        r.cpu.toFixed(1),
        r.bytes !== undefined ? `${(r.bytes / 1024).toFixed(0)} KiB` : '',
        budget,
      ]);
    };

    // ---- series: the 40,000-sample day ----------------------------------------------------------
    const from = lastMidnight;
    const to = lastMidnight + DAY_MS;
    const q = (w: number): string => `${api}/series?account=${ACCOUNT}&metric=heart_rate&from=${from}&to=${to}&width=${w}`;
    row('series, day of 40,000 + 5,000 HR samples, width 1000: first request', await once(q(1000)), '< 300 ms');
    row('series, same day, width 1000', await runs(q(1000)), '< 300 ms');
    row('series, same day, width 10000', await runs(q(10000)), '< 300 ms');
    const ns = time(() => naiveSeries(store, from, to));
    row('  baseline: readDay every sample of both sources → JSON objects', { ...ns, bytes: ns.out.length }, '');
    const all = `${api}/series?account=${ACCOUNT}&metric=heart_rate&from=${from - (DAYS - 1) * DAY_MS}&to=${to}&width=1500`;
    row(`series, the whole history of HR (${DAYS} days), width 1500`, await runs(all, 3), '');

    // ---- coverage: three years -------------------------------------------------------------------
    const cov = `${api}/coverage?account=${ACCOUNT}&metric=heart_rate`;
    row(`coverage HR, ${DAYS} days: first request (every block decoded once)`, await once(cov), '< 500 ms');
    row(`coverage HR, ${DAYS} days: again, store unchanged`, await runs(cov), '< 500 ms');
    const addDay = (k: number): void => {
      const t = lastMidnight + (k + 1) * DAY_MS + 8 * 3600_000;
      const s: Sample[] = [];
      for (let i = 0; i < 11_520; i++) s.push({ t: t + i * 5000, offset: 120, v: 70 });
      store.write(() => store.writeSamples({ account: ACCOUNT, metric: 'heart_rate', source: TRACKER }, s, { exportMs: 1 }));
      store.write(() => store.writeSamples({ account: ACCOUNT, metric: 'steps', source: TRACKER }, [{ t, offset: 120, v: 10 }], { exportMs: 1 }));
    };
    const after: number[] = [];
    const afterCpu: number[] = [];
    for (let k = 0; k < RUNS; k++) {
      addDay(k);
      const x = await timed(cov);
      after.push(x.ms);
      afterCpu.push(x.cpu);
    }
    row(`coverage HR, ${DAYS} days: after a new day was written`, { ...stats(after), cpu: stats(afterCpu).median }, '< 500 ms');
    const nc = time(() => naiveCoverage(store), 1);
    row('  baseline: per local day its 3 UTC blocks read again, minutes in a Set', { ...nc, bytes: nc.out.length }, '');
    row(`coverage steps (2 sources merged), ${DAYS} days: first request`, await once(`${api}/coverage?account=${ACCOUNT}&metric=steps`), '< 500 ms');

    // ---- trends: three years ---------------------------------------------------------------------
    const tr = `${api}/trends?account=${ACCOUNT}`;
    row(`trends, ${DAYS} days: first request`, await once(tr), '< 500 ms');
    row(`trends, ${DAYS} days: again, store unchanged`, await runs(tr), '< 500 ms');
    const tAfter: number[] = [];
    const tCpu: number[] = [];
    for (let k = RUNS; k < RUNS * 2; k++) {
      addDay(k);
      const x = await timed(tr);
      tAfter.push(x.ms);
      tCpu.push(x.cpu);
    }
    row(`trends, ${DAYS} days: after a new day was written`, { ...stats(tAfter), cpu: stats(tCpu).median }, '< 500 ms');
    const lastDay = dayNumber(LAST);
    const nt = time(() => naiveTrends(store, lastDay - DAYS + 1, lastDay), 1);
    row('  baseline: the dump summary of each day computed on its own', { ...nt, bytes: nt.out.length }, '');

    row('status (first: doctor local checks run)', await once(`${api}/status`), '');
    row('status again', await runs(`${api}/status`), '');

    const w = [Math.max(...rows.map((r) => r[0].length)), 15, 6, 9];
    console.log(`\n${'request'.padEnd(w[0]!)}  ${'wall ms med/max'.padStart(w[1]!)}  ${'cpu ms'.padStart(w[2]!)}  ${'answer'.padStart(w[3]!)}  budget`);
    for (const r of rows) console.log(`${r[0].padEnd(w[0]!)}  ${r[1].padStart(w[1]!)}  ${r[2].padStart(w[2]!)}  ${r[3].padStart(w[3]!)}  ${r[4]}`);
    console.log(
      `\n${DIST ? 'dist/ (compiled)' : 'sources (tsx)'}, Node ${process.version}, ${RUNS} runs each (first requests and baselines once); wall = loopback round trip, cpu = this process's CPU time for it (median)`,
    );
    await stopApi();
    await server.close();
    await follower.stop();
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
