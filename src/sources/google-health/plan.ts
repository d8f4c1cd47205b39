/**
 * What a sync will fetch (no requests): the incremental windows of every type, where its backfill
 * stands, and an estimate of the requests and of the time they take at the quota. `sync --dry-run`
 * prints it; `syncAccount` computes the same windows as it goes.
 */
import type { Config } from '../../config/schema.js';
import type { Store } from '../../store/types.js';
import { Zone, addDays, dateOfDay, dayNumber, systemClock, type Clock } from '../../time/index.js';
import { readCoverage, type Coverage } from './coverage.js';
import { dataType, typesForMode, type DataTypeDef } from './datatypes.js';
import type { WindowSpec } from './requests.js';

export type SyncMode = 'recent' | 'daily' | 'backfill' | 'all';

/** Typical points per day (a Fitbit tracker worn all day), for estimates only. */
const POINTS_PER_DAY: Record<string, number> = {
  'heart-rate': 17_000,
  steps: 700,
  distance: 700,
  altitude: 30,
  'active-energy-burned': 1000,
  'active-zone-minutes': 60,
  'heart-rate-variability': 90,
  'oxygen-saturation': 450,
  'total-calories': 1440,
  floors: 30,
  weight: 0.3,
  sleep: 1.2,
  exercise: 0.5,
  'respiratory-rate-sleep-summary': 1.1,
};

/** [from, to) cut into windows of `days`, oldest first (or newest first). */
export function split(from: string, to: string, days: number, newestFirst = false): WindowSpec[] {
  const out: WindowSpec[] = [];
  const a = dayNumber(from),
    b = dayNumber(to);
  for (let x = a; x < b; x += days) out.push({ from: dateOfDay(x), to: dateOfDay(Math.min(b, x + days)) });
  return newestFirst ? out.reverse() : out;
}

/** Is the late-data re-read (sync.overlap_hours, whole local days) of an intraday type due? */
export function lateOverlapDue(cov: Coverage, now: number, cfg: Config['sync']): boolean {
  if (cov.syncedUntil === null || cov.to === null || cov.overlapAt === null) return true;
  return now - cov.overlapAt >= cfg.overlap_every_hours * 3_600_000;
}

/**
 * The incremental pass of a type, up to tomorrow (local dates):
 * - daily types: the last sync.recheck_days days;
 * - intraday types, when the late-data re-read is due (first pass, then every
 *   sync.overlap_every_hours): the whole local days from sync.overlap_hours before the newest
 *   synced instant;
 * - intraday types between two re-reads, or in a pass that leaves the re-read to another
 *   (`late` false: the frequent recent pass of `run`): from the newest stored point (else the
 *   newest synced instant) minus sync.recent_overlap_minutes, to the minute (`fromInstant`).
 */
export function incrementalWindows(def: DataTypeDef, cov: Coverage, zone: Zone, now: number, cfg: Config['sync'], late = true): WindowSpec[] {
  const today = zone.localDate(now);
  const overlapMs = cfg.overlap_hours * 3_600_000;
  const floor = addDays(today, -cfg.backfill_days);
  let start: string;
  if (cov.syncedUntil === null || cov.to === null) {
    start = addDays(today, -(def.group === 'recent' ? Math.ceil(cfg.overlap_hours / 24) : cfg.recheck_days));
  } else if (def.group === 'recent') {
    const until = Math.min(now, cov.syncedUntil);
    if (!late || !lateOverlapDue(cov, now, cfg)) {
      const newest = cov.newestPoint === null ? until : Math.min(cov.newestPoint, until);
      let from = newest - cfg.recent_overlap_minutes * 60_000;
      if (from < until - overlapMs) from = until - overlapMs;
      from = Math.floor(from / 60_000) * 60_000;
      const day = zone.localDate(from);
      if (day >= floor) {
        const wins = split(day, addDays(today, 1), def.windowDays);
        if (wins[0]) wins[0].fromInstant = from;
        return wins;
      }
    }
    start = zone.localDate(until - overlapMs);
  } else {
    start = addDays(zone.localDate(Math.min(now, cov.syncedUntil)), -cfg.recheck_days);
  }
  if (start > today) start = today;
  if (start < floor) start = floor;
  return split(start, addDays(today, 1), def.windowDays);
}

/**
 * The types a scheduled job of `fitbit-bridge run` syncs: `recent` the intraday types of
 * sync.recent_types (what is new only: the late-data re-read is left to `daily`); `daily` and
 * `backfill` every type.
 */
