// @ts-check
// The JSON API behind the pages (docs/api.md). Every URL is relative to the page, so the pages work
// unchanged under Home Assistant's ingress prefix.

/**
 * @typedef {{ metric: string, last_success_at: number | null, newest_sample_at: number | null }} DataTypeStatus
 * @typedef {{ oldest_date: string | null, target_date: string | null, days_left: number, eta_s: number | null }} Backfill
 * @typedef {{ name: string, live: boolean, timezone?: string | null, auth: { state: string, expires_at: number | null },
 *   last_sync_at: number | null, last_success_at: number | null, last_error: string | null, quota_left: number | null,
 *   data_types: DataTypeStatus[], backfill: Backfill | null }} AccountInfo
 * @typedef {{ name: string, up: boolean, lag_s: number | null, pending: number | null, last_delivery_at: number | null }} SinkInfo
 * @typedef {{ zone: string, files: number }} ZoneUse
 * @typedef {{ accounts: string[], samples_added: number, days: number, time_zones: ZoneUse[], unknown_files: string[],
 *   failed_files: { file: string, error: string }[] }} ImportSummary
 * @typedef {{ id: string, files: { name: string, bytes: number }[], state: string,
 *   progress: { done: number, total: number, unit: string } | null, started_at: number | null, finished_at: number | null,
 *   summary: ImportSummary | null, error: string | null }} ImportJob
 * @typedef {{ severity: 'error' | 'warn', account: string | null, what: string, advice: string }} Problem
 * @typedef {{ version: string, now: number, csrf: string, accounts: AccountInfo[], sinks: SinkInfo[], imports: ImportJob[],
 *   problems: Problem[] }} Status
 * @typedef {{ metric: string, name: string, unit: string, kind: 'samples' | 'daily' | 'sessions', sources: string[],
 *   first: number | null, last: number | null }} MetricInfo
 * @typedef {{ date: string, value: number, fraction: number, sources: Record<string, number> }} CoverageDay
 * @typedef {{ from: string, to: string, days: number, cause: string, remedy: string }} Gap
 * @typedef {{ account: string, metric: string, measure: string, days: CoverageDay[], gaps: Gap[], first: string | null,
 *   last: string | null }} Coverage
 * @typedef {{ metric: string, unit: string, from: number, to: number, bucket_ms: number, t: number[], min: number[],
 *   max: number[], mean: number[] }} Series
 * @typedef {{ start: number, end: number, stage: string }} Stage
 * @typedef {{ start: number, end: number, offset_min: number, main: boolean, source: string, minutes_asleep: number,
 *   minutes_in_bed: number, stages: Stage[] }} SleepSession
 * @typedef {{ date: string, steps: number | null, resting_hr: number | null, asleep_main_min: number | null,
 *   asleep_naps_min: number | null, hrv_rmssd: number | null }} TrendDay
 */

/** The CSRF token (from /api/status) that every state-changing request carries. */
let csrf = '';

export class ApiError extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * GET api/<path>?<params> as JSON.
 * @template T
 * @param {string} path
 * @param {Record<string, string | number | undefined>} [params]
 * @returns {Promise<T>}
 */
export async function get(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const qs = q.toString();
  const res = await fetch(`api/${path}${qs ? `?${qs}` : ''}`, { headers: { accept: 'application/json' } });
  return /** @type {Promise<T>} */ (answer(res));
}

/**
 * A state-changing request with the CSRF token.
 * @template T
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<T>}
 */
export async function send(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json', 'x-csrf-token': csrf };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`api/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return /** @type {Promise<T>} */ (answer(res));
}

/** @param {Response} res */
async function answer(res) {
  const text = await res.text();
  /** @type {unknown} */
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) {
    const msg = body && typeof body === 'object' && 'error' in body ? String(body.error) : text.trim() || res.statusText;
    throw new ApiError(res.status, msg);
  }
  return body;
}

/** @returns {Promise<Status>} */
export async function status() {
  /** @type {Status} */
  const s = await get('status');
  csrf = s.csrf;
  return s;
}

export function csrfToken() {
  return csrf;
}
