/**
 * The dump's day summary: one file per local day, `summary/<YYYY-MM-DD>.csv` (or `.jsonl`), one
 * row per figure of the day — `figure,value,unit,source`:
 *
 * - the total of each additive intraday metric, by metric id (`steps`, `distance`, `calories`,
 *   `floors`, `altitude` (elevation gain), `active_zone_minutes`, `active_energy`), merged per
 *   minute across the sources (src/reconcile/day-totals.ts); source empty (merged);
 * - sleep (src/reconcile/sleep.ts `sleepDayFigures`, the nights that ended that day):
 *   `sleep_main_asleep`, `sleep_nap_asleep` and `sleep_main_stage_<stage>` / `sleep_nap_stage_<stage>`, in
 *   seconds; source empty;
 * - `exercise`: seconds of the workouts that started that day; source empty;
 * - each daily-kind metric by its id (`resting_heart_rate`, `hrv_daily_rmssd`, …): the value of the
 *   highest-ranked source (src/reconcile/sources.ts), that source named;
 * - `weight`: the day's last weigh-in, its source named.
 *
 * Values in the registry's canonical units. JSON lines carry the same fields (`source` null when merged).
 */
import { METRICS, type MetricDef, type MetricId } from '../../metrics/registry.js';
import { dayTotals, hasDailySum } from '../../reconcile/day-totals.js';
import { sleepDayFigures } from '../../reconcile/sleep.js';
import { compareSources } from '../../reconcile/sources.js';
import type { SleepStage, Store } from '../../store/types.js';
import { DAY_MS, localDayAtOffset } from '../../time/index.js';
import { csvLine, formatValue, type DumpFormat } from './format.js';

export const SUMMARY_FOLDER = 'summary';
export const SUMMARY_COLUMNS = ['figure', 'value', 'unit', 'source'] as const;

/** Stages in the order their rows are written. */
const STAGE_ORDER: readonly SleepStage[] = ['deep', 'light', 'rem', 'wake', 'asleep', 'restless', 'unknown'];

export interface SummaryRow {
  figure: string;
  value: number;
  unit: string;
  /** The source the value came from; null when merged across sources. */
  source: string | null;
}

/** A sum of many samples, without the float noise of the additions (2164.09000000002 → 2164.09). */
function sumValue(v: number): number {
  return Number(v.toPrecision(12));
}

/**
 * The summary rows of each of the given local days of an account (days without any figure are
 * absent), restricted to the selected metrics.
 */
export function summaryRows(store: Store, account: string, days: readonly number[], defs: readonly MetricDef[]): Map<number, SummaryRow[]> {
  const out = new Map<number, SummaryRow[]>();
  if (days.length === 0) return out;
  const want = new Set(days);
  const rows = (d: number): SummaryRow[] => {
    let r = out.get(d);
    if (!r) out.set(d, (r = []));
    return r;
  };
  const selected = new Set(defs.map((d) => d.id));
  const timezone = store.getAccount(account)?.timezone ?? null;
  const lo = Math.min(...days);
  const hi = Math.max(...days);
  // additive totals, merged per minute
  for (const m of METRICS) {
    if (!selected.has(m.id) || !hasDailySum(m)) continue;
    for (const t of dayTotals(store, account, m.id, days, { timezone }))
      rows(t.day).push({ figure: m.id, value: sumValue(t.value), unit: m.unit, source: null });
  }
  // sleep
  if (selected.has('sleep')) {
    for (const f of sleepDayFigures(store, account, days)) {
      if (!want.has(f.day)) continue;
      const r = rows(f.day);
      r.push({ figure: `sleep_${f.kind}_asleep`, value: f.asleepSeconds, unit: 's', source: null });
      for (const stage of STAGE_ORDER) {
        const v = f.stageSeconds[stage];
        if (v !== undefined) r.push({ figure: `sleep_${f.kind}_stage_${stage}`, value: v, unit: 's', source: null });
      }
    }
  }
  // exercise: the workouts that started that day
  if (selected.has('exercise')) {
    const secs = new Map<number, number>();
    for (const s of store.sessions(account, 'exercise', (lo - 1) * DAY_MS, (hi + 2) * DAY_MS)) {
      const d = localDayAtOffset(s.start, s.startOffset);
      if (want.has(d)) secs.set(d, (secs.get(d) ?? 0) + (s.end - s.start) / 1000);
    }
    for (const d of [...secs.keys()].sort((a, b) => a - b)) rows(d).push({ figure: 'exercise', value: secs.get(d)!, unit: 's', source: null });
  }
  // daily-kind metrics: the best-ranked source's value
  const pick = (metric: MetricId, better: (x: Picked, cur: Picked) => boolean): Map<number, Picked> =>
    pickPerDay(store, account, metric, want, (lo - 1) * DAY_MS, (hi + 2) * DAY_MS, better);
  for (const m of METRICS) {
    if (!selected.has(m.id) || m.kind !== 'daily') continue;
    const best = pick(m.id, (x, cur) => compareSources(x.source, cur.source) < 0 || cur.source === x.source);
    for (const [d, b] of best) rows(d).push({ figure: m.id, value: b.v, unit: m.unit, source: b.source });
  }
  // weight: the day's last weigh-in (one per weigh-in after src/reconcile/samples.ts; at one instant the best-ranked source)
  if (selected.has('weight')) {
    const last = pick('weight', (x, cur) => x.t > cur.t || (x.t === cur.t && compareSources(x.source, cur.source) < 0));
    for (const [d, b] of last) rows(d).push({ figure: 'weight', value: b.v, unit: 'kg', source: b.source });
  }
  return out;
}

interface Picked {
  source: string;
  t: number;
  v: number;
}

/** Per wanted local day, the one sample of any source of `metric` that `better` prefers (samples read in [from, to)). */
function pickPerDay(
  store: Store,
  account: string,
  metric: MetricId,
  want: ReadonlySet<number>,
  from: number,
  to: number,
  better: (x: Picked, cur: Picked) => boolean,
): Map<number, Picked> {
  const out = new Map<number, Picked>();
  for (const s of store.listSeries({ account, metric })) {
    if (s.count === 0) continue;
    for (const x of store.iterateSamples(s, from, to)) {
      const d = localDayAtOffset(x.t, x.offset);
      if (!want.has(d)) continue;
      const cand = { source: s.source, t: x.t, v: x.v };
      const cur = out.get(d);
      if (!cur || better(cand, cur)) out.set(d, cand);
    }
  }
  return out;
}

/** Whole-file text of a day summary. */
export function renderSummary(format: DumpFormat, rows: readonly SummaryRow[]): string {
  if (format === 'csv') {
    let s = csvLine(SUMMARY_COLUMNS);
    for (const r of rows) s += csvLine([r.figure, formatValue(r.value), r.unit, r.source ?? '']);
    return s;
  }
  let s = '';
  for (const r of rows) {
    const v = formatValue(r.value);
    s += `{"figure":${JSON.stringify(r.figure)},"value":${v === '' ? 'null' : v},"unit":${JSON.stringify(r.unit)},"source":${r.source === null ? 'null' : JSON.stringify(r.source)}}\n`;
  }
  return s;
}

/** Whether a metric's data feeds the day summary. */
export function feedsSummary(m: MetricDef): boolean {
  return m.kind === 'session' || m.kind === 'daily' || m.id === 'weight' || hasDailySum(m);
}
