/**
 * What of the store goes to a TSDB, and under which names (shared by remote write and the
 * OpenMetrics export). The names come from the metric registry (src/metrics/registry.ts):
 *
 * - every sample of a metric with samples, at its own instant, in the Prometheus base unit:
 *   `fitbit_history_<name>{account, source}` (daily-kind metrics are stamped at local midnight);
 * - per local day, stamped at that day's local midnight: the total of each additive intraday
 *   metric, `fitbit_history_daily_<name>{account}` (steps, distance, energy, floors, elevation,
 *   active zone minutes; merged per minute across the sources, no source label), the time asleep of the
 *   nights that ended that day (`fitbit_history_daily_sleep_seconds`) and the time exercising of
 *   the workouts that started that day (`fitbit_history_daily_exercise_seconds`).
 *
 * Labels are bounded: `account` (configured names), `source` (device / app names). Series of
 * different data sources are never summed.
 */
import {
  metric as metricDef,
  prometheusDailyName,
  prometheusFactor,
  prometheusHistoryName,
  type MetricDef,
  type MetricId,
  type SessionKind,
} from '../../metrics/registry.js';
import { dayTotals } from '../../reconcile/day-totals.js';
import type { SeriesKey, Store, StoredSession } from '../../store/types.js';
import { DAY_MS, MINUTE_MS, localDayAtOffset } from '../../time/index.js';
import type { Label } from './protobuf.js';

/** Local days [from, to] (inclusive; either side open). */
export interface DayRange {
  from?: number;
  to?: number;
}

function inRange(day: number, r: DayRange): boolean {
  return (r.from === undefined || day >= r.from) && (r.to === undefined || day <= r.to);
}

/** Labels sorted by name; `__name__` first. */
export function seriesLabels(name: string, account: string, source: string, extra: readonly Label[] = []): Label[] {
  const labels: Label[] = [['__name__', name], ['account', account], ['source', source], ...extra];
  return labels.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The history series of a store series, or null when the metric has no samples to send (sessions). */
export function historyLabels(key: SeriesKey): Label[] | null {
  const m = metricDef(key.metric);
  if (m.kind === 'session') return null;
  return seriesLabels(prometheusHistoryName(m), key.account, key.source);
}

export interface Columns {
  t: Float64Array;
  v: Float64Array;
}

const EMPTY: Columns = { t: new Float64Array(0), v: new Float64Array(0) };

/**
 * The samples of one UTC day block in the metric's Prometheus unit, restricted to local days in
 * `range`. Also returns the local days the block's samples fall on (for the daily series).
 */
export function blockColumns(store: Store, key: SeriesKey, day: number, range: DayRange = {}): Columns & { localDays: Map<number, number> } {
  const m = metricDef(key.metric);
  const cols = store.readDayColumns(key, day);
  /** Local day → UTC offset of its first sample in the block. */
  const localDays = new Map<number, number>();
  if (cols.n === 0) return { ...EMPTY, localDays };
  const factor = prometheusFactor(m);
  const t = new Float64Array(cols.n);
  const v = new Float64Array(cols.n);
  let n = 0;
  let lastDay = NaN;
  for (let i = 0; i < cols.n; i++) {
    const ti = cols.t[i]!;
    const ld = localDayAtOffset(ti, cols.offset[i]!);
    if (ld !== lastDay) {
      if (!localDays.has(ld)) localDays.set(ld, cols.offset[i]!);
      lastDay = ld;
    }
    if (!inRange(ld, range)) continue;
    t[n] = ti;
    v[n] = factor === 1 ? cols.v[i]! : cols.v[i]! * factor;
    n++;
  }
  return { t: t.subarray(0, n), v: v.subarray(0, n), localDays };
}

/** One value of a per-day series. */
export interface DailyPoint {
  labels: Label[];
  /** Local day number. */
  day: number;
  /** Local midnight of the day (UTC ms). */
  t: number;
  v: number;
}

/** Whether a metric's samples also make a per-day total. */
export function hasDailySum(m: MetricDef): boolean {
  return m.kind === 'intraday' && m.prometheus.dailySum === true;
}

/**
 * Per-day totals of an additive intraday metric of an account for the given local days (days
 * without samples give nothing): `fitbit_history_daily_<name>{account}`, NO source label — THE
 * figure of the day, merged per minute across the data sources (src/reconcile/day-totals.ts: the
 * highest-ranked source that has a minute gives it; never the larger of two partial days, never a
 * sum of the same minutes). Stamped at the day's local midnight. A local day spans up to three UTC
 * day blocks of each source, which are all read.
 */
export function dailySums(store: Store, account: string, metric: MetricId, days: Iterable<number>): DailyPoint[] {
  const m = metricDef(metric);
  const name = prometheusDailyName(m);
  if (name === null || !hasDailySum(m)) return [];
  const labels = dailyLabels(name, account);
  const factor = prometheusFactor(m);
  const timezone = store.getAccount(account)?.timezone ?? null;
  return dayTotals(store, account, metric, days, { timezone }).map((d) => ({ labels, day: d.day, t: d.t, v: d.value * factor }));
}

/** Labels of a per-day series without a source: `__name__`, `account`. */
export function dailyLabels(name: string, account: string): Label[] {
  return [
    ['__name__', name],
    ['account', account],
  ];
}

/** The local day a session counts for: sleep by its end (the morning you woke up), exercise by its start. */
export function sessionDay(s: StoredSession | { kind: SessionKind; start: number; startOffset: number; end: number; endOffset: number }): number {
  return s.kind === 'sleep' ? localDayAtOffset(s.end, s.endOffset) : localDayAtOffset(s.start, s.startOffset);
}

/** Seconds asleep in a sleep session (every stage but wake; the whole session when it has no stages). */
export function asleepSeconds(s: StoredSession): number {
  if (s.segments.length === 0) return (s.end - s.start) / 1000;
  let ms = 0;
  for (const seg of s.segments) if (seg.stage !== 'wake') ms += seg.end - seg.start;
  return ms / 1000;
}

/**
 * Per-day time asleep (sleep) or exercising (exercise) of an account, per data source, for the
 * given local days. Overlapping sessions of different layers are resolved by the store (api >
 * takeout-csv > takeout-json).
 */
export function sessionDaily(store: Store, account: string, kind: SessionKind, days: Iterable<number>, range: DayRange = {}): DailyPoint[] {
  const name = prometheusDailyName(metricDef(kind));
  if (name === null) return [];
  const out: DailyPoint[] = [];
  for (const day of [...new Set(days)].sort((a, b) => a - b)) {
    if (!inRange(day, range)) continue;
    const sessions = store.sessions(account, kind, (day - 2) * DAY_MS, (day + 3) * DAY_MS);
    const bySource = new Map<string, { v: number; offset: number }>();
    for (const s of sessions) {
      if (sessionDay(s) !== day) continue;
      const secs = kind === 'sleep' ? asleepSeconds(s) : (s.end - s.start) / 1000;
      const offset = kind === 'sleep' ? s.endOffset : s.startOffset;
      const cur = bySource.get(s.source);
      if (cur) cur.v += secs;
      else bySource.set(s.source, { v: secs, offset });
    }
    for (const [source, { v, offset }] of [...bySource].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      out.push({ labels: seriesLabels(name, account, source), day, t: day * DAY_MS - offset * MINUTE_MS, v });
    }
  }
  return out;
}

/** Stable text key of a label set. */
export function labelsKey(labels: readonly Label[]): string {
  return labels.map(([n, v]) => `${n}=${JSON.stringify(v)}`).join(',');
}
