/**
 * Renders docs/metrics.md from the metric registry, so the reference cannot drift from the code.
 * `npm run docs` writes it; a test checks the committed file equals this output.
 */
import { METRICS, prometheusDailyName, prometheusFactor, prometheusHistoryName, type MetricDef } from '../metrics/registry.js';
import { BRIDGE_METRICS } from '../sinks/prometheus/extension.js';
import { gaugeSpecFor, NEWEST_SAMPLE_GAUGE, SLEEP_STAGE_GAUGE } from '../sinks/prometheus/gauges.js';
import { SLEEP_STAGE_CODES, SLEEP_STAGE_HISTORY } from '../sinks/remote-write/sleep-stages.js';
import { DAILY_SLEEP_STAGE_SECONDS } from '../sinks/remote-write/series.js';
import { UNMAPPED_DATA_TYPES } from '../sources/google-health/unmapped.js';
import { DATA_TYPES, ROLLUP_SOURCE, UNKNOWN_DEVICE_SOURCE, WEARABLES_ROLLUP_SOURCE } from '../sources/google-health/datatypes.js';
import { GOOGLE_DEFAULT_SOURCE } from '../sources/takeout/parsers/csv-samples.js';
import { LEGACY_JSON_SOURCE } from '../store/types.js';

function cell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

function api(m: MetricDef): string {
  if (!m.googleHealth) return '— (none)';
  const g = m.googleHealth;
  return `\`${g.dataType}\` → \`${g.field}\`${g.rollupOnly ? ' (rollUp only)' : ''}${g.factor ? ` ×${g.factor}` : ''}`;
}

export function renderMetricsDoc(): string {
  const lines: string[] = [
    '# Metrics',
    '',
    '<!-- Generated from src/metrics/registry.ts by `npm run docs`. Do not edit by hand. -->',
    '',
    'Every value fitbit-bridge stores belongs to one of these metrics. The id names the dump folder',
    '(`<dir>/<id>/<YYYY-MM-DD>.csv`) and the series in `fitbit-bridge stats`. A series is',
    '(account, metric, data source); each sample is a UTC instant, the UTC offset in force there and',
    'a number in the unit below. Daily metrics are stamped at local midnight of their day.',
    '',
    "A value outside its metric's valid values (bounds included; a negative bpm, a `1e309` read as",
    'infinity) is a skipped row or data point with a warning, never stored.',
    '',
    '| id | title | unit | kind | valid values | Takeout files | Google Health API |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const m of METRICS) {
    const valid = m.valid ? `${m.valid.min} to ${m.valid.max}` : '—';
    lines.push(
      `| \`${m.id}\` | ${cell(m.title)} | ${cell(m.unit)} | ${m.kind} | ${valid} | ${m.takeout.map((t) => cell(t)).join('<br>') || '— (none)'} | ${api(m)} |`,
    );
  }
  lines.push('', '## Notes', '');
  for (const m of METRICS) {
    lines.push(`- **\`${m.id}\`**: ${m.description}${m.note ? ` ${m.note}` : ''}`);
  }
  lines.push(...apiTypesSection());
  lines.push(...sourcesSection());
  lines.push(...prometheusSection());
  lines.push('');
  return lines.join('\n');
}

