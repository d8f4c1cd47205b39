/**
 * The Google Health API data types the bridge syncs: how each is asked for (path id, filter id and
 * member, method, page size, how many days one request covers) and what it becomes (metrics of the
 * registry, sessions). Facts from the Google Health API v4 documentation and its discovery document (test/fixtures/google-health/); the metric side comes
 * from src/metrics/registry.ts (`googleHealth`), so the two tables cannot drift apart silently
 * (test/sync/mapping.test.ts checks every registry entry with a `googleHealth` is reachable here).
 */
import { METRICS, type MetricId } from '../../metrics/registry.js';

/** Interval: `interval{startTime…}`; sample: `sampleTime{physicalTime…}`; daily: `date{y,m,d}`. */
export type RecordKind = 'interval' | 'sample' | 'daily' | 'session' | 'rollup';

/** How a filter member compares: UTC instants, civil date-times, or civil dates. */
export type MemberKind = 'physical' | 'civil' | 'date';

export interface FilterMember {
  /** After `<filterId>.`, e.g. `interval.start_time`. */
  member: string;
  kind: MemberKind;
}

/** Which schedule a type belongs to: intraday data (`recent`) or daily values and sessions (`daily`). */
export type TypeGroup = 'recent' | 'daily';

export interface DataTypeDef {
  /** Path id (kebab-case), also the key of coverage and raw pages. */
  id: string;
  /** Filter id (snake_case). */
  filterId: string;
  /** The DataPoint union key (camelCase): `heartRate`. */
  unionKey: string;
  record: RecordKind;
  /** `list` (dataPoints.list) or `rollUp` (dataPoints:rollUp, 60 s windows) for rollUp-only types. */
  method: 'list' | 'rollUp';
  /**
   * Filter members in order of preference, the first the one the live reports say works (daily
   * types: only `<type>.date`); the next one is tried when the API refuses the member
   * (INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER among the detailed reasons).
   */
  members: FilterMember[];
  /** Largest page the API serves for this type. */
  maxPageSize: number;
  /** Local days one request window spans (the widest that keeps pages few; rollUp: within its range limit). */
  windowDays: number;
  /** Maximum range of one rollUp request, in days (discovery: 14 for heart-rate, active-minutes, total-calories, calories-in-heart-rate-zone; 90 for the others). */
  maxRangeDays?: number;
  /**
   * rollUp types: the `dataSourceFamily` of each request of a window, in order. The first family's
   * windows are stored under its own source; each later family's only where the earlier ones have
   * no value (see ROLLUP_FAMILY_SOURCES), so no minute is counted twice.
   */
  families?: readonly SourceFamily[];
  /** Scope area (after `googlehealth.`) needed to read it. */
  scope: 'activity_and_fitness' | 'health_metrics_and_measurements' | 'sleep';
  group: TypeGroup;
  /** Metrics this type fills (from the registry); sessions have their kind here. */
  metrics: MetricId[];
  /** Metrics whose API field is an int64 rounding of a decimal quantity (a more precise stored value is kept). */
  rounded?: MetricId[];
  /** Human note where the mapping is not exact (docs and `sync --dry-run`). */
  note?: string;
}

const INTERVAL: FilterMember[] = [{ member: 'interval.start_time', kind: 'physical' }];
const SAMPLE: FilterMember[] = [{ member: 'sample_time.physical_time', kind: 'physical' }];
const DAILY: FilterMember[] = [{ member: 'date', kind: 'date' }];

export const MAX_PAGE_SIZE = 10_000;
export const SESSION_PAGE_SIZE = 25;

/**
 * `dataSourceFamily` of a rollUp (discovery: RollUpDataPointsRequest.dataSourceFamily):
 * `all-sources` (the default when omitted; reported live to SUM a phone's and a watch's minutes),
 * `google-wearables` (tracker devices), `google-sources` (Google first-party sources).
 */
export type SourceFamily = 'all-sources' | 'google-wearables' | 'google-sources';

