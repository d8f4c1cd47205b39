/**
 * The Google emulator: one HTTP server playing `accounts.google.com` (authorize),
 * `oauth2.googleapis.com` (token, revoke) and `health.googleapis.com` (`/v4/…`, `/v4beta/…`).
 * The Health API data endpoints come from a separate handler (`healthApi`); this file checks
 * the bearer token first, like Google's front end. Before anything else it consults the fault
 * plan (faults.ts; faulted requests consume no quota), counts every answer per path and outcome,
 * and hands `/__emulator/…` (a path Google does not have) to the `control` handler (index.ts).
 * `startGoogleEmulator` in index.ts wires all of it; `startEmulator` alone stays OAuth + bearer check.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errText } from '../errors.js';
import { systemClock, type Clock } from '../time/index.js';
import type { Logger } from '../util/log.js';
import type { FaultAction, FaultPlan, RequestStats } from './faults.js';
import { ACCOUNT_NOT_LINKED_BODY, INTERNAL_BODY, UNAVAILABLE_BODY, quotaExceededBody } from './health-api/errors.js';
import { EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET, OAuthEmulator, sendJson, type EmulatorClient, type OAuthStats } from './oauth.js';

export { EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET, type EmulatorClient, type OAuthStats } from './oauth.js';

export type HealthApiHandler = (req: IncomingMessage, res: ServerResponse, auth: { accessToken: string; scopes: string[] }) => Promise<boolean>;

export interface EmulatorOptions {
  /** 0 (default) = a random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Refresh lifetime of a consent (Testing-mode apps: 7 days). Default 604799. */
  refreshTokenLifetimeSec?: number;
  /** Default 3599. */
  accessTokenLifetimeSec?: number;
  /** Milliseconds since the epoch; default Date.now. */
  clock?: Clock;
  /** The Health API data endpoints; resolves false when the path is unknown (→ HTML 404). */
  healthApi?: HealthApiHandler;
  /** Registered clients; default one confidential client (EMULATOR_CLIENT_ID / EMULATOR_CLIENT_SECRET). */
  clients?: EmulatorClient[];
  /** Delay before answering `POST /token` (to widen races in tests). Default 0. */
  tokenDelayMs?: number;
  /** Request log (method, path without query, status). Never tokens. */
  logger?: Logger;
  /** Fault injection, consulted before anything else (faults.ts). */
  faults?: FaultPlan;
  /** Counts every answered request per path and outcome. */
  stats?: RequestStats;
  /** Handles `/__emulator/…` (a path Google does not have); resolves false → HTML 404. */
  control?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
  /** Quota limit shown in an injected 429 body (default 300). */
  quotaPerMinute?: number;
}

export interface Emulator {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** `${url}/o/oauth2/v2/auth` */
  authorizeEndpoint: string;
  /** `${url}/token` */
  tokenEndpoint: string;
  /** `${url}/revoke` */
  revokeEndpoint: string;
  close(): Promise<void>;
  /** Revokes every grant (refresh and access tokens). */
  revokeAll(): void;
  /** Ends every grant's refresh lifetime now (access tokens stay valid until they expire). */
  expireRefreshTokens(): void;
  stats: OAuthStats;
  /** A consent without the browser (tests): token response for `scopes`, client EMULATOR_CLIENT_ID by default. */
  issueTokens(scopes: string[], clientId?: string): Record<string, string | number>;
}

/** The google.rpc.Status body Google answers for a missing, invalid or expired access token. */
export const UNAUTHENTICATED_BODY = {
  error: {
    code: 401,
    message:
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    status: 'UNAUTHENTICATED',
  },
} as const;

/** Google's HTML 404 page (what an unknown path under googleapis.com returns, not JSON). */
export function googleNotFoundPage(path: string): string {
  const safe = path.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return (
    '<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n' +
    '  <meta name=viewport content="initial-scale=1, minimum-scale=1, width=device-width">\n' +
    '  <title>Error 404 (Not Found)!!1</title>\n' +
    '  <a href=//www.google.com/><span id=logo aria-label=Google></span></a>\n' +
    '  <p><b>404.</b> <ins>That’s an error.</ins>\n' +
    `  <p>The requested URL <code>${safe}</code> was not found on this server.  <ins>That’s all we know.</ins>\n`
  );
}

