/**
 * The durable record, per account and data type, of which local days the sync has covered and
 * when. Kept in the store's key/value state (`google-health/coverage/<account>/<type>`, JSON) and
 * always written in the same transaction as the page it describes, so it can never claim a day
 * whose data did not commit, nor miss one that did.
 *
 * - `from` … `to`: the covered span (local dates, inclusive). Backfill extends `from` downwards,
 *   incremental passes extend `to`; `syncedUntil` is the instant the newest fetch reached.
 * - `segments`: when each stretch of days was last fetched (`at` = the start of that sync run;
 *   stretches of one run coalesce, so the list stays short).
 * - `backfillDone`: the backfill reached the first day with data (or sync.backfill_days).
 * - `window`: a window fetch in progress (page token of the next page), so a killed run resumes
 *   with the next page instead of starting the window again.
 * - `member`: the filter member that worked (sleep: end_time or civil_start_time).
 * - `newestPoint`: the instant of the newest data point seen (an intraday pass asks from there on);
 *   `overlapAt`: the run start of the last complete late-data re-read (sync.overlap_hours).
 */
import { STATE_KEYS } from '../../store/state-keys.js';
import type { Store } from '../../store/types.js';
import { dateOfDay, dayNumber } from '../../time/index.js';
import type { SourceFamily } from './datatypes.js';

export interface CoverageSegment {
  /** Local dates, inclusive. */
  from: string;
  to: string;
  /** Sync run start (UTC ms) of the last fetch of these days. */
  at: number;
}

export interface PendingWindow {
  phase: 'backfill' | 'incremental';
  /** Local dates [from, to). */
  from: string;
  to: string;
  /** The window's start instant when it is not `from`'s midnight (requests.ts WindowSpec). */
  fromInstant?: number;
  member: string | null;
  /** rollUp types: the source family of the next page (datatypes.ts `families`). */
  family?: SourceFamily;
  /** The next page's token ('' = the first page of `family`). */
  pageToken: string;
  /** Pages committed so far. */
  pages: number;
  points: number;
  fetchId: string;
}

export interface Coverage {
  v: 1;
  from: string | null;
  to: string | null;
  syncedUntil: number | null;
  backfillDone: boolean;
  /** Oldest / newest local date with a data point seen. */
  firstData: string | null;
  lastData: string | null;
  member: string | null;
  segments: CoverageSegment[];
  window: PendingWindow | null;
  /** Last time a request of this type failed, and why (cleared by the next success). */
  lastError: { at: number; message: string } | null;
  /** UTC ms of the newest data point seen (any source); null = none yet. */
  newestPoint: number | null;
  /** Run start (UTC ms) of the last complete late-data re-read of an intraday type; null = none yet. */
  overlapAt: number | null;
}

export function emptyCoverage(): Coverage {
  return {
    v: 1,
    from: null,
    to: null,
    syncedUntil: null,
    backfillDone: false,
    firstData: null,
    lastData: null,
    member: null,
    segments: [],
    window: null,
    lastError: null,
    newestPoint: null,
    overlapAt: null,
  };
}

export function readCoverage(store: Store, account: string, dataType: string): Coverage {
  const raw = store.getState(STATE_KEYS.coverage(account, dataType));
  if (raw === null) return emptyCoverage();
  try {
    const x = JSON.parse(raw) as Partial<Coverage>;
    if (x && x.v === 1) return { ...emptyCoverage(), ...x, segments: Array.isArray(x.segments) ? x.segments : [] };
  } catch {
    /* a damaged record: start over (re-reading is safe, writes are idempotent) */
  }
  return emptyCoverage();
}

export function writeCoverage(store: Store, account: string, dataType: string, c: Coverage): void {
  store.setState(STATE_KEYS.coverage(account, dataType), JSON.stringify(c));
}

// ---- local dates ----------------------------------------------------------------------------

function minDate(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a < b ? a : b;
}

function maxDate(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a > b ? a : b;
}

export { minDate, maxDate };

const MAX_SEGMENTS = 200;

/**
 * Records that the local days [from, toExclusive) were fetched in the run that started at `at`:
 * the segments list is updated (overlapped parts replaced, neighbours of the same run merged) and
 * the covered span widened.
 */
export function markCovered(c: Coverage, from: string, toExclusive: string, at: number): void {
  const a = dayNumber(from);
  const b = dayNumber(toExclusive) - 1;
  if (b < a) return;
  const out: { a: number; b: number; at: number }[] = [];
  for (const s of c.segments) {
    const sa = dayNumber(s.from),
      sb = dayNumber(s.to);
    if (sb < a || sa > b) {
      out.push({ a: sa, b: sb, at: s.at });
      continue;
    }
    if (sa < a) out.push({ a: sa, b: a - 1, at: s.at });
    if (sb > b) out.push({ a: b + 1, b: sb, at: s.at });
  }
  out.push({ a, b, at });
  out.sort((x, y) => x.a - y.a);
  const merged: { a: number; b: number; at: number }[] = [];
  for (const s of out) {
    const last = merged[merged.length - 1];
    if (last && last.at === s.at && s.a <= last.b + 1) last.b = Math.max(last.b, s.b);
    else merged.push({ ...s });
  }
  // bound the list: merge the oldest neighbours (keeping the older time: conservative)
  while (merged.length > MAX_SEGMENTS) {
    const [x, y] = merged.splice(0, 2) as [{ a: number; b: number; at: number }, { a: number; b: number; at: number }];
    merged.unshift({ a: x.a, b: Math.max(x.b, y.b), at: Math.min(x.at, y.at) });
  }
  c.segments = merged.map((s) => ({ from: dateOfDay(s.a), to: dateOfDay(s.b), at: s.at }));
  c.from = minDate(c.from, from);
  c.to = maxDate(c.to, dateOfDay(b));
}

/** Days of [from, to] (inclusive) that no segment covers, as [from, to] pairs (gap detection, `sync --dry-run`). */
export function gaps(c: Coverage): { from: string; to: string }[] {
  const out: { from: string; to: string }[] = [];
  for (let i = 1; i < c.segments.length; i++) {
    const prev = c.segments[i - 1]!,
      cur = c.segments[i]!;
    const a = dayNumber(prev.to) + 1,
      b = dayNumber(cur.from) - 1;
    if (a <= b) out.push({ from: dateOfDay(a), to: dateOfDay(b) });
  }
  return out;
}
