/**
 * Google Health API v4 emulator: the data endpoints, served from the synthetic truth.
 *
 * The same `syntheticDay({seed, date, timezone})` that renders the Takeout archive answers here, so
 * a Takeout import and an API sync of the same days give the same series: same device names
 * (`dataSource.device.displayName` = the CSV `data source` column: "Inspire 3", "Fitbit App"), same
 * instants, values in API units that convert exactly with the registry's `googleHealth.factor`
 * (exceptions: `LOSSY` in ./health-api/types.ts). The HTTP server, OAuth, the bearer check and fault
 * injection live in `server.ts` / `oauth.ts` / `faults.ts`; the server calls `handle` once the token
 * is accepted. Modules: ./health-api/{types (the data types and the truth → points mapping), truth
 * (day cache, reconcile rule, visibility), filter, rollup, users, paging, quota, format, errors,
 * variants}.
 *
 * Served (`/v4/` and `/v4beta/`; `{u}` = `me` or the user's healthUserId):
 * - `GET  …/users/{u}/dataTypes/{type}/dataPoints` (list: per source, newest first by start time);
 * - `GET  …/dataPoints:reconcile` (merged across sources, see THE RECONCILE RULE in truth.ts;
 *   points carry `dataPointName`, no `dataSource`; `dataSourceFamily`);
 * - `POST …/dataPoints:rollUp`, `POST …/dataPoints:dailyRollUp` (rollup.ts);
 * - `GET  …/dataPoints/{id}` (sleep, exercise, weight: the identifiable types);
 * - `GET  …/users/{u}/identity | profile | settings`, `…/pairedDevices[/{id}]`.
 * Types with data: steps, distance, floors (no list), altitude, active-energy-burned, total-calories
 * (rollUp / dailyRollUp only), active-zone-minutes, heart-rate, heart-rate-variability,
 * daily-heart-rate-variability, daily-resting-heart-rate, oxygen-saturation, daily-oxygen-saturation,
 * daily-respiratory-rate, respiratory-rate-sleep-summary, daily-sleep-temperature-derivations,
 * weight, sleep, exercise. The other documented types answer empty (`{}`).
 *
 * Behaviour (shared reference google-health-api.md):
 * - filters: `<snake_type>.<member> >= "…" AND … < "…"` with each record kind's members (Interval:
 *   interval.start_time / civil_start_time; Sample: sample_time.physical_time / civil_time; Daily:
 *   date; sleep: interval.end_time / civil_end_time (variant); exercise: interval.civil_start_time
 *   (variant));
 *   sleep also allows OR; anything else is a 400 `google.rpc.Status` (filter.ts);
 * - `pageSize` default 1440 (heart-rate: 50 observed live, variant), max 10000 (truncated), sleep and
 *   exercise default and max 25; `nextPageToken` whenever a page is full, so when the data ends
 *   exactly at a page boundary the last page is a bare `{}` (as observed live);
 * - proto3 JSON: empty lists and zero scalars omitted, int64 as strings, Timestamps without a zero
 *   fraction, Durations as `"-14400s"` (a zero offset is `"0s"`: the message is set);
 * - quota: `quotaPerMinute` (300) requests per rolling 60 s, then 429 RESOURCE_EXHAUSTED (+ Retry-After);
 * - scopes per method as the discovery document's `scopes`: data points need their type's family
 *   (activity_and_fitness, health_metrics_and_measurements, sleep, …); profile → profile, settings
 *   and pairedDevices → settings, identity → any; else 403 PERMISSION_DENIED with reason
 *   ACCESS_TOKEN_SCOPE_INSUFFICIENT (as seen live; variant `scopeError`: MISSING_OAUTH_SCOPE);
 * - visibility: a point exists once `clock() >= its end + dataLagMs` (samples: their instant; daily
 *   values derived from sleep: the main sleep's end; resting heart rate: the day's end), so the
 *   current day is served up to now and late data can be simulated.
 *
 * - data sources and session shapes as seen live (variant `shapes`): the tracker named, companion
 *   sources without a device name (Fitbit Air, Health Connect apps, manual sleep; see
 *   ./health-api/sources.ts), real sleep / exercise fields, "NaN" in some daily doubles.
 *
 * - as seen live (reference, "Seen live"): the first page of a list / reconcile over a past range is
 *   `{"nextPageToken":"…"}` without points, the points follow on the next page; a refused filter
 *   names every refused term (comma-joined `detailedReasons`, one field violation each);
 *   dailyRollUp answers newest first.
 *
 * Variants of the reference's *uncertain* points: see ./health-api/variants.ts (sleepFilterMember,
 * dailyRollUpEnd, retryAfter, heartRateDefaultPageSize, emptyPages, exerciseFilterMember,
 * dailyRollUpOrder, shapes, scopeError).
 *
 * *Invented* where the reference is silent: the detailed reasons of filter errors other than
 * INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER, the page token error message, the 400 for an operation
 * a type does not support (list of floors / total-calories), the rollUp range and window messages,
 * the unknown data source family message, the order of rollUp windows (oldest first), the message
 * of a filter error naming several terms.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hash32 } from '../synthetic/prng.js';
import { DAY_MS, Zone, addDays, dayNumber, systemClock, type Clock } from '../time/index.js';
import { FaultPlan } from './faults.js';
import { ApiError, invalidArgument, missingScopeBody, notFoundBody, filterErrorBody } from './health-api/errors.js';
import { FilterError, isPhysical, matches, parseFilter, type Filter } from './health-api/filter.js';
import { decodeToken, encodeToken, pageSizeOf } from './health-api/paging.js';
import { DEFAULT_QUOTA_PER_MINUTE, SlidingQuota } from './health-api/quota.js';
import { dailyRollUp, rollUp } from './health-api/rollup.js';
import { memberValue, sourceFamilyOf, Truth } from './health-api/truth.js';
import { DATA_TYPES, SCOPE_PREFIX, dataSourceOf, sleepOf, type DataTypeDef, type DayContext, type Row } from './health-api/types.js';
import { getPairedDevice, healthUserIdOf, identity, listPairedDevices, profile, settings } from './health-api/users.js';
import { resolveVariants, type Variants } from './health-api/variants.js';

export {
  rpcError,
  filterErrorBody,
  quotaExceededBody,
  ACCOUNT_NOT_LINKED_BODY,
  INTERNAL_BODY,
  UNAVAILABLE_BODY,
  type RpcStatusBody,
  type FilterErrorReason,
} from './health-api/errors.js';
export { fmtTimestamp, fmtOffsetDuration, civilOf } from './health-api/format.js';
export { QUOTA_WINDOW_MS, DEFAULT_QUOTA_PER_MINUTE } from './health-api/quota.js';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, SESSION_PAGE_SIZE, SERVED_TYPES, DATA_TYPES, LOSSY } from './health-api/types.js';
export { DEFAULT_VARIANTS, VARIANT_CHOICES, resolveVariants, parseVariantArgs, type Variants } from './health-api/variants.js';
export { reconcileRows, type SourceFamily } from './health-api/truth.js';
export { healthUserIdOf, TRACKER_DEVICE_ID } from './health-api/users.js';

/** heart-rate's default page size when `pageSize` is omitted, as observed live (the docs say 1440). */
export const HEART_RATE_DEFAULT_PAGE_SIZE = 50;

