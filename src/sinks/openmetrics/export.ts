/**
 * The history as an OpenMetrics text file for `promtool tsdb create-blocks-from openmetrics`
 * (backfilling plain Prometheus with years of data without remote write). Same series, names and
 * units as remote write (src/sinks/remote-write/series.ts): `fitbit_history_<name>{account,
 * source}` per sample and the `fitbit_history_daily_*` per-day series at local midnight (the
 * additive totals: one merged figure per account and day, no source label).
 *
 * Format: one metric family after the other (`# TYPE`, `# HELP`, then its samples, each series in
 * time order), `name{labels} value timestamp` with the timestamp in seconds (millisecond
 * decimals), ending in `# EOF`. Streamed: memory does not grow with the store.
 */
import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { METRICS, prometheusDailyName, prometheusHistoryName, type MetricDef, type MetricId, type SessionKind } from '../../metrics/registry.js';
import type { SeriesInfo, Store } from '../../store/types.js';
import { dayNumber } from '../../time/index.js';
import type { Label } from '../remote-write/protobuf.js';
import {
  blockColumns,
  dailySums,
  hasDailySum,
  historyLabels,
  seriesLabels,
  DAILY_SLEEP_STAGE_SECONDS,
  sessionDaily,
  sessionDay,
  type DailyPoint,
  type DayRange,
} from '../remote-write/series.js';
import { SLEEP_STAGE_CODES, SLEEP_STAGE_HISTORY, sleepStageSamples } from '../remote-write/sleep-stages.js';
import { PRIVATE_FILE_MODE, keepModeOf, tempPathFor } from '../../util/private-fs.js';

export interface OpenMetricsExportOptions {
  store: Store;
  /** Only this account (default: all). */
  account?: string;
  /** Local dates YYYY-MM-DD, inclusive. */
  from?: string;
  to?: string;
  /** Only these metrics (default: all). */
  metrics?: readonly MetricId[];
}

