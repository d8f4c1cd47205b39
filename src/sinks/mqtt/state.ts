/**
 * The state JSON of one account, published retained to `<base>/<account>`.
 *
 * Every key is always present (null when unknown), in a fixed order:
 *
 *   { "heart_rate": 62, "steps_today": 5234, "steps_last_60_min": 112, "calories_today": 1520.4,
 *     "distance_today": 3810.2, "floors_today": 6, "resting_heart_rate": 58, "hrv": 41.2,
 *     "spo2": 96.1, "breathing_rate": 14.2, "sleep_stage": "wake", "sleep_duration": 431,
 *     "newest_sample": "2026-04-06T10:41:00-04:00", "last_sync": "2026-04-06T10:42:03-04:00",
 *     "quota_left": 287, "reauth_needed": false, "step_goal_reached": false,
 *     "measured_at": { "<every key above>": "ISO 8601 with offset" | null },
 *     "age_s": { "<every key above>": seconds | null },
 *     "local_date": "2026-04-06", "timezone": "America/New_York" }
 *
 * `measured_at` is when each value was measured (for a daily total: the newest minute it
 * counts; for a daily value such as resting heart rate: the local midnight of its day; for
 * `last_sync`: the sync's end). `age_s` is the value's age when this message was evaluated.
 * `step_goal_reached` is null unless mqtt.step_goal is set.
 */
import type { AccountStatus } from '../../run/extension.js';
import { isoInZone, LATEST_KEYS, readingIso, type LatestKey, type LatestValues, type Reading } from '../latest.js';

export const STATUS_KEYS = ['last_sync', 'quota_left', 'reauth_needed', 'step_goal_reached'] as const;
export type StatusKey = (typeof STATUS_KEYS)[number];
export type StateKey = LatestKey | StatusKey;
export const STATE_KEYS: readonly StateKey[] = [...LATEST_KEYS, ...STATUS_KEYS];

export type StateValue = number | string | boolean | null;

export interface AccountState {
  [key: string]: StateValue | Record<string, string | number | null>;
}

/** True when the account needs a new authorisation (same rule as the Prometheus gauge). */
export function reauthNeeded(status: AccountStatus | undefined): boolean {
  if (!status) return false;
  return status.auth === 'reauth-needed' || (status.live && status.auth === 'missing');
}

export interface BuildStateOptions {
  latest: LatestValues;
  status: AccountStatus | undefined;
  /** mqtt.step_goal, or null. */
  stepGoal: number | null;
}

function ageOf(at: number | null, now: number): number | null {
  return at === null ? null : Math.max(0, Math.floor((now - at) / 1000));
}

/** Builds the state object (fixed key order; JSON.stringify of it is the payload). */
export function buildState({ latest, status, stepGoal }: BuildStateOptions): AccountState {
  const now = latest.now;
  const values: Record<string, StateValue> = {};
  const measured: Record<string, string | null> = {};
  const ages: Record<string, number | null> = {};
  for (const k of LATEST_KEYS) {
    const r = latest.values[k] as Reading<number | string>;
    values[k] = k === 'newest_sample' ? readingIso(r) : r.value;
    measured[k] = readingIso(r);
    ages[k] = r.ageS;
  }
  const iso = (t: number | null): string | null => (t === null ? null : isoInZone(t, latest.timezone));
  const lastSuccess = status?.lastSuccessAt ?? null;
  values.last_sync = iso(lastSuccess);
  measured.last_sync = iso(lastSuccess);
  ages.last_sync = ageOf(lastSuccess, now);
  const quotaAt = status?.quotaLeft !== null && status?.quotaLeft !== undefined ? status.lastSyncAt : null;
  values.quota_left = status?.quotaLeft ?? null;
  measured.quota_left = iso(quotaAt);
  ages.quota_left = ageOf(quotaAt, now);
  values.reauth_needed = reauthNeeded(status);
  measured.reauth_needed = null;
  ages.reauth_needed = null;
  const steps = latest.values.steps_today;
  values.step_goal_reached = stepGoal === null || steps.value === null ? null : steps.value >= stepGoal;
  measured.step_goal_reached = stepGoal === null ? null : readingIso(steps);
  ages.step_goal_reached = stepGoal === null ? null : steps.ageS;

  const out: AccountState = {};
  for (const k of STATE_KEYS) out[k] = values[k] ?? null;
  const m: Record<string, string | null> = {};
  const a: Record<string, number | null> = {};
  for (const k of STATE_KEYS) {
    m[k] = measured[k] ?? null;
    a[k] = ages[k] ?? null;
  }
  out.measured_at = m;
  out.age_s = a;
  out.local_date = latest.localDate;
  out.timezone = latest.timezone;
  return out;
}

/**
 * What decides whether a state is republished: everything but the ages (they move every
 * minute by themselves; republishing only for them would keep Home Assistant's `expire_after`
 * from ever noticing that no new data arrives).
 */
export function stateIdentity(state: AccountState): string {
  const { age_s: _ages, ...rest } = state;
  return JSON.stringify(rest);
}
