/**
 * GET /api/series: one metric of one account over [from, to), downsampled to at most `width`
 * buckets with min / max / mean per bucket (a spike survives as its bucket's max), or raw when
 * the range holds at most `width` samples.
 *
 * Which samples: the store's, as the dump and the TSDB have them (the Takeout layers already
 * reconciled by src/reconcile/samples-store.ts at write time). With `source` only that data
 * source's series; without it the series of every source merged by the rule of the day totals
 * (src/reconcile/day-totals.ts, rank of src/reconcile/sources.ts): a minute comes from the
 * highest-ranked source that has a sample in it, so a tracker and the phone never both count the
 * same minute, and a minute only one of them has is kept.
 */
import type { MetricDef } from '../../metrics/registry.js';
import { rankedSeries } from '../../reconcile/day-totals.js';
import type { SeriesInfo, Store } from '../../store/types.js';
import { DAY_MS, MINUTE_MS } from '../../time/index.js';

export interface SeriesAnswer {
  metric: string;
  unit: string;
  from: number;
  to: number;
  /** Bucket length (ms); 0 = raw samples. */
  bucket_ms: number;
  t: number[];
  min: number[];
  max: number[];
  mean: number[];
}

/** Samples of a range as parallel arrays sorted by instant. */
export interface Merged {
  n: number;
  t: Float64Array;
  v: Float64Array;
}

/** Most samples one answer reads (about 3 years of one-per-second data is far beyond this). */
export const MAX_READ_SAMPLES = 20_000_000;

/**
 * The samples of `series` (one account and metric) in [from, to): with one series its samples;
 * with several, per minute the highest-ranked source's samples (series must be ranked best first).
 */
export function readMerged(store: Store, series: readonly SeriesInfo[], from: number, to: number): Merged {
  const parts: { t: Float64Array; v: Float64Array; n: number }[] = [];
  const span = Math.max(0, Math.ceil((to - from) / MINUTE_MS) + 1);
  const claimed = series.length > 1 ? new Uint8Array(span) : null;
  const mine = series.length > 1 ? new Uint8Array(span) : null;
  const base = Math.floor(from / MINUTE_MS);
  let total = 0;
  for (const s of series) {
    if (s.first === null || s.last === null || s.last < from || s.first >= to) continue;
    const key = { account: s.account, metric: s.metric, source: s.source };
    mine?.fill(0);
    const lo = Math.max(Math.floor(from / DAY_MS), Math.floor(s.first / DAY_MS));
    const hi = Math.min(Math.floor((to - 1) / DAY_MS), Math.floor(s.last / DAY_MS));
    for (let d = lo; d <= hi; d++) {
      const c = store.readDayColumns(key, d);
      if (c.n === 0) continue;
      const t = new Float64Array(c.n);
      const v = new Float64Array(c.n);
      let k = 0;
      for (let i = 0; i < c.n; i++) {
        const ti = c.t[i]!;
        if (ti < from || ti >= to) continue;
        if (claimed !== null) {
          const m = Math.floor(ti / MINUTE_MS) - base;
          if (claimed[m] === 1) continue;
          mine![m] = 1;
        }
        t[k] = ti;
        v[k] = c.v[i]!;
        k++;
      }
      if (k > 0) {
        parts.push({ t: t.subarray(0, k), v: v.subarray(0, k), n: k });
        total += k;
        if (total > MAX_READ_SAMPLES) throw new RangeError(`more than ${MAX_READ_SAMPLES} samples in the range: ask for a shorter one`);
      }
    }
    if (claimed !== null && mine !== null) for (let m = 0; m < span; m++) if (mine[m] === 1) claimed[m] = 1;
  }
  const t = new Float64Array(total);
  const v = new Float64Array(total);
  let k = 0;
  for (const p of parts) {
    t.set(p.t, k);
    v.set(p.v, k);
    k += p.n;
  }
  if (parts.length > 1 && series.length > 1) {
    // several sources: sort by instant (each part is sorted; a stable sort of indices keeps it simple)
    let sorted = true;
    for (let i = 1; i < total && sorted; i++) if (t[i]! < t[i - 1]!) sorted = false;
    if (!sorted) {
      const idx = new Uint32Array(total);
      for (let i = 0; i < total; i++) idx[i] = i;
      idx.sort((a, b) => t[a]! - t[b]! || a - b);
      const t2 = new Float64Array(total);
      const v2 = new Float64Array(total);
      for (let i = 0; i < total; i++) {
        t2[i] = t[idx[i]!]!;
        v2[i] = v[idx[i]!]!;
      }
      return { n: total, t: t2, v: v2 };
    }
  }
  return { n: total, t, v };
}

/** A bucket length for `width` buckets over `span` ms: whole seconds, at least one. */
export function bucketFor(span: number, width: number): number {
  return Math.max(1000, Math.ceil(span / width / 1000) * 1000);
}

/** Downsamples to at most `width` buckets (min / max / mean each), or raw when n ≤ width. Only non-empty buckets are listed. */
export function downsample(s: Merged, from: number, to: number, width: number): Pick<SeriesAnswer, 'bucket_ms' | 't' | 'min' | 'max' | 'mean'> {
  if (s.n <= width) {
    const t = Array.from(s.t);
    const v = Array.from(s.v);
    return { bucket_ms: 0, t, min: v, max: v.slice(), mean: v.slice() };
  }
  const bucket = bucketFor(to - from, width);
  const t: number[] = [];
  const min: number[] = [];
  const max: number[] = [];
  const mean: number[] = [];
  let cur = -1;
  let lo = 0,
    hi = 0,
    sum = 0,
    n = 0;
  const flush = (): void => {
    if (n === 0) return;
    t.push(from + cur * bucket);
    min.push(lo);
    max.push(hi);
    mean.push(Math.round((sum / n) * 1000) / 1000);
  };
  for (let i = 0; i < s.n; i++) {
    const b = Math.floor((s.t[i]! - from) / bucket);
    const x = s.v[i]!;
    if (b !== cur) {
      flush();
      cur = b;
      lo = hi = sum = x;
      n = 1;
    } else {
      if (x < lo) lo = x;
      if (x > hi) hi = x;
      sum += x;
      n++;
    }
  }
  flush();
  return { bucket_ms: bucket, t, min, max, mean };
}

/** The answer of GET /api/series. `source`: one data source only (null: the sources merged). */
export function seriesAnswer(store: Store, account: string, def: MetricDef, from: number, to: number, width: number, source: string | null): SeriesAnswer {
  let series = rankedSeries(store, account, def.id);
  if (source !== null) series = series.filter((s) => s.source === source);
  const merged = readMerged(store, series, from, to);
  return { metric: def.id, unit: def.unit, from, to, ...downsample(merged, from, to, width) };
}
