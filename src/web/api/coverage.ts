/**
 * GET /api/coverage: per local day of a metric's whole history, how much of the day has data,
 * and the gaps between with their likely cause.
 *
 * Local days are the dump's: a sample's day is the date of its instant plus its own stored offset;
 * a sleep belongs to the day it ends on, a workout to the day it starts on (src/sinks/dump).
 * - heart_rate: `worn_minutes`, the minutes of the day with a sample of any source (union);
 * - other intraday and daily metrics: `samples`, the day's samples of the sources merged per minute
 *   by the day totals' rule (src/reconcile/day-totals.ts: a minute from the highest-ranked source);
 * - sleep, exercise: `sessions`, the counted sessions (one version per physical sleep).
 * `sources` gives each source's own figure (its minutes, its samples, its sessions), so a day that
 * only one source has is visible.
 *
 * Samples are decoded once per (account, metric) and the per-day figures kept in memory; a later
 * request recomputes only the local days whose blocks changed since (store.changedBlocks), so the
 * calendar of years answers fast after the first time.
 */
import type { MetricDef, SessionKind } from '../../metrics/registry.js';
import { rankedSeries } from '../../reconcile/day-totals.js';
import type { Store } from '../../store/types.js';
import { DAY_MS, MINUTE_MS, localDayAtOffset } from '../../time/index.js';

export type Measure = 'worn_minutes' | 'samples' | 'sessions';

export interface DayCoverage {
  date: string;
  value: number;
  fraction: number;
  sources: Record<string, number>;
}

/** One local day's figures (internal: day number, not yet a fraction). */
export interface DayFigure {
  value: number;
  sources: Record<string, number>;
}

export function measureOf(def: MetricDef): Measure {
  if (def.kind === 'session') return 'sessions';
  return def.id === 'heart_rate' ? 'worn_minutes' : 'samples';
}

const DAY_MINUTES = 1440;

/**
 * The per-local-day figures of an intraday or daily metric. `only`: recompute these local days
 * only (their blocks and the ones either side are read); null: every day of the history.
 */
export function sampleDayFigures(store: Store, account: string, def: MetricDef, only: ReadonlySet<number> | null): Map<number, DayFigure> {
  const worn = def.id === 'heart_rate';
  const series = rankedSeries(store, account, def.id);
  /** local day → minutes claimed by a higher-ranked source */
  const claimed = new Map<number, Uint8Array>();
  const out = new Map<number, DayFigure>();
  const figure = (d: number): DayFigure => {
    let f = out.get(d);
    if (!f) out.set(d, (f = { value: 0, sources: {} }));
    return f;
  };
  let blocksWanted: number[] | null = null;
  if (only !== null) {
    const s = new Set<number>();
    for (const d of only) for (let x = d - 1; x <= d + 1; x++) s.add(x);
    blocksWanted = [...s].sort((a, b) => a - b);
  }
  for (const s of series) {
    const key = { account: s.account, metric: s.metric, source: s.source };
    const mine = new Map<number, Uint8Array>();
    const own = new Map<number, number>();
    const have = blocksWanted === null ? store.days(key) : blocksWanted;
    for (const b of have) {
      if (s.first === null || s.last === null || (b + 1) * DAY_MS <= s.first || b * DAY_MS > s.last) continue;
      const c = store.readDayColumns(key, b);
      for (let i = 0; i < c.n; i++) {
        const lm = Math.floor((c.t[i]! + c.offset[i]! * MINUTE_MS) / MINUTE_MS);
        const d = Math.floor(lm / DAY_MINUTES);
        if (only !== null && !only.has(d)) continue;
        const m = lm - d * DAY_MINUTES;
        let bits = mine.get(d);
        if (!bits) mine.set(d, (bits = new Uint8Array(DAY_MINUTES)));
        const first = bits[m] === 0;
        bits[m] = 1;
        if (!worn) {
          own.set(d, (own.get(d) ?? 0) + 1);
          if (claimed.get(d)?.[m] !== 1) figure(d).value++;
        } else if (first) own.set(d, (own.get(d) ?? 0) + 1);
      }
    }
    for (const [d, bits] of mine) {
      let cl = claimed.get(d);
      if (!cl) claimed.set(d, (cl = new Uint8Array(DAY_MINUTES)));
      for (let m = 0; m < DAY_MINUTES; m++) if (bits[m] === 1) cl[m] = 1;
    }
    for (const [d, n] of own) figure(d).sources[s.source] = n;
  }
  if (worn) {
    for (const [d, cl] of claimed) {
      let n = 0;
      for (let m = 0; m < DAY_MINUTES; m++) n += cl[m]!;
      figure(d).value = n;
    }
  }
  return out;
}

