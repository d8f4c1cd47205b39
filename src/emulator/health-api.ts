/**
 * Google Health API v4 emulator: the data endpoints, served from the synthetic truth.
 *
 * The same `syntheticDay({seed, date, timezone})` that renders the Takeout archive answers here, so
 * a Takeout import and an API sync of the same days can be compared sample for sample.
 * The HTTP server, OAuth and the bearer check live in `server.ts` / `oauth.ts`; the server calls
 * `handle` once the token is accepted.
 *
 * Implemented: `GET /v4/users/me/dataTypes/{steps|heart-rate|distance}/dataPoints` (dataPoints.list;
 * `/v4beta/` too). Behaviour follows the shared reference (google-health-api.md):
 * - filters: `<snake_type>.<member> >= "…" AND <snake_type>.<member> < "…"` (either bound optional,
 *   terms joined by `AND`); anything else is a 400 `google.rpc.Status` (see `filterError`);
 * - newest first; `pageSize` default 1440 (heart-rate: 50, as observed live), max 10000 (larger is
 *   truncated); `nextPageToken` is sent whenever a page is full, so when the data ends exactly at a
 *   page boundary the last page is a bare `{}` (as observed live);
 * - proto3 JSON: empty lists and zero scalars omitted, int64 as strings, Timestamps without a
 *   fraction when it is zero, Durations as `"-14400s"` (a zero offset is `"0s"`: the message is set);
 * - quota: `quotaPerMinute` (300) requests per rolling 60 s, then 429 RESOURCE_EXHAUSTED + Retry-After.
 *
 * Decisions where the reference is silent (marked *invented* below): the detailed reasons of filter
 * errors other than INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER, the page token error message, the
 * 501 for data types / methods the emulator does not serve yet.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  CivilDateTime,
  DataPoint,
  DataSource,
  ListDataPointsResponse,
  ObservationTimeInterval,
} from '../sources/google-health/api-types.js';
import { PHONE, TRACKER, syntheticDay, type Series, type SyntheticDay } from '../synthetic/model.js';
import { hash32 } from '../synthetic/prng.js';
import { MIN, OffsetMap, addDays, dayNumber, dateOfDay } from '../synthetic/time.js';

export interface HealthApiOptions {
  seed: number;
  timezone: string;
  /** Local dates (YYYY-MM-DD, inclusive) the synthetic user has data for. */
  firstDay: string;
  lastDay: string;
  /** Requests per user per rolling minute (default 300). */
  quotaPerMinute?: number;
  /** ms since the epoch (default Date.now); tests inject one to move the quota window. */
  clock?: () => number;
  /** The reference's *uncertain* points (sleep is not served yet; kept for the next data types). */
  variant?: { sleepFilterMember?: 'end_time' | 'civil_start_time' };
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
  };
  /** Requests answered by `handle` (429s included). */
  readonly requests: number;
}

// ---- constants ---------------------------------------------------------------------------------

export const QUOTA_WINDOW_MS = 60_000;
export const DEFAULT_QUOTA_PER_MINUTE = 300;
export const DEFAULT_PAGE_SIZE = 1440;
/** heart-rate's default page size when `pageSize` is omitted, as observed live (the docs say 1440). */
export const HEART_RATE_DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 10_000;

const SCOPE_PREFIX = 'https://www.googleapis.com/auth/googlehealth.';

/** Every data type id of the reference (path form). Known but not served yet → 501. */
const KNOWN_DATA_TYPES = new Set([
  'steps', 'distance', 'floors', 'altitude', 'active-energy-burned', 'total-calories', 'active-zone-minutes',
  'active-minutes', 'heart-rate', 'heart-rate-variability', 'daily-heart-rate-variability',
  'daily-resting-heart-rate', 'oxygen-saturation', 'daily-oxygen-saturation', 'daily-respiratory-rate',
  'respiratory-rate-sleep-summary', 'daily-sleep-temperature-derivations', 'weight', 'sleep', 'exercise',
  'activity-level', 'basal-energy-burned', 'blood-glucose', 'body-fat', 'core-body-temperature',
  'daily-heart-rate-zones', 'daily-vo2-max', 'electrocardiogram', 'height', 'hydration-log',
  'irregular-rhythm-notification', 'nutrition-log', 'run-vo2-max', 'sedentary-period', 'swim-lengths-data',
  'time-in-heart-rate-zone', 'vo2-max',
]);

