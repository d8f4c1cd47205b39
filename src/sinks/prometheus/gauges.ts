/**
 * The latest values of every account as Prometheus gauges for `/metrics` (scraped, so without
 * sample timestamps: the scraper stamps them). Names come from the metric registry
 * (`prometheusGaugeName`: `fitbit_<name>`, values in the Prometheus base unit via
 * `prometheusFactor`); the history with real timestamps goes out by remote write under
 * `fitbit_history_<name>` and never mixes with these.
 *
 * What a gauge holds depends on the metric (GAUGE_SPECS, also rendered into docs/metrics.md):
 * - readings (heart rate, HRV, SpO2, weight) and daily values (resting heart rate, nightly HRV,
 *   SpO2, breathing rate, skin temperature): the newest stored sample of each series, labelled
 *   `{account, source}` — a tracker and the phone app stay separate;
 * - additive intraday metrics with a "today" total in computeLatest (steps, energy, distance,
 *   floors): the total of the account's current local day, `{account, source="all"}` — per
 *   minute the highest-ranked source that has it, never the sum (src/reconcile/day-totals.ts);
 *   a per-source "newest minute" would mean nothing;
 * - sleep: the time asleep of last night's main sleep, `{account, source="all"}`, and the
 *   current / last sleep stage as a state set `fitbit_sleep_stage{account, stage}`.
 * Beside them `fitbit_newest_sample_timestamp_seconds{account, metric, source}` says when the
 * newest sample of each series was measured (how fresh the data is; sync lag on a dashboard).
 *
 * Cardinality is bounded: accounts come from the config and the store, `source` from the data
 * sources (devices, apps; at most MAX_SOURCES per account and metric, the most recent ones),
 * `metric` from the registry, `stage` from the seven normalised stages.
 */
import { METRICS, prometheusFactor, prometheusGaugeName, type MetricDef, type MetricId } from '../../metrics/registry.js';
import type { SeriesInfo, Store } from '../../store/types.js';
import { DAY_MS } from '../../time/index.js';
import { computeLatest, SLEEP_STAGES, type LatestKey } from '../latest.js';

/** The `source` label of values combined over every data source of the account. */
export const ALL_SOURCES = 'all';

/** At most this many data sources per account and metric are published (the most recent ones). */
export const MAX_SOURCES = 8;

export const NEWEST_SAMPLE_GAUGE = 'fitbit_newest_sample_timestamp_seconds';
export const SLEEP_STAGE_GAUGE = 'fitbit_sleep_stage';

export type GaugeFrom =
  /** The newest sample of each series, `{account, source}`. */
  | { kind: 'series' }
  /** A value of computeLatest combined over the sources, `{account, source="all"}`; `scale` converts its unit to the base unit. */
  | { kind: 'latest'; key: LatestKey; scale: number };

export interface GaugeSpec {
  metric: MetricId;
  /** `fitbit_<name>` from the registry. */
  name: string;
  help: string;
  from: GaugeFrom;
  labels: readonly ['account', 'source'];
}

/** computeLatest keys that back the gauges of additive and session metrics. */
const LATEST_BACKED: Partial<Record<MetricId, { key: LatestKey; what: string; scale?: number }>> = {
  steps: { key: 'steps_today', what: 'so far in the current local day' },
  calories: { key: 'calories_today', what: 'so far in the current local day' },
  distance: { key: 'distance_today', what: 'so far in the current local day' },
  floors: { key: 'floors_today', what: 'so far in the current local day' },
  sleep: { key: 'sleep_duration', what: "in last night's main sleep (the newest one that ended today or yesterday, local time)", scale: 60 },
};

function unitNote(m: MetricDef): string {
  const name = m.prometheus.name;
  if (/_(seconds|meters|grams|celsius|ratio|square_seconds)$/.test(name)) return '';
  return ` (${m.unit}: no base unit)`;
}

