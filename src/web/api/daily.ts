/**
 * GET /api/sleep (one night's sessions with their stages) and GET /api/trends (one row of daily
 * figures per local day), both from the code that writes the dump's sleep files and day
 * summaries: the chosen sleep versions and `asleepSeconds` of src/reconcile/sleep.ts, the per-minute
 * merged step totals of src/reconcile/day-totals.ts and the best-ranked daily values, all through
 * `summaryRows` of src/sinks/dump/summary.ts — the same numbers as `summary/<date>.csv`.
 */
import { metric, type MetricId } from '../../metrics/registry.js';
import { asleepSeconds, sleepKindOf } from '../../reconcile/sleep.js';
import { summaryRows } from '../../sinks/dump/summary.js';
import type { SleepStage, Store } from '../../store/types.js';
import { dateOfDay, DAY_MS, localDayAtOffset } from '../../time/index.js';

export type StageName = 'awake' | 'light' | 'deep' | 'rem' | 'asleep' | 'restless';

export interface SleepSessionJson {
  start: number;
  end: number;
  /** UTC offset (minutes east) at the session's end: the offset of the local day it belongs to. */
  offset_min: number;
  main: boolean;
  source: string;
  minutes_asleep: number;
  minutes_in_bed: number;
  stages: { start: number; end: number; stage: StageName }[];
}

const STAGE_NAMES: Partial<Record<SleepStage, StageName>> = {
  wake: 'awake',
  light: 'light',
  deep: 'deep',
  rem: 'rem',
  asleep: 'asleep',
  restless: 'restless',
};

const round1 = (x: number): number => Math.round(x * 10) / 10;

/** The counted sleep sessions that end on local day `day` (the dump's sleep file of that date). */
export function sleepOfDay(store: Store, account: string, day: number): { sessions: SleepSessionJson[] } {
  const sessions = store
    .sessions(account, 'sleep', (day - 2) * DAY_MS, (day + 3) * DAY_MS)
    .filter((s) => localDayAtOffset(s.end, s.endOffset) === day)
    .sort((a, b) => a.start - b.start || a.id - b.id);
  return {
    sessions: sessions.map((s) => ({
      start: s.start,
      end: s.end,
      offset_min: s.endOffset,
      main: sleepKindOf(s) === 'main',
      source: s.source,
      minutes_asleep: round1(asleepSeconds(s) / 60),
      minutes_in_bed: round1((s.end - s.start) / 60_000),
      stages: [...s.segments]
        .sort((a, b) => a.start - b.start)
        .flatMap((g) => {
          const stage = STAGE_NAMES[g.stage];
          return stage ? [{ start: g.start, end: g.end, stage }] : [];
        }),
    })),
  };
}

export interface TrendDay {
  date: string;
  steps: number | null;
  resting_hr: number | null;
  asleep_main_min: number | null;
  asleep_naps_min: number | null;
  hrv_rmssd: number | null;
}

const TREND_METRICS: readonly MetricId[] = ['steps', 'sleep', 'resting_heart_rate', 'hrv_daily_rmssd'];
/** Days computed per summaryRows call (bounds the blocks held at once). */
const CHUNK_DAYS = 92;

/** The local days between the first and last data of the trend metrics (null when none). */
export function trendSpan(store: Store, account: string): { lo: number; hi: number } | null {
  let lo = Infinity,
    hi = -Infinity;
  for (const s of store.listSeries({ account })) {
    if (s.count === 0 || s.first === null || s.last === null || !TREND_METRICS.includes(s.metric)) continue;
    // a local day is within a day of the UTC day
    lo = Math.min(lo, Math.floor(s.first / DAY_MS) - 1);
    hi = Math.max(hi, Math.floor(s.last / DAY_MS) + 1);
  }
  const sleeps = store.sessions(account, 'sleep', -Infinity, Infinity, { resolve: false });
  for (const s of sleeps) {
    const d = localDayAtOffset(s.end, s.endOffset);
    lo = Math.min(lo, d);
    hi = Math.max(hi, d);
  }
  return lo <= hi ? { lo, hi } : null;
}