export interface HealthApiOptions {
  seed: number;
  timezone: string;
  /** Local dates (YYYY-MM-DD, inclusive) the synthetic user has data for. */
  firstDay: string;
  lastDay: string;
  /** Requests per user per rolling minute (default 300). */
  quotaPerMinute?: number;
  /** ms since the epoch (default Date.now): quota window and which points exist yet. */
  clock?: Clock;
  /** A point becomes visible once clock() >= its end + dataLagMs (default 0). */
  dataLagMs?: number;
  /** The reference's *uncertain* points (./health-api/variants.ts). */
  variant?: Partial<Variants>;
  /** Fault plan shared with the server (default: a new, empty one). */
  faults?: FaultPlan;
}

export interface HealthApiAuth {
  accessToken: string;
  scopes: string[];
}

export interface HealthApi {
  /** Answers an API request; false when the path is not one of the API's (the server then sends Google's HTML 404). */
  handle(req: IncomingMessage, res: ServerResponse, auth: HealthApiAuth): Promise<boolean>;
  quota: {
    /** Requests admitted in the sliding window (now - 60 s, now]. */
    used(now?: number): number;
    readonly limit: number;
  };
  /** Requests answered by `handle` (429s included). */
  readonly requests: number;
  readonly variants: Variants;
  /** The fault plan (applied by the server in front of the API; see faults.ts). */
  readonly faults: FaultPlan;
  readonly healthUserId: string;
  readonly options: Readonly<Required<Omit<HealthApiOptions, 'variant' | 'faults' | 'clock'>>> & { clock: Clock };
}