type MemberKind = 'physical' | 'civil';

interface ServedType {
  /** Path id (kebab-case). */
  id: 'steps' | 'distance' | 'heart-rate';
  /** Filter id (snake_case). */
  filterId: string;
  /** Filterable members (after `<filterId>.`). */
  members: Record<string, MemberKind>;
  defaultPageSize: number;
  /** Scope suffix (after `googlehealth.`) that grants read access. */
  scope: string;
  record: 'interval' | 'sample';
}

const INTERVAL_MEMBERS: Record<string, MemberKind> = {
  'interval.start_time': 'physical',
  'interval.civil_start_time': 'civil',
};

const SERVED: Record<string, ServedType> = {
  steps: { id: 'steps', filterId: 'steps', members: INTERVAL_MEMBERS, defaultPageSize: DEFAULT_PAGE_SIZE, scope: 'activity_and_fitness', record: 'interval' },
  distance: { id: 'distance', filterId: 'distance', members: INTERVAL_MEMBERS, defaultPageSize: DEFAULT_PAGE_SIZE, scope: 'activity_and_fitness', record: 'interval' },
  'heart-rate': {
    id: 'heart-rate',
    filterId: 'heart_rate',
    // civil_time: the reference shows it for weight (another Sample type); accepted for heart rate too.
    members: { 'sample_time.physical_time': 'physical', 'sample_time.civil_time': 'civil' },
    defaultPageSize: HEART_RATE_DEFAULT_PAGE_SIZE,
    scope: 'health_metrics_and_measurements',
    record: 'sample',
  },
};

// ---- google.rpc.Status bodies ------------------------------------------------------------------

type Detail = Record<string, unknown> & { '@type': string };

export interface RpcStatusBody {
  error: { code: number; message: string; status: string; details?: Detail[] };
}

export function rpcError(code: number, status: string, message: string, details?: Detail[]): RpcStatusBody {
  return { error: details && details.length ? { code, message, status, details } : { code, message, status } };
}

function errorInfo(reason: string, domain = 'health.googleapis.com', metadata?: Record<string, string>): Detail {
  const d: Detail = { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain };
  if (metadata) d.metadata = metadata;
  return d;
}

function badRequest(field: string, description: string): Detail {
  return { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field, description }] };
}

class ApiError extends Error {
  constructor(readonly httpStatus: number, readonly body: RpcStatusBody, readonly headers: Record<string, string> = {}) {
    super(body.error.message);
  }
}

/**
 * Detailed reasons of a rejected filter. Only DATA_TYPE_MEMBER is documented (reference, verbatim);
 * the others are *invented* in the same style.
 */
export type FilterErrorReason =
  | 'INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER'
  | 'INVALID_DATA_POINT_FILTER_OPERATOR'
  | 'INVALID_DATA_POINT_FILTER_SYNTAX'
  | 'INVALID_DATA_POINT_FILTER_VALUE';

/** The 400 body of a rejected filter (shape of the reference's example). */
export function filterErrorBody(reason: FilterErrorReason, description: string): RpcStatusBody {
  return rpcError(400, 'INVALID_ARGUMENT', `Invalid data point filter: ${reason}.`, [
    errorInfo('INVALID_DATA_POINT_FILTER', 'health.googleapis.com', { detailedReasons: reason }),
    badRequest('filter', description),
  ]);
}

// ---- filter ------------------------------------------------------------------------------------

/** One `member op "value"` term, the value in ms (physical: UTC; civil: the wall clock read as UTC). */
interface Bound {
  kind: MemberKind;
  op: '>=' | '<';
  ms: number;
}

interface Token {
  kind: 'member' | 'op' | 'string' | 'and' | 'or' | 'other';
  text: string;
  /** 0-based index in the filter. */
  at: number;
}

