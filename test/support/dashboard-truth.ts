/**
 * What a TSDB fed by a live bridge must hold, from the synthetic model alone: for each history
 * series name the bridge remote-writes (`fitbit_history_…`), the spans of time where the synthetic
 * user served by the Google emulator has samples. The dashboard-query test asks a panel for data
 * only where this truth has some, so it holds on any date and at any time of day (whether the
 * last days had a workout, whether yesterday's per-day series have settled yet), and still fails
 * when data the truth has is missing.
 *
 * Deliberately conservative (a span here is certainly in the TSDB; something missing here may
 * still be there):
 * - the current, partial day counts only its samples up to `syncedAt` − 5 min, and none of its
 *   daily values or sessions;
 * - per-day series (`fitbit_history_daily_…`) count only for days settled at `syncedAt`
 *   (the remote-write sink sends them `daily_settle_hours` after the day ended; 1 h of slack for
 *   the UTC offset of a DST day);
 * - only metrics the Google Health API serves (the registry's `googleHealth`).
 */
import { METRICS, prometheusDailyName, prometheusHistoryName, type MetricId } from '../../src/metrics/registry.js';
import { SLEEP_STAGE_HISTORY } from '../../src/sinks/remote-write/sleep-stages.js';
import { dayTotals, syntheticDay } from '../../src/synthetic/index.js';
import { addDays } from '../../src/time/index.js';

/** Inclusive [from, to] (UTC ms). */
export type Span = readonly [number, number];

export interface TruthOptions {
  seed: number;
  timezone: string;
  /** The emulator's user: first and last local day (YYYY-MM-DD). */
  firstDay: string;
  lastDay: string;
  /** An instant before the bridge started syncing (ms). */
  syncedAt: number;
  /** remote_write.daily_settle_hours in ms. */
  dailySettleMs: number;
}

const MIN = 60_000;
const HOUR = 60 * MIN;

/** History series name → spans with samples, per the synthetic model. */
export function tsdbTruth(o: TruthOptions): Map<string, Span[]> {
  const byId = new Map(METRICS.map((m) => [m.id, m]));
  const out = new Map<string, Span[]>();
  const add = (name: string | null, from: number, to: number): void => {
    if (name === null) return;
    const l = out.get(name) ?? [];
    l.push([from, to]);
    out.set(name, l);
  };
  for (let date = o.firstDay; date <= o.lastDay; date = addDays(date, 1)) {
    const day = syntheticDay({ seed: o.seed, timezone: o.timezone, date });
    if (day.start >= o.syncedAt - 5 * MIN) break;
    const partial = day.end > o.syncedAt - 5 * MIN;
    const settled = !partial && day.end + o.dailySettleMs + HOUR <= o.syncedAt;
    const totals = dayTotals(day, partial ? o.syncedAt - 5 * MIN : Infinity);
    for (const [id, bySource] of Object.entries(totals) as [MetricId, Record<string, { first: number; last: number }>][]) {
      const m = byId.get(id);
      if (!m || m.googleHealth === null || m.kind === 'session') continue;
      const ts = Object.values(bySource);
      if (ts.length === 0) continue;
      add(prometheusHistoryName(m), Math.min(...ts.map((x) => x.first)), Math.max(...ts.map((x) => x.last)));
      if (settled) add(prometheusDailyName(m), day.start, day.start); // null for metrics without a per-day sum
    }
    if (partial) continue;
    // sessions: sleep counts on the day it ended, exercise on the day it started (stamped at local midnight)
    for (const s of day.sleeps) {
      add(SLEEP_STAGE_HISTORY, s.start, s.end);
      if (settled && s.end >= day.start && s.end < day.end) add(prometheusDailyName(byId.get('sleep')!), day.start, day.start);
    }
    for (const e of day.exercises) {
      if (settled && e.start >= day.start && e.start < day.end) add(prometheusDailyName(byId.get('exercise')!), day.start, day.start);
    }
  }
  return out;
}

/** Whether the truth has a sample of `name` in [from, to]. */
export function truthHas(truth: Map<string, Span[]>, name: string, from: number, to: number): boolean {
  return (truth.get(name) ?? []).some(([a, b]) => a <= to && b >= from);
}
