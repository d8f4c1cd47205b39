// bench/sync, steady state: one day of `fitbit-bridge run`'s default schedule against the emulator,
// on an injected clock (the emulator serves the current day up to that clock), for one account
// whose backfill is done (a week of history). Every pass runs as `run` runs it (plan.ts
// scheduledTypes; the recent pass without the late-data re-read) in a child process of its own
// (bench/sync/pass.mjs, the built code in dist/), which reports its peak RSS. Measured:
//   - requests per account per day (every pass of the day: recent, daily, backfill);
//   - the peak RSS of a recent pass (max over the day's recent passes), and of a daily pass;
//   - data lag: now − the newest minute in the store, right after each recent pass and just before
//     the next one (the worst a consumer sees);
//   - the old behaviour on the same store in the same run (every intraday type re-read over
//     sync.overlap_hours, whole days, on every recent pass; the daily pass hourly):
//     288 × its recent pass + 24 × its daily pass.
// Cron expressions are evaluated in UTC (the counts do not depend on the zone).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TokenManager, tokenSetFromResponse } from '../../src/auth/oauth-client.js';
import { configSchema, type Config } from '../../src/config/schema.js';
import { startGoogleEmulator } from '../../src/emulator/index.js';
import { HealthClient } from '../../src/sources/google-health/client.js';
import { scheduledTypes } from '../../src/sources/google-health/plan.js';
import { syncAccount } from '../../src/sources/google-health/sync.js';
import { openStore } from '../../src/store/store.js';
import { Zone, addDays } from '../../src/time/index.js';

export interface SteadyOptions {
  root: string;
  work: string;
  /** Emulator data lag (ms): points become visible this long after they happen. */
  lagMs: number;
  /** Run the passes without the image's memory settings (NODE_OPTIONS, MALLOC_*), as a bare `npm` install does. */
  untuned?: boolean;
}

/**
 * The memory settings the Docker image and the add-on run the bridge with: the Dockerfile's `ENV`
 * values of NODE_OPTIONS and MALLOC_* (read from the Dockerfile, so the bench follows it).
 */
export function imageMemoryEnv(root: string): Record<string, string> {
  const text = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^\s*(?:ENV\s+)?(NODE_OPTIONS|MALLOC_[A-Z_]+)=(\S+?)\s*\\?$/gm)) out[m[1]!] = m[2]!;
  if (out.NODE_OPTIONS === undefined) throw new Error('Dockerfile: no NODE_OPTIONS in its ENV');
  return out;
}

export interface PassResult {
  requests: number;
  added: number;
  maxRssBytes: number;
  vmHwmBytes: number | null;
  types: Record<string, number>;
}

export interface SteadyResult {
  requestsPerDay: number;
  byJob: Record<string, { passes: number; requests: number }>;
  recentPeakRssBytes: number;
  recentMedianPeakRssBytes: number;
  dailyPeakRssBytes: number;
  lagAfterMaxMs: number;
  lagBeforeMaxMs: number;
  lagBeforeMedianMs: number;
  /** The newest heart-rate point served minus the newest minute stored, just before a recent pass: what the store lags behind what exists (the target). */
  behindBeforeMaxMs: number;
  /** The passes' environment beyond the parent's: the image's memory settings, or none (untuned). */
  env: Record<string, string>;
  /** The newest heart-rate point served minus the newest minute stored, right after a recent pass (0: nothing missing). */
  behindMaxMs: number;
  recentPasses: { at: string; requests: number; maxRssBytes: number }[];
  old: { recentRequests: number; dailyRequests: number; requestsPerDay: number; recentPeakRssBytes: number };
  schedule: Config['schedule'];
  sync: Config['sync'];
}

const TZ = 'America/New_York';
const SEED = 11;
const DAY = '2026-04-30';
const MIN = 60_000;

/** Does a 5-field cron expression (numbers, `*`, `*\/n`, `a-b`, lists) match the UTC minute `t`? */
export function cronMatches(expr: string, t: number): boolean {
  const d = new Date(t);
  const vals = [d.getUTCMinutes(), d.getUTCHours(), d.getUTCDate(), d.getUTCMonth() + 1, d.getUTCDay()];
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) throw new Error(`bench: only 5-field cron expressions: ${expr}`);
  return fields.every((f, i) =>
    f.split(',').some((part) => {
      const [range, stepText] = part.split('/') as [string, string | undefined];
      const step = stepText === undefined ? 1 : Number(stepText);
      const v = vals[i] as number;
      if (range === '*') return v % step === 0;
      const [a, b] = range.split('-').map(Number) as [number, number | undefined];
      const hi = b ?? (stepText === undefined ? a : Infinity);
      return v >= a && v <= hi && (v - a) % step === 0;
    }),
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor((s.length - 1) / 2)] as number) : 0;
}