class FilterError extends Error {
  constructor(readonly reason: FilterErrorReason, readonly description: string) {
    super(description);
  }
}

function where(filter: string, at: number): string {
  const before = filter.slice(0, at);
  const line = before.split('\n').length;
  const column = at - (before.lastIndexOf('\n') + 1) + 1;
  return `(at line ${line}, column ${column})`;
}

function tokenize(filter: string): Token[] {
  const out: Token[] = [];
  const re = /\s+|([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)|(>=|<=|!=|[<>=:])|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(.)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < filter.length && (m = re.exec(filter)) !== null) {
    const at = m.index;
    if (m[1] !== undefined) {
      const kind = m[1] === 'AND' ? 'and' : m[1] === 'OR' ? 'or' : 'member';
      out.push({ kind, text: m[1], at });
    } else if (m[2] !== undefined) out.push({ kind: 'op', text: m[2], at });
    else if (m[3] !== undefined) out.push({ kind: 'string', text: m[3].slice(1, -1).replace(/\\(.)/g, '$1'), at });
    else if (m[4] !== undefined) {
      // an unterminated string or a stray character: the rest of the filter is unreadable
      out.push({ kind: 'other', text: filter.slice(at), at });
      break;
    }
  }
  return out;
}

const PHYSICAL_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
const CIVIL_RE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?$/;

function fieldsToMs(y: string, mo: string, d: string, h = '0', mi = '0', s = '0', frac?: string): number | null {
  const Y = Number(y), M = Number(mo), D = Number(d), H = Number(h), I = Number(mi), S = Number(s);
  const ms = Date.UTC(Y, M - 1, D, H, I, S) + (frac ? Math.floor(Number(`0${frac}`) * 1000) : 0);
  const dt = new Date(Date.UTC(Y, M - 1, D, H, I, S));
  if (Y < 1 || dt.getUTCFullYear() !== Y || dt.getUTCMonth() !== M - 1 || dt.getUTCDate() !== D || H > 23 || I > 59 || S > 59) return null;
  return ms;
}

function parsePhysical(v: string): number | null {
  const m = PHYSICAL_RE.exec(v);
  if (!m) return null;
  const base = fieldsToMs(m[1] as string, m[2] as string, m[3] as string, m[4], m[5], m[6], m[7]);
  if (base === null) return null;
  const z = m[8] as string;
  if (z === 'Z' || z === 'z') return base;
  const sign = z[0] === '-' ? -1 : 1;
  const oh = Number(z.slice(1, 3)), om = Number(z.slice(4, 6));
  if (oh > 23 || om > 59) return null;
  return base - sign * (oh * 60 + om) * MIN;
}

function parseCivil(v: string): number | null {
  const m = CIVIL_RE.exec(v);
  if (!m) return null;
  return fieldsToMs(m[1] as string, m[2] as string, m[3] as string, m[4], m[5], m[6], m[7]);
}

