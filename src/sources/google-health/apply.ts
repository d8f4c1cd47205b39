/**
 * Writes one mapped page into the store (inside the caller's transaction): samples merged into
 * their (account, metric, device) series and sessions upserted in layer 'api'.
 *
 * The Takeout rule "the same measurement in two layers is stored once" (src/reconcile/samples.ts)
 * holds for API samples too: a sample of the Takeout legacy layer kept under LEGACY_JSON_SOURCE
 * (because no CSV row was the same measurement) that is an API sample of a device series (intraday:
 * the same metric and instant, whatever the values; daily: the same local day; weight: the same
 * local day and weight within the JSON's rounding) is that sample, and is removed from the legacy
 * series — exactly what the importer does when a CSV row arrives after the JSON file.
 *
 * A page that yields to other sources (rollUp windows of a later source family, `yieldsTo`) stores
 * nothing at an instant where one of those series of the same metric has a sample, and removes
 * what it stored there before: the tracker family's minute and the all-sources minute are never
 * both kept, so no total counts a minute twice.
 */
import { totalMerged } from '../../reconcile/samples.js';
import { reconcileStored, utcDaysOf } from '../../reconcile/samples-store.js';
import { LEGACY_JSON_SOURCE, type Sample, type SampleColumns, type SeriesKey, type Store } from '../../store/types.js';
import { utcDay } from '../../time/index.js';
import type { MappedPage } from './mapping.js';

export interface ApplyResult {
  added: number;
  changed: number;
  unchanged: number;
  /** Sessions inserted or changed. */
  sessions: number;
  /** Legacy-layer samples found to be the same measurement as an API sample and removed. */
  dedupedLegacy: number;
  /** Samples not stored (or removed) because a preceding source has a sample at that instant (`yieldsTo`). */
  yielded: number;
}

/** The instants of `samples` where a series of `sources` has a sample (day blocks read once). */
function takenInstants(store: Store, account: string, metric: string, sources: readonly string[], samples: readonly Sample[]): Set<number> {
  const taken = new Set<number>();
  for (const source of sources) {
    const key: SeriesKey = { account, metric: metric as SeriesKey['metric'], source };
    const days = new Map<number, SampleColumns>();
    for (const x of samples) {
      const d = utcDay(x.t);
      let c = days.get(d);
      if (!c) {
        c = store.readDayColumns(key, d);
        days.set(d, c);
      }
      if (c.n && c.t.includes(x.t)) taken.add(x.t);
    }
  }
  return taken;
}

/**
 * `rounded`: metrics whose API field is an int64 rounding of a decimal quantity (resting heart
 * rate, non-REM heart rate): a stored value at the same instant that rounds to the API's value is
 * the same sample, more precise (Takeout has 2–3 decimals), and is kept.
 */
export function applyPage(
  store: Store,
  account: string,
  page: MappedPage,
  exportMs: number,
  hooks: { afterSamples?: () => void; rounded?: ReadonlySet<string> } = {},
): ApplyResult {
  const out: ApplyResult = { added: 0, changed: 0, unchanged: 0, sessions: 0, dedupedLegacy: 0, yielded: 0 };
  for (const series of page.series.values()) {
    let s = series;
    if (page.yieldsTo.length) {
      const taken = takenInstants(store, account, s.metric, page.yieldsTo, s.samples);
      if (taken.size) {
        const key: SeriesKey = { account, metric: s.metric, source: s.source };
        const stale: Sample[] = [];
        for (const d of new Set([...taken].map(utcDay))) for (const y of store.readDay(key, d)) if (taken.has(y.t)) stale.push(y);
        if (stale.length) store.removeMatching(key, stale, 1e-9);
        out.yielded += taken.size;
        s = { ...s, samples: s.samples.filter((x) => !taken.has(x.t)) };
      }
    }
    if (hooks.rounded?.has(s.metric)) {
      const key: SeriesKey = { account, metric: s.metric, source: s.source };
      const keep = s.samples.filter((x) => {
        const c = store.readDayColumns(key, utcDay(x.t));
        for (let i = 0; i < c.n; i++) {
          if (c.t[i] !== x.t) continue;
          const v = c.v[i]!;
          return !(v !== x.v && Math.round(v) === x.v);
        }
        return true;
      });
      out.unchanged += s.samples.length - keep.length;
      s = { ...s, samples: keep };
    }
    if (!s.samples.length) continue;
    const key: SeriesKey = { account, metric: s.metric, source: s.source };
    const r = store.writeSamples(key, s.samples, { exportMs });
    out.added += r.added;
    out.changed += r.changed;
    out.unchanged += r.unchanged + r.keptNewer;
    if (s.source !== LEGACY_JSON_SOURCE) {
      // stored Takeout legacy samples that are one of these samples are removed (src/reconcile/samples.ts)
      const leg = store.listSeries({ account, metric: s.metric, source: LEGACY_JSON_SOURCE })[0];
      if (leg && leg.count > 0) out.dedupedLegacy += totalMerged(reconcileStored(store, account, s.metric, utcDaysOf(s.samples)));
    }
  }
  hooks.afterSamples?.();
  for (const sess of page.sessions) if (store.upsertSession(sess)) out.sessions++;
  return out;
}

const roundedSets = new Map<string, ReadonlySet<string>>();

/** The `rounded` metrics of a data type as a set (cached). */
export function roundedOf(def: { id: string; rounded?: readonly string[] }): ReadonlySet<string> | undefined {
  if (!def.rounded?.length) return undefined;
  let s = roundedSets.get(def.id);
  if (!s) {
    s = new Set(def.rounded);
    roundedSets.set(def.id, s);
  }
  return s;
}
