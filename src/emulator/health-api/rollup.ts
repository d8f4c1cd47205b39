/**
 * dataPoints.rollUp (physical windows) and dataPoints.dailyRollUp (civil day windows) over every
 * point of the request's `dataSourceFamily` (truth.ts `familyRows`; default `all-sources`), NOT
 * reconciled: as reported live, phone and watch minutes are both counted (summed) unless the
 * family is `google-wearables`. Both: zero windows are left out; a point counts in the window
 * holding its start (sample: its instant). rollUp returns its windows oldest first (*invented*:
 * not reported); dailyRollUp newest first, as seen live (variant `dailyRollUpOrder`).
 * rollUp: closed-open `range`, `windowSize` a Duration ("60s"); pages of `pageSize` (default
 * 1440, max 10000) non-empty windows with `nextPageToken`. dailyRollUp: `range.start` must be a
 * midnight; `windowSizeDays` (default 1); the end is exclusive or inclusive per the variant
 * `dailyRollUpEnd`; DailyRollUpDataPointsResponse has no `nextPageToken` field in the discovery
 * document, so at most `pageSize` windows are returned and nothing more.
 * Range limits (discovery): 14 days for heart-rate, active-minutes, total-calories,
 * calories-in-heart-rate-zone, 90 for
 * the others; beyond → 400 INVALID_ARGUMENT (*invented* wording). Request bodies are parsed like
 * Google's proto3 JSON parser: camelCase or snake_case names, unknown names rejected.
 */
import type { IncomingMessage } from 'node:http';
import { DAY_MS, MINUTE_MS } from '../../time/index.js';
import { ApiError, badRequest, invalidArgument, rpcError } from './errors.js';
import { parsePhysical } from './filter.js';
import { apiDateOfCivilMs, fmtTimestamp } from './format.js';
import { decodeToken, encodeToken, pageSizeOf } from './paging.js';
import { sourceFamilyOf, type Truth } from './truth.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type DataTypeDef, type DayContext, type Row } from './types.js';
import type { Variants } from './variants.js';

const MAX_BODY = 1 << 20;

type Json = Record<string, unknown>;

function unknownName(name: string, at: string): ApiError {
  const msg = `Invalid JSON payload received. Unknown name "${name}"${at ? ` at '${at}'` : ''}: Cannot find field.`;
  return new ApiError(400, rpcError(400, 'INVALID_ARGUMENT', msg, [badRequest(at, msg)]));
}

const camel = (k: string): string => k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

/** Object with camelCase keys; unknown keys are Google's "Unknown name" 400. */
function fields(o: unknown, allowed: readonly string[], at: string): Json {
  if (o === undefined || o === null) return {};
  if (typeof o !== 'object' || Array.isArray(o)) {
    const msg = `Invalid JSON payload received. Expected an object${at ? ` at '${at}'` : ''}.`;
    throw new ApiError(400, rpcError(400, 'INVALID_ARGUMENT', msg, [badRequest(at, msg)]));
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(o as Json)) {
    const c = camel(k);
    if (!allowed.includes(c)) throw unknownName(k, at);
    out[c] = v;
  }
  return out;
}

export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_BODY) throw invalidArgument('', 'Request payload size exceeds the limit.');
    chunks.push(b);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const msg = 'Invalid JSON payload received. Unexpected token.';
    throw new ApiError(400, rpcError(400, 'INVALID_ARGUMENT', msg, [badRequest('', msg)]));
  }
}

function requireOp(type: DataTypeDef, op: 'rollUp' | 'dailyRollUp'): NonNullable<DataTypeDef['rollup']> {
  if (!type.ops.has(op) || !type.rollup) {
    throw invalidArgument('parent', `Data type '${type.id}' does not support ${op}.`); // *invented* wording
  }
  return type.rollup;
}

const DURATION_RE = /^(\d+)(?:\.(\d{1,9}))?s$/;

