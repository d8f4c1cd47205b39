/**
 * The sample rules of src/reconcile/samples.ts applied to stored data, through the few store
 * methods they need (SampleAccess: the Store itself, or the schema migration's raw access to a
 * database being migrated, src/store/repair.ts).
 *
 * - filterLegacy: legacy samples about to be written, checked against the stored non-legacy series
 *   (Takeout legacy files read after the Google layer); the matched ones are not written.
 * - reconcileStored: stored legacy samples on some UTC days (or all) checked against the stored
 *   non-legacy series, matched ones removed (a Google-layer file or API page written after the
 *   legacy layer; re-imports; the repair of stores written by older versions).
 * Both read whole UTC day blocks: one block per series and day for intraday metrics, the days
 * either side too for the local-day rules.
 */
import type { MetricId } from '../metrics/registry.js';
import { LEGACY_JSON_SOURCE, type Sample, type SeriesInfo, type SeriesKey, type Store } from '../store/types.js';
import { STATE_KEYS } from '../store/state-keys.js';
import { DAY_MS, utcDay } from '../time/index.js';
import { addCounts, countsFrom, emptyCounts, isLegacySource, matchLegacy, pointsOf, ruleOf, ruleSpanDays, type MergeCounts, type Points } from './samples.js';

/** What the rules need from a store. */
export type SampleAccess = Pick<Store, 'listSeries' | 'days' | 'readDayColumns' | 'removeMatching'>;

function nonLegacy(access: SampleAccess, account: string, metric: MetricId): SeriesInfo[] {
  return access.listSeries({ account, metric }).filter((s) => !isLegacySource(s.source) && s.count > 0 && s.first !== null && s.last !== null);
}

/** The samples of each series in `others` on the UTC days day-span … day+span (concatenated: blocks are in day order). */
function othersAround(access: SampleAccess, others: readonly SeriesInfo[], day: number, span: number): Points[] {
  const lo = (day - span) * DAY_MS,
    hi = (day + span + 1) * DAY_MS;
  const out: Points[] = [];
  for (const o of others) {
    if ((o.last as number) < lo || (o.first as number) >= hi) continue;
    const key: SeriesKey = { account: o.account, metric: o.metric, source: o.source };
    if (span === 0) {
      const c = access.readDayColumns(key, day);
      if (c.n) out.push(c);
      continue;
    }
    const parts = [];
    let n = 0;
    for (let d = day - span; d <= day + span; d++) {
      const c = access.readDayColumns(key, d);
      if (c.n) {
        parts.push(c);
        n += c.n;
      }
    }
    if (n === 0) continue;
    if (parts.length === 1) {
      out.push(parts[0] as Points);
      continue;
    }
    const t = new Float64Array(n),
      offset = new Int32Array(n),
      v = new Float64Array(n);
    let k = 0;
    for (const c of parts) {
      t.set(c.t.subarray(0, c.n), k);
      offset.set(c.offset.subarray(0, c.n), k);
      v.set(c.v.subarray(0, c.n), k);
      k += c.n;
    }
    out.push({ n, t, offset, v });
  }
  return out;
}

export interface FilterResult {
  /** The legacy samples to write (sorted by instant). */
  keep: Sample[];
  /** The legacy samples that are a stored non-legacy sample (not to be written). */
  dropped: Sample[];
  counts: MergeCounts;
}

/** Legacy samples (any order) of (account, metric) checked against the stored non-legacy series of the metric. */
export function filterLegacy(access: SampleAccess, account: string, metric: MetricId, samples: readonly Sample[]): FilterResult {
  const counts = emptyCounts();
  const rule = ruleOf(metric);
  const others = rule === null || samples.length === 0 ? [] : nonLegacy(access, account, metric);
  if (rule === null || others.length === 0) return { keep: [...samples], dropped: [], counts };
  const span = ruleSpanDays(rule);
  const sorted = [...samples].sort((x, y) => x.t - y.t);
  const keep: Sample[] = [];
  const dropped: Sample[] = [];
  let i = 0;
  while (i < sorted.length) {
    const day = utcDay((sorted[i] as Sample).t);
    let j = i + 1;
    while (j < sorted.length && utcDay((sorted[j] as Sample).t) === day) j++;
    const slice = sorted.slice(i, j);
    const pts = othersAround(access, others, day, span);
    if (pts.length === 0) keep.push(...slice);
    else {
      const m = matchLegacy(metric, pointsOf(slice), pts);
      addCounts(counts, m.counts);
      slice.forEach((s, k) => (m.drop[k] ? dropped : keep).push(s));
    }
    i = j;
  }
  return { keep, dropped, counts };
}

