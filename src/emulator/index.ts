/**
 * One call to a running Google emulator: OAuth (server.ts / oauth.ts), the Health API
 * (health-api.ts) over the synthetic user, fault injection and counters (faults.ts), and a
 * test-only control surface under `/__emulator/` (a path Google does not have) so a test can drive
 * an emulator running in another process:
 *
 *   GET    /__emulator/stats                 requests per path and outcome, quota, faults, OAuth counters, now
 *   POST   /__emulator/stats/reset
 *   GET    /__emulator/faults                the planned faults
 *   POST   /__emulator/faults                add one: {"kind":"503","times":2,"after":1,"match":{"path":"/dataTypes/steps/","method":"GET"}}
 *                                            (`match.pathRegex`: a RegExp source; `times` -1 or null: always; `retryAfterSec`)
 *   DELETE /__emulator/faults[/<id>]         remove all (random faults too) / one
 *   POST   /__emulator/faults/random         {"rate":0.05,"seed":7,"kinds":["429","503"]} (null body or rate 0: off)
 *   POST   /__emulator/revoke                revoke every grant (next calls 401, refresh → invalid_grant)
 *   POST   /__emulator/expire-refresh-tokens end every grant's refresh lifetime now
 *   POST   /__emulator/clock                 {"advanceMs":3600000} or {"nowMs":…}: moves the emulator's clock
 *   POST   /__emulator/tokens                {"scopes":[…]} → a token response without the browser dance
 *   GET    /__emulator/config                the bridge's `google:` configuration for this emulator
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errText } from '../errors.js';
import { DEFAULT_SEED, DEFAULT_TIMEZONE } from '../synthetic/model.js';
import { addDays, dayNumber, systemClock, zoneNamed, type Clock } from '../time/index.js';
import type { Logger } from '../util/log.js';
import { FaultPlan, RequestStats, faultSpecFromJson, faultToJson, type RandomFaultSpec } from './faults.js';
import { createHealthApi, type HealthApi, type Variants } from './health-api.js';
import { EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET, startEmulator, type Emulator, type EmulatorClient } from './server.js';

export { createHealthApi, type HealthApi, type HealthApiOptions } from './health-api.js';
export { startEmulator, EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET, type Emulator } from './server.js';
export { FaultPlan, RequestStats, FAULT_KINDS, type FaultKind, type FaultSpec, type RandomFaultSpec } from './faults.js';

/** Every read scope the Health API knows (what a full consent grants). */
export const ALL_READ_SCOPES: readonly string[] = ['activity_and_fitness', 'health_metrics_and_measurements', 'sleep', 'profile', 'settings', 'location'].map(
  (s) => `https://www.googleapis.com/auth/googlehealth.${s}.readonly`,
);

export interface GoogleEmulatorOptions {
  /** Synthetic user (default 1). */
  seed?: number;
  /** IANA zone of the synthetic user (default America/New_York). */
  timezone?: string;
  /** Last local day with data (default: today in `timezone` per the clock: the current day is served up to now). */
  lastDay?: string;
  /** First local day (default: lastDay - days + 1). */
  firstDay?: string;
  /** Days of history when firstDay is not given (default 30). */
  days?: number;
  /** ms since the epoch (default Date.now); the control surface can move it (advanceClock). */
  clock?: Clock;
  quotaPerMinute?: number;
  dataLagMs?: number;
  variant?: Partial<Variants>;
  /** 0 (default) = a random free port. */
  port?: number;
  host?: string;
  refreshTokenLifetimeSec?: number;
  accessTokenLifetimeSec?: number;
  tokenDelayMs?: number;
  clients?: EmulatorClient[];
  logger?: Logger;
  /** Serve `/__emulator/…` (default true). */
  control?: boolean;
}

/** The `google:` keys of the bridge's configuration that point it at this emulator. */
export interface EmulatorGoogleConfig {
  authorize_endpoint: string;
  token_endpoint: string;
  api_base_url: string;
  client_id: string;
  client_secret: string;
}

