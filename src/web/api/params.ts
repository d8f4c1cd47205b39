/**
 * Query parameters of the JSON API (docs/api.md) and its error answer: a bad value is an ApiError
 * (400 by default) whose message names the parameter and what was expected; the router answers it
 * as `{"error": "..."}` with its status.
 */
import { isMetricId, METRICS, metric as metricDef, type MetricDef } from '../../metrics/registry.js';
import type { Store } from '../../store/types.js';
import { calendarDay, dateOfDay } from '../../time/index.js';
import { clip } from '../../util/clip.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const show = (v: string): string => JSON.stringify(clip(v, 80));

/** Every account the bridge knows: configured ones first (config order), then the store's. */
export function knownAccounts(configured: readonly string[], store: Store): string[] {
  const out = [...configured];
  const seen = new Set(out);
  const add = (n: string): void => {
    if (!seen.has(n)) {
      seen.add(n);
      out.push(n);
    }
  };
  for (const a of store.accounts()) add(a.name);
  for (const s of store.listSeries()) add(s.account);
  return out;
}

export function accountParam(q: URLSearchParams, known: readonly string[]): string {
  const a = q.get('account');
  if (a === null || a === '') throw new ApiError(400, `account: required (one of: ${known.join(', ') || 'none'})`);
  if (!known.includes(a)) throw new ApiError(404, `account: no account ${show(a)} (known: ${known.join(', ') || 'none'})`);
  return a;
}

export function metricParam(q: URLSearchParams): MetricDef {
  const m = q.get('metric');
  if (m === null || m === '') throw new ApiError(400, 'metric: required (a metric id such as heart_rate, steps, sleep; see GET /api/metrics)');
  if (!isMetricId(m)) throw new ApiError(400, `metric: unknown metric ${show(m)}; known: ${METRICS.map((x) => x.id).join(', ')}`);
  return metricDef(m);
}

/** A local date YYYY-MM-DD as its day number, or null when absent. */
export function dateParam(q: URLSearchParams, name: string, required = false): number | null {
  const v = q.get(name);
  if (v === null || v === '') {
    if (required) throw new ApiError(400, `${name}: required (a date YYYY-MM-DD)`);
    return null;
  }
  const d = /^\d{4}-\d{2}-\d{2}$/.test(v) ? calendarDay(v) : null;
  if (d === null) throw new ApiError(400, `${name}: expected a date YYYY-MM-DD, got ${show(v)}`);
  return d;
}

/** An instant in epoch milliseconds (a whole number). */
export function msParam(q: URLSearchParams, name: string): number {
  const v = q.get(name);
  if (v === null || v === '') throw new ApiError(400, `${name}: required (an instant in epoch milliseconds)`);
  const n = Number(v);
  if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(n)) throw new ApiError(400, `${name}: expected an instant in epoch milliseconds, got ${show(v)}`);
  return n;
}

export function intParam(q: URLSearchParams, name: string, min: number, max: number): number {
  const v = q.get(name);
  if (v === null || v === '') throw new ApiError(400, `${name}: required (a whole number ${min}..${max})`);
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new ApiError(400, `${name}: expected a whole number ${min}..${max}, got ${show(v)}`);
  return n;
}

/** from ≤ to, both optional. */
export function dateRange(q: URLSearchParams): { from: number | null; to: number | null } {
  const from = dateParam(q, 'from');
  const to = dateParam(q, 'to');
  if (from !== null && to !== null && from > to) throw new ApiError(400, `from: ${dateOfDay(from)} is after to ${dateOfDay(to)}`);
  return { from, to };
}