/** The request value of a family: `users/me/dataSourceFamilies/<family>`. */
export function familyName(f: SourceFamily): string {
  return `users/me/dataSourceFamilies/${f}`;
}

/** The family of a request value (absent: `all-sources`, the API's default), or null when unknown. */
export function familyOf(name: unknown): SourceFamily | null {
  if (name === undefined || name === null || name === '') return 'all-sources';
  const m = /^users\/[^/]+\/dataSourceFamilies\/(all-sources|google-wearables|google-sources)$/.exec(String(name));
  return m ? (m[1] as SourceFamily) : null;
}

/** Source name of rollUp-only values (total-calories, floors) of the tracker family (`google-wearables`). */
export const WEARABLES_ROLLUP_SOURCE = 'Google Health (wearables)';
/**
 * Source name of rollUp-only values of every source (`all-sources`, also what a rollUp without a
 * family returned before the bridge asked per family): merged across data sources, no device.
 */
export const ROLLUP_SOURCE = 'Google Health (all sources)';
/** Source name of rollUp-only values of Google's first-party sources (`google-sources`). */
export const GOOGLE_SOURCES_ROLLUP_SOURCE = 'Google Health (Google sources)';

/** The series each family's rollUp windows are stored in. */
export const ROLLUP_FAMILY_SOURCES: Readonly<Record<SourceFamily, string>> = {
  'google-wearables': WEARABLES_ROLLUP_SOURCE,
  'all-sources': ROLLUP_SOURCE,
  'google-sources': GOOGLE_SOURCES_ROLLUP_SOURCE,
};

/**
 * The families a rollUp type asks, in precedence order: the tracker first, then every source for
 * the minutes the tracker has no value (phone only, Health Connect apps). Both families are
 * documented for rollUp; `all-sources` rather than `google-sources` keeps third-party (Health
 * Connect) sources, which no Google family holds.
 */
export const ROLLUP_FAMILIES: readonly SourceFamily[] = ['google-wearables', 'all-sources'];

/**
 * Where the windows of a rollUp page of `family` go: the family's source, and the sources of the
 * families before it in the type's order, which take precedence minute by minute (a window is
 * not stored where one of them has a value, and a value stored there earlier is removed).
 */
export function rollupPlacement(def: Pick<DataTypeDef, 'families'>, family: SourceFamily): { source: string; yieldsTo: string[] } {
  const order = def.families ?? [];
  const i = order.indexOf(family);
  return { source: ROLLUP_FAMILY_SOURCES[family], yieldsTo: (i < 0 ? [] : order.slice(0, i)).map((f) => ROLLUP_FAMILY_SOURCES[f]) };
}
/** Source name of points whose `dataSource` names no device, manufacturer, app or platform (and of reconciled points, which carry none): see `sourceLabel` in mapping.ts. */
export const UNKNOWN_DEVICE_SOURCE = 'Google Health (unknown device)';

function metricsOf(dataType: string): MetricId[] {
  return METRICS.filter((m) => m.googleHealth?.dataType === dataType).map((m) => m.id);
}

type Def = Omit<DataTypeDef, 'metrics' | 'unionKey' | 'filterId'> & { unionKey?: string; filterId?: string; metrics?: MetricId[] };

