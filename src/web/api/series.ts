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

/** Local copies for the per-sample loops (an imported binding is read through its module on every access when run from sources). */
const MIN_MS = 60_000;
const DAY = 86_400_000;

/** Most samples one answer reads (about 3 years of one-per-second data is far beyond this). */
export const MAX_READ_SAMPLES = 20_000_000;

/**
 * The samples of `series` (one account and metric) in [from, to): with one series its samples;
 * with several, per minute the highest-ranked source's samples (series must be ranked best first).
 */
export function readMerged(store: Store, series: readonly SeriesInfo[], from: number, to: number): Merged {
  const span = Math.max(0, Math.ceil((to - from) / MIN_MS) + 1);
  const claimed = series.length > 1 ? new Uint8Array(span) : null;
  const mine = series.length > 1 ? new Uint8Array(span) : null;
  const base = Math.floor(from / MIN_MS);
  /** One sorted run per source (its blocks are in day order, each sorted). */
  const runs: Merged[] = [];
  let total = 0;
  for (const s of series) {
    if (s.first === null || s.last === null || s.last < from || s.first >= to) continue;
    const key = { account: s.account, metric: s.metric, source: s.source };
    mine?.fill(0);
    const lo = Math.max(Math.floor(from / DAY), Math.floor(s.first / DAY));
    const hi = Math.min(Math.floor((to - 1) / DAY), Math.floor(s.last / DAY));
    const parts: Merged[] = [];
    let n = 0;
    for (let d = lo; d <= hi; d++) {
      const c = store.readDayColumns(key, d);
      if (c.n === 0) continue;
      const p = keepIn(c.t, c.v, c.n, from, to, claimed, mine, base);
      if (p.n === 0) continue;
      parts.push(p);
      n += p.n;
      if (total + n > MAX_READ_SAMPLES) throw new RangeError(`more than ${MAX_READ_SAMPLES} samples in the range: ask for a shorter one`);
    }
    if (claimed !== null && mine !== null) for (let m = 0; m < span; m++) if (mine[m] === 1) claimed[m] = 1;
    if (n > 0) runs.push(concat(parts, n));
    total += n;
  }
  if (runs.length === 0) return { n: 0, t: new Float64Array(0), v: new Float64Array(0) };
  let out = runs[0]!;
  for (let i = 1; i < runs.length; i++) out = mergeTwo(out, runs[i]!);
  return out;
}

/** The samples of one block in [from, to) whose minute no higher-ranked source claimed (marking them in `mine`). */
function keepIn(
  t: Float64Array,
  v: Float64Array,
  n: number,
  from: number,
  to: number,
  claimed: Uint8Array | null,
  mine: Uint8Array | null,
  base: number,
): Merged {
  const ot = new Float64Array(n);
  const ov = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const ti = t[i]!;
    if (ti < from || ti >= to) continue;
    if (claimed !== null) {
      const m = Math.floor(ti / MIN_MS) - base;
      if (claimed[m] === 1) continue;
      mine![m] = 1;
    }
    ot[k] = ti;
    ov[k] = v[i]!;
    k++;
  }
  return { n: k, t: ot.subarray(0, k), v: ov.subarray(0, k) };
}

function concat(parts: readonly Merged[], n: number): Merged {
  if (parts.length === 1) return parts[0]!;
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  let k = 0;
  for (const p of parts) {
    t.set(p.t.subarray(0, p.n), k);
    v.set(p.v.subarray(0, p.n), k);
    k += p.n;
  }
  return { n, t, v };
}

/** Two runs sorted by instant, merged (at equal instants `a` first). */
function mergeTwo(a: Merged, b: Merged): Merged {
  const n = a.n + b.n;
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  let i = 0,
    j = 0,
    k = 0;
  while (i < a.n && j < b.n) {
    if (a.t[i]! <= b.t[j]!) {
      t[k] = a.t[i]!;
      v[k++] = a.v[i++]!;
    } else {
      t[k] = b.t[j]!;
      v[k++] = b.v[j++]!;
    }
  }
  while (i < a.n) {
    t[k] = a.t[i]!;
    v[k++] = a.v[i++]!;
  }
  while (j < b.n) {
    t[k] = b.t[j]!;
    v[k++] = b.v[j++]!;
  }
  return { n, t, v };
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