/** Aggregates visible rows of the family with start in [from, to) into windows; `keep` maps a row to its window index. */
function collect(
  truth: Truth,
  type: DataTypeDef,
  family: ReturnType<typeof sourceFamilyOf>,
  days: [number, number],
  visible: (r: Row) => boolean,
  keep: (r: Row) => number | null,
): Map<number, { rows: Row[]; ctx: Map<Row, DayContext> }> {
  const windows = new Map<number, { rows: Row[]; ctx: Map<Row, DayContext> }>();
  for (let d = days[0]; d <= days[1]; d++) {
    const c = truth.day(d);
    const rows = truth.familyRows(type, d, family);
    for (let i = rows.length - 1; i >= 0; i--) {
      const r = rows[i] as Row;
      if (!visible(r)) continue;
      const w = keep(r);
      if (w === null) continue;
      let e = windows.get(w);
      if (!e) {
        e = { rows: [], ctx: new Map() };
        windows.set(w, e);
      }
      e.rows.push(r);
      e.ctx.set(r, c);
    }
  }
  return windows;
}

export async function rollUp(truth: Truth, type: DataTypeDef, req: IncomingMessage, visible: (r: Row) => boolean): Promise<Json> {
  const spec = requireOp(type, 'rollUp');
  const body = fields(await readJsonBody(req), ['range', 'windowSize', 'pageSize', 'pageToken', 'dataSourceFamily'], '');
  const range = fields(body.range, ['startTime', 'endTime'], 'range');
  const start = typeof range.startTime === 'string' ? parsePhysical(range.startTime) : null;
  const end = typeof range.endTime === 'string' ? parsePhysical(range.endTime) : null;
  if (start === null) throw invalidArgument('range.start_time', 'range.start_time is required and must be an RFC 3339 timestamp.');
  if (end === null) throw invalidArgument('range.end_time', 'range.end_time is required and must be an RFC 3339 timestamp.');
  if (end <= start) throw invalidArgument('range', 'range.end_time must be after range.start_time.');
  if (end - start > spec.maxDays * DAY_MS) {
    throw invalidArgument('range', `The range must not be longer than ${spec.maxDays} days for data type '${type.id}'.`);
  }
  const ws = typeof body.windowSize === 'string' ? DURATION_RE.exec(body.windowSize) : null;
  const windowMs = ws ? Number(ws[1]) * 1000 + Math.floor(Number(`0.${ws[2] ?? '0'}`) * 1000) : 0;
  if (!ws || windowMs <= 0) throw invalidArgument('window_size', 'window_size is required and must be a positive duration such as "60s".');
  const pageSize = pageSizeOf(body.pageSize, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  const family = sourceFamilyOf(body.dataSourceFamily);
  const binding = JSON.stringify(['rollUp', type.id, start, end, windowMs, family]);
  const position = decodeToken(typeof body.pageToken === 'string' ? body.pageToken : '', binding);

  const windows = collect(truth, type, family, truth.daysOf(start, end), visible, (r) =>
    r.t >= start && r.t < end ? Math.floor((r.t - start) / windowMs) : null,
  );
  const out: Json[] = [];
  let seen = 0;
  let more = false;
  for (const w of [...windows.keys()].sort((a, b) => a - b)) {
    const e = windows.get(w);
    if (!e) continue;
    const value = spec.value(e.rows, (r) => e.ctx.get(r) as DayContext);
    if (value === null) continue;
    if (seen++ < position) continue;
    if (out.length === pageSize) {
      more = true;
      break;
    }
    const ws0 = start + w * windowMs;
    out.push({ startTime: fmtTimestamp(ws0), endTime: fmtTimestamp(Math.min(end, ws0 + windowMs)), [spec.key]: value });
  }
  const res: Json = {};
  if (out.length) res.rollupDataPoints = out;
  if (more) res.nextPageToken = encodeToken(position + out.length, binding);
  return res;
}

/** CivilDateTime of a request → the wall clock read as UTC ms, and whether it is a midnight. */
function civilMs(v: unknown, at: string): { ms: number; midnight: boolean } {
  const o = fields(v, ['date', 'time'], at);
  const d = fields(o.date, ['year', 'month', 'day'], `${at}.date`);
  const t = fields(o.time, ['hours', 'minutes', 'seconds', 'nanos'], `${at}.time`);
  const n = (x: unknown): number => (x === undefined ? 0 : Number(x));
  const Y = n(d.year),
    M = n(d.month),
    D = n(d.day);
  const h = n(t.hours),
    mi = n(t.minutes),
    s = n(t.seconds),
    ns = n(t.nanos);
  const valid =
    [Y, M, D, h, mi, s, ns].every(Number.isInteger) && Y >= 1 && M >= 1 && M <= 12 && D >= 1 && h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 59;
  const ms = Date.UTC(Y, M - 1, D, h, mi, s) + Math.floor(ns / 1e6);
  if (!valid || new Date(Date.UTC(Y, M - 1, D)).getUTCDate() !== D) {
    throw invalidArgument(at, `${at} must be a valid civil date-time.`);
  }
  return { ms, midnight: h === 0 && mi === 0 && s === 0 && ns === 0 };
}

export async function dailyRollUp(truth: Truth, type: DataTypeDef, req: IncomingMessage, visible: (r: Row) => boolean, variants: Variants): Promise<Json> {
  const spec = requireOp(type, 'dailyRollUp');
  const body = fields(await readJsonBody(req), ['range', 'windowSizeDays', 'pageSize', 'pageToken', 'dataSourceFamily'], '');
  const range = fields(body.range, ['start', 'end'], 'range');
  if (range.start === undefined) throw invalidArgument('range.start', 'range.start is required.');
  if (range.end === undefined) throw invalidArgument('range.end', 'range.end is required.');
  const s = civilMs(range.start, 'range.start');
  const e = civilMs(range.end, 'range.end');
  if (!s.midnight) throw invalidArgument('range.start', 'range.start must be aligned with the aggregation window (a midnight).');
  const end = variants.dailyRollUpEnd === 'inclusive' ? Math.floor(e.ms / DAY_MS) * DAY_MS + DAY_MS : e.ms;
  if (end <= s.ms) throw invalidArgument('range', 'range.end must be after range.start.');
  if (end - s.ms > spec.maxDays * DAY_MS) {
    throw invalidArgument('range', `The range must not be longer than ${spec.maxDays} days for data type '${type.id}'.`);
  }
  const days = body.windowSizeDays === undefined ? 1 : Number(body.windowSizeDays);
  if (!Number.isInteger(days) || days < 0)
    throw invalidArgument('window_size_days', `Invalid value at 'window_size_days' (TYPE_INT32), "${String(body.windowSizeDays)}"`);
  const windowDays = days === 0 ? 1 : days;
  const pageSize = pageSizeOf(body.pageSize, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  const family = sourceFamilyOf(body.dataSourceFamily);
  const windowMs = windowDays * DAY_MS;
  const firstDay = Math.floor(s.ms / DAY_MS),
    lastDay = Math.floor((end - 1) / DAY_MS);
  const windows = collect(truth, type, family, [Math.max(truth.firstDayN, firstDay - 1), Math.min(truth.lastDayN, lastDay + 1)], visible, (r) => {
    const c = r.t + r.off * MINUTE_MS;
    return c >= s.ms && c < end ? Math.floor((c - s.ms) / windowMs) : null;
  });
  const out: Json[] = [];
  // newest first as seen live (variant: oldest first); the page holds the first pageSize of that order
  const order = variants.dailyRollUpOrder === 'newest-first' ? (a: number, b: number) => b - a : (a: number, b: number) => a - b;
  for (const w of [...windows.keys()].sort(order)) {
    const x = windows.get(w);
    if (!x) continue;
    const value = spec.value(x.rows, (r) => x.ctx.get(r) as DayContext);
    if (value === null) continue;
    if (out.length === pageSize) break;
    const ws0 = s.ms + w * windowMs;
    const we = Math.min(end, ws0 + windowMs);
    out.push({ civilStartTime: { date: apiDateOfCivilMs(ws0), time: {} }, civilEndTime: { date: apiDateOfCivilMs(we), time: {} }, [spec.key]: value });
  }
  return out.length ? { rollupDataPoints: out } : {};
}