function camel(id: string): string {
  return id.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

const DEFS: Def[] = [
  // ---- recent: intraday
  {
    id: 'heart-rate',
    record: 'sample',
    method: 'list',
    members: SAMPLE,
    maxPageSize: MAX_PAGE_SIZE,
    windowDays: 7,
    scope: 'health_metrics_and_measurements',
    group: 'recent',
  },
  {
    id: 'steps',
    record: 'interval',
    method: 'list',
    members: INTERVAL,
    maxPageSize: MAX_PAGE_SIZE,
    windowDays: 30,
    scope: 'activity_and_fitness',
    group: 'recent',
  },
  {
    id: 'distance',
    record: 'interval',
    method: 'list',
    members: INTERVAL,
    maxPageSize: MAX_PAGE_SIZE,
    windowDays: 30,
    scope: 'activity_and_fitness',
    group: 'recent',
  },
  {
    id: 'altitude',
    record: 'interval',
    method: 'list',
    members: INTERVAL,
    maxPageSize: MAX_PAGE_SIZE,
    windowDays: 90,
    scope: 'activity_and_fitness',
    group: 'recent',
  },
  {
    id: 'active-energy-burned',
    record: 'interval',
    method: 'list',
    members: INTERVAL,
    maxPageSize: MAX_PAGE_SIZE,
    windowDays: 10,
    scope: 'activity_and_fitness',
    group: 'recent',
  },
  {
    id: 'active-zone-minutes',
    record: 'interval',
    method: 'list',
    members: INTERVAL,
    maxPageSize: MAX_PAGE_SIZE,
    windowDays: 90,
    scope: 'activity_and_fitness',
    group: 'recent',
  },
  {
    id: 'heart-rate-variability',
    record: 'sample',
    method: 'list',
    members: SAMPLE,
    maxPageSize: MAX_PAGE_SIZE,
    windowDays: 60,
    scope: 'health_metrics_and_measurements',
    group: 'recent',
  },
  {
    id: 'oxygen-saturation',
    record: 'sample',
    method: 'list',
    members: SAMPLE,
    maxPageSize: MAX_PAGE_SIZE,
    windowDays: 20,
    scope: 'health_metrics_and_measurements',
    group: 'recent',
  },
  {
    id: 'total-calories',
    record: 'rollup',
    method: 'rollUp',
    members: [],
    maxPageSize: MAX_PAGE_SIZE,
    windowDays: 6,
    maxRangeDays: 14,
    families: ROLLUP_FAMILIES,
    scope: 'activity_and_fitness',
    group: 'recent',
    note: `rollUp only (60 s windows, no device): the tracker family under the source "${WEARABLES_ROLLUP_SOURCE}", the minutes it leaves empty from all sources under "${ROLLUP_SOURCE}" (never both for one minute); not per device, so it does not merge with a Takeout device series`,
  },
  {
    id: 'floors',
    record: 'rollup',
    method: 'rollUp',
    members: [],
    maxPageSize: MAX_PAGE_SIZE,
    windowDays: 60,
    maxRangeDays: 90,
    families: ROLLUP_FAMILIES,
    scope: 'activity_and_fitness',
    group: 'recent',
    note: `rollUp only (60 s windows, no device): the tracker family under the source "${WEARABLES_ROLLUP_SOURCE}", the minutes it leaves empty from all sources under "${ROLLUP_SOURCE}" (never both for one minute)`,
  },
  // ---- daily: daily values, per-sleep values, sessions, weight
  {
    id: 'daily-resting-heart-rate',
    record: 'daily',
    method: 'list',
    members: DAILY,
    maxPageSize: MAX_PAGE_SIZE,
    windowDays: 366,
    scope: 'health_metrics_and_measurements',
    group: 'daily',
    rounded: ['resting_heart_rate'],
    note: 'beatsPerMinute is an int64: a stored Takeout value with decimals that rounds to it is kept',
  },
  {
    id: 'daily-heart-rate-variability',
    record: 'daily',
    method: 'list',
    members: DAILY,
    maxPageSize: MAX_PAGE_SIZE,
    windowDays: 366,
    scope: 'health_metrics_and_measurements',
    group: 'daily',
    rounded: ['hrv_daily_nremhr'],
    note: 'nonRemHeartRateBeatsPerMinute is an int64: a stored Takeout value with decimals that rounds to it is kept',
  },
  {
    id: 'daily-oxygen-saturation',
    record: 'daily',
    method: 'list',
    members: DAILY,
    maxPageSize: MAX_PAGE_SIZE,
    windowDays: 366,
    scope: 'health_metrics_and_measurements',
    group: 'daily',
  },
  {
    id: 'daily-respiratory-rate',
    record: 'daily',
    method: 'list',
    members: DAILY,
    maxPageSize: MAX_PAGE_SIZE,
    windowDays: 366,
    scope: 'health_metrics_and_measurements',
    group: 'daily',
  },
  {
    id: 'daily-sleep-temperature-derivations',
    record: 'daily',
    method: 'list',
    members: DAILY,
    maxPageSize: MAX_PAGE_SIZE,
    windowDays: 366,
    scope: 'health_metrics_and_measurements',
    group: 'daily',
  },
  {
    id: 'respiratory-rate-sleep-summary',
    record: 'sample',
    method: 'list',
    members: SAMPLE,
    maxPageSize: MAX_PAGE_SIZE,
    windowDays: 366,
    scope: 'health_metrics_and_measurements',
    group: 'daily',
    note: 'one sample per sleep (sleep_breathing_rate, the full-sleep average); the per-stage rates stay in the raw pages',
  },
  {
    id: 'weight',
    record: 'sample',
    method: 'list',
    members: SAMPLE,
    maxPageSize: MAX_PAGE_SIZE,
    windowDays: 366,
    scope: 'health_metrics_and_measurements',
    group: 'daily',
  },
  {
    id: 'sleep',
    record: 'session',
    method: 'list',
    // seen live: sleep filters on end_time (civil_end_time works too; start_time and civil_start_time
    // are refused); another integrator reports civil_start_time, kept as the fallback
    members: [
      { member: 'interval.end_time', kind: 'physical' },
      { member: 'interval.civil_start_time', kind: 'civil' },
    ],
    maxPageSize: SESSION_PAGE_SIZE,
    windowDays: 90,
    scope: 'sleep',
    group: 'daily',
    metrics: ['sleep'],
  },
  {
    id: 'exercise',
    record: 'session',
    method: 'list',
    // reported live: exercise filters on civil_start_time; the Interval member is the fallback
    members: [
      { member: 'interval.civil_start_time', kind: 'civil' },
      { member: 'interval.start_time', kind: 'physical' },
    ],
    maxPageSize: SESSION_PAGE_SIZE,
    windowDays: 90,
    scope: 'activity_and_fitness',
    group: 'daily',
    metrics: ['exercise'],
  },
];

export const DATA_TYPES: readonly DataTypeDef[] = DEFS.map((d) => ({
  ...d,
  filterId: d.filterId ?? d.id.replace(/-/g, '_'),
  unionKey: d.unionKey ?? camel(d.id),
  metrics: d.metrics ?? metricsOf(d.id),
}));

const byId = new Map(DATA_TYPES.map((d) => [d.id, d]));

/** `--type` also accepts metric ids (`heart_rate`, `calories`). */
const metricToType = new Map<string, string>();
for (const d of DATA_TYPES) for (const m of d.metrics) if (!metricToType.has(m)) metricToType.set(m, d.id);

export function dataType(id: string): DataTypeDef {
  const d = byId.get(id);
  if (!d) throw new Error(`unknown Google Health data type ${JSON.stringify(id)} (known: ${DATA_TYPES.map((x) => x.id).join(', ')})`);
  return d;
}

export function isDataType(id: string): boolean {
  return byId.has(id);
}

/** The types a mode syncs, in sync order (list types before rollUp types, which use their coverage). */
export function typesForMode(mode: 'recent' | 'daily' | 'backfill' | 'all', only?: readonly string[]): DataTypeDef[] {
  let list = DATA_TYPES.filter((d) => (mode === 'recent' ? d.group === 'recent' : mode === 'daily' ? d.group === 'daily' : true));
  if (only && only.length) {
    const want = new Set(only.map((x) => metricToType.get(x) ?? x));
    for (const w of want) if (!byId.has(w)) dataType(w); // throws a clear error
    list = DATA_TYPES.filter((d) => want.has(d.id));
  }
  return [...list].sort((a, b) => (a.method === b.method ? 0 : a.method === 'list' ? -1 : 1));
}