/** Parses a dataPoints.list filter for `type`; throws FilterError. An empty filter is no bound. */
function parseFilter(filter: string, type: ServedType): Bound[] {
  const toks = tokenize(filter);
  const bounds: Bound[] = [];
  let i = 0;
  const syntax = (tok: Token | undefined, what: string): FilterError =>
    new FilterError('INVALID_DATA_POINT_FILTER_SYNTAX', tok
      ? `Unexpected '${tok.text}', expected ${what}. ${where(filter, tok.at)}`
      : `Unexpected end of filter, expected ${what}. ${where(filter, filter.length)}`);
  if (toks.length === 0) return bounds;
  for (;;) {
    const mem = toks[i];
    if (!mem || mem.kind !== 'member') throw syntax(mem, 'a member such as ' + `'${type.filterId}.${Object.keys(type.members)[0] ?? ''}'`);
    const op = toks[i + 1];
    const val = toks[i + 2];
    // member first: a wrong member is the documented error even when the rest is fine
    const prefix = `${type.filterId}.`;
    const kind = mem.text.startsWith(prefix) ? type.members[mem.text.slice(prefix.length)] : undefined;
    if (!kind) {
      throw new FilterError('INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER', `Member '${mem.text}' is not supported for filtering. ${where(filter, mem.at)}`);
    }
    if (!op || op.kind !== 'op') throw syntax(op, "an operator ('>=' or '<')");
    if (op.text !== '>=' && op.text !== '<') {
      throw new FilterError('INVALID_DATA_POINT_FILTER_OPERATOR', `Operator '${op.text}' is not supported for filtering; use '>=' or '<'. ${where(filter, op.at)}`);
    }
    if (!val || val.kind !== 'string') throw syntax(val, 'a quoted value');
    const ms = kind === 'physical' ? parsePhysical(val.text) : parseCivil(val.text);
    if (ms === null) {
      const want = kind === 'physical' ? 'an RFC 3339 timestamp such as "2023-11-24T00:00:00Z"' : 'a civil date or date-time such as "2023-11-24" or "2023-11-24T12:34:56"';
      throw new FilterError('INVALID_DATA_POINT_FILTER_VALUE', `Invalid value "${val.text}" for member '${mem.text}': expected ${want}. ${where(filter, val.at)}`);
    }
    bounds.push({ kind, op: op.text, ms });
    i += 3;
    const next = toks[i];
    if (!next) return bounds;
    if (next.kind !== 'and') throw syntax(next, "'AND' or the end of the filter");
    i++;
  }
}

// ---- the truth as data points ------------------------------------------------------------------

/** One (type, day): points newest first, in compact arrays. */
interface DayPoints {
  /** Start instant (intervals) or sample instant, UTC ms. */
  t: Float64Array;
  /** Offset (minutes east) at t. */
  off: Int16Array;
  /** Intervals: offset at t + 1 min. */
  endOff: Int16Array;
  /** Integer value: steps, millimetres or bpm. */
  v: Float64Array;
  /** Index into `sources`. */
  src: Uint8Array;
  sources: string[];
}

function pointsOf(day: SyntheticDay, type: ServedType['id']): DayPoints {
  let series: Series[];
  let scale = 1;
  if (type === 'heart-rate') series = [day.heartRate];
  else if (type === 'steps') series = day.steps;
  else { series = day.distance; scale = 1000; } // metres → millimetres
  const rows: { t: number; off: number; v: number; src: number }[] = [];
  series.forEach((s, si) => {
    for (let k = 0; k < s.t.length; k++) {
      rows.push({ t: s.t[k] as number, off: s.offset[k] as number, v: Math.round((s.v[k] as number) * scale), src: si });
    }
  });
  rows.sort((a, b) => b.t - a.t || a.src - b.src);
  const n = rows.length;
  const out: DayPoints = {
    t: new Float64Array(n), off: new Int16Array(n), endOff: new Int16Array(n), v: new Float64Array(n), src: new Uint8Array(n),
    sources: series.map((s) => s.source),
  };
  const offs = type === 'heart-rate' ? null : new OffsetMap(day.timezone, day.start, day.end + 2 * MIN);
  rows.forEach((r, k) => {
    out.t[k] = r.t;
    out.off[k] = r.off;
    out.endOff[k] = offs ? offs.get(r.t + MIN) : r.off;
    out.v[k] = r.v;
    out.src[k] = r.src;
  });
  return out;
}

const DATA_SOURCES: Record<string, DataSource> = {
  [TRACKER]: { recordingMethod: 'PASSIVELY_MEASURED', platform: 'FITBIT', device: { displayName: TRACKER, manufacturer: 'Fitbit', formFactor: 'FITNESS_BAND' } },
  [PHONE]: { recordingMethod: 'PASSIVELY_MEASURED', platform: 'FITBIT', device: { displayName: PHONE, formFactor: 'PHONE' } },
};

function dataSourceOf(name: string): DataSource {
  return DATA_SOURCES[name] ?? { platform: 'FITBIT', device: { displayName: name } };
}