/** UTC days of some samples (for reconcileStored after a write). */
export function utcDaysOf(samples: readonly Sample[]): Set<number> {
  const out = new Set<number>();
  for (const s of samples) out.add(utcDay(s.t));
  return out;
}

/**
 * Removes the stored legacy samples of (account, metric) that are the same measurement as a
 * stored non-legacy sample. `days`: the UTC days whose non-legacy samples changed (the legacy
 * days compared are those and, for the local-day rules, the days either side); all days when
 * omitted. Returns what was removed, by rule.
 */
export function reconcileStored(access: SampleAccess, account: string, metric: MetricId, days?: Iterable<number>): MergeCounts {
  const counts = emptyCounts();
  const rule = ruleOf(metric);
  if (rule === null) return counts;
  const legKey: SeriesKey = { account, metric, source: LEGACY_JSON_SOURCE };
  const leg = access.listSeries(legKey)[0];
  if (!leg || leg.count === 0) return counts;
  const others = nonLegacy(access, account, metric);
  if (others.length === 0) return counts;
  const span = ruleSpanDays(rule);
  const legDays = access.days(legKey);
  let todo: number[];
  if (days === undefined) todo = legDays;
  else {
    const want = new Set<number>();
    for (const d of days) for (let x = d - span; x <= d + span; x++) want.add(x);
    todo = legDays.filter((d) => want.has(d));
  }
  for (const day of todo) {
    const pts = othersAround(access, others, day, span);
    if (pts.length === 0) continue;
    const c = access.readDayColumns(legKey, day);
    if (c.n === 0) continue;
    const m = matchLegacy(metric, c, pts);
    if (m.dropped === 0) continue;
    const gone: Sample[] = [];
    for (let k = 0; k < c.n; k++) if (m.drop[k]) gone.push({ t: c.t[k] as number, offset: c.offset[k] as number, v: c.v[k] as number });
    access.removeMatching(legKey, gone, 0);
    addCounts(counts, m.counts);
  }
  return counts;
}

/** What the state table says was merged for an account (STATE_KEYS.samplesMerged). */
export interface MergedState {
  /** By the repair of a store written by an older version (schema migration 4); null when the store had no legacy samples then. */
  repair: MergeCounts | null;
  /** By the latest Takeout import that wrote samples, null before the first. */
  lastImport: MergeCounts | null;
}

/** Parses the state value (null, damaged JSON and missing fields are read as nothing merged). */
export function parseMergedState(text: string | null): MergedState {
  let o: Record<string, unknown> = {};
  try {
    const x = text === null ? null : (JSON.parse(text) as unknown);
    if (x !== null && typeof x === 'object') o = x as Record<string, unknown>;
  } catch {
    /* a damaged value counts as nothing */
  }
  return { repair: o.repair ? countsFrom(o.repair) : null, lastImport: o.lastImport ? countsFrom(o.lastImport) : null };
}

export function mergedStateText(s: MergedState): string {
  return JSON.stringify({ ...(s.repair ? { repair: s.repair } : {}), ...(s.lastImport ? { lastImport: s.lastImport } : {}) });
}

export function readMerged(store: Pick<Store, 'getState'>, account: string): MergedState {
  return parseMergedState(store.getState(STATE_KEYS.samplesMerged(account)));
}

/** Records what a Takeout import merged (kept until the next import that writes samples). */
export function recordImportMerges(store: Pick<Store, 'getState' | 'setState' | 'write'>, account: string, counts: MergeCounts): void {
  const key = STATE_KEYS.samplesMerged(account);
  const prev = store.getState(key);
  const next = mergedStateText({ ...parseMergedState(prev), lastImport: { ...counts } });
  if (next !== prev) store.write(() => store.setState(key, next));
}
