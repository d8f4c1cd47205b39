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
import type { SampleColumns, Store } from '../../store/types.js';
import { DAY_MS, localDayAtOffset } from '../../time/index.js';

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
/** A local copy of MINUTE_MS for the per-sample loops (an imported binding is read through its module on every access when run from sources). */
const MIN_MS = 60_000;

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
  /** local day → samples of the merged series (not worn) */
  const merged = new Map<number, number>();
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
      scanBlock(store.readDayColumns(key, b), worn, only, mine, own, claimed, merged);
    }
    for (const [d, x] of mine) {
      const c = claimed.get(d);
      if (!c) claimed.set(d, x);
      else for (let m = 0; m < DAY_MINUTES; m++) c[m]! |= x[m]!;
    }
    for (const [d, n] of own) if (n > 0) figure(d).sources[s.source] = n;
  }
  for (const [d, n] of merged) if (n > 0) figure(d).value = n;
  if (worn) {
    for (const [d, cl] of claimed) {
      let n = 0;
      for (let m = 0; m < DAY_MINUTES; m++) n += cl[m]!;
      figure(d).value = n;
    }
  }
  return out;
}

/**
 * One block's samples into the per-day minute maps of its source (`mine`), its own counts
 * (`own`: minutes when `worn`, else samples) and the merged sample counts (`merged`: samples in
 * minutes no higher-ranked source `claimed`). Samples are sorted and their local day changes
 * rarely, so the day's state is kept in locals (no closure: this loop runs for every sample).
 */
function scanBlock(
  c: SampleColumns,
  worn: boolean,
  only: ReadonlySet<number> | null,
  mine: Map<number, Uint8Array>,
  own: Map<number, number>,
  claimed: ReadonlyMap<number, Uint8Array>,
  merged: Map<number, number>,
): void {
  const ts = c.t;
  const offs = c.offset;
  let curDay = NaN;
  let skip = true;
  let bits: Uint8Array = new Uint8Array(0);
  let cl: Uint8Array | undefined;
  let ownN = 0;
  let mergedN = 0;
  for (let i = 0; i < c.n; i++) {
    const lm = Math.floor((ts[i]! + offs[i]! * MIN_MS) / MIN_MS);
    const d = Math.floor(lm / DAY_MINUTES);
    if (d !== curDay) {
      if (!skip) {
        own.set(curDay, (own.get(curDay) ?? 0) + ownN);
        merged.set(curDay, (merged.get(curDay) ?? 0) + mergedN);
      }
      ownN = mergedN = 0;
      curDay = d;
      skip = only !== null && !only.has(d);
      if (!skip) {
        let x = mine.get(d);
        if (!x) mine.set(d, (x = new Uint8Array(DAY_MINUTES)));
        bits = x;
        cl = claimed.get(d);
      }
    }
    if (skip) continue;
    const m = lm - d * DAY_MINUTES;
    if (worn) {
      if (bits[m] === 0) {
        bits[m] = 1;
        ownN++;
      }
    } else {
      bits[m] = 1;
      ownN++;
      if (cl === undefined || cl[m] !== 1) mergedN++;
    }
  }
  if (!skip) {
    own.set(curDay, (own.get(curDay) ?? 0) + ownN);
    merged.set(curDay, (merged.get(curDay) ?? 0) + mergedN);
  }
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

/** Local days computed per step of a first computation (then the event loop gets a turn). */
const CHUNK_DAYS = 60;

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Per (account, metric) day figures kept between requests. The first computation runs in steps
 * of CHUNK_DAYS local days, yielding between them (the bridge goes on serving and syncing; the
 * API warms it up after start); later requests bring the entry up to date from the store's change
 * sequence: only the local days around the blocks / sessions changed since are computed again.
 */
export class CoverageCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly pending = new Map<string, Promise<CacheEntry>>();
  private stopped = false;

  constructor(private readonly store: Store) {}

  /** Ends first computations in progress (between steps); their callers get an error. */
  stop(): void {
    this.stopped = true;
  }

  async days(account: string, def: MetricDef): Promise<Map<number, DayFigure>> {
    const key = `${account}\u0000${def.id}`;
    let e = this.entries.get(key);
    if (!e) {
      let p = this.pending.get(key);
      if (!p) {
        p = this.computeAll(account, def)
          .then((x) => {
            this.entries.set(key, x);
            return x;
          })
          .finally(() => this.pending.delete(key));
        this.pending.set(key, p);
      }
      e = await p;
    }
    this.update(e, account, def);
    return e.days;
  }

  private update(e: CacheEntry, account: string, def: MetricDef): void {
    const seq = this.store.currentSeq();
    if (e.seq >= seq) return;
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
  }

  private async computeAll(account: string, def: MetricDef): Promise<CacheEntry> {
    const seq = this.store.currentSeq();
    if (def.kind === 'session') return { seq, days: this.compute(account, def, null) };
    let lo = Infinity,
      hi = -Infinity;
    for (const s of this.store.listSeries({ account, metric: def.id })) {
      if (s.count === 0 || s.first === null || s.last === null) continue;
      lo = Math.min(lo, Math.floor(s.first / DAY_MS) - 1);
      hi = Math.max(hi, Math.floor(s.last / DAY_MS) + 1);
    }
    const days = new Map<number, DayFigure>();
    if (hi - lo <= CHUNK_DAYS) return { seq, days: lo <= hi ? this.compute(account, def, null) : days };
    for (let a = lo; a <= hi; a += CHUNK_DAYS) {
      if (this.stopped) throw new Error('the web API is stopping');
      const only = new Set<number>();
      for (let d = a; d < a + CHUNK_DAYS && d <= hi; d++) only.add(d);
      for (const [d, f] of this.compute(account, def, only)) days.set(d, f);
      await turn();
    }
    return { seq, days };
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