/** The gauge of a metric on /metrics, or null when the metric has none (see the module comment). */
export function gaugeSpecFor(m: MetricDef): GaugeSpec | null {
  const name = prometheusGaugeName(m);
  const backed = LATEST_BACKED[m.id];
  if (backed) {
    const what =
      m.kind === 'session'
        ? `Time asleep, in seconds, ${backed.what}`
        : `${m.title} ${backed.what}${unitNote(m)}, all sources combined (per minute the highest source)`;
    return {
      metric: m.id,
      name,
      help: `${what}.`,
      from: { kind: 'latest', key: backed.key, scale: (backed.scale ?? 1) * prometheusFactor(m) },
      labels: ['account', 'source'],
    };
  }
  if (m.kind === 'session' || m.prometheus.dailySum === true) return null;
  const what = m.kind === 'daily' ? 'the newest daily value' : 'the newest stored sample';
  return {
    metric: m.id,
    name,
    help: `${m.title}${unitNote(m)}: ${what} of each data source (when: ${NEWEST_SAMPLE_GAUGE}).`,
    from: { kind: 'series' },
    labels: ['account', 'source'],
  };
}

/** Every gauge of a registry metric, in registry order. */
export const GAUGE_SPECS: readonly GaugeSpec[] = METRICS.map(gaugeSpecFor).filter((g): g is GaugeSpec => g !== null);

export interface GaugeSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface GaugeAccount {
  name: string;
  /** IANA zone of the account's local day. */
  timezone: string;
}

/** A value in the base unit without float noise from the unit factor (0.945, not 0.9450000000000001). */
export function baseValue(v: number, factor: number): number {
  return factor === 1 ? v : Number((v * factor).toPrecision(12));
}

function newestOf(store: Store, s: SeriesInfo): { t: number; v: number } | null {
  if (s.last === null) return null;
  let found: { t: number; v: number } | null = null;
  for (const x of store.iterateSamples({ account: s.account, metric: s.metric, source: s.source }, s.last, s.last + 1)) found = x;
  return found;
}

/**
 * The gauge samples of the given accounts at `now` (reads the store only). Series whose newest
 * sample lies after `now` (a clock behind the data) still publish their newest sample.
 */
export function collectGauges(store: Store, accounts: readonly GaugeAccount[], now: number): GaugeSample[] {
  const out: GaugeSample[] = [];
  const all = store.listSeries();
  for (const acc of accounts) {
    const mine = all.filter((s) => s.account === acc.name && s.last !== null);
    const byMetric = new Map<string, SeriesInfo[]>();
    for (const s of mine) {
      const list = byMetric.get(s.metric);
      if (list) list.push(s);
      else byMetric.set(s.metric, [s]);
    }
    // newest sample per series (bounded number of sources per metric)
    for (const m of METRICS) {
      const series = (byMetric.get(m.id) ?? []).sort((a, b) => (b.last ?? 0) - (a.last ?? 0)).slice(0, MAX_SOURCES);
      const spec = gaugeSpecFor(m);
      const f = prometheusFactor(m);
      for (const s of series) {
        out.push({ name: NEWEST_SAMPLE_GAUGE, labels: { account: acc.name, metric: m.id, source: s.source }, value: (s.last ?? 0) / 1000 });
        if (spec?.from.kind !== 'series') continue;
        const n = newestOf(store, s);
        if (n !== null) out.push({ name: spec.name, labels: { account: acc.name, source: s.source }, value: baseValue(n.v, f) });
      }
    }
    if (mine.length === 0 && store.sessions(acc.name, 'sleep', now - 3 * DAY_MS, now + 1).length === 0) continue;
    const latest = computeLatest(store, acc.name, { now, timezone: acc.timezone });
    for (const spec of GAUGE_SPECS) {
      if (spec.from.kind !== 'latest') continue;
      const r = latest.values[spec.from.key];
      if (typeof r.value !== 'number') continue;
      out.push({ name: spec.name, labels: { account: acc.name, source: ALL_SOURCES }, value: baseValue(r.value, spec.from.scale) });
    }
    const stage = latest.values.sleep_stage.value;
    if (stage !== null) {
      for (const st of SLEEP_STAGES) out.push({ name: SLEEP_STAGE_GAUGE, labels: { account: acc.name, stage: st }, value: st === stage ? 1 : 0 });
    }
  }
  return out;
}
