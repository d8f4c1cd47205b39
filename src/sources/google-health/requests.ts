/**
 * Requests of the sync: a window of local days [from, to) of one data type becomes a
 * dataPoints.list filter (physical members: the zone's local midnights as UTC instants; civil
 * members and daily dates: the dates themselves) or a rollUp body (60 s windows); the request key
 * identifies the page for the raw-page archive.
 */
import { createHash } from 'node:crypto';
import type { RollUpDataPointsRequest } from './api-types.js';
import type { HealthClient } from './client.js';
import { DAY_MS, dayNumber, type Zone } from '../../time/index.js';
import { familyName, type DataTypeDef, type FilterMember, type SourceFamily } from './datatypes.js';

export interface WindowSpec {
  /** Local dates [from, to). */
  from: string;
  to: string;
  /**
   * UTC ms: the window starts at this instant instead of `from`'s local midnight (an intraday pass
   * that asks only for what is new; physical filter members and rollUp ranges). It lies in `from`.
   */
  fromInstant?: number;
}

/** The request of one page, as kept with the raw page (JSON) and replayed by `rebuild`. */
export interface PageRequest {
  method: 'list' | 'rollUp';
  dataType: string;
  filter?: string;
  body?: RollUpDataPointsRequest;
  pageSize: number;
  pageToken?: string;
  /** 0-based page number within the window fetch. */
  page: number;
  /** Local dates of the window. */
  from: string;
  to: string;
  /** The IANA zone the page was mapped with (daily records' midnights, offsets of rollUp windows). */
  tz: string;
}

/** RFC 3339 UTC without a zero fraction. */
export function isoZ(t: number): string {
  const s = new Date(t).toISOString();
  return s.endsWith('.000Z') ? `${s.slice(0, -5)}Z` : s;
}

function bound(def: DataTypeDef, m: FilterMember, op: '>=' | '<', date: string, zone: Zone, instant?: number): string {
  const v = m.kind === 'physical' ? isoZ(instant ?? zone.midnightOfDate(date)) : date;
  return `${def.filterId}.${m.member} ${op} "${v}"`;
}

/** The filter of a window (either bound may be left out: a probe has only `<`); `fromInstant` applies to physical members. */
export function windowFilter(def: DataTypeDef, member: FilterMember, win: { from?: string; to?: string; fromInstant?: number }, zone: Zone): string {
  const terms: string[] = [];
  if (win.from !== undefined) terms.push(bound(def, member, '>=', win.from, zone, win.fromInstant));
  if (win.to !== undefined) terms.push(bound(def, member, '<', win.to, zone));
  return terms.join(' AND ');
}

/**
 * The rollUp body of a window (60 s windows from its first local midnight), for one source family
 * (omitted: the API's default, all sources). Throws when the window is longer than the type's
 * rollUp range limit (the API would answer 400): windows are cut to `windowDays` ≤ the limit.
 */
export function rollUpBody(def: DataTypeDef, win: WindowSpec, zone: Zone, family?: SourceFamily): RollUpDataPointsRequest {
  const start = win.fromInstant ?? zone.midnightOfDate(win.from),
    end = zone.midnightOfDate(win.to);
  if (def.maxRangeDays !== undefined && end - start > def.maxRangeDays * DAY_MS) {
    throw new Error(`${def.id}: a rollUp of ${win.from}..${win.to} exceeds the API's range limit of ${def.maxRangeDays} days`);
  }
  const body: RollUpDataPointsRequest = {
    range: { startTime: isoZ(start), endTime: isoZ(end) },
    windowSize: '60s',
    pageSize: def.maxPageSize,
  };
  if (family !== undefined) body.dataSourceFamily = familyName(family);
  return body;
}

/** Days a window spans. */
export function windowDays(win: WindowSpec): number {
  return dayNumber(win.to) - dayNumber(win.from);
}

/** Stable key of a page: method, filter / range and source family, page size and page number (not the token, which may differ per fetch). */
export function requestKey(r: PageRequest): string {
  // a body without a family keeps the key it had before families were asked (JSON.stringify drops undefined)
  const what =
    r.method === 'rollUp'
      ? JSON.stringify({ range: r.body?.range, windowSize: r.body?.windowSize, dataSourceFamily: r.body?.dataSourceFamily })
      : (r.filter ?? '');
  return createHash('sha256').update(`${r.method}\u0000${r.dataType}\u0000${what}\u0000${r.pageSize}\u0000${r.page}`).digest('base64url').slice(0, 32);
}

/** Sends one page request; `raw` is the exact response text. */
export async function sendPage(client: HealthClient, r: PageRequest): Promise<{ body: unknown; raw: string }> {
  if (r.method === 'rollUp') {
    const body = { ...(r.body as RollUpDataPointsRequest) };
    if (r.pageToken !== undefined) body.pageToken = r.pageToken;
    else delete body.pageToken;
    return client.rollUpPage(r.dataType, body);
  }
  return client.listPage(r.dataType, {
    ...(r.filter ? { filter: r.filter } : {}),
    pageSize: r.pageSize,
    ...(r.pageToken !== undefined ? { pageToken: r.pageToken } : {}),
  });
}