export interface GoogleEmulator {
  /** Base URL (also the API base: `${url}/v4/…`). */
  url: string;
  authorizeEndpoint: string;
  tokenEndpoint: string;
  revokeEndpoint: string;
  apiBaseUrl: string;
  clientId: string;
  clientSecret: string;
  config: EmulatorGoogleConfig;
  /** The resolved synthetic user. */
  user: { seed: number; timezone: string; firstDay: string; lastDay: string; healthUserId: string };
  api: HealthApi;
  faults: FaultPlan;
  requests: RequestStats;
  /** OAuth: revoke / expire / counters. */
  oauth: Emulator;
  /** A consent without the browser: token response (default: every read scope). */
  issueTokens(scopes?: readonly string[]): { access_token: string; refresh_token: string; expires_in: number; scope: string; token_type: string };
  revokeAll(): void;
  expireRefreshTokens(): void;
  /** The emulator's clock, and moving it (quota window, visibility of points, token expiry). */
  now(): number;
  advanceClock(ms: number): void;
  setClock(ms: number): void;
  close(): Promise<void>;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  return text === '' ? null : (JSON.parse(text) as unknown);
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startGoogleEmulator(opts: GoogleEmulatorOptions = {}): Promise<GoogleEmulator> {
  const base = opts.clock ?? systemClock;
  let offset = 0;
  const clock = (): number => base() + offset;
  const seed = opts.seed ?? DEFAULT_SEED;
  const timezone = opts.timezone ?? DEFAULT_TIMEZONE;
  const lastDay = opts.lastDay ?? zoneNamed(timezone).localDate(clock());
  const firstDay = opts.firstDay ?? addDays(lastDay, -((opts.days ?? 30) - 1));
  if (dayNumber(firstDay) > dayNumber(lastDay)) throw new Error(`firstDay ${firstDay} is after lastDay ${lastDay}`);
  const faults = new FaultPlan();
  const requests = new RequestStats();
  const api = createHealthApi({
    seed,
    timezone,
    firstDay,
    lastDay,
    clock,
    faults,
    ...(opts.quotaPerMinute !== undefined ? { quotaPerMinute: opts.quotaPerMinute } : {}),
    ...(opts.dataLagMs !== undefined ? { dataLagMs: opts.dataLagMs } : {}),
    ...(opts.variant ? { variant: opts.variant } : {}),
  });
  let self: GoogleEmulator | undefined;

  async function control(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    if (opts.control === false || !self) return false;
    const g = self;
    const p = url.pathname.replace(/\/+$/, '');
    const m = req.method ?? 'GET';
    try {
      if (p === '/__emulator/stats' && m === 'GET') {
        reply(res, 200, {
          now: new Date(clock()).toISOString(),
          ...requests.snapshot(),
          quota: { used: api.quota.used(), limit: api.quota.limit },
          apiRequests: api.requests,
          faults: { fired: faults.fired, planned: faults.list().map(faultToJson) },
          oauth: g.oauth.stats,
        });
      } else if (p === '/__emulator/stats/reset' && m === 'POST') {
        requests.reset();
        reply(res, 200, {});
      } else if (p === '/__emulator/faults' && m === 'GET') reply(res, 200, { faults: faults.list().map(faultToJson) });
      else if (p === '/__emulator/faults' && m === 'POST') reply(res, 200, faultToJson(faults.add(faultSpecFromJson(await readJson(req)))));
      else if (p === '/__emulator/faults' && m === 'DELETE') {
        faults.clear();
        reply(res, 200, {});
      } else if (/^\/__emulator\/faults\/\d+$/.test(p) && m === 'DELETE') {
        const ok = faults.remove(Number(p.split('/').pop()));
        reply(res, ok ? 200 : 404, ok ? {} : { error: 'no such fault' });
      } else if (p === '/__emulator/faults/random' && m === 'POST') {
        const b = (await readJson(req)) as RandomFaultSpec | null;
        faults.random(b && b.rate > 0 ? { ...b, ...(b.match ? { match: faultSpecFromJson({ kind: '500', match: b.match }).match ?? {} } : {}) } : null);
        reply(res, 200, {});
      } else if (p === '/__emulator/revoke' && m === 'POST') {
        g.revokeAll();
        reply(res, 200, {});
      } else if (p === '/__emulator/expire-refresh-tokens' && m === 'POST') {
        g.expireRefreshTokens();
        reply(res, 200, {});
      } else if (p === '/__emulator/clock' && m === 'POST') {
        const b = ((await readJson(req)) ?? {}) as { advanceMs?: number; nowMs?: number };
        if (typeof b.nowMs === 'number') g.setClock(b.nowMs);
        else if (typeof b.advanceMs === 'number') g.advanceClock(b.advanceMs);
        else throw new Error('expected {"advanceMs": n} or {"nowMs": n}');
        reply(res, 200, { now: new Date(clock()).toISOString(), nowMs: clock() });
      } else if (p === '/__emulator/tokens' && m === 'POST') {
        const b = ((await readJson(req)) ?? {}) as { scopes?: string[] };
        reply(res, 200, g.issueTokens(b.scopes));
      } else if (p === '/__emulator/config' && m === 'GET') reply(res, 200, { google: g.config, user: g.user });
      else return false;
    } catch (e) {
      reply(res, 400, { error: errText(e) });
    }
    return true;
  }

  const emu = await startEmulator({
    clock,
    healthApi: (req, res, auth) => api.handle(req, res, auth),
    faults,
    stats: requests,
    control,
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    ...(opts.host !== undefined ? { host: opts.host } : {}),
    ...(opts.refreshTokenLifetimeSec !== undefined ? { refreshTokenLifetimeSec: opts.refreshTokenLifetimeSec } : {}),
    ...(opts.accessTokenLifetimeSec !== undefined ? { accessTokenLifetimeSec: opts.accessTokenLifetimeSec } : {}),
    ...(opts.tokenDelayMs !== undefined ? { tokenDelayMs: opts.tokenDelayMs } : {}),
    ...(opts.clients ? { clients: opts.clients } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
    quotaPerMinute: api.quota.limit,
  });
  const client = opts.clients?.[0] ?? { id: EMULATOR_CLIENT_ID, secret: EMULATOR_CLIENT_SECRET };
  const config: EmulatorGoogleConfig = {
    authorize_endpoint: emu.authorizeEndpoint,
    token_endpoint: emu.tokenEndpoint,
    api_base_url: emu.url,
    client_id: client.id,
    client_secret: client.secret ?? '',
  };
  self = {
    url: emu.url,
    authorizeEndpoint: emu.authorizeEndpoint,
    tokenEndpoint: emu.tokenEndpoint,
    revokeEndpoint: emu.revokeEndpoint,
    apiBaseUrl: emu.url,
    clientId: client.id,
    clientSecret: client.secret ?? '',
    config,
    user: { seed, timezone, firstDay, lastDay, healthUserId: api.healthUserId },
    api,
    faults,
    requests,
    oauth: emu,
    issueTokens: (scopes = ALL_READ_SCOPES) => emu.issueTokens([...scopes], client.id) as ReturnType<GoogleEmulator['issueTokens']>,
    revokeAll: () => emu.revokeAll(),
    expireRefreshTokens: () => emu.expireRefreshTokens(),
    now: clock,
    advanceClock: (ms) => {
      offset += ms;
    },
    setClock: (ms) => {
      offset = ms - base();
    },
    close: () => emu.close(),
  };
  return self;
}