const DATA_RE = /^\/(?:v4|v4beta)\/users\/([^/]+)\/dataTypes\/([^/:]+)\/dataPoints(?::([A-Za-z]+)|\/([^/:]+))?\/?$/;
const USER_RE = /^\/(?:v4|v4beta)\/users\/([^/]+)\/(identity|profile|settings)\/?$/;
const DEVICES_RE = /^\/(?:v4|v4beta)\/users\/([^/]+)\/pairedDevices(?:\/([^/:]+))?\/?$/;

/** Scope families that may call users.getIdentity (discovery). */
const IDENTITY_SCOPES = ['activity_and_fitness', 'ecg', 'health_metrics_and_measurements', 'irn', 'profile', 'settings', 'sleep'];

function hasScope(scopes: readonly string[], suffix: string): boolean {
  return scopes.some((s) => s === `${SCOPE_PREFIX}${suffix}.readonly` || s === `${SCOPE_PREFIX}${suffix}`);
}

function requireScope(scopes: readonly string[], suffix: string, v: Variants): void {
  if (!hasScope(scopes, suffix)) throw new ApiError(403, missingScopeBody(`${SCOPE_PREFIX}${suffix}.readonly`, v.scopeError));
}

/** Id of a point inside `users/{u}/dataTypes/{type}/dataPoints/{id}` (4-63 of [a-z0-9-]). */
function pointId(type: DataTypeDef, c: DayContext, r: Row): string {
  if (type.id === 'sleep') return String(sleepOf(c, r)?.logId ?? r.t);
  if (type.id === 'exercise') return String(c.day.exercises[r.k]?.logId ?? r.t);
  if (type.id === 'weight') return String(c.day.weights[r.k]?.logId ?? r.t);
  return `${r.t.toString(36)}-${hash32(`${type.id}|${r.src}`).toString(36)}`;
}