export interface OpenMetricsExportSummary {
  families: number;
  series: number;
  samples: number;
  /** First and last instant written (UTC ms), null when nothing was written. */
  first: number | null;
  last: number | null;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatLabels(labels: readonly Label[]): { name: string; text: string } {
  let name = '';
  const parts: string[] = [];
  for (const [k, v] of labels) {
    if (k === '__name__') name = v;
    else parts.push(`${k}="${escapeLabel(v)}"`);
  }
  return { name, text: parts.length > 0 ? `${name}{${parts.join(',')}}` : name };
}

/** Seconds with exact millisecond decimals: 1714435200123 → "1714435200.123". */
export function formatTimestamp(ms: number): string {
  const s = Math.floor(ms / 1000);
  const r = ms - s * 1000;
  return r === 0 ? String(s) : `${s}.${String(Math.round(r)).padStart(3, '0')}`;
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

class LineWriter {
  private buf: string[] = [];
  private size = 0;
  constructor(private readonly out: Writable) {}

  async line(s: string): Promise<void> {
    this.buf.push(s);
    this.size += s.length + 1;
    if (this.size >= 1 << 16) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    const chunk = `${this.buf.join('\n')}\n`;
    this.buf = [];
    this.size = 0;
    if (!this.out.write(chunk)) await once(this.out, 'drain');
  }
}

function help(m: MetricDef, daily: boolean): string {
  const unit = m.prometheus.factor !== undefined ? ` (base unit; stored as ${m.unit})` : ` (${m.unit})`;
  if (daily)
    return escapeHelp(
      m.kind === 'session'
        ? m.id === 'sleep'
          ? 'Time asleep in the sleeps that ended on the local day (sleep="main": the main sleep, "nap": naps; one version per physical sleep), in seconds; stamped at local midnight.'
          : 'Time exercising in the workouts that started on the local day, in seconds; stamped at local midnight.'
        : `${m.title} per local day${unit}; stamped at local midnight.`,
    );
  return escapeHelp(`${m.title}${unit}. ${m.description}`);
}

/** Writes the export to a stream (not ended). */
export async function writeOpenMetrics(opts: OpenMetricsExportOptions, out: Writable): Promise<OpenMetricsExportSummary> {
  const { store } = opts;
  const range: DayRange = {
    ...(opts.from !== undefined ? { from: dayNumber(opts.from) } : {}),
    ...(opts.to !== undefined ? { to: dayNumber(opts.to) } : {}),
  };
  const w = new LineWriter(out);
  const sum: OpenMetricsExportSummary = { families: 0, series: 0, samples: 0, first: null, last: null };
  const seen = (t: number): void => {
    if (sum.first === null || t < sum.first) sum.first = t;
    if (sum.last === null || t > sum.last) sum.last = t;
  };
  const wanted = (m: MetricDef): boolean => opts.metrics === undefined || opts.metrics.includes(m.id);
  const accountFilter = opts.account !== undefined ? { account: opts.account } : {};

  async function family(name: string, text: string): Promise<void> {
    await w.line(`# TYPE ${name} gauge`);
    await w.line(`# HELP ${name} ${text}`);
    sum.families++;
  }

  async function points(name: string, helpText: string, pts: DailyPoint[]): Promise<void> {
    if (pts.length === 0) return;
    await family(name, helpText);
    const bySeries = new Map<string, DailyPoint[]>();
    for (const p of pts) {
      const k = formatLabels(p.labels).text;
      const l = bySeries.get(k);
      if (l) l.push(p);
      else bySeries.set(k, [p]);
    }
    for (const [text, list] of bySeries) {
      sum.series++;
      list.sort((a, b) => a.t - b.t);
      for (const p of list) {
        await w.line(`${text} ${formatValue(p.v)} ${formatTimestamp(p.t)}`);
        sum.samples++;
        seen(p.t);
      }
    }
  }

  for (const m of METRICS) {
    if (!wanted(m)) continue;
    if (m.kind === 'session') {
      const kind = m.id as SessionKind;
      const name = prometheusDailyName(m);
      if (name === null) continue;
      const accounts =
        opts.account !== undefined
          ? [opts.account]
          : [...new Set([...store.accounts().map((a) => a.name), ...store.listSeries().map((s) => s.account)])].sort();
      const pts: DailyPoint[] = [];
      for (const account of accounts) {
        const days = new Set(store.sessions(account, kind, undefined, undefined, { resolve: kind !== 'sleep' }).map((s) => sessionDay(s)));
        pts.push(...sessionDaily(store, account, kind, days, range));
      }
      // sleep: the time asleep and, per stage, DAILY_SLEEP_STAGE_SECONDS (two families)
      const nameOf = (p: DailyPoint): string => p.labels.find((l) => l[0] === '__name__')?.[1] ?? name;
      await points(
        name,
        help(m, true),
        pts.filter((p) => nameOf(p) === name),
      );
      if (kind === 'sleep') {
        await points(
          DAILY_SLEEP_STAGE_SECONDS,
          escapeHelp('Time per sleep stage in the sleeps that ended on the local day (sleep="main" or "nap"), in seconds; stamped at local midnight.'),
          pts.filter((p) => nameOf(p) === DAILY_SLEEP_STAGE_SECONDS),
        );
      }
      if (kind === 'sleep') {
        // the stages as a minute series, like remote write sends them (sleeps of the selected days)
        const stages: DailyPoint[] = [];
        for (const account of accounts) {
          const sleeps = store.sessions(account, 'sleep').filter((x) => {
            const d = sessionDay(x);
            return (range.from === undefined || d >= range.from) && (range.to === undefined || d <= range.to);
          });
          for (const [source, { t, v }] of sleepStageSamples(sleeps)) {
            const labels = seriesLabels(SLEEP_STAGE_HISTORY, account, source);
            for (let i = 0; i < t.length; i++) stages.push({ labels, day: 0, t: t[i]!, v: v[i]! }); // day: unused by points()
          }
        }
        await points(
          SLEEP_STAGE_HISTORY,
          `Sleep stage per minute (${Object.entries(SLEEP_STAGE_CODES)
            .map(([k, c]) => `${c} ${k}`)
            .join(', ')}).`,
          stages,
        );
      }
      continue;
    }
    const series: SeriesInfo[] = store
      .listSeries({ metric: m.id, ...accountFilter })
      .filter((s) => s.count > 0)
      .sort((a, b) => (a.account + '\0' + a.source < b.account + '\0' + b.source ? -1 : 1));
    if (series.length === 0) continue;
    const localDays = new Map<number, Set<number>>();
    let familyWritten = false;
    for (const s of series) {
      const labels = historyLabels(s);
      if (labels === null) continue;
      const text = formatLabels(labels).text;
      const ld = new Set<number>();
      let any = false;
      for (const day of store.days(s)) {
        if (range.from !== undefined && day < range.from - 1) continue;
        if (range.to !== undefined && day > range.to + 1) continue;
        const cols = blockColumns(store, s, day, range);
        for (const d of cols.localDays.keys()) if ((range.from === undefined || d >= range.from) && (range.to === undefined || d <= range.to)) ld.add(d);
        if (cols.t.length === 0) continue;
        if (!familyWritten) {
          await family(prometheusHistoryName(m), help(m, false));
          familyWritten = true;
        }
        if (!any) {
          sum.series++;
          any = true;
        }
        for (let i = 0; i < cols.t.length; i++) await w.line(`${text} ${formatValue(cols.v[i]!)} ${formatTimestamp(cols.t[i]!)}`);
        sum.samples += cols.t.length;
        seen(cols.t[0]!);
        seen(cols.t[cols.t.length - 1]!);
      }
      localDays.set(s.id, ld);
    }
    if (hasDailySum(m)) {
      const name = prometheusDailyName(m)!;
      // one figure per account and local day, merged per minute across the account's sources
      const daysOf = new Map<string, Set<number>>();
      for (const s of series) {
        const set = daysOf.get(s.account) ?? new Set<number>();
        for (const d of localDays.get(s.id) ?? []) set.add(d);
        daysOf.set(s.account, set);
      }
      const pts: DailyPoint[] = [];
      for (const [account, days] of daysOf) pts.push(...dailySums(store, account, m.id, days));
      await points(name, help(m, true), pts);
    }
  }
  await w.line('# EOF');
  await w.flush();
  return sum;
}

/** Writes the export to a file atomically (temp file + rename), or to stdout for "-". */
export async function exportOpenMetrics(opts: OpenMetricsExportOptions & { file: string }): Promise<OpenMetricsExportSummary> {
  if (opts.file === '-') return writeOpenMetrics(opts, process.stdout);
  const tmp = tempPathFor(opts.file);
  // health data: a new file is 0600; one it replaces keeps its mode (src/util/private-fs.ts)
  const out = createWriteStream(tmp, { mode: PRIVATE_FILE_MODE, flags: 'wx' });
  try {
    const r = await writeOpenMetrics(opts, out);
    out.end();
    await once(out, 'finish');
    keepModeOf(opts.file, tmp);
    renameSync(tmp, opts.file);
    return r;
  } catch (e) {
    out.destroy();
    rmSync(tmp, { force: true });
    throw e;
  }
}
