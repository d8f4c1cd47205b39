// bench/sync: what a backfill of one year of history costs against the emulator, in one run.
//   - ours: `syncAccount` mode "all" (backfill + incremental) into a fresh store, the client's
//     quota limiter off (the emulator's quota raised), so the wall time is the work, not the wait;
//     reported: requests, requests per day of history, wall time, and the time the same requests
//     take at Google's 300 requests per user per minute.
//   - baseline: what a straightforward client spends on the same data: one dataPoints.list per
//     data type and local day with the API's default page size (heart-rate: 50, observed live;
//     others 1440; sleep and exercise 25), paging until done — counted from the same synthetic
//     truth, not sent.
// Then the steady state (steady.ts): one day of `run`'s default schedule, requests per account per
// day, the peak RSS of a recent pass and the data lag against the targets, and the old behaviour
// in the same run. It runs the passes with the built code: `npm run build` first (--build does it).
// usage: node --import tsx bench/sync/run.ts [--days 365] [--only backfill|steady] [--lag-minutes 0] [--untuned] [--build]
//   --untuned: the steady passes without the Docker image's memory settings (NODE_OPTIONS, MALLOC_*)
// Writes bench/out/sync-results.json (and sync-steady.json) and prints tables. Not part of `npm test`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TokenManager, tokenSetFromResponse } from '../../src/auth/oauth-client.js';
import { configSchema } from '../../src/config/schema.js';
import { startGoogleEmulator } from '../../src/emulator/index.js';
import { HealthClient } from '../../src/sources/google-health/client.js';
import { DATA_TYPES } from '../../src/sources/google-health/datatypes.js';
import { syncAccount } from '../../src/sources/google-health/sync.js';
import { openStore } from '../../src/store/store.js';
import { syntheticDay } from '../../src/synthetic/index.js';
import { addDays } from '../../src/time/index.js';
import { runSteady } from './steady.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const i = process.argv.indexOf('--days');
const days = i > 0 ? Number(process.argv[i + 1]) : 365;
const o = process.argv.indexOf('--only');
const only = o > 0 ? process.argv[o + 1] : null;
const l = process.argv.indexOf('--lag-minutes');
const lagMinutes = l > 0 ? Number(process.argv[l + 1]) : 0;
const untuned = process.argv.includes('--untuned');
const TZ = 'America/New_York';
const SEED = 11;
const LAST = '2026-04-30';
const FIRST = addDays(LAST, -(days - 1));
const NOW = Date.UTC(2026, 4, 1, 16, 0, 0); // the afternoon after the last day
const out = join(root, 'bench', 'out');
mkdirSync(out, { recursive: true });
const work = join(out, `sync-${days}d`);
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

if (only !== 'steady') {
  console.log(`bench/sync: ${days} days (${FIRST} … ${LAST}), ${TZ}`);
  const emu = await startGoogleEmulator({ seed: SEED, timezone: TZ, firstDay: FIRST, lastDay: LAST, quotaPerMinute: 1_000_000, clock: () => NOW });
  const tm = new TokenManager({
    account: 'bench',
    dir: join(work, 'tokens'),
    tokenEndpoint: emu.tokenEndpoint,
    clientId: emu.clientId,
    clientSecret: emu.clientSecret,
  });
  await tm.save(tokenSetFromResponse(emu.issueTokens(), Date.now()));
  const client = new HealthClient({ baseUrl: emu.apiBaseUrl, getAccessToken: (o) => tm.getAccessToken(o), quotaPerMinute: 1_000_000 });
  const store = openStore(join(work, 'store.db'));
  const sync = { ...configSchema.parse({}).sync, backfill_days: days + 30 };

  const t0 = performance.now();
  const report = await syncAccount({ store, client, account: 'bench', timezone: TZ, mode: 'all', config: sync, now: () => NOW });
  const wall = (performance.now() - t0) / 1000;
  await client.close();
  await emu.close();
  const samples = store.listSeries().reduce((a, s) => a + s.count, 0);
  const bytes = store.diskBytes();
  store.close();

  // the baseline's request count, from the same truth
  const pageSize: Record<string, number> = { 'heart-rate': 50, sleep: 25, exercise: 25 };
  let baseline = 0;
  for (let d = 0; d < days; d++) {
    const day = syntheticDay({ seed: SEED, timezone: TZ, date: addDays(FIRST, d) });
    const n: Record<string, number> = {
      'heart-rate': day.heartRate.t.length,
      steps: day.steps.reduce((a, s) => a + s.t.length, 0),
      distance: day.distance.reduce((a, s) => a + s.t.length, 0),
      altitude: day.altitude.reduce((a, s) => a + s.t.length, 0),
      'active-energy-burned': day.activeEnergy.t.length,
      'active-zone-minutes': day.activeZoneMinutes.length,
      'heart-rate-variability': day.hrv.length,
      'oxygen-saturation': day.spo2.t.length,
      sleep: day.sleeps.length,
      exercise: day.exercises.length,
      weight: day.weights.length,
    };
    for (const t of DATA_TYPES) {
      const pts = n[t.id] ?? 1; // daily types and rollUps: one request a day
      baseline += Math.max(1, Math.ceil(pts / (pageSize[t.id] ?? 1440)));
    }
  }

  const res = {
    days,
    samples,
    requests: report.requests,
    pages: report.pages,
    requestsPerDay: report.requests / days,
    wallSeconds: wall,
    minutesAt300PerMinute: report.requests / 300,
    baselineRequests: baseline,
    baselineMinutesAt300PerMinute: baseline / 300,
    ratio: baseline / report.requests,
    storeBytes: bytes,
    types: Object.fromEntries(Object.entries(report.types).map(([k, v]) => [k, v.requests])),
  };
  writeFileSync(join(out, 'sync-results.json'), `${JSON.stringify(res, null, 2)}\n`);
  console.log(`
| | requests | per day of history | at 300/min | wall time here |
|---|---:|---:|---:|---:|
| ours (syncAccount, mode all) | ${res.requests} | ${res.requestsPerDay.toFixed(2)} | ${res.minutesAt300PerMinute.toFixed(1)} min | ${wall.toFixed(1)} s |
| baseline (one list per type and day, default page sizes) | ${baseline} | ${(baseline / days).toFixed(1)} | ${(baseline / 300).toFixed(0)} min | (not sent) |

ratio baseline / ours: ${res.ratio.toFixed(1)}×; ${samples.toLocaleString('en')} samples stored, store ${(bytes / 2 ** 20).toFixed(1)} MiB (raw pages included)
per type: ${Object.entries(res.types)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}`);
}