/** RFC 3339 UTC, fraction only when non-zero (proto3 JSON Timestamp). */
export function fmtTimestamp(t: number): string {
  const s = new Date(t).toISOString();
  return s.endsWith('.000Z') ? `${s.slice(0, -5)}Z` : s;
}

/** proto3 JSON Duration of an offset in minutes: "-14400s". */
export function fmtOffsetDuration(offsetMinutes: number): string {
  return `${offsetMinutes * 60}s`;
}

/** CivilDateTime of an instant at an offset, zero members omitted. */
export function civilOf(t: number, offsetMinutes: number): CivilDateTime {
  const d = new Date(t + offsetMinutes * MIN);
  const time: NonNullable<CivilDateTime['time']> = {};
  if (d.getUTCHours()) time.hours = d.getUTCHours();
  if (d.getUTCMinutes()) time.minutes = d.getUTCMinutes();
  if (d.getUTCSeconds()) time.seconds = d.getUTCSeconds();
  if (d.getUTCMilliseconds()) time.nanos = d.getUTCMilliseconds() * 1_000_000;
  return { date: { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() }, time };
}

function dataPointAt(type: ServedType['id'], p: DayPoints, k: number): DataPoint {
  const t = p.t[k] as number, off = p.off[k] as number, v = p.v[k] as number;
  const dataSource = dataSourceOf(p.sources[p.src[k] as number] ?? '');
  if (type === 'heart-rate') {
    const heartRate: NonNullable<DataPoint['heartRate']> = {
      sampleTime: { physicalTime: fmtTimestamp(t), utcOffset: fmtOffsetDuration(off), civilTime: civilOf(t, off) },
    };
    if (v !== 0) heartRate.beatsPerMinute = String(v);
    return { dataSource, heartRate };
  }
  const endOff = p.endOff[k] as number;
  const interval: ObservationTimeInterval = {
    startTime: fmtTimestamp(t),
    startUtcOffset: fmtOffsetDuration(off),
    endTime: fmtTimestamp(t + MIN),
    endUtcOffset: fmtOffsetDuration(endOff),
    civilStartTime: civilOf(t, off),
    civilEndTime: civilOf(t + MIN, endOff),
  };
  if (type === 'steps') {
    const steps: NonNullable<DataPoint['steps']> = { interval };
    if (v !== 0) steps.count = String(v);
    return { dataSource, steps };
  }
  const distance: NonNullable<DataPoint['distance']> = { interval };
  if (v !== 0) distance.millimeters = String(v);
  return { dataSource, distance };
}

// ---- page tokens -------------------------------------------------------------------------------

function filterHash(type: string, filter: string): string {
  return hash32(`${type}\u0000${filter}`).toString(36);
}

function encodeToken(position: number, type: string, filter: string): string {
  return Buffer.from(JSON.stringify({ p: position, h: filterHash(type, filter) })).toString('base64url');
}

/** Position of a page token, or null when it is not ours / was made for another filter. */
function decodeToken(token: string, type: string, filter: string): number | null {
  try {
    const o = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (typeof o !== 'object' || o === null) return null;
    const { p, h } = o as { p?: unknown; h?: unknown };
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || h !== filterHash(type, filter)) return null;
    return p;
  } catch {
    return null;
  }
}

// ---- the API -----------------------------------------------------------------------------------

const PATH_RE = /^\/(v4|v4beta)\/users\/([^/]+)\/dataTypes\/([^/:]+)\/dataPoints(?::([A-Za-z]+)|\/([^/]+))?\/?$/;

