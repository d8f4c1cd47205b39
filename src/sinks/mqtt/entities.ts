/**
 * What each Home Assistant entity reads: its own retained topic `<base>/<account>/<key>` with
 *
 *   {"value": 62, "measured_at": "2026-04-06T10:41:00-04:00"}
 *
 * published only when that value or its measurement time changes. Home Assistant re-arms an
 * entity's `expire_after` on every message on the entity's state topic and redelivers retained
 * messages whenever it (re)subscribes (homeassistant/components/mqtt/sensor.py), so a topic shared
 * by all entities, republished for any key, would keep a stale heart rate looking live. Here a
 * message on an entity's topic is news about that entity only.
 *
 * Freshness: a live value is published as `null` (Home Assistant: unknown) once it is older than
 * its limit (STALE_MARGIN_MS early, so the message is there before the limit passes); the sink
 * re-evaluates at the instant the first fresh value turns so (`nextChangeAt`) and on every start, so the retained message never holds a stale live value
 * while the bridge runs (while it does not, its availability says offline):
 * - `heart_rate`: measured within `mqtt.expire_after_seconds` (0: no limit).
 * - `steps_last_60_min`: the newest steps sample of any source is within
 *   `mqtt.expire_after_seconds` (the window itself may be empty while you sit still).
 * - `sleep_stage`: a stage of the newest sleep session covers the current instant (null once the
 *   session has ended or its data stopped; the state JSON keeps the last stage for scripts).
 * Other keys are daily values, totals or bridge facts: they carry their `measured_at` and are
 * shown as they are.
 *
 * `measured_at` stays the measurement time of the last known value when the value is published as
 * null (Home Assistant shows "unknown" with the time the last value was measured).
 */
import type { LatestValues } from '../latest.js';
import { STATE_KEYS, type AccountState, type StateKey, type StateValue } from './state.js';

export interface EntityState {
  value: StateValue;
  measured_at: string | null;
}

/** The keys whose value is published as null once stale (see above). */
export const LIVE_KEYS = ['heart_rate', 'steps_last_60_min', 'sleep_stage'] as const satisfies readonly StateKey[];
export type LiveKey = (typeof LIVE_KEYS)[number];

/**
 * A live value is published as null this long before it turns stale, so that the message is
 * delivered before the limit passes (the pass runs a few milliseconds after its timer).
 */
export const STALE_MARGIN_MS = 5000;

export interface EntityStates {
  states: Map<StateKey, EntityState>;
  /** When the next pass must run: STALE_MARGIN_MS before the first fresh live value turns stale (UTC ms), Infinity when none. */
  nextChangeAt: number;
}

/**
 * The instant (UTC ms) a live key's value stops being current, null when it has no current
 * value at all. `limitS` is mqtt.expire_after_seconds (0: heart rate and steps never go stale).
 */
export function liveUntil(latest: LatestValues, key: LiveKey, limitS: number): number | null {
  const limit = limitS > 0 ? limitS * 1000 : Infinity;
  switch (key) {
    case 'heart_rate': {
      const at = latest.values.heart_rate.at;
      return at === null ? null : at + limit;
    }
    case 'steps_last_60_min': {
      const through = latest.values.steps_last_60_min.through ?? null;
      return through === null ? null : through + limit;
    }
    case 'sleep_stage':
      return latest.values.sleep_stage.through ?? null;
  }
}

/** Every entity's state at `latest.now`, from the account's state JSON (guards already applied). */
export function entityStates(state: AccountState, latest: LatestValues, limitS: number): EntityStates {
  const measured = state.measured_at as Record<string, string | null>;
  const states = new Map<StateKey, EntityState>();
  for (const k of STATE_KEYS) states.set(k, { value: (state[k] as StateValue | undefined) ?? null, measured_at: measured[k] ?? null });
  let nextChangeAt = Infinity;
  for (const k of LIVE_KEYS) {
    const until = liveUntil(latest, k, limitS);
    const s = states.get(k);
    if (!s) continue;
    if (until === null || latest.now + STALE_MARGIN_MS >= until) s.value = null;
    else if (s.value !== null) nextChangeAt = Math.min(nextChangeAt, until - STALE_MARGIN_MS);
  }
  return { states, nextChangeAt };
}

/** The payload of an entity's topic (fixed key order: equal states are equal strings). */
export function entityPayload(s: EntityState): string {
  return JSON.stringify({ value: s.value, measured_at: s.measured_at });
}