function sendNotFound(res: ServerResponse, path: string): void {
  const body = googleNotFoundPage(path);
  res.writeHead(404, { 'content-type': 'text/html; charset=UTF-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const clock = opts.clock ?? systemClock;
  const oauth = new OAuthEmulator({
    clients: opts.clients ?? [{ id: EMULATOR_CLIENT_ID, secret: EMULATOR_CLIENT_SECRET }],
    refreshTokenLifetimeSec: opts.refreshTokenLifetimeSec ?? 604799,
    accessTokenLifetimeSec: opts.accessTokenLifetimeSec ?? 3599,
    clock,
    tokenDelayMs: opts.tokenDelayMs ?? 0,
  });
  const log = opts.logger;

  /** Cuts the real answer in half and destroys the socket (fault `truncated`). */
  function truncate(res: ServerResponse): void {
    let status = 200;
    let headers: Parameters<ServerResponse['writeHead']>[1];
    const writeHead = res.writeHead.bind(res) as (s: number, h?: unknown) => ServerResponse;
    const end = res.end.bind(res) as (chunk?: unknown) => ServerResponse;
    (res as { writeHead: unknown }).writeHead = (s: number, h?: Parameters<ServerResponse['writeHead']>[1]) => {
      status = s;
      headers = h;
      return res;
    };
    (res as { end: unknown }).end = (chunk?: unknown) => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : Buffer.alloc(0);
      writeHead(status, headers);
      res.write(buf.subarray(0, Math.floor(buf.length / 2)));
      setImmediate(() => res.destroy());
      void end;
      return res;
    };
  }

  /** Answers a fault; true when the request is done (else it goes on, possibly altered). */
  function applyFault(f: FaultAction, res: ServerResponse, path: string): boolean {
    switch (f.kind) {
      case '429':
        sendJson(res, 429, quotaExceededBody(opts.quotaPerMinute ?? 300), f.retryAfterSec === null ? {} : { 'retry-after': String(f.retryAfterSec) });
        return true;
      case '500':
        sendJson(res, 500, INTERNAL_BODY);
        return true;
      case '503':
        sendJson(res, 503, UNAVAILABLE_BODY);
        return true;
      case 'account-not-linked':
        sendJson(res, 400, ACCOUNT_NOT_LINKED_BODY);
        return true;
      case 'html-404':
        sendNotFound(res, path);
        return true;
      case 'timeout':
        return true; // never answered: the client gives up, or close() destroys the socket
      case 'truncated':
        truncate(res);
        return false;
      case 'revoke':
        oauth.revokeAll();
        return false;
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path.startsWith('/__emulator/')) {
      if (opts.control && (await opts.control(req, res, url))) return;
      return sendNotFound(res, path);
    }
    const fault = opts.faults?.take(method, path) ?? null;
    if (opts.stats) {
      const stats = opts.stats;
      res.once('close', () => {
        const outcome =
          fault?.kind === 'timeout' ? 'timeout' : fault?.kind === 'truncated' ? 'truncated' : res.writableFinished ? String(res.statusCode) : 'aborted';
        stats.record(method, path, outcome);
      });
    }
    if (fault && applyFault(fault, res, path)) return;
    if (path === '/o/oauth2/v2/auth' || path === '/o/oauth2/auth') {
      if (method !== 'GET') return sendNotFound(res, path);
      return oauth.handleAuthorize(res, url);
    }
    if (path === '/token' || path === '/o/oauth2/token') {
      if (method !== 'POST') return sendNotFound(res, path);
      return oauth.handleToken(req, res);
    }
    if (path === '/revoke' || path === '/o/oauth2/revoke') {
      if (method !== 'POST') return sendNotFound(res, path);
      return oauth.handleRevoke(req, res, url);
    }
    if (path.startsWith('/v4/') || path.startsWith('/v4beta/')) {
      const auth = oauth.authenticate(req.headers.authorization);
      if (auth === null) {
        return sendJson(res, 401, UNAUTHENTICATED_BODY, { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' });
      }
      if (opts.healthApi && (await opts.healthApi(req, res, auth))) return;
      return sendNotFound(res, path);
    }
    return sendNotFound(res, path);
  }

  const server = createServer((req, res) => {
    const started = Date.now();
    route(req, res).then(
      () => {
        log?.debug({ method: req.method, path: (req.url ?? '').split('?')[0], status: res.statusCode, ms: Date.now() - started }, 'emulator request');
      },
      (err: unknown) => {
        log?.error({ method: req.method, path: (req.url ?? '').split('?')[0], err: errText(err) }, 'emulator handler failed');
        if (!res.headersSent) sendJson(res, 500, { error: { code: 500, message: 'Internal error encountered.', status: 'INTERNAL' } });
        else res.destroy();
      },
    );
  });
  server.keepAliveTimeout = 1000;

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url,
    authorizeEndpoint: `${url}/o/oauth2/v2/auth`,
    tokenEndpoint: `${url}/token`,
    revokeEndpoint: `${url}/revoke`,
    stats: oauth.stats,
    revokeAll: () => oauth.revokeAll(),
    expireRefreshTokens: () => oauth.expireRefreshTokens(),
    issueTokens: (scopes, clientId = EMULATOR_CLIENT_ID) => oauth.mint(clientId, scopes),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