export function createHealthApi(opts: HealthApiOptions): HealthApi {
  const clock = opts.clock ?? Date.now;
  const limit = opts.quotaPerMinute ?? DEFAULT_QUOTA_PER_MINUTE;
  const firstDayN = dayNumber(opts.firstDay);
  const lastDayN = dayNumber(opts.lastDay);
  if (lastDayN < firstDayN) throw new Error(`lastDay ${opts.lastDay} is before firstDay ${opts.firstDay}`);
  /** Admitted request instants, ascending. */
  const admitted: number[] = [];
  let requests = 0;
  const cache = new Map<string, DayPoints>();
  const CACHE_MAX = 96;

  function prune(now: number): void {
    let k = 0;
    while (k < admitted.length && (admitted[k] as number) <= now - QUOTA_WINDOW_MS) k++;
    if (k) admitted.splice(0, k);
  }

  function used(now = clock()): number {
    let n = 0;
    for (const x of admitted) if (x > now - QUOTA_WINDOW_MS && x <= now) n++;
    return n;
  }

  function dayPoints(type: ServedType['id'], dayN: number): DayPoints {
    const key = `${type}|${dayN}`;
    const hit = cache.get(key);
    if (hit) {
      cache.delete(key);
      cache.set(key, hit);
      return hit;
    }
    const p = pointsOf(syntheticDay({ seed: opts.seed, date: dateOfDay(dayN), timezone: opts.timezone }), type);
    cache.set(key, p);
    if (cache.size > CACHE_MAX) {
      const first = cache.keys().next().value;
      if (first !== undefined) cache.delete(first);
    }
    return p;
  }

  /** Local days (day numbers) that can hold points within the bounds, clamped to the user's range. */
  function candidateDays(bounds: Bound[]): [number, number] {
    let lo = firstDayN, hi = lastDayN;
    const DAYMS = 86_400_000;
    for (const b of bounds) {
      // a local day spans at most [date 00:00 - 14 h, date+1 00:00 + 12 h] in UTC; be generous
      const slack = b.kind === 'physical' ? DAYMS : 0;
      if (b.op === '>=') lo = Math.max(lo, Math.floor((b.ms - slack) / DAYMS));
      else hi = Math.min(hi, Math.floor((b.ms - 1 + slack) / DAYMS));
    }
    return [lo, hi];
  }

  function list(type: ServedType, url: URL): ListDataPointsResponse {
    const filter = url.searchParams.get('filter') ?? '';
    const rawSize = url.searchParams.get('pageSize') ?? url.searchParams.get('page_size');
    let pageSize = type.defaultPageSize;
    if (rawSize !== null && rawSize !== '') {
      if (!/^-?\d+$/.test(rawSize.trim()) || !Number.isSafeInteger(Number(rawSize)) || Math.abs(Number(rawSize)) > 2 ** 31 - 1) {
        const msg = `Invalid value at 'page_size' (TYPE_INT32), "${rawSize}"`;
        throw new ApiError(400, rpcError(400, 'INVALID_ARGUMENT', msg, [badRequest('page_size', msg)]));
      }
      const n = Number(rawSize);
      if (n < 0) {
        const msg = 'page_size must not be negative.'; // *invented* wording
        throw new ApiError(400, rpcError(400, 'INVALID_ARGUMENT', msg, [badRequest('page_size', msg)]));
      }
      if (n > 0) pageSize = Math.min(n, MAX_PAGE_SIZE);
    }
    let bounds: Bound[];
    try {
      bounds = parseFilter(filter, type);
    } catch (e) {
      if (e instanceof FilterError) throw new ApiError(400, filterErrorBody(e.reason, e.description));
      throw e;
    }
    const token = url.searchParams.get('pageToken') ?? url.searchParams.get('page_token') ?? '';
    let position = 0;
    if (token !== '') {
      const p = decodeToken(token, type.id, filter);
      if (p === null) {
        const msg = 'Invalid page token: it is malformed or was issued for a different filter.'; // *invented* wording
        throw new ApiError(400, rpcError(400, 'INVALID_ARGUMENT', msg, [badRequest('page_token', msg)]));
      }
      position = p;
    }
    const [lo, hi] = candidateDays(bounds);
    const points: DataPoint[] = [];
    let seen = 0;
    outer: for (let d = hi; d >= lo; d--) {
      const p = dayPoints(type.id, d);
      for (let k = 0; k < p.t.length; k++) {
        const t = p.t[k] as number;
        const civil = t + (p.off[k] as number) * MIN;
        let ok = true;
        for (const b of bounds) {
          const x = b.kind === 'physical' ? t : civil;
          if (b.op === '>=' ? x < b.ms : x >= b.ms) { ok = false; break; }
        }
        if (!ok) continue;
        if (seen++ < position) continue;
        points.push(dataPointAt(type.id, p, k));
        if (points.length === pageSize) break outer;
      }
    }
    const out: ListDataPointsResponse = {};
    if (points.length) out.dataPoints = points;
    // a full page always gets a token (no look-ahead), hence the live API's bare `{}` last page
    if (points.length === pageSize) out.nextPageToken = encodeToken(position + points.length, type.id, filter);
    return out;
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

  function hasScope(scopes: string[], suffix: string): boolean {
    return scopes.some((s) => s === `${SCOPE_PREFIX}${suffix}.readonly` || s === `${SCOPE_PREFIX}${suffix}`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse, auth: HealthApiAuth): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const m = PATH_RE.exec(url.pathname);
    if (!m) return false;
    const method = req.method ?? 'GET';
    const verb = m[4];
    // dataPoints.list is a GET; rollUp / dailyRollUp are POSTs; anything else is not a route
    if (verb === undefined ? method !== 'GET' : !['reconcile', 'rollUp', 'dailyRollUp'].includes(verb)) return false;
    requests++;
    const pretty = url.searchParams.get('prettyPrint') !== 'false';
    const now = clock();
    prune(now);
    try {
      if (admitted.length >= limit) {
        const oldest = admitted[admitted.length - limit] as number;
        const retry = Math.max(1, Math.ceil((oldest + QUOTA_WINDOW_MS - now) / 1000));
        throw new ApiError(429, rpcError(429, 'RESOURCE_EXHAUSTED',
          `Quota exceeded for quota metric 'Requests' and limit 'Requests per minute per user' of service 'health.googleapis.com' for consumer 'project_number:0'.`,
          [errorInfo('RATE_LIMIT_EXCEEDED', 'googleapis.com', {
            service: 'health.googleapis.com',
            quota_metric: 'health.googleapis.com/requests',
            quota_limit: 'RequestsPerMinutePerUser',
            quota_limit_value: String(limit),
            consumer: 'projects/0',
          })]), { 'Retry-After': String(retry) });
      }
      admitted.push(now);
      const user = decodeURIComponent(m[2] as string);
      const typeId = decodeURIComponent(m[3] as string);
      if (user !== 'me' || !KNOWN_DATA_TYPES.has(typeId)) {
        throw new ApiError(404, rpcError(404, 'NOT_FOUND',
          user !== 'me' ? `The requested resource was not found. Unknown user '${user}'.` : `The requested resource was not found. Unknown data type '${typeId}'.`,
          [errorInfo('RESOURCE_NOT_FOUND')]));
      }
      const served = SERVED[typeId];
      if (!served || verb !== undefined || m[5] !== undefined) {
        // *invented*: a real endpoint the emulator does not serve yet
        throw new ApiError(501, rpcError(501, 'UNIMPLEMENTED',
          `The emulator does not serve ${verb ? `dataPoints:${verb}` : m[5] ? 'dataPoints.get' : 'dataPoints.list'} for '${typeId}' yet.`));
      }
      if (!hasScope(auth.scopes, served.scope)) {
        throw new ApiError(403, rpcError(403, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.', [
          errorInfo('MISSING_OAUTH_SCOPE', 'health.googleapis.com', { requiredScope: `${SCOPE_PREFIX}${served.scope}.readonly` }),
        ]));
      }
      send(res, 200, list(served, url), pretty);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      send(res, e.httpStatus, e.body, pretty, e.headers);
    }
    return true;
  }

  return {
    handle,
    quota: { used },
    get requests() {
      return requests;
    },
  };
}

/** Local dates `firstDay..lastDay` (inclusive), handy for callers that iterate the served range. */
export function servedDates(opts: Pick<HealthApiOptions, 'firstDay' | 'lastDay'>): string[] {
  const out: string[] = [];
  for (let d = opts.firstDay; dayNumber(d) <= dayNumber(opts.lastDay); d = addDays(d, 1)) out.push(d);
  return out;
}
