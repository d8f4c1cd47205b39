/**
 * Totals of the additive intraday metrics (registry `prometheus.dailySum`: steps, energy,
 * distance, floors, elevation, active zone minutes) merged per minute across data sources.
 *
 * The rule: a minute is counted once, from the highest-ranked source that has a sample in it
 * (sources.ts: tracker > phone / apps > legacy JSON layer); a source's samples inside that minute
 * are its value for the minute. So
 * - a day split between the legacy layer (its first hours) and `Fitbit App` (the rest) is the
 *   whole day: each minute comes from the one source that has it;
 * - a tracker and the phone counting the same walk count it once (the tracker's minutes);
 * - never the larger of two partial days, never a sum of the same minutes.
 *
 * A local day is the sample's own local day (its instant plus its own stored UTC offset), as the
 * dump files and the per-day series are. Reads day blocks as typed columns (store.readDayColumns):
 * this runs for every changed day in the remote-write sink.
 */
import type { MetricDef, MetricId } from '../metrics/registry.js';
import type { SampleColumns, SeriesInfo, Store } from '../store/types.js';
import { DAY_MS, MINUTE_MS, dateOfDay, localDayAtOffset, zoneNamed } from '../time/index.js';
import { compareSources } from './sources.js';

/** The merged total of one local day. */
export interface DayTotal {
  /** Local day number (days since 1970-01-01 of the local calendar). */
  day: number;
  /** Local midnight starting the day (UTC ms). */
  t: number;
  /** UTC offset at that midnight (minutes east). */
  offset: number;
  /** The total, in the metric's canonical unit. */
  value: number;
  /** Minutes counted (each once). */
  minutes: number;
}

/** Whether a metric's minutes add up to a day total (registry `prometheus.dailySum`). */
export function hasDailySum(m: MetricDef): boolean {
  return m.kind === 'intraday' && m.prometheus.dailySum === true;
}

/** The account's series of a metric, best source first. */
export function rankedSeries(store: Store, account: string, metric: MetricId): SeriesInfo[] {
  return store
    .listSeries({ account, metric })
    .filter((s) => s.count > 0)
    .sort((a, b) => compareSources(a.source, b.source));
}

const EMPTY_COLS: SampleColumns = { n: 0, t: new Float64Array(0), offset: new Int32Array(0), v: new Float64Array(0) };

/** Minutes of three UTC days: a local day lies inside UTC days D-1 … D+1 (|offset| < 24 h). */
const WINDOW_MINUTES = (3 * DAY_MS) / MINUTE_MS;

export interface DayTotalsOptions {
  /**
   * IANA zone of the account: when the day's samples are in it, the day is stamped at the zone's
   * midnight (right on a DST day whose first sample comes after the change); otherwise at the
   * midnight of the offset of the day's first sample.
   */
  timezone?: string | null;
}

/**
 * The merged totals of an additive metric for the given local days of an account, ordered by day
 * (days without a sample give nothing).
 */
export function dayTotals(store: Store, account: string, metric: MetricId, days: Iterable<number>, opts: DayTotalsOptions = {}): DayTotal[] {
  const wanted = [...new Set(days)].sort((a, b) => a - b);
  if (wanted.length === 0) return [];
  const series = rankedSeries(store, account, metric);
  if (series.length === 0) return [];
  const zone = opts.timezone ? safeZone(opts.timezone) : null;
  /** Blocks read for this call: series index → UTC day → columns (the days are sorted, so old blocks are dropped). */
  const cache = series.map(() => new Map<number, SampleColumns>());
  const block = (i: number, day: number): SampleColumns => {
    const s = series[i]!;
    if (s.first === null || s.last === null || (day + 1) * DAY_MS <= s.first || day * DAY_MS > s.last) return EMPTY_COLS;
    const c = cache[i]!;
    let cols = c.get(day);
    if (!cols) {
      cols = store.readDayColumns({ account, metric, source: s.source }, day);
      c.set(day, cols);
    }
    return cols;
  };
  const claimed = new Uint8Array(WINDOW_MINUTES);
  const mine = new Uint8Array(WINDOW_MINUTES);
  const out: DayTotal[] = [];
  for (const day of wanted) {
    for (const c of cache) for (const d of c.keys()) if (d < day - 1) c.delete(d);
    claimed.fill(0);
    const base = (day - 1) * DAY_MS;
    let sum = 0;
    let minutes = 0;
    let firstT = Infinity;
    let firstOffset = 0;
    for (let i = 0; i < series.length; i++) {
      mine.fill(0);
      let any = false;
      for (let d = day - 1; d <= day + 1; d++) {
        const cols = block(i, d);
        for (let k = 0; k < cols.n; k++) {
          const t = cols.t[k]!;
          const off = cols.offset[k]!;
          if (localDayAtOffset(t, off) !== day) continue;
          const m = Math.floor((t - base) / MINUTE_MS);
          if (m < 0 || m >= WINDOW_MINUTES || claimed[m] === 1) continue;
          if (mine[m] === 0) {
            mine[m] = 1;
            minutes++;
          }
          sum += cols.v[k]!;
          any = true;
          if (t < firstT) {
            firstT = t;
            firstOffset = off;
          }
        }
      }
      if (any) for (let m = 0; m < WINDOW_MINUTES; m++) if (mine[m] === 1) claimed[m] = 1;
    }
    if (minutes === 0) continue;
    let offset = firstOffset;
    if (zone !== null && zone.offsetAt(firstT) === firstOffset) {
      const midnight = zone.midnightOfDate(dateOfDay(day));
      offset = zone.offsetAt(midnight);
    }
    out.push({ day, t: day * DAY_MS - offset * MINUTE_MS, offset, value: sum, minutes });
  }
  return out;
}

function safeZone(tz: string): ReturnType<typeof zoneNamed> | null {
  try {
    return zoneNamed(tz);
  } catch {
    return null;
  }
}

/** The merged total of an additive metric over [from, to) (UTC ms): "today so far", "the last 60 minutes". */
export interface WindowTotal {
  value: number;
  minutes: number;
  /** The newest sample counted (UTC ms) and its offset, null when none. */
  t: number | null;
  offset: number | null;
}

/** The merged total (per minute the highest-ranked source) of `series` (one account and metric) over [from, to). */
export function windowTotal(store: Store, series: readonly SeriesInfo[], from: number, to: number): WindowTotal {
  const ranked = [...series].sort((a, b) => compareSources(a.source, b.source));
  const claimed = new Set<number>();
  let value = 0;
  let lastT: number | null = null;
  let lastOffset: number | null = null;
  for (const s of ranked) {
    if (s.last === null || s.first === null || s.last < from || s.first >= to) continue;
    const mine = new Set<number>();
    const key = { account: s.account, metric: s.metric, source: s.source };
    for (let d = Math.floor(from / DAY_MS); d * DAY_MS < to; d++) {
      const cols = store.readDayColumns(key, d);
      for (let k = 0; k < cols.n; k++) {
        const t = cols.t[k]!;
        if (t < from || t >= to) continue;
        const m = Math.floor(t / MINUTE_MS);
        if (claimed.has(m)) continue;
        mine.add(m);
        value += cols.v[k]!;
        if (lastT === null || t > lastT) {
          lastT = t;
          lastOffset = cols.offset[k]!;
        }
      }
    }
    for (const m of mine) claimed.add(m);
  }
  return { value, minutes: claimed.size, t: lastT, offset: lastOffset };
}