export async function runSteady(o: SteadyOptions): Promise<SteadyResult> {
  rmSync(o.work, { recursive: true, force: true });
  mkdirSync(o.work, { recursive: true });
  const zone = new Zone(TZ);
  const start = zone.midnightOfDate(DAY);
  let now = start;
  const emu = await startGoogleEmulator({
    seed: SEED,
    timezone: TZ,
    firstDay: addDays(DAY, -7),
    lastDay: addDays(DAY, 1),
    quotaPerMinute: 1_000_000,
    dataLagMs: o.lagMs,
    clock: () => now,
  });
  const tokenDir = join(o.work, 'tokens');
  const tm = new TokenManager({ account: 'bench', dir: tokenDir, tokenEndpoint: emu.tokenEndpoint, clientId: emu.clientId, clientSecret: emu.clientSecret });
  await tm.save(tokenSetFromResponse(emu.issueTokens(), Date.now()));
  const db = join(o.work, 'store.db');
  const defaults = configSchema.parse({});
  const sync: Config['sync'] = { ...defaults.sync, backfill_days: 30 };
  const schedule = defaults.schedule;

  // the week before: backfill done, as in a steady state
  {
    const client = new HealthClient({ baseUrl: emu.apiBaseUrl, getAccessToken: (x) => tm.getAccessToken(x), quotaPerMinute: 1_000_000 });
    const store = openStore(db);
    await syncAccount({ store, client, account: 'bench', timezone: TZ, mode: 'all', config: sync, now: () => now });
    store.close();
    await client.close();
  }

  const passEnv = o.untuned ? {} : imageMemoryEnv(o.root);
  const pass = (mode: 'recent' | 'daily' | 'backfill', types: string[], cfg: Config['sync'], lateOverlap: boolean): Promise<PassResult> => {
    const args = {
      db,
      tokenDir,
      tokenEndpoint: emu.tokenEndpoint,
      clientId: emu.clientId,
      clientSecret: emu.clientSecret,
      baseUrl: emu.apiBaseUrl,
      account: 'bench',
      timezone: TZ,
      mode,
      types,
      now,
      sync: cfg,
      lateOverlap,
      ...(mode === 'backfill' ? { maxRequests: 150 } : {}),
    };
    return new Promise((resolve, reject) => {
      const c = spawn(process.execPath, [join(o.root, 'bench', 'sync', 'pass.mjs'), JSON.stringify(args)], {
        cwd: o.root,
        env: { ...process.env, ...passEnv },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      c.stdout.setEncoding('utf8').on('data', (x: string) => (out += x));
      c.on('error', reject);
      c.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as PassResult) : reject(new Error(`pass.mjs exited with ${code}`))));
    });
  };
  const store = openStore(db, { readonly: true });
  // the newest heart-rate point the API serves now (newest first, pageSize 1): the floor of any lag
  const token = emu.issueTokens().access_token;
  const served = async (): Promise<number> => {
    const r = await fetch(`${emu.apiBaseUrl}/v4/users/me/dataTypes/heart-rate/dataPoints?pageSize=1`, { headers: { authorization: `Bearer ${token}` } });
    const b = (await r.json()) as { dataPoints?: { heartRate: { sampleTime: { physicalTime: string } } }[] };
    const p = b.dataPoints?.[0];
    return p ? Date.parse(p.heartRate.sampleTime.physicalTime) : -Infinity;
  };
  const newest = (): number => {
    let n = -Infinity;
    for (const s of store.listSeries({ account: 'bench' })) if (s.last !== null && s.last > n) n = s.last;
    return n;
  };

  const byJob: Record<string, { passes: number; requests: number }> = {
    recent: { passes: 0, requests: 0 },
    daily: { passes: 0, requests: 0 },
    backfill: { passes: 0, requests: 0 },
  };
  const recentRss: number[] = [];
  const dailyRss: number[] = [];
  const lagAfter: number[] = [];
  const lagBefore: number[] = [];
  const behind: number[] = [];
  const behindBefore: number[] = [];
  const perPass: { at: string; requests: number; maxRssBytes: number }[] = [];
  for (now = start + MIN; now <= start + 24 * 60 * MIN; now += MIN) {
    for (const job of ['recent', 'daily', 'backfill'] as const) {
      if (!cronMatches(schedule[job], now)) continue;
      if (job === 'recent') {
        lagBefore.push(now - newest());
        behindBefore.push((await served()) - newest());
      }
      const types = scheduledTypes(job, sync);
      const r = types.length ? await pass(job, types, sync, job !== 'recent') : null;
      byJob[job]!.passes++;
      byJob[job]!.requests += r?.requests ?? 0;
      if (job === 'recent') {
        lagAfter.push(now - newest());
        behind.push((await served()) - newest());
        if (r) {
          recentRss.push(r.maxRssBytes);
          perPass.push({ at: new Date(now).toISOString(), requests: r.requests, maxRssBytes: r.maxRssBytes });
        }
      }
      if (job === 'daily' && r) dailyRss.push(r.maxRssBytes);
    }
    if ((now - start) % (3 * 60 * MIN) === 0)
      process.stdout.write(`  ${new Date(now).toISOString()}: ${Object.values(byJob).reduce((a, j) => a + j.requests, 0)} requests so far\n`);
  }

  // the old behaviour on the same store, same run: every intraday type over overlap_hours on every recent pass, daily types hourly
  now += 5 * MIN;
  const oldCfg: Config['sync'] = { ...sync, overlap_every_hours: 0 };
  const oldRecent = await pass('recent', [], oldCfg, true);
  now += 2 * MIN;
  const oldDaily = await pass('daily', [], oldCfg, true);
  store.close();
  await emu.close();

  const requestsPerDay = Object.values(byJob).reduce((a, j) => a + j.requests, 0);
  return {
    requestsPerDay,
    byJob,
    recentPeakRssBytes: Math.max(...recentRss),
    recentMedianPeakRssBytes: median(recentRss),
    dailyPeakRssBytes: Math.max(...dailyRss),
    lagAfterMaxMs: Math.max(...lagAfter),
    lagBeforeMaxMs: Math.max(...lagBefore),
    lagBeforeMedianMs: median(lagBefore),
    behindMaxMs: Math.max(...behind),
    behindBeforeMaxMs: Math.max(...behindBefore),
    env: passEnv,
    recentPasses: perPass,
    old: {
      recentRequests: oldRecent.requests,
      dailyRequests: oldDaily.requests,
      requestsPerDay: 288 * oldRecent.requests + 24 * oldDaily.requests,
      recentPeakRssBytes: oldRecent.maxRssBytes,
    },
    schedule,
    sync,
  };
}