/** The per-local-day figures of sleep (the day a sleep ends) or exercise (the day it starts): counted sessions. */
export function sessionDayFigures(store: Store, account: string, kind: SessionKind, only: ReadonlySet<number> | null): Map<number, DayFigure> {
  const out = new Map<number, DayFigure>();
  let from = -Infinity,
    to = Infinity;
  if (only !== null && only.size > 0) {
    from = (Math.min(...only) - 2) * DAY_MS;
    to = (Math.max(...only) + 3) * DAY_MS;
  }
  for (const s of store.sessions(account, kind, from, to)) {
    const d = kind === 'sleep' ? localDayAtOffset(s.end, s.endOffset) : localDayAtOffset(s.start, s.startOffset);
    if (only !== null && !only.has(d)) continue;
    let f = out.get(d);
    if (!f) out.set(d, (f = { value: 0, sources: {} }));
    f.value++;
    f.sources[s.source] = (f.sources[s.source] ?? 0) + 1;
  }
  return out;
}

interface CacheEntry {
  seq: number;
  days: Map<number, DayFigure>;
}

/** Per (account, metric) day figures kept between requests, brought up to date by the store's change sequence. */
export class CoverageCache {
  private readonly entries = new Map<string, CacheEntry>();

  constructor(private readonly store: Store) {}

  days(account: string, def: MetricDef): Map<number, DayFigure> {
    const key = `${account}\u0000${def.id}`;
    const seq = this.store.currentSeq();
    const e = this.entries.get(key);
    if (e && e.seq === seq) return e.days;
    if (e && e.seq < seq) {
      const touched = new Set<number>();
      if (def.kind === 'session') {
        for (const s of this.store.changedSessions(e.seq)) {
          if (s.account !== account || s.kind !== def.id) continue;
          for (let d = localDayAtOffset(s.start, s.startOffset) - 1; d <= localDayAtOffset(s.end, s.endOffset) + 1; d++) touched.add(d);
        }
      } else {
        for (const b of this.store.changedBlocks(e.seq)) {
          if (b.key.account !== account || b.key.metric !== def.id) continue;
          for (let d = b.day - 1; d <= b.day + 1; d++) touched.add(d);
        }
      }
      if (touched.size > 0) {
        const fresh = this.compute(account, def, touched);
        for (const d of touched) {
          const f = fresh.get(d);
          if (f) e.days.set(d, f);
          else e.days.delete(d);
        }
      }
      e.seq = seq;
      return e.days;
    }
    const days = this.compute(account, def, null);
    this.entries.set(key, { seq, days });
    return days;
  }

  private compute(account: string, def: MetricDef, only: ReadonlySet<number> | null): Map<number, DayFigure> {
    return def.kind === 'session' ? sessionDayFigures(this.store, account, def.id as SessionKind, only) : sampleDayFigures(this.store, account, def, only);
  }
}

/** A day's shade: worn minutes of 1440; samples against the history's fullest day; a session day is full. */
export function fractions(measure: Measure, days: ReadonlyMap<number, DayFigure>): (f: DayFigure) => number {
  if (measure === 'worn_minutes') return (f) => Math.min(1, Math.round((f.value / DAY_MINUTES) * 1000) / 1000);
  if (measure === 'sessions') return () => 1;
  let most = 0;
  for (const f of days.values()) if (f.value > most) most = f.value;
  return (f) => (most > 0 ? Math.round((f.value / most) * 1000) / 1000 : 0);
}
