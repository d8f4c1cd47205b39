/**
 * The synthetic truth as the API sees it: one `syntheticDay` per local day of the user (cached),
 * each type's rows per day (newest first), their reconciled form, and visibility (a point exists
 * once `clock() >= visibleAt + dataLagMs`).
 *
 * THE RECONCILE RULE (dataPoints.reconcile): sources are ranked, the tracker
 * (`Inspire 3`) first, every other source (`Fitbit App`) after it. A point of a lower-ranked
 * source is dropped when it overlaps a kept point of a higher-ranked one: for intervals and
 * sessions [start, end) intersect, for samples and daily records the instant / date is the same.
 * Nothing is summed. For steps and distance this is "the tracker's minute when it has one, else
 * the phone's" - the per-minute grid the Takeout JSON layer prints. `dataSourceFamily` filters
 * first: `google-wearables` keeps only the tracker, `all-sources` and `google-sources` keep both
 * (both are Fitbit first-party sources).
 *
 * rollUp / dailyRollUp do NOT reconcile (although the discovery document says "reconciled data
 * points"): as reported live, a rollUp without a family aggregates every source of the family,
 * so where the phone and the tracker both counted a minute the sum counts it twice;
 * `google-wearables` (the tracker only) does not (`familyRows`).
 */
import { TRACKER, syntheticDay } from '../../synthetic/model.js';
import { OffsetMap } from '../../synthetic/time.js';
import { DAY_MS, MINUTE_MS, dateOfDay } from '../../time/index.js';
import { invalidArgument } from './errors.js';
import { isPhysical, type Filter, type MemberKind } from './filter.js';
import { NO_COMPANIONS, companionsOf } from './sources.js';
import { isWearable, type DataTypeDef, type DayContext, type Row } from './types.js';
import { DEFAULT_VARIANTS, type Variants } from './variants.js';

export type SourceFamily = 'all-sources' | 'google-wearables' | 'google-sources';

export const SOURCE_FAMILIES: readonly SourceFamily[] = ['all-sources', 'google-wearables', 'google-sources'];

/** `users/me/dataSourceFamilies/<x>` (or empty) → the family; anything else is a 400 (*invented* wording). */
export function sourceFamilyOf(raw: unknown): SourceFamily {
  if (raw === undefined || raw === null || raw === '') return 'all-sources';
  const m = /^users\/[^/]+\/dataSourceFamilies\/([a-z-]+)$/.exec(String(raw));
  const f = m?.[1] as SourceFamily | undefined;
  if (!f || !SOURCE_FAMILIES.includes(f)) {
    throw invalidArgument(
      'data_source_family',
      `Invalid data source family "${String(raw)}": expected users/me/dataSourceFamilies/{all-sources|google-wearables|google-sources}.`,
    );
  }
  return f;
}

/** The comparable value of a row for a filter member. */
export function memberValue(r: Row, kind: MemberKind): number {
  switch (kind) {
    case 'start':
    case 'sample':
      return r.t;
    case 'end':
      return r.end;
    case 'civil_start':
    case 'civil_sample':
    case 'date':
      return r.t + r.off * MINUTE_MS;
    case 'civil_end':
      return r.end + r.endOff * MINUTE_MS;
  }
}

interface CachedDay extends DayContext {
  rows: Map<string, Row[]>;
  reconciled: Map<string, Row[]>;
}

/** The tracker first; every other source (phone, companions: sources.ts) after it. */
function rank(src: string): number {
  return src === TRACKER ? 0 : 1;
}

/** Reconciles rows (newest first in, newest first out); see THE RECONCILE RULE. */
export function reconcileRows(rows: readonly Row[], point: boolean): Row[] {
  const kept = rows.filter((r) => rank(r.src) === 0);
  if (kept.length === rows.length) return [...rows];
  const asc = [...kept].sort((a, b) => a.t - b.t);
  const overlaps = (r: Row): boolean => {
    // first kept row whose end is after r.t (kept rows of one source do not overlap: ends ascend too)
    let lo = 0,
      hi = asc.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const a = asc[mid] as Row;
      if (point ? a.t < r.t : a.end <= r.t) lo = mid + 1;
      else hi = mid;
    }
    const a = asc[lo];
    if (!a) return false;
    return point ? a.t === r.t : a.t < r.end;
  };
  const out = [...kept];
  for (const r of rows) if (rank(r.src) !== 0 && !overlaps(r)) out.push(r);
  return out.sort((a, b) => b.t - a.t || rank(a.src) - rank(b.src));
}

