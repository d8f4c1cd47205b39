/**
 * What of the store goes to a TSDB, and under which names (shared by remote write and the
 * OpenMetrics export). The names come from the metric registry (src/metrics/registry.ts):
 *
 * - every sample of a metric with samples, at its own instant, in the Prometheus base unit:
 *   `fitbit_history_<name>{account, source}` (daily-kind metrics are stamped at local midnight);
 * - per local day, stamped at that day's local midnight: the total of each additive intraday
 *   metric, `fitbit_history_daily_<name>{account}` (steps, distance, energy, floors, elevation,
 *   active zone minutes; merged per minute across the sources, no source label), the time asleep of
 *   the sleeps that ended that day, main sleep and naps apart
 *   (`fitbit_history_daily_sleep_seconds{account, sleep}`, per stage
 *   `fitbit_history_daily_sleep_stage_seconds{account, sleep, stage}`: the chosen version of each
 *   physical sleep only) and the time exercising of the workouts that started that day
 *   (`fitbit_history_daily_exercise_seconds{account}`).
 *
 * Labels are bounded: `account` (configured names), `source` (device / app names). Series of
 * different data sources are never summed.
 */
import { metric as metricDef, prometheusDailyName, prometheusFactor, prometheusHistoryName, type MetricId, type SessionKind } from '../../metrics/registry.js';
import { dayTotals, hasDailySum } from '../../reconcile/day-totals.js';
import type { SeriesKey, SleepStage, Store, StoredSession } from '../../store/types.js';
import { sleepDayFigures, type SleepDayFigure } from '../../reconcile/sleep.js';
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

export { hasDailySum };

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
  const labels = accountLabels(name, account);
  const factor = prometheusFactor(m);
  const timezone = store.getAccount(account)?.timezone ?? null;
  return dayTotals(store, account, metric, days, { timezone }).map((d) => ({ labels, day: d.day, t: d.t, v: d.value * factor }));
}

/** The local day a session counts for: sleep by its end (the morning you woke up), exercise by its start. */
export function sessionDay(s: StoredSession | { kind: SessionKind; start: number; startOffset: number; end: number; endOffset: number }): number {
  return s.kind === 'sleep' ? localDayAtOffset(s.end, s.endOffset) : localDayAtOffset(s.start, s.startOffset);
}

/** Per-day time asleep per stage, by main sleep / nap: `fitbit_history_daily_sleep_stage_seconds{account, sleep, stage}`. */
export const DAILY_SLEEP_STAGE_SECONDS = 'fitbit_history_daily_sleep_stage_seconds';

/** Labels sorted by name; `__name__` first; no `source` label (per-day figures of all sources). */
function accountLabels(name: string, account: string, extra: readonly Label[] = []): Label[] {
  const labels: Label[] = [['__name__', name], ['account', account], ...extra];
  return labels.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/**
 * Per-day series of sessions for the given local days, stamped at local midnight, no `source` label:
 * - sleep: `fitbit_history_daily_sleep_seconds{account, sleep="main"|"nap"}` (time asleep) and
 *   `fitbit_history_daily_sleep_stage_seconds{account, sleep, stage}` from sleepDayFigures (the chosen
 *   version of each physical sleep, src/reconcile/sleep.ts). A day with any stored sleep (alternatives
 *   included) gives both kinds and every stage some version of that day has, 0 when the chosen
 *   sessions have none, so a value sent before a choice changed is overwritten;
 * - exercise: `fitbit_history_daily_exercise_seconds{account}`, the workouts starting that day
 *   (overlapping sessions of different layers counted once: api > takeout-csv > takeout-json).
 */
export function sessionDaily(store: Store, account: string, kind: SessionKind, days: Iterable<number>, range: DayRange = {}): DailyPoint[] {
  const name = prometheusDailyName(metricDef(kind));
  if (name === null) return [];
  const wanted = [...new Set(days)].filter((d) => inRange(d, range)).sort((a, b) => a - b);
  const out: DailyPoint[] = [];
  if (kind === 'sleep') {
    const figures = new Map<string, SleepDayFigure>();
    for (const f of sleepDayFigures(store, account, wanted)) figures.set(`${f.day}/${f.kind}`, f);
    for (const day of wanted) {
      const stored = store.sessions(account, 'sleep', (day - 2) * DAY_MS, (day + 3) * DAY_MS, { resolve: false }).filter((s) => sessionDay(s) === day);
      if (stored.length === 0) continue;
      const stages = new Set<SleepStage>();
      for (const s of stored) for (const g of s.segments) stages.add(g.stage);
      const main = figures.get(`${day}/main`);
      const nap = figures.get(`${day}/nap`);
      const offset = main?.offset ?? nap?.offset ?? stored[stored.length - 1]!.endOffset;
      const t = day * DAY_MS - offset * MINUTE_MS;
      for (const [sleep, f] of [
        ['main', main],
        ['nap', nap],
      ] as const) {
        out.push({ labels: accountLabels(name, account, [['sleep', sleep]]), day, t, v: f?.asleepSeconds ?? 0 });
        for (const stage of [...stages].sort()) {
          out.push({
            labels: accountLabels(DAILY_SLEEP_STAGE_SECONDS, account, [
              ['sleep', sleep],
              ['stage', stage],
            ]),
            day,
            t,
            v: f?.stageSeconds[stage] ?? 0,
          });
        }
      }
    }
    return out;
  }
  for (const day of wanted) {
    let v = 0;
    let offset: number | null = null;
    for (const s of store.sessions(account, kind, (day - 2) * DAY_MS, (day + 3) * DAY_MS)) {
      if (sessionDay(s) !== day) continue;
      v += (s.end - s.start) / 1000;
      offset ??= s.startOffset;
    }
    if (offset !== null) out.push({ labels: accountLabels(name, account), day, t: day * DAY_MS - offset * MINUTE_MS, v });
  }
  return out;
}

/** Stable text key of a label set. */
export function labelsKey(labels: readonly Label[]): string {
  return labels.map(([n, v]) => `${n}=${JSON.stringify(v)}`).join(',');
}