export function createHealthApi(opts: HealthApiOptions): HealthApi {
  const clock = opts.clock ?? systemClock;
  const limit = opts.quotaPerMinute ?? DEFAULT_QUOTA_PER_MINUTE;
  const lag = opts.dataLagMs ?? 0;
  const variants = resolveVariants(opts.variant ?? {});
  const faults = opts.faults ?? new FaultPlan();
  const firstDayN = dayNumber(opts.firstDay);
  const lastDayN = dayNumber(opts.lastDay);
  if (lastDayN < firstDayN) throw new Error(`lastDay ${opts.lastDay} is before firstDay ${opts.firstDay}`);
  const truth = new Truth(opts.seed, opts.timezone, firstDayN, lastDayN, variants);
  const zone = new Zone(opts.timezone);
  const quota = new SlidingQuota(limit, variants.retryAfter === 'header');
  const userId = healthUserIdOf(opts.seed);
  let requests = 0;

  const nameOf = (type: DataTypeDef, c: DayContext, r: Row): string => `users/${userId}/dataTypes/${type.id}/dataPoints/${pointId(type, c, r)}`;

  function point(type: DataTypeDef, c: DayContext, r: Row, reconciled: boolean): Record<string, unknown> {
    const body = type.body(c, r);
    if (reconciled) return { dataPointName: nameOf(type, c, r), [type.key]: body };
    const p: Record<string, unknown> = {};
    if (type.identifiable) p.name = nameOf(type, c, r);
    p.dataSource = type.dataSource ? type.dataSource(r, c) : dataSourceOf(r.src, variants);
    p[type.key] = body;
    return p;
  }

  function list(type: DataTypeDef, url: URL, reconciled: boolean, now: number): Record<string, unknown> {
    const op = reconciled ? 'reconcile' : 'list';
    if (!type.ops.has(op)) throw invalidArgument('parent', `Data type '${type.id}' does not support ${op}.`); // *invented*
    const q = url.searchParams;
    const filter = q.get('filter') ?? '';
    const pageSize = pageSizeOf(q.get('pageSize') ?? q.get('page_size'), type.defaultPageSize(variants), type.maxPageSize);
    let f;
    try {
      f = parseFilter(filter, { filterId: type.filterId, members: type.members(variants), allowOr: type.id === 'sleep' });
    } catch (e) {
      if (e instanceof FilterError) throw new ApiError(400, filterErrorBody(e.reason, e.description, e.violations.slice(1)));
      throw e;
    }
    const family = reconciled ? sourceFamilyOf(q.get('dataSourceFamily') ?? q.get('data_source_family')) : 'all-sources';
    const binding = JSON.stringify([op, type.id, filter, family]);
    const rawToken = q.get('pageToken') ?? q.get('page_token') ?? '';
    const position = decodeToken(rawToken, binding);
    // as seen live: a past range's first page can be empty, carrying the token of the points
    if (rawToken === '' && variants.emptyPages === 'past-first' && endsBeforeToday(f, now)) {
      return { nextPageToken: encodeToken(0, binding) };
    }
    const [lo, hi] = truth.candidateDays(f);
    const points: Record<string, unknown>[] = [];
    let seen = 0;
    outer: for (let d = hi; d >= lo; d--) {
      const c = truth.day(d);
      const rows = reconciled ? truth.reconciled(type, d, family) : truth.rows(type, d);
      for (const r of rows) {
        if (now < r.visibleAt + lag) continue;
        if (!matches(f, (kind) => memberValue(r, kind))) continue;
        if (seen++ < position) continue;
        points.push(point(type, c, r, reconciled));
        if (points.length === pageSize) break outer;
      }
    }
    const out: Record<string, unknown> = {};
    if (points.length) out.dataPoints = points;
    // a full page always gets a token (no look-ahead), hence the live API's bare `{}` last page
    if (points.length === pageSize) out.nextPageToken = encodeToken(position + points.length, binding);
    return out;
  }

  /**
   * Does the filter's range end before the emulator's today (the local midnight of `now` in the
   * user's zone)? It does when a clause is made of `<` bounds only, each at or before that
   * midnight (physical members as instants, civil members and dates as wall clock). A filter
   * without such a clause is open-ended.
   */
  function endsBeforeToday(f: Filter, now: number): boolean {
    const today = zone.localDate(now);
    const physical = zone.midnightOfDate(today);
    const civil = Date.parse(`${today}T00:00:00Z`);
    return f.some((clause) => clause.length > 0 && clause.every((b) => b.op === '<' && b.ms <= (isPhysical(b.kind) ? physical : civil)));
  }

  function get(type: DataTypeDef, id: string, now: number): Record<string, unknown> {
    const missing = () => new ApiError(404, notFoundBody(`Unknown data point '${id}' of data type '${type.id}'.`));
    if (!type.identifiable || !/^\d{4,20}$/.test(id)) throw missing();
    const n = Number(id);
    const candidates = [Math.floor((n - 40_000_000_000) / 1000) + 18_000, Math.floor(n / DAY_MS)];
    for (const d of candidates) {
      if (d < firstDayN || d > lastDayN) continue;
      const c = truth.day(d);
      for (const r of truth.rows(type, d)) {
        if (pointId(type, c, r) === id && now >= r.visibleAt + lag) return point(type, c, r, false);
      }
    }
    throw missing();
  }

  function send(res: ServerResponse, status: number, body: unknown, pretty: boolean, headers: Record<string, string> = {}): void {
    const text = `${pretty ? JSON.stringify(body, null, 2) : JSON.stringify(body)}\n`;
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=UTF-8',
      'Content-Length': String(Buffer.byteLength(text)),
      Vary: 'Origin, X-Origin, Referer',
      ...headers,
    });
    res.end(text);
  }

  function checkUser(raw: string): string {
    const user = decodeURIComponent(raw);
    if (user !== 'me' && user !== userId) throw new ApiError(404, notFoundBody(`Unknown user '${user}'.`));
    return user;
  }

  const visibleAt =
    (now: number) =>
    (r: Row): boolean =>
      now >= r.visibleAt + lag;

  async function handle(req: IncomingMessage, res: ServerResponse, auth: HealthApiAuth): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const method = req.method ?? 'GET';
    const data = DATA_RE.exec(url.pathname);
    const userRes = data ? null : USER_RE.exec(url.pathname);
    const dev = data || userRes ? null : DEVICES_RE.exec(url.pathname);
    if (!data && !userRes && !dev) return false;
    const verb = data?.[3];
    if (verb !== undefined && !['reconcile', 'rollUp', 'dailyRollUp'].includes(verb)) return false;
    const wantPost = verb === 'rollUp' || verb === 'dailyRollUp';
    if (method !== (wantPost ? 'POST' : 'GET')) return false;
    requests++;
    const pretty = url.searchParams.get('prettyPrint') !== 'false';
    const now = clock();
    try {
      quota.admit(now);
      let body: unknown;
      if (userRes) {
        const user = checkUser(userRes[1] as string);
        const what = userRes[2];
        if (what === 'identity') {
          if (!IDENTITY_SCOPES.some((s) => hasScope(auth.scopes, s))) requireScope(auth.scopes, 'profile', variants);
          body = identity(opts.seed);
        } else if (what === 'profile') {
          requireScope(auth.scopes, 'profile', variants);
          body = profile(opts.seed, now, user);
        } else {
          requireScope(auth.scopes, 'settings', variants);
          body = settings(opts.timezone, now, user);
        }
      } else if (dev) {
        const user = checkUser(dev[1] as string);
        requireScope(auth.scopes, 'settings', variants);
        const lastSync = Math.min(now - lag, (lastDayN + 1) * DAY_MS);
        body = dev[2] !== undefined ? getPairedDevice(decodeURIComponent(dev[2]), user, lastSync) : listPairedDevices(url, user, lastSync);
      } else if (data) {
        checkUser(data[1] as string);
        const typeId = decodeURIComponent(data[2] as string);
        const type = DATA_TYPES.get(typeId);
        if (!type) throw new ApiError(404, notFoundBody(`Unknown data type '${typeId}'.`));
        requireScope(auth.scopes, type.scope, variants);
        if (data[4] !== undefined) body = get(type, decodeURIComponent(data[4]), now);
        else if (verb === 'rollUp') body = await rollUp(truth, type, req, visibleAt(now));
        else if (verb === 'dailyRollUp') body = await dailyRollUp(truth, type, req, visibleAt(now), variants);
        else body = list(type, url, verb === 'reconcile', now);
      }
      send(res, 200, body, pretty);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      send(res, e.httpStatus, e.body, pretty, e.headers);
    }
    return true;
  }

  return {
    handle,
    quota: { used: (now = clock()) => quota.used(now), limit },
    get requests() {
      return requests;
    },
    variants,
    faults,
    healthUserId: userId,
    options: { seed: opts.seed, timezone: opts.timezone, firstDay: opts.firstDay, lastDay: opts.lastDay, quotaPerMinute: limit, dataLagMs: lag, clock },
  };
}

/** Local dates `firstDay..lastDay` (inclusive), handy for callers that iterate the served range. */
export function servedDates(opts: Pick<HealthApiOptions, 'firstDay' | 'lastDay'>): string[] {
  const out: string[] = [];
  for (let d = opts.firstDay; dayNumber(d) <= dayNumber(opts.lastDay); d = addDays(d, 1)) out.push(d);
  return out;
}