export class Truth {
  private readonly cache = new Map<number, CachedDay>();
  private static readonly CACHE_MAX = 48;

  constructor(
    readonly seed: number,
    readonly timezone: string,
    readonly firstDayN: number,
    readonly lastDayN: number,
    readonly variants: Variants = DEFAULT_VARIANTS,
  ) {}

  day(dayN: number): CachedDay {
    const hit = this.cache.get(dayN);
    if (hit) {
      this.cache.delete(dayN);
      this.cache.set(dayN, hit);
      return hit;
    }
    const day = syntheticDay({ seed: this.seed, date: dateOfDay(dayN), timezone: this.timezone });
    const offs = new OffsetMap(this.timezone, day.start - DAY_MS, day.end + DAY_MS);
    const co = this.variants.shapes === 'live' ? companionsOf(day, offs) : NO_COMPANIONS;
    const c: CachedDay = { day, dayN, offs, v: this.variants, co, rows: new Map(), reconciled: new Map() };
    this.cache.set(dayN, c);
    if (this.cache.size > Truth.CACHE_MAX) {
      const first = this.cache.keys().next().value;
      if (first !== undefined) this.cache.delete(first);
    }
    return c;
  }

  /** Every row of the type on a day, newest first (ties: tracker first). */
  rows(type: DataTypeDef, dayN: number): Row[] {
    const c = this.day(dayN);
    let r = c.rows.get(type.id);
    if (!r) {
      r = type.rows(c).sort((a, b) => b.t - a.t || rank(a.src) - rank(b.src));
      c.rows.set(type.id, r);
    }
    return r;
  }

  reconciled(type: DataTypeDef, dayN: number, family: SourceFamily): Row[] {
    const c = this.day(dayN);
    const key = `${type.id}|${family}`;
    let r = c.reconciled.get(key);
    if (!r) {
      const all = this.rows(type, dayN);
      const fam = family === 'google-wearables' ? all.filter((x) => isWearable(x.src)) : all;
      r = reconcileRows(fam, type.record === 'sample' || type.record === 'daily');
      c.reconciled.set(key, r);
    }
    return r;
  }

  /** Every row of the type on a day from the family's sources, not reconciled (the input of rollUps), newest first. */
  familyRows(type: DataTypeDef, dayN: number, family: SourceFamily): Row[] {
    const all = this.rows(type, dayN);
    return family === 'google-wearables' ? all.filter((x) => isWearable(x.src)) : all;
  }

  /** Local days (day numbers, clamped to the user's) that can hold rows passing the filter's AND-ed single bounds. */
  candidateDays(filter: Filter): [number, number] {
    let lo = this.firstDayN,
      hi = this.lastDayN;
    for (const clause of filter) {
      if (clause.length !== 1) continue;
      const b = clause[0];
      if (!b) continue;
      // a local day spans at most [date - 14 h, date + 1 + 12 h] in UTC; sleep-owned rows start the evening before
      const slack = isPhysical(b.kind) ? 2 * DAY_MS : DAY_MS + 1;
      if (b.op === '>=') lo = Math.max(lo, Math.floor((b.ms - slack) / DAY_MS));
      else hi = Math.min(hi, Math.floor((b.ms + slack) / DAY_MS));
    }
    return [lo, hi];
  }

  /** The day range holding rows whose start lies in [from, to) (UTC ms), clamped. */
  daysOf(from: number, to: number): [number, number] {
    return [Math.max(this.firstDayN, Math.floor((from - 2 * DAY_MS) / DAY_MS)), Math.min(this.lastDayN, Math.floor((to + 2 * DAY_MS) / DAY_MS))];
  }
}
