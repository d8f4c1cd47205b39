// Shared set-up of the HealthClient tests (not a test file itself): the real emulator (OAuth +
// Health API) on a virtual clock, a TokenManager on a temp dir, and a fault-injecting HTTP proxy
// that plays Google's error answers verbatim as Google documents them (google.rpc.Status bodies).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { READ_SCOPES, TokenManager, tokenSetFromResponse } from '../../src/auth/oauth-client.js';
import { createHealthApi, type HealthApi, type HealthApiOptions } from '../../src/emulator/health-api.js';
import { startEmulator, type Emulator } from '../../src/emulator/server.js';
import type { DataPoint } from '../../src/sources/google-health/api-types.js';
import { HealthClient, type HealthClientOptions, type RequestEvent } from '../../src/sources/google-health/client.js';
import { authorize, CLIENT } from '../auth/helpers.js';

export const TZ = 'America/New_York';
export const SEED = 7;
export const FIRST = '2024-03-08';
export const LAST = '2024-03-11';
export const T0 = Date.UTC(2024, 2, 20, 12);

/** 2024-03-09 in New York (EST, -05:00). */
export const DAY_FILTER = 'heart_rate.sample_time.physical_time >= "2024-03-09T05:00:00Z" AND heart_rate.sample_time.physical_time < "2024-03-10T05:00:00Z"';

/**
 * Time that only moves when someone sleeps, and only once no request is on the way (requests take
 * no virtual time, as in a discrete-event simulation): waits cost nothing and are measured exactly.
 */
export class VirtualClock {
  now: number;
  readonly sleeps: number[] = [];
  /** Returns the requests on the way (the clients' `stats.inFlight()`). */
  busy: () => number = () => 0;
  constructor(start = T0) {
    this.now = start;
  }
  readonly clock = (): number => this.now;
  readonly sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    const target = this.now + ms;
    do await new Promise<void>((r) => setImmediate(r));
    while (this.busy() > 0);
    if (target > this.now) this.now = target;
  };
}

export interface Harness {
  emu: Emulator;
  api: HealthApi;
  vc: VirtualClock;
  /** The emulator's own clock (moves with vc, plus `emuAhead`). */
  emuAhead: { ms: number };
  tm: TokenManager;
  dir: string;
  events: (RequestEvent & { at: number })[];
  client(extra?: Partial<HealthClientOptions>, base?: string): HealthClient;
  close(): Promise<void>;
}

