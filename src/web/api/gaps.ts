/**
 * The gaps of a metric's coverage calendar (runs of local days without data) and their likely
 * cause, in this order:
 * - `not_backfilled`: the account syncs live, the metric has a Google Health data type, and the
 *   sync has not covered these days yet (its coverage record, src/sources/google-health/coverage.ts)
 *   while its backfill is not done: the backfill will fetch them;
 * - `not_worn`: other metrics of the account have data on these days (the phone counted steps, a
 *   weigh-in): the tracker recorded nothing, nothing to import;
 * - `takeout_only`: the days after the newest data of an account that does not sync live: they can
 *   only come from a newer Takeout export;
 * - `unknown` otherwise.
 */
import type { MetricDef } from '../../metrics/registry.js';
import { readCoverage } from '../../sources/google-health/coverage.js';
import { DATA_TYPES } from '../../sources/google-health/datatypes.js';
import type { SeriesKey, Store } from '../../store/types.js';
import { dateOfDay, dayNumber, localDayAtOffset } from '../../time/index.js';

export type GapCause = 'not_worn' | 'not_backfilled' | 'takeout_only' | 'unknown';

export interface Gap {
  from: string;
  to: string;
  days: number;
  cause: GapCause;
  remedy: string;
}

export const REMEDIES: Record<GapCause, string> = {
  not_backfilled:
    'The backfill has not reached these days yet: it continues on its schedule (schedule.backfill) at the API quota. A Takeout export covering them fills them at once (Upload page or the drop folder).',
  not_worn:
    'Other data exists on these days but none of this metric: the tracker was probably not worn (or not synced). Nothing to import; if it was worn, a newer Takeout export may have it.',
  takeout_only:
    'No data after these days is stored yet and the account does not sync live: request a new Google Takeout export of Fitbit data and upload it (Upload page) or put it into the drop folder.',
  unknown: 'No source had data for these days. If the tracker was worn, import a Takeout export covering them.',
};

export interface GapContext {
  store: Store;
  account: string;
  def: MetricDef;
  /** The account syncs through the Google Health API (a client is configured). */
  live: boolean;
  /** The series of the account's other metrics (otherMetricSeries). */
  others: readonly OtherSeries[];
}

/** The series of every other metric of the account, with the UTC days (blocks) each has. */
export interface OtherSeries {
  key: SeriesKey;
  days: ReadonlySet<number>;
}

export function otherMetricSeries(store: Store, account: string, except: string): OtherSeries[] {
  const out: OtherSeries[] = [];
  for (const s of store.listSeries({ account })) {
    if (s.metric === except || s.count === 0) continue;
    const key = { account, metric: s.metric, source: s.source };
    out.push({ key, days: new Set(store.days(key)) });
  }
  return out;
}

/** Most blocks read to find other data inside one gap. */
const MAX_PROBES = 64;

/** Whether another metric has a sample on a local day in [a, b] (its own offset; a UTC block d holds local days d-1..d+1). */
function otherDataIn(store: Store, others: readonly OtherSeries[], a: number, b: number): boolean {
  let probes = 0;
  // inner blocks first: they hold local days of the gap only
  const order: number[] = [];
  for (let d = a; d <= b; d++) order.push(d);
  order.push(a - 1, b + 1);
  for (const d of order) {
    for (const o of others) {
      if (!o.days.has(d)) continue;
      if (++probes > MAX_PROBES) return false;
      const c = store.readDayColumns(o.key, d);
      for (let i = 0; i < c.n; i++) {
        const ld = localDayAtOffset(c.t[i]!, c.offset[i]!);
        if (ld >= a && ld <= b) return true;
      }
    }
  }
  return false;
}

/**
 * Gaps between the days with data (`have`, sorted), within [lo, hi] (local day numbers); `trailingTo`:
 * also the gap after the last day with data up to this day (the whole history asked for).
 */
export function findGaps(ctx: GapContext, have: readonly number[], lo: number, hi: number, trailingTo: number | null): Gap[] {
  const runs: [number, number, boolean][] = [];
  const inRange = have.filter((d) => d >= lo && d <= hi);
  for (let i = 1; i < inRange.length; i++) {
    const a = inRange[i - 1]!,
      b = inRange[i]!;
    if (b - a > 1) runs.push([a + 1, b - 1, false]);
  }
  const last = inRange[inRange.length - 1];
  if (trailingTo !== null && last !== undefined && trailingTo > last) runs.push([last + 1, trailingTo, true]);
  const dt = DATA_TYPES.find((t) => t.metrics.includes(ctx.def.id));
  const cov = ctx.live && dt ? readCoverage(ctx.store, ctx.account, dt.id) : null;
  return runs.map(([a, b, trailing]) => {
    let cause: GapCause = 'unknown';
    const covered = cov !== null && cov.from !== null && cov.to !== null && a >= dayNumber(cov.from) && b <= dayNumber(cov.to);
    if (cov !== null && !covered && !cov.backfillDone) cause = 'not_backfilled';
    else if (otherDataIn(ctx.store, ctx.others, a, b)) cause = 'not_worn';
    else if (trailing && !ctx.live) cause = 'takeout_only';
    return { from: dateOfDay(a), to: dateOfDay(b), days: b - a + 1, cause, remedy: REMEDIES[cause] };
  });
}