export function scheduledTypes(job: 'recent' | 'daily' | 'backfill', cfg: Config['sync']): string[] {
  const fast = new Set(cfg.recent_types.map((t) => typesForMode('recent', [t])[0]?.id ?? t));
  for (const id of fast) {
    if (dataType(id).group !== 'recent') {
      throw new Error(
        `sync.recent_types: ${JSON.stringify(id)} is not an intraday type (they are: ${typesForMode('recent')
          .map((d) => d.id)
          .join(', ')})`,
      );
    }
  }
  if (job === 'recent')
    return typesForMode('recent')
      .filter((d) => fast.has(d.id))
      .map((d) => d.id);
  return typesForMode('all').map((d) => d.id);
}

export interface TypePlan {
  type: string;
  method: 'list' | 'rollUp';
  /** Incremental windows (local dates [from, to)). */
  incremental: WindowSpec[];
  /** Where the backfill stands: covered down to `from`; null = not started. */
  coveredFrom: string | null;
  coveredTo: string | null;
  backfillDone: boolean;
  /** Days left to backfill (estimate: down to the oldest data known in the store, else sync.backfill_days). */
  backfillDays: number;
  /** True when the backfill estimate could only use sync.backfill_days (no data known yet). */
  backfillUpperBound: boolean;
  requests: number;
  note?: string;
}

export interface SyncPlan {
  mode: SyncMode;
  types: TypePlan[];
  requests: number;
  /** At quota_per_minute (95 %, the client's limiter). */
  etaSeconds: number;
}

export interface PlanOptions {
  store: Store;
  account: string;
  timezone: string;
  mode: SyncMode;
  types?: string[];
  config: Config['sync'];
  quotaPerMinute?: number;
  now?: Clock;
  /** Intraday types may run their late-data re-read when due (default true; incrementalWindows). */
  lateOverlap?: boolean;
}

function pagesFor(def: DataTypeDef, days: number): number {
  const per = POINTS_PER_DAY[def.id] ?? 1;
  return Math.max(1, Math.ceil((per * days) / def.maxPageSize));
}

function windowRequests(def: DataTypeDef, wins: WindowSpec[]): number {
  let n = 0;
  // a window from an instant asks for the last minutes: one page
  for (const w of wins) n += w.fromInstant !== undefined ? 1 : pagesFor(def, dayNumber(w.to) - dayNumber(w.from));
  // rollUp types ask each source family of a window in turn
  return n * Math.max(1, def.families?.length ?? 1);
}

/** Oldest local day with a sample of the account in the store (any metric, any source), or null. */
export function oldestStoredDay(store: Store, account: string, zone: Zone, metrics?: readonly string[]): string | null {
  let first: number | null = null;
  for (const s of store.listSeries({ account })) {
    if (metrics && !metrics.includes(s.metric)) continue;
    if (s.first !== null && (first === null || s.first < first)) first = s.first;
  }
  return first === null ? null : zone.localDate(first);
}

export function etaSeconds(requests: number, quotaPerMinute: number): number {
  return Math.ceil((requests / Math.max(1, quotaPerMinute * 0.95)) * 60);
}

export function planSync(opts: PlanOptions): SyncPlan {
  const zone = new Zone(opts.timezone);
  const now = (opts.now ?? systemClock)();
  const today = zone.localDate(now);
  const cfg = opts.config;
  const types: TypePlan[] = [];
  const incr = opts.mode !== 'backfill';
  const back = opts.mode === 'backfill' || opts.mode === 'all';
  for (const def of typesForMode(opts.mode, opts.types)) {
    const cov = readCoverage(opts.store, opts.account, def.id);
    const incremental = incr ? incrementalWindows(def, cov, zone, now, cfg, opts.lateOverlap ?? true) : [];
    let requests = windowRequests(def, incremental);
    let backfillDays = 0;
    let upper = false;
    if (back && !cov.backfillDone) {
      const floor = addDays(today, -cfg.backfill_days);
      const top = cov.from ?? incremental[0]?.from ?? addDays(today, 1);
      const known = oldestStoredDay(opts.store, opts.account, zone, def.metrics) ?? oldestStoredDay(opts.store, opts.account, zone);
      const bottom = known !== null && known > floor ? known : floor;
      upper = known === null;
      backfillDays = Math.max(0, dayNumber(top) - dayNumber(bottom));
      const wins = backfillDays > 0 ? split(bottom, top, def.windowDays) : [];
      // + the probe that finds there is nothing older (list types); with no data known this is an upper bound
      requests += windowRequests(def, wins) + (def.method === 'list' ? 1 : 0);
    }
    const tp: TypePlan = {
      type: def.id,
      method: def.method,
      incremental,
      coveredFrom: cov.from,
      coveredTo: cov.to,
      backfillDone: cov.backfillDone,
      backfillDays,
      backfillUpperBound: upper,
      requests,
    };
    if (def.note) tp.note = def.note;
    types.push(tp);
  }
  const requests = types.reduce((a, t) => a + t.requests, 0);
  return { mode: opts.mode, types, requests, etaSeconds: etaSeconds(requests, opts.quotaPerMinute ?? 300) };
}
