/**
 * The Google Health API v4 HTTP client (undici, one keep-alive Agent).
 *
 * What it takes care of, so the sync engine does not have to:
 * - the per-user quota (300 requests a minute), proactively: every attempt passes a sliding-window
 *   limiter that stays below the quota (rate-limit.ts), so a clean run sees no 429;
 * - 429: every request waits at least Retry-After (or a back-off when the header is missing), then
 *   the request is retried; 5xx, timeouts, refused / reset connections and truncated or
 *   unparseable 200 bodies: exponential back-off with jitter (retry.ts), `maxAttempts` in all,
 *   then a typed error;
 * - 401: exactly one forced token refresh and one retry; a second 401 is a `HealthApiError` of
 *   kind 'unauthenticated' saying the account needs a new consent (a `ReauthNeededError` from
 *   the TokenManager propagates as is);
 * - other 4xx: the typed errors of errors.ts (ACCOUNT_NOT_LINKED, MISSING_OAUTH_SCOPE /
 *   ACCESS_TOKEN_SCOPE_INSUFFICIENT naming the scope the call needs (scopes.ts),
 *   INVALID_DATA_POINT_FILTER with its detailed reason, …) or, for Google's HTML 404, an
 *   `UnexpectedResponseError`; never retried;
 * - 200 bodies are validated at the edge (zod, top-level shape only; unknown keys are fine);
 * - `signal`: waiting and retrying stop at once, the request in flight is aborted.
 * Tokens never reach logs, errors or `onRequest` events.
 */
import { Agent, request } from 'undici';
import { z } from 'zod';
import { systemClock, type Clock } from '../../time/index.js';
import type {
  DailyRollUpDataPointsRequest,
  DailyRollUpDataPointsResponse,
  Identity,
  ListDataPointsResponse,
  ListPairedDevicesResponse,
  PairedDevice,
  Profile,
  ReconcileDataPointsResponse,
  RollUpDataPointsRequest,
  RollUpDataPointsResponse,
  Settings,
} from './api-types.js';
import type { Logger } from '../../util/log.js';
import { HealthApiError, HealthApiTransportError, UnexpectedResponseError, healthApiError, parseRetryAfter, reauthRequiredError } from './errors.js';
import { DEFAULT_QUOTA_PER_MINUTE, SlidingWindowLimiter, abortReason, abortableSleep, raceAbort } from './rate-limit.js';
import { DEFAULT_MAX_ATTEMPTS, rateLimitDelay, serverErrorDelay } from './retry.js';
import { PageGuard } from './paging.js';

export const GOOGLE_HEALTH_BASE_URL = 'https://health.googleapis.com';

export type RequestOutcome =
  | 'ok'
  | 'rate_limited'
  | 'server_error'
  | 'timeout'
  | 'network_error'
  | 'truncated'
  | 'unauthenticated'
  | 'client_error'
  /** A 200 whose JSON does not have the expected shape (not retried). */
  | 'invalid_response';

export const REQUEST_OUTCOMES: readonly RequestOutcome[] = [
  'ok',
  'rate_limited',
  'server_error',
  'timeout',
  'network_error',
  'truncated',
  'unauthenticated',
  'client_error',
  'invalid_response',
];

export interface RequestEvent {
  method: string;
  /** The URL path without the query, e.g. `/v4/users/me/dataTypes/heart-rate/dataPoints`. */
  path: string;
  /** HTTP status; null when no answer came (timeout, network error). */
  status: number | null;
  outcome: RequestOutcome;
  /** Duration of this attempt (real time). */
  ms: number;
  /** 1 for the first attempt of a call. */
  attempt: number;
}