/** Every Google Health API data type: the metrics it fills, or why it is not mapped. */
function apiTypesSection(): string[] {
  const lines = [
    '',
    '## Google Health API data types',
    '',
    'The data types the sync reads (`fitbit-bridge sync`) and the metrics they fill:',
    '',
    '| data type | metrics | note |',
    '|---|---|---|',
  ];
  for (const d of [...DATA_TYPES].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    lines.push(`| \`${d.id}\` | ${d.metrics.map((m) => `\`${m}\``).join(', ')} | ${d.note ? cell(d.note) : ''} |`);
  }
  lines.push(
    '',
    '### Not mapped, and why',
    '',
    'Every other data type of the API (the discovery document the bridge is built against, and what',
    'was published after it) is deliberately not mapped onto a metric:',
    '',
    '| data type | why not |',
    '|---|---|',
  );
  for (const u of UNMAPPED_DATA_TYPES) lines.push(`| ${u.inDocument === false ? cell(u.id) : `\`${u.id}\``} | ${cell(u.why)} |`);
  return lines;
}

/** How a series' data source is named (src/sources/google-health/mapping.ts `sourceLabel`). */
function sourcesSection(): string[] {
  return [
    '',
    '## Data sources',
    '',
    'A series is named after the data source its samples came from. The Takeout import takes the',
    'CSV `data source` column as it is (`Inspire 3`, `Fitbit App`); a Takeout file without that column',
    `gives \`${GOOGLE_DEFAULT_SOURCE}\`, the legacy JSON layer \`${LEGACY_JSON_SOURCE}\`. The Google Health`,
    "sync names a point's source from its `dataSource`, from what it carries, in this order (nothing",
    'else goes in, so a name is stable across runs):',
    '',
    '| the point carries | source | example |',
    '|---|---|---|',
    '| `device.displayName` | the name, trimmed | `Inspire 3`, `Pixel Watch 4` |',
    '| `device.manufacturer` (no name) | the manufacturer (and a model, should one appear) | `xiaomi` |',
    '| `application.packageName` (Health Connect; no device name or manufacturer) | the package | `com.xiaomi.wearable` |',
    '| `platform` with `device: {}` or no device | `<platform> (unnamed device)` | `Fitbit (unnamed device)` (Fitbit Air) |',
    '| `platform` with only `device.formFactor` | `<platform> (unnamed <form factor>)` | `Fitbit (unnamed watch)` |',
    '| `platform`, `recordingMethod: MANUAL`, no device | `<platform> (manual entry)` | `Fitbit (manual entry)` (manually logged sleep) |',
    `| nothing of the above, or no \`dataSource\` (reconciled points) | \`${UNKNOWN_DEVICE_SOURCE}\` | |`,
    `| a rollUp window (total calories, floors) of the tracker family | \`${WEARABLES_ROLLUP_SOURCE}\` | |`,
    `| a rollUp window of all sources, for the minutes the tracker family leaves empty | \`${ROLLUP_SOURCE}\` | |`,
    '',
    "**How an API series meets the Takeout series of the same device.** The device's `displayName` is",
    'the name the Takeout CSV writes in its `data source` column, so `Inspire 3` from the API and',
    '`Inspire 3` from `heart_rate_YYYY-MM-DD.csv` are one series: the same instants merge instead of',
    'doubling. A source without a device name (Fitbit Air, a Health Connect app, a manual entry) has no',
    'CSV counterpart the bridge can prove; its API series stands beside the Takeout ones (dashboards',
    'show one line per source; totals merge them per minute by the rank below, never a sum). Sessions',
    '(sleep, exercise) meet by time, not by name: overlapping sleeps of any layer, version and source are',
    'one physical sleep, of which one version counts (`takeout.sleep_version`; the API session is the newest);',
    'an API exercise hides the Takeout exercises it overlaps, whatever their source (the Takeout CSVs',
    'name sources `MANUAL`, `GOOGLE_FITBIT_AIR`).',
    '',
    'Values the API sends as the string `"NaN"` (seen in daily temperature and HRV records) are no value:',
    "not stored, counted with the omitted values; the record's other values are kept.",
    '',
    '### Rank of sources for day totals',
    '',
    'The total of an additive metric (steps, energy, distance, floors, elevation gain, active zone minutes)',
    'over a local day, "today so far" and the last 60 minutes is merged **per minute** across the',
    'sources (src/reconcile/day-totals.ts): each minute comes from the highest-ranked source that has a',
    "sample in it, and that source's samples in the minute are its value. A day split between the legacy",
    'layer and the phone is whole; a tracker and the phone counting the same walk count it once; never the',
    'larger of two partial days, never a sum of the same minutes. The rank (src/reconcile/sources.ts):',
    '',
    '| rank | sources |',
    '|---|---|',
    `| 1 tracker / watch | a device name (\`Inspire 3\`, \`Pixel Watch 4\`, a manufacturer), \`<platform> (unnamed device)\` / \`(unnamed watch)\`, \`${WEARABLES_ROLLUP_SOURCE}\` |`,
    `| 2 phone / other apps | \`Fitbit App\`, \`<platform> (manual entry)\`, Health Connect packages (\`com.xiaomi.wearable\`), \`${ROLLUP_SOURCE}\`, \`${UNKNOWN_DEVICE_SOURCE}\`, \`${GOOGLE_DEFAULT_SOURCE}\` |`,
    `| 3 legacy JSON layer | \`${LEGACY_JSON_SOURCE}\` |`,
    '',
    'Within a rank: named sources, then unnamed devices, then rollUps; then by name, so the order never',
    'depends on the order the series are read in.',
  ];
}