/** The row of each of the given local days that has any of the figures (the dump summary's). */
export function trendRows(store: Store, account: string, days: readonly number[]): Map<number, TrendDay> {
  const defs = TREND_METRICS.map((id) => metric(id));
  const out = new Map<number, TrendDay>();
  const sorted = [...new Set(days)].sort((a, b) => a - b);
  for (let i = 0; i < sorted.length; i += CHUNK_DAYS) {
    const chunk = sorted.slice(i, i + CHUNK_DAYS);
    const rows = summaryRows(store, account, chunk, defs);
    for (const d of chunk) {
      const r = rows.get(d);
      if (!r || r.length === 0) continue;
      const val = (figure: string): number | null => r.find((x) => x.figure === figure)?.value ?? null;
      const min = (figure: string): number | null => {
        const v = val(figure);
        return v === null ? null : round1(v / 60);
      };
      const steps = val('steps');
      out.set(d, {
        date: dateOfDay(d),
        steps: steps === null ? null : Math.round(steps),
        resting_hr: val('resting_heart_rate'),
        asleep_main_min: min('sleep_main_asleep'),
        asleep_naps_min: min('sleep_nap_asleep'),
        hrv_rmssd: val('hrv_daily_rmssd'),
      });
    }
  }
  return out;
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Each account's trend rows of its whole history, kept between requests: the first computation
 * runs CHUNK_DAYS days at a time, yielding between them; later requests compute again only the
 * local days around the blocks and sleeps changed since (the store's change sequence).
 */
export class TrendCache {
  private readonly entries = new Map<string, { seq: number; rows: Map<number, TrendDay> }>();
  private readonly pending = new Map<string, Promise<{ seq: number; rows: Map<number, TrendDay> }>>();
  private stopped = false;

  constructor(private readonly store: Store) {}

  stop(): void {
    this.stopped = true;
  }

  /** The rows of [from, to] (local day numbers; null: open), oldest first. */
  async rows(account: string, from: number | null, to: number | null): Promise<TrendDay[]> {
    let e = this.entries.get(account);
    if (!e) {
      let p = this.pending.get(account);
      if (!p) {
        p = this.computeAll(account)
          .then((x) => {
            this.entries.set(account, x);
            return x;
          })
          .finally(() => this.pending.delete(account));
        this.pending.set(account, p);
      }
      e = await p;
    }
    this.update(account, e);
    return [...e.rows.entries()]
      .filter(([d]) => (from === null || d >= from) && (to === null || d <= to))
      .sort((a, b) => a[0] - b[0])
      .map(([, r]) => r);
  }

  private update(account: string, e: { seq: number; rows: Map<number, TrendDay> }): void {
    const seq = this.store.currentSeq();
    if (e.seq >= seq) return;
    const touched = new Set<number>();
    for (const b of this.store.changedBlocks(e.seq)) {
      if (b.key.account !== account || !TREND_METRICS.includes(b.key.metric)) continue;
      for (let d = b.day - 1; d <= b.day + 1; d++) touched.add(d);
    }
    for (const s of this.store.changedSessions(e.seq)) {
      if (s.account !== account || s.kind !== 'sleep') continue;
      // a changed sleep can change which version counts and main / nap of the nights around it
      for (let d = localDayAtOffset(s.start, s.startOffset) - 1; d <= localDayAtOffset(s.end, s.endOffset) + 1; d++) touched.add(d);
    }
    if (touched.size > 0) {
      const fresh = trendRows(this.store, account, [...touched]);
      for (const d of touched) {
        const r = fresh.get(d);
        if (r) e.rows.set(d, r);
        else e.rows.delete(d);
      }
    }
    e.seq = seq;
  }

  private async computeAll(account: string): Promise<{ seq: number; rows: Map<number, TrendDay> }> {
    const seq = this.store.currentSeq();
    const rows = new Map<number, TrendDay>();
    const span = trendSpan(this.store, account);
    if (span === null) return { seq, rows };
    for (let a = span.lo; a <= span.hi; a += CHUNK_DAYS) {
      if (this.stopped) throw new Error('the web API is stopping');
      const days: number[] = [];
      for (let d = a; d <= Math.min(span.hi, a + CHUNK_DAYS - 1); d++) days.push(d);
      for (const [d, r] of trendRows(this.store, account, days)) rows.set(d, r);
      await turn();
    }
    return { seq, rows };
  }
}