export interface HealthClientOptions {
  /** e.g. https://health.googleapis.com or the emulator URL. */
  baseUrl: string;
  /** TokenManager-backed (`tm.getAccessToken.bind(tm)` or `(o) => tm.getAccessToken(o)`). */
  getAccessToken: (opts?: { forceRefresh?: boolean }) => Promise<string>;
  /** The server's per-user quota; default 300. The limiter stays 5 % below it. */
  quotaPerMinute?: number;
  logger?: Logger;
  /** Epoch ms for the limiter and back-off bookkeeping; default Date.now. */
  clock?: Clock;
  /** Used for every wait (limiter, back-off); default a timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Per attempt (headers + body). Default 60 000. */
  timeoutMs?: number;
  /** Attempts per call for 429 / 5xx / timeouts / network errors / truncated bodies, the first included. Default 6. */
  maxAttempts?: number;
  /** A Retry-After longer than this is not waited for: the error is thrown (try again later). Default 300 000. */
  maxRetryAfterMs?: number;
  /** Stop waiting / retrying (shutdown). */
  signal?: AbortSignal;
  onRequest?: (e: RequestEvent) => void;
  /** `v4` (default) or `v4beta`. */
  apiVersion?: 'v4' | 'v4beta';
  /** Keep-alive connections to the API. Default 8. */
  connections?: number;
  /** Jitter source; default Math.random. */
  random?: () => number;
}

/** One response: `body` validated, `raw` the exact response text (for archiving pages). */
export interface Page<T> {
  body: T;
  raw: string;
}

export interface ListQuery {
  /** AIP-160 filter with snake_case type ids, e.g. `heart_rate.sample_time.physical_time >= "…Z"`. */
  filter?: string;
  pageSize?: number;
  pageToken?: string;
}

export interface ReconcileQuery extends ListQuery {
  /** e.g. `users/me/dataSourceFamilies/google-wearables`. */
  dataSourceFamily?: string;
}

export interface HealthClientStats {
  /** Attempts per outcome. */
  requests: Record<RequestOutcome, number>;
  /** Attempts after the first of a call (back-off retries and the retry after a token refresh). */
  retries: number;
  /** Time spent waiting in the quota limiter (proactive waits and pauses after 429s), by `clock`. */
  throttledMs: number;
  /** Time spent in back-off after 5xx / timeouts / network errors, by `clock`. */
  backoffMs: number;
  /** Forced token refreshes after a 401. */
  tokenRefreshes: number;
  /** Requests that may still be sent in the current window without waiting. */
  quotaLeft(): number;
  /** Requests on the way (sent, answer not complete yet). */
  inFlight(): number;
}

// ---- response shapes (top level only; the API grows, so unknown keys pass) ----------------------

const nextPageToken = z.string().optional();
const objects = z.array(z.looseObject({})).optional();
const listSchema = z.looseObject({ dataPoints: objects, nextPageToken });
const rollUpSchema = z.looseObject({ rollupDataPoints: objects, nextPageToken });
const pairedDevicesSchema = z.looseObject({ pairedDevices: objects, nextPageToken });
const objectSchema = z.looseObject({});

const DATA_TYPE_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Items of a page of any list (data points, rollup windows, paired devices). */
function itemsOf(body: object): number {
  let n = 0;
  for (const k of ['dataPoints', 'rollupDataPoints', 'pairedDevices']) {
    const v = (body as Record<string, unknown>)[k];
    if (Array.isArray(v)) n += v.length;
  }
  return n;
}

type Attempt =
  | { kind: 'response'; status: number; contentType: string | null; retryAfter: string | null; text: string }
  | { kind: 'timeout' }
  /** `status`: set when the headers had arrived and the body broke off. */
  | { kind: 'network'; error: unknown; status: number | null };

interface CallSpec {
  method: 'GET' | 'POST';
  /** Path without the query. */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  schema: z.ZodType;
}