function gaugeCell(m: MetricDef): string {
  const g = gaugeSpecFor(m);
  if (!g) return '—';
  if (g.from.kind === 'series') return `\`${g.name}{account, source}\` newest ${m.kind === 'daily' ? 'daily value' : 'sample'}`;
  return `\`${g.name}{account, source="all"}\` ${m.kind === 'session' ? 'last night asleep' : 'today so far'}`;
}

/** The Prometheus names of every metric and the bridge's own metrics (docs/tsdb.md, docs/dashboards.md). */
function prometheusSection(): string[] {
  const lines = [
    '',
    '## Prometheus names',
    '',
    'Scraped from `/metrics` of `fitbit-bridge run` without timestamps (current values, `fitbit_<name>`),',
    'and written with their own timestamps by remote write / `export-openmetrics` (`fitbit_history_<name>`,',
    'per local day `fitbit_history_daily_<name>`; see [tsdb.md](tsdb.md)). Values are in the base unit',
    '(the factor converts the unit above). bpm, steps, kcal, floors, breaths per minute and active zone',
    'minutes have no base unit and are named plainly. "today so far" and the per-day totals merge the',
    'sources per minute (the highest-ranked source that has the minute; see "Data sources"; never summed)',
    'in the account\'s time zone; the gauges carry `source="all"`, the per-day totals no `source` label.',
    '',
    '| id | factor | /metrics gauge | history | per day |',
    '|---|---|---|---|---|',
  ];
  for (const m of METRICS) {
    const history = m.kind === 'session' ? (m.id === 'sleep' ? `\`${SLEEP_STAGE_HISTORY}\` (stage codes)` : '—') : `\`${prometheusHistoryName(m)}\``;
    const daily = prometheusDailyName(m);
    const dailyCell =
      m.id === 'sleep' && daily
        ? `\`${daily}{account, sleep}\` (sleep = main or nap), \`${DAILY_SLEEP_STAGE_SECONDS}{account, sleep, stage}\``
        : daily
          ? `\`${daily}\``
          : m.kind === 'daily'
            ? '(daily already)'
            : '—';
    lines.push(`| \`${m.id}\` | ${prometheusFactor(m)} | ${gaugeCell(m)} | ${history} | ${dailyCell} |`);
  }
  const codes = Object.entries(SLEEP_STAGE_CODES)
    .sort((a, b) => a[1] - b[1])
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
  lines.push(
    '',
    `Also on \`/metrics\`: \`${NEWEST_SAMPLE_GAUGE}{account, metric, source}\` (when the newest sample of each`,
    `series was measured) and \`${SLEEP_STAGE_GAUGE}{account, stage}\` (1 for the current or last sleep stage, 0`,
    `for the others). \`${SLEEP_STAGE_HISTORY}{account, source}\` holds one sample per minute of sleep with the`,
    `stage code: ${codes}.`,
    '',
    "### The bridge's own metrics on /metrics",
    '',
    "Plus Node's default process metrics (`process_*`, `nodejs_*`).",
    '',
    '| name | type | labels | meaning |',
    '|---|---|---|---|',
  );
  for (const b of BRIDGE_METRICS) lines.push(`| \`${b.name}\` | ${b.type} | ${b.labels.map((l) => `\`${l}\``).join(', ') || '—'} | ${cell(b.help)} |`);
  return lines;
}
