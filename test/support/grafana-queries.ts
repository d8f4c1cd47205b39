/**
 * What Grafana would ask a Prometheus data source for a dashboard, done against a real
 * TsdbServer (prometheus.ts): the queries of every panel (rows included) and variable, Grafana's
 * variables filled in, `label_values(…)` as the series API answers it.
 */
import type { TsdbServer } from './prometheus.js';

export interface PanelQuery {
  panel: string;
  refId: string;
  expr: string;
  instant: boolean;
  /** The panel's minimum interval ('1m', '1d'), if any. */
  interval: string | null;
  timeShift: string | null;
  datasource: unknown;
}

export interface VariableQuery {
  name: string;
  query: string;
  datasource: unknown;
}

type Json = Record<string, unknown>;

function panelsOf(d: Json): Json[] {
  const out: Json[] = [];
  for (const p of (d.panels as Json[] | undefined) ?? []) {
    out.push(p);
    if (p.type === 'row') out.push(...((p.panels as Json[] | undefined) ?? []));
  }
  return out;
}

/** Every query of every panel (row panels' nested panels included). */
export function panelQueries(dashboard: Json): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const p of panelsOf(dashboard)) {
    if (p.type === 'row') continue;
    const targets = (p.targets as Json[] | undefined) ?? [];
    if (targets.length === 0) throw new Error(`panel "${String(p.title)}" has no query`);
    for (const t of targets) {
      out.push({
        panel: String(p.title),
        refId: String(t.refId),
        expr: String(t.expr),
        instant: t.instant === true,
        interval: typeof p.interval === 'string' ? p.interval : null,
        timeShift: typeof p.timeShift === 'string' ? p.timeShift : null,
        datasource: t.datasource ?? p.datasource,
      });
    }
  }
  return out;
}

/** Every panel of the dashboard, rows and their nested panels included. */
export function allPanels(dashboard: Json): Json[] {
  return panelsOf(dashboard);
}

export function variableQueries(dashboard: Json): VariableQuery[] {
  const list = ((dashboard.templating as Json | undefined)?.list as Json[] | undefined) ?? [];
  return list
    .filter((v) => v.type === 'query')
    .map((v) => {
      const q = v.query;
      const query = typeof q === 'string' ? q : String((q as Json | undefined)?.query ?? '');
      return { name: String(v.name), query, datasource: v.datasource };
    });
}

export interface Fill {
  vars: Record<string, string>;
  /** $__interval (e.g. '1m'). */
  interval: string;
  /** $__range (e.g. '1d'). */
  range: string;
  /** $__range_ms (exact milliseconds); default: `range` in ms. */
  rangeMs?: number;
  /** $__rate_interval; default: interval. */
  rateInterval?: string;
}

/** Grafana's variables filled in; throws when a `$` is left (an unknown variable). */
export function expand(expr: string, f: Fill): string {
  const rangeMs = String(f.rangeMs ?? durationSeconds(f.range) * 1000);
  let s = expr
    .replaceAll('${__range_ms}', rangeMs)
    .replaceAll('$__range_ms', rangeMs)
    .replaceAll('$__rate_interval', f.rateInterval ?? f.interval)
    .replaceAll('$__interval', f.interval)
    .replaceAll('$__range', f.range);
  for (const [k, v] of Object.entries(f.vars)) s = s.replaceAll(`\${${k}}`, v).replaceAll(`$${k}`, v);
  if (s.includes('$')) throw new Error(`unfilled variable in: ${s}`);
  return s;
}

/** Seconds of a Prometheus / Grafana duration ('90s', '1m', '6h', '1d', '7d'). */
export function durationSeconds(d: string): number {
  const m = /^(\d+)(ms|s|m|h|d|w|y)$/.exec(d.trim());
  if (!m) throw new Error(`not a duration: ${d}`);
  const n = Number(m[1]);
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd' | 'w' | 'y'];
  return n * unit;
}

/** Metric names an expression names (identifiers followed by a selector, range or used bare), fitbit_ ones only. */
export function fitbitMetricNames(expr: string): string[] {
  const names = new Set<string>();
  for (const m of expr.matchAll(/\bfitbit_[a-zA-Z0-9_:]+/g)) names.add(m[0]);
  return [...names];
}

/**
 * Evaluates Grafana's `label_values(label)` / `label_values(selector, label)` against the
 * server's series API (what Grafana's Prometheus data source does for a variable).
 */
export async function labelValues(tsdb: TsdbServer, query: string, startMs?: number, endMs?: number): Promise<string[]> {
  const m = /^\s*label_values\(\s*(?:(.+?)\s*,\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$/.exec(query);
  if (!m) throw new Error(`not a label_values() query: ${query}`);
  const selector = m[1];
  const label = m[2] as string;
  if (selector === undefined) return tsdb.api<string[]>(`/api/v1/label/${label}/values`);
  const series = await tsdb.series([selector], startMs, endMs);
  return [...new Set(series.map((s) => s[label]).filter((v): v is string => typeof v === 'string'))].sort();
}