if (only !== 'backfill') {
  if (!existsSync(join(root, 'dist', 'sources', 'google-health', 'sync.js')) || process.argv.includes('--build')) {
    const bl = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
    if (bl.status !== 0) throw new Error('npm run build failed');
  }
  const st = await runSteady({ root, work: join(out, 'sync-steady'), lagMs: lagMinutes * 60_000, untuned });
  const envText = Object.entries(st.env)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  console.log(
    `\nbench/sync steady state: one day of the default schedule, emulator lag ${lagMinutes} min, passes run with ${envText || 'no memory settings (--untuned)'}`,
  );
  writeFileSync(join(out, 'sync-steady.json'), `${JSON.stringify(st, null, 2)}\n`);
  const mb = (b: number): string => `${(b / 1e6).toFixed(0)} MB`;
  const min = (ms: number): string => `${(ms / 60_000).toFixed(1)} min`;
  const ok = (good: boolean): string => (good ? 'met' : 'NOT met');
  console.log(`
| | measured | target | |
|---|---:|---:|---|
| requests per account per day | ${st.requestsPerDay} | ≤ 500 | ${ok(st.requestsPerDay <= 500)} |
| peak RSS of a recent pass (max of ${st.byJob.recent?.passes} / median) | ${mb(st.recentPeakRssBytes)} / ${mb(st.recentMedianPeakRssBytes)} | < 120 MB | ${ok(st.recentPeakRssBytes < 120e6)} |
| newest minute the API serves − newest minute stored, just before a recent pass (max) | ${min(st.behindBeforeMaxMs)} | ≤ 10 min | ${ok(st.behindBeforeMaxMs <= 600_000)} |
| the same right after a recent pass (max) | ${min(st.behindMaxMs)} | | |
| age of the newest minute stored, just before a recent pass (median / max) | ${min(st.lagBeforeMedianMs)} / ${min(st.lagBeforeMaxMs)} | | (the max includes gaps in the data: nothing newer existed) |

per job: ${Object.entries(st.byJob)
    .map(([k, v]) => `${k} ${v.passes} passes, ${v.requests} requests`)
    .join('; ')}; peak RSS of a daily pass ${mb(st.dailyPeakRssBytes)}
old behaviour (same store, same run): recent pass ${st.old.recentRequests} requests (peak RSS ${mb(st.old.recentPeakRssBytes)}), daily pass ${st.old.dailyRequests}: 288 × ${st.old.recentRequests} + 24 × ${st.old.dailyRequests} = ${st.old.requestsPerDay} requests per day
ratio old / new: requests per day ${(st.old.requestsPerDay / st.requestsPerDay).toFixed(1)}×, recent pass peak RSS ${(st.old.recentPeakRssBytes / st.recentPeakRssBytes).toFixed(2)}×`);
}