export async function startHarness(apiOpts: Partial<HealthApiOptions> = {}, scopes: readonly string[] = READ_SCOPES): Promise<Harness> {
  const vc = new VirtualClock();
  const emuAhead = { ms: 0 };
  const emuClock = (): number => vc.now + emuAhead.ms;
  // these tests count pages and requests of past ranges: without the empty first page the live API
  // sends there (variant emptyPages; client.test.ts follows it through the default)
  const api = createHealthApi({
    seed: SEED,
    timezone: TZ,
    firstDay: FIRST,
    lastDay: LAST,
    clock: emuClock,
    ...apiOpts,
    variant: { emptyPages: 'none', ...apiOpts.variant },
  });
  const emu = await startEmulator({ clock: emuClock, healthApi: (req, res, auth) => api.handle(req, res, auth) });
  const dir = mkdtempSync(join(tmpdir(), 'fb-client-'));
  const tm = new TokenManager({ account: 'alice', dir, tokenEndpoint: emu.tokenEndpoint, ...CLIENT, clock: vc.clock });
  const a = await authorize(emu, scopes);
  await tm.save(tokenSetFromResponse(a.tokens, vc.now));
  const events: Harness['events'] = [];
  const clients: HealthClient[] = [];
  vc.busy = () => clients.reduce((n, c) => n + c.stats.inFlight(), 0);
  return {
    emu,
    api,
    vc,
    emuAhead,
    tm,
    dir,
    events,
    client(extra = {}, base = emu.url) {
      const c = new HealthClient({
        baseUrl: base,
        getAccessToken: (o) => tm.getAccessToken(o),
        clock: vc.clock,
        sleep: vc.sleep,
        onRequest: (e) => events.push({ ...e, at: vc.now }),
        ...extra,
      });
      clients.push(c);
      return c;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await emu.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every data point of every page. */
export async function collect<T extends { dataPoints?: DataPoint[] }>(
  pages: AsyncIterable<{ body: T; raw: string }>,
): Promise<{ points: DataPoint[]; raws: string[] }> {
  const points: DataPoint[] = [];
  const raws: string[] = [];
  for await (const p of pages) {
    points.push(...(p.body.dataPoints ?? []));
    raws.push(p.raw);
  }
  return { points, raws };
}

export function physicalTime(p: DataPoint): string {
  const t = p.heartRate?.sampleTime?.physicalTime;
  assert.ok(t, `not a heart-rate point: ${JSON.stringify(p)}`);
  return t;
}

/**
 * A filter matching exactly the `k` newest heart-rate points before `end` (newest first, so the
 * list is `k` points): `[time of the k-th newest, end)`.
 */
export async function exactWindow(c: HealthClient, k: number, end = '2024-03-09T17:00:00Z'): Promise<{ filter: string; points: DataPoint[] }> {
  const wide = `heart_rate.sample_time.physical_time >= "2024-03-09T05:00:00Z" AND heart_rate.sample_time.physical_time < "${end}"`;
  const clean = await c.listPage('heart-rate', { filter: wide, pageSize: 10_000 });
  const all = clean.body.dataPoints ?? [];
  assert.ok(all.length >= k, `only ${all.length} points before ${end}`);
  const start = physicalTime(all[k - 1] as DataPoint);
  const filter = `heart_rate.sample_time.physical_time >= "${start}" AND heart_rate.sample_time.physical_time < "${end}"`;
  return { filter, points: all.slice(0, k) };
}

// ---- Google's answers, verbatim from the reference ------------------------------------------------

export const BODIES = {
  internal: '{"error":{"code":500,"message":"Internal error encountered.","status":"INTERNAL"}}',
  unavailable: '{"error":{"code":503,"message":"The service is currently unavailable.","status":"UNAVAILABLE"}}',
  quota:
    '{"error":{"code":429,"message":"Quota exceeded for quota metric \'Requests\' and limit \'Requests per minute per user\' …","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"RATE_LIMIT_EXCEEDED","domain":"googleapis.com"}]}}',
  unauthenticated:
    '{"error":{"code":401,"message":"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. …","status":"UNAUTHENTICATED"}}',
  notLinked:
    '{"error":{"code":400,"message":"The account is not linked to Google Health.","status":"FAILED_PRECONDITION","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"ACCOUNT_NOT_LINKED","domain":"health.googleapis.com","metadata":{"redirect_uri":"https://fitbit.google.com/auth/signup"}}]}}',
  filterMember:
    '{"error":{"code":400,"message":"Invalid data point filter: INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"INVALID_DATA_POINT_FILTER","domain":"health.googleapis.com","metadata":{"detailedReasons":"INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER"}},{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"filter","description":"Member \'sleep.interval.civil_start_time\' is not supported for filtering. (at line 1, column 1)"}]}]}}',
  html404:
    '<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error 404 (Not Found)!!1</title>\n  <p><b>404.</b> <ins>That’s an error.</ins>\n  <p>The requested URL <code>/v4/users/me/nope</code> was not found on this server.  <ins>That’s all we know.</ins>\n',
} as const;

export type Fault =
  | 'internal'
  | 'unavailable'
  | 'quota-no-header'
  | 'quota-retry-after'
  | 'not-linked'
  | 'html-404'
  | 'html-200'
  | 'hang'
  | 'hang-body'
  | 'truncate-length'
  | 'truncate-json'
  | 'reset'
  | 'unauthenticated'
  | 'bad-shape';

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': body.startsWith('<') ? 'text/html; charset=UTF-8' : 'application/json; charset=UTF-8',
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}

export interface FaultProxy {
  url: string;
  /** Requests that reached the proxy, in order: method, url (with query), fault played or null. */
  seen: { method: string; url: string; fault: Fault | null; body: string; authorization: string | undefined }[];
  close(): Promise<void>;
}

/**
 * A real HTTP server in front of `upstream` (the emulator): request number n (1-based) gets
 * `plan(n)`'s fault, or the emulator's answer, passed through byte for byte. Without an upstream
 * `respond` answers the clean requests.
 */
export async function startFaultProxy(opts: {
  upstream?: string;
  plan: (n: number, req: IncomingMessage) => Fault | null;
  respond?: (req: IncomingMessage, body: string) => { status: number; body: string; headers?: Record<string, string> };
  retryAfter?: string;
}): Promise<FaultProxy> {
  const seen: FaultProxy['seen'] = [];
  const hung = new Set<ServerResponse>();
  async function upstreamAnswer(req: IncomingMessage, body: string): Promise<{ status: number; body: string; headers: Record<string, string> }> {
    if (!opts.upstream) {
      assert.ok(opts.respond, 'no upstream and no respond');
      const r = opts.respond(req, body);
      return { status: r.status, body: r.body, headers: r.headers ?? {} };
    }
    const headers: Record<string, string> = {};
    if (req.headers.authorization) headers.authorization = req.headers.authorization;
    if (req.headers['content-type']) headers['content-type'] = req.headers['content-type'];
    const r = await fetch(`${opts.upstream}${req.url ?? '/'}`, { method: req.method, headers, body: req.method === 'POST' ? body : undefined });
    const out: Record<string, string> = {};
    for (const k of ['content-type', 'retry-after', 'www-authenticate']) {
      const v = r.headers.get(k);
      if (v !== null) out[k] = v;
    }
    return { status: r.status, body: await r.text(), headers: out };
  }
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const n = seen.length + 1;
      const fault = opts.plan(n, req);
      seen.push({ method: req.method ?? '', url: req.url ?? '', fault, body, authorization: req.headers.authorization });
      void (async () => {
        switch (fault) {
          case 'internal':
            return send(res, 500, BODIES.internal);
          case 'unavailable':
            return send(res, 503, BODIES.unavailable);
          case 'quota-no-header':
            return send(res, 429, BODIES.quota);
          case 'quota-retry-after':
            return send(res, 429, BODIES.quota, { 'retry-after': opts.retryAfter ?? '7' });
          case 'not-linked':
            return send(res, 400, BODIES.notLinked);
          case 'unauthenticated':
            return send(res, 401, BODIES.unauthenticated, { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' });
          case 'html-404':
            return send(res, 404, BODIES.html404);
          case 'html-200':
            return send(res, 200, '<!DOCTYPE html><html><title>Wi-Fi login</title></html>');
          case 'bad-shape':
            return send(res, 200, '{"dataPoints":{"heartRate":1}}');
          case 'hang':
            hung.add(res);
            return; // never answers
          case 'reset':
            req.socket.destroy();
            return;
          case null:
          default: {
            const up = await upstreamAnswer(req, body);
            if (fault === 'truncate-length') {
              res.writeHead(up.status, { ...up.headers, 'content-length': String(Buffer.byteLength(up.body)) });
              res.write(up.body.slice(0, Math.floor(up.body.length / 2)));
              setTimeout(() => req.socket.destroy(), 20);
              return;
            }
            if (fault === 'truncate-json') return send(res, up.status, up.body.slice(0, Math.floor(up.body.length / 2)));
            if (fault === 'hang-body') {
              hung.add(res);
              res.writeHead(up.status, { ...up.headers, 'content-length': String(Buffer.byteLength(up.body)) });
              res.write(up.body.slice(0, 10));
              return; // the rest never comes
            }
            return send(res, up.status, up.body, up.headers);
          }
        }
      })().catch((e: unknown) => {
        if (!res.headersSent) send(res, 502, JSON.stringify({ proxyError: String(e) }));
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of hung) r.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