function header(h: Record<string, string | string[] | undefined>, name: string): string | null {
  const v = h[name];
  if (v === undefined) return null;
  return Array.isArray(v) ? (v[0] ?? null) : v;
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

export class HealthClient {
  readonly stats: HealthClientStats;
  private readonly opts: HealthClientOptions;
  private readonly base: string;
  private readonly agent: Agent;
  private readonly limiter: SlidingWindowLimiter;
  private readonly clock: Clock;
  private readonly sleepFn: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly maxRetryAfterMs: number;
  private readonly version: string;
  /** The forced refresh after a 401, keyed by the refused token, shared by concurrent callers. */
  private forcing: { rejected: string; token: Promise<string> } | null = null;
  private closed = false;

  constructor(opts: HealthClientOptions) {
    this.opts = opts;
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.clock = opts.clock ?? systemClock;
    const injected = opts.sleep;
    this.sleepFn = injected ? (ms, signal) => raceAbort(injected(ms), signal) : abortableSleep;
    this.random = opts.random ?? Math.random;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    this.maxRetryAfterMs = opts.maxRetryAfterMs ?? 300_000;
    this.version = opts.apiVersion ?? 'v4';
    this.limiter = new SlidingWindowLimiter({ quotaPerMinute: opts.quotaPerMinute ?? DEFAULT_QUOTA_PER_MINUTE, clock: this.clock, sleep: this.sleepFn });
    this.agent = new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000, connections: opts.connections ?? 8 });
    const requests = Object.fromEntries(REQUEST_OUTCOMES.map((o) => [o, 0])) as Record<RequestOutcome, number>;
    const limiter = this.limiter;
    this.stats = { requests, retries: 0, throttledMs: 0, backoffMs: 0, tokenRefreshes: 0, quotaLeft: () => limiter.left(), inFlight: () => limiter.inFlight };
  }

  // ---- data points ------------------------------------------------------------------------------

  /** dataPoints.list: one page. */
  listPage(dataType: string, q: ListQuery = {}): Promise<Page<ListDataPointsResponse>> {
    return this.call({
      method: 'GET',
      path: this.dataPointsPath(dataType),
      schema: listSchema,
      query: { filter: q.filter, pageSize: q.pageSize, pageToken: q.pageToken },
    });
  }

  /** dataPoints.reconcile: one page (merged across sources). */
  reconcilePage(dataType: string, q: ReconcileQuery = {}): Promise<Page<ReconcileDataPointsResponse>> {
    return this.call({
      method: 'GET',
      path: `${this.dataPointsPath(dataType)}:reconcile`,
      schema: listSchema,
      query: { filter: q.filter, pageSize: q.pageSize, pageToken: q.pageToken, dataSourceFamily: q.dataSourceFamily },
    });
  }

  /** dataPoints.rollUp: one page. */
  rollUpPage(dataType: string, body: RollUpDataPointsRequest): Promise<Page<RollUpDataPointsResponse>> {
    return this.call({ method: 'POST', path: `${this.dataPointsPath(dataType)}:rollUp`, body, schema: rollUpSchema });
  }

  /** dataPoints.dailyRollUp: one page. */
  dailyRollUpPage(dataType: string, body: DailyRollUpDataPointsRequest): Promise<Page<DailyRollUpDataPointsResponse>> {
    return this.call({ method: 'POST', path: `${this.dataPointsPath(dataType)}:dailyRollUp`, body, schema: rollUpSchema });
  }

  /**
   * Every page of a list, following nextPageToken through empty pages (a page may hold no points
   * and still carry a token; the last page may be a bare `{}`), guarded against a looping server
   * (paging.ts).
   */
  listAll(dataType: string, q: Omit<ListQuery, 'pageToken'> = {}): AsyncIterable<Page<ListDataPointsResponse>> {
    return this.follow(this.dataPointsPath(dataType), (pageToken) => this.listPage(dataType, { ...q, pageToken }));
  }

  reconcileAll(dataType: string, q: Omit<ReconcileQuery, 'pageToken'> = {}): AsyncIterable<Page<ReconcileDataPointsResponse>> {
    return this.follow(`${this.dataPointsPath(dataType)}:reconcile`, (pageToken) => this.reconcilePage(dataType, { ...q, pageToken }));
  }

  rollUpAll(dataType: string, body: Omit<RollUpDataPointsRequest, 'pageToken'>): AsyncIterable<Page<RollUpDataPointsResponse>> {
    return this.follow(`${this.dataPointsPath(dataType)}:rollUp`, (pageToken) => this.rollUpPage(dataType, { ...body, pageToken }));
  }

  dailyRollUpAll(dataType: string, body: Omit<DailyRollUpDataPointsRequest, 'pageToken'>): AsyncIterable<Page<DailyRollUpDataPointsResponse>> {
    return this.follow(`${this.dataPointsPath(dataType)}:dailyRollUp`, (pageToken) => this.dailyRollUpPage(dataType, { ...body, pageToken }));
  }

  // ---- user -------------------------------------------------------------------------------------

  async identity(): Promise<Identity> {
    return (await this.call<Identity>({ method: 'GET', path: this.userPath('identity'), schema: objectSchema })).body;
  }

  async profile(): Promise<Profile> {
    return (await this.call<Profile>({ method: 'GET', path: this.userPath('profile'), schema: objectSchema })).body;
  }

  async settings(): Promise<Settings> {
    return (await this.call<Settings>({ method: 'GET', path: this.userPath('settings'), schema: objectSchema })).body;
  }

  /** pairedDevices.list: one page. */
  pairedDevicesPage(q: { pageSize?: number; pageToken?: string } = {}): Promise<Page<ListPairedDevicesResponse>> {
    return this.call({
      method: 'GET',
      path: this.userPath('pairedDevices'),
      schema: pairedDevicesSchema,
      query: { pageSize: q.pageSize, pageToken: q.pageToken },
    });
  }

  /** Every paired device (all pages, 100 a page). */
  async pairedDevices(): Promise<PairedDevice[]> {
    const out: PairedDevice[] = [];
    for await (const p of this.follow(this.userPath('pairedDevices'), (pageToken) => this.pairedDevicesPage({ pageSize: 100, pageToken }))) {
      out.push(...(p.body.pairedDevices ?? []));
    }
    return out;
  }

  /** Closes the keep-alive connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.agent.close();
  }

  // ---- internals --------------------------------------------------------------------------------

  private dataPointsPath(dataType: string): string {
    if (!DATA_TYPE_RE.test(dataType)) {
      throw new TypeError(`data type ids in API paths are kebab-case (e.g. "heart-rate"), got ${JSON.stringify(dataType)}`);
    }
    return `/${this.version}/users/me/dataTypes/${dataType}/dataPoints`;
  }

  private userPath(what: string): string {
    return `/${this.version}/users/me/${what}`;
  }

  private async *follow<T extends object>(path: string, fetchPage: (pageToken: string | undefined) => Promise<Page<T>>): AsyncGenerator<Page<T>> {
    let token: string | undefined;
    const guard = new PageGuard(path);
    for (;;) {
      const page = await fetchPage(token);
      yield page;
      // only a page without a token ends the list: an empty page can carry one (paging.ts)
      // (DailyRollUpDataPointsResponse has no nextPageToken in the discovery document; follow one if it comes)
      const next = (page.body as { nextPageToken?: unknown }).nextPageToken;
      const last = typeof next !== 'string' || next === '';
      guard.next(itemsOf(page.body), last ? null : next);
      if (last) return;
      token = next;
    }
  }

  private emit(e: RequestEvent): void {
    this.stats.requests[e.outcome]++;
    this.opts.logger?.debug({ method: e.method, path: e.path, status: e.status, ms: e.ms, attempt: e.attempt, outcome: e.outcome }, 'health api request');
    if (this.opts.onRequest) {
      try {
        this.opts.onRequest(e);
      } catch (err) {
        this.opts.logger?.warn({ err: describe(err) }, 'onRequest callback failed');
      }
    }
  }

  private checkAbort(): void {
    const s = this.opts.signal;
    if (s?.aborted) throw abortReason(s);
    if (this.closed) throw new Error('HealthClient is closed');
  }

  /** The token after a 401 for `rejected`: someone else's newer one, or one forced refresh (shared). */
  private async tokenAfter401(rejected: string): Promise<string> {
    if (this.forcing?.rejected === rejected) return this.forcing.token;
    const current = await this.opts.getAccessToken();
    if (current !== rejected) return current;
    if (this.forcing?.rejected === rejected) return this.forcing.token;
    this.stats.tokenRefreshes++;
    const entry = { rejected, token: this.opts.getAccessToken({ forceRefresh: true }) };
    this.forcing = entry;
    entry.token.catch(() => {
      if (this.forcing === entry) this.forcing = null;
    });
    return entry.token;
  }

  private async attempt(method: string, url: string, token: string, payload: string | undefined): Promise<Attempt> {
    const ctl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctl.abort(new Error('request timed out'));
    }, this.timeoutMs);
    const outer = this.opts.signal;
    const onOuterAbort = (): void => ctl.abort(abortReason(outer as AbortSignal));
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    let status: number | null = null;
    try {
      const headers: Record<string, string> = {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        'user-agent': 'fitbit-bridge',
      };
      if (payload !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
      const res = await request(url, {
        dispatcher: this.agent,
        method: method as 'GET' | 'POST',
        headers,
        body: payload,
        signal: ctl.signal,
        headersTimeout: this.timeoutMs + 1000,
        bodyTimeout: this.timeoutMs + 1000,
      });
      status = res.statusCode;
      const text = await res.body.text();
      return {
        kind: 'response',
        status: res.statusCode,
        text,
        contentType: header(res.headers, 'content-type'),
        retryAfter: header(res.headers, 'retry-after'),
      };
    } catch (e) {
      if (outer?.aborted) throw abortReason(outer);
      if (timedOut) return { kind: 'timeout' };
      const code = (e as { code?: unknown } | null)?.code;
      if (typeof code === 'string' && TIMEOUT_CODES.has(code)) return { kind: 'timeout' };
      if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_DESTROYED' || code === 'UND_ERR_CLOSED') throw e;
      return { kind: 'network', error: e, status };
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
    }
  }

  private async call<T>(spec: CallSpec): Promise<Page<T>> {
    const { method, path, schema } = spec;
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined && v !== '') qs.set(k, String(v));
    const q = qs.toString();
    const url = `${this.base}${path}${q ? `?${q}` : ''}`;
    const payload = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const what = `${method} ${path}`;
    let attempt = 0; // events of this call
    let counted = 0; // attempts that count against maxAttempts
    let rateLimited = 0;
    let failed = 0;
    let forcedToken: string | null = null;
    let refreshed = false;
    for (;;) {
      this.checkAbort();
      const token = forcedToken ?? (await this.opts.getAccessToken());
      forcedToken = null;
      const ticket = await this.limiter.acquire(this.opts.signal);
      this.stats.throttledMs += ticket.waitedMs;
      attempt++;
      counted++;
      if (attempt > 1) this.stats.retries++;
      const started = performance.now();
      let a: Attempt;
      try {
        a = await this.attempt(method, url, token, payload);
      } finally {
        ticket.release();
      }
      const ms = Math.round(performance.now() - started);
      const status = a.kind === 'timeout' ? null : a.status;

      let outcome: RequestOutcome;
      let error: Error;
      let retryAfter: number | null = null;

      if (a.kind === 'response' && a.status >= 200 && a.status < 300) {
        let json: unknown;
        let parsed = false;
        try {
          json = JSON.parse(a.text);
          parsed = true;
        } catch {
          // fall through: truncated or not JSON
        }
        if (parsed) {
          const v = schema.safeParse(json);
          if (v.success) {
            this.emit({ method, path, status, outcome: 'ok', ms, attempt });
            return { body: json as T, raw: a.text };
          }
          this.emit({ method, path, status, outcome: 'invalid_response', ms, attempt });
          const issue = v.error.issues[0];
          const where = issue ? `${issue.path.join('.') || '(top level)'}: ${issue.message}` : 'unexpected shape';
          throw new UnexpectedResponseError(
            a.status,
            a.contentType,
            a.text.slice(0, 200),
            `${what}: the Google Health API answered HTTP ${a.status} with JSON of an unexpected shape (${where})`,
          );
        }
        outcome = 'truncated';
        const e = healthApiError(a.status, a.text, a.contentType);
        error = e;
        e.message = `${what}: ${e.message}`;
      } else if (a.kind === 'response') {
        const e = healthApiError(a.status, a.text, a.contentType, a.retryAfter, { method, path });
        e.message = `${what}: ${e.message}`;
        error = e;
        retryAfter = parseRetryAfter(a.retryAfter, this.clock());
        if (a.status === 401) outcome = 'unauthenticated';
        else if (a.status === 429) outcome = 'rate_limited';
        else if (a.status >= 500) outcome = 'server_error';
        else outcome = 'client_error';
      } else if (a.kind === 'timeout') {
        outcome = 'timeout';
        error = new HealthApiTransportError(
          'timeout',
          method,
          path,
          counted,
          `${what}: no complete answer from the Google Health API within ${this.timeoutMs} ms`,
        );
      } else {
        outcome = a.status !== null ? 'truncated' : 'network_error';
        error =
          a.status !== null
            ? new UnexpectedResponseError(
                a.status,
                null,
                '',
                `${what}: the connection broke while the Google Health API's answer was being read (truncated body: ${describe(a.error)})`,
              )
            : new HealthApiTransportError('network', method, path, counted, `${what}: could not reach the Google Health API (${describe(a.error)})`, {
                cause: a.error,
              });
      }
      this.emit({ method, path, status, outcome, ms, attempt });

      if (outcome === 'unauthenticated') {
        if (refreshed) throw reauthRequiredError(what, error instanceof HealthApiError ? error.status : 'UNAUTHENTICATED');
        refreshed = true;
        counted--; // the retry after a refresh does not use up a back-off attempt
        this.opts.logger?.warn({ method, path, status, attempt }, 'access token refused (401); refreshing it once and retrying');
        forcedToken = await this.tokenAfter401(token);
        continue;
      }
      if (outcome === 'client_error') throw error;

      if (counted >= this.maxAttempts) {
        error.message = `${error.message} (gave up after ${counted} attempts)`;
        throw error;
      }
      let delay: number;
      if (outcome === 'rate_limited') {
        rateLimited++;
        delay = rateLimitDelay(retryAfter, rateLimited, this.random);
        if (retryAfter !== null && retryAfter * 1000 > this.maxRetryAfterMs) {
          error.message = `${error.message} (Retry-After ${retryAfter} s is longer than the ${Math.round(this.maxRetryAfterMs / 1000)} s the bridge waits; try again later)`;
          throw error;
        }
        // every request waits, not only this one; the wait happens in the limiter
        this.limiter.pauseFor(delay);
      } else {
        failed++;
        delay = serverErrorDelay(retryAfter !== null ? Math.min(retryAfter, this.maxRetryAfterMs / 1000) : null, failed, this.random);
      }
      this.opts.logger?.warn({ method, path, status, outcome, attempt, delayMs: delay, retryAfterSeconds: retryAfter }, 'health api request failed; retrying');
      if (outcome !== 'rate_limited') {
        const t0 = this.clock();
        await this.sleepFn(delay, this.opts.signal);
        this.stats.backoffMs += Math.max(0, this.clock() - t0);
      }
    }
  }
}
