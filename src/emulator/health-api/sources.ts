/**
 * Data sources as the API serves them, and the emulator's companion sources.
 *
 * The synthetic user's own devices are the ones the Takeout renderer names (`Inspire 3`, the
 * tracker; `Fitbit App`, the phone and manual weigh-ins). With `shapes: live` (default) the
 * tracker's points carry the named-tracker shape seen live (`{"device": {"displayName", "formFactor"},
 * "platform": "FITBIT"}`, like Pixel Watch points), and the user also has companion sources that
 * exist only at the API (the Takeout renderer has no rows for them), with the shapes outside
 * integrators captured in 2026:
 *
 * | key (Row.src)      | dataSource                                                                  | serves |
 * |--------------------|-----------------------------------------------------------------------------|--------|
 * | `AIR`              | `{"recordingMethod":"PASSIVELY_MEASURED","platform":"FITBIT","device":{}}` (Fitbit Air) | active-energy-burned, 20 min a day |
 * | `HC_APP`           | `{"platform":"HEALTH_CONNECT","application":{"packageName":"com.xiaomi.wearable"}}` | active-energy-burned, 15 min a day |
 * | `HC_DEVICE`        | the same app with `"device":{"manufacturer":"xiaomi"}` only                 | active-energy-burned, 10 min a day |
 * | `MANUAL_SLEEP`     | `{"recordingMethod":"MANUAL","platform":"FITBIT"}` (no device)              | a manually logged afternoon nap, one day in three |
 *
 * Companions are ordinary sources for list, reconcile (below the tracker, like the phone; Fitbit
 * Air counts as a Google wearable) and rollUp. Their truth is `companionsOf` (deterministic per
 * seed and day); the per-device truth of the user's own devices (`dayTotals`) is unchanged.
 * `shapes: documented` serves the old shapes (every point names its device) and no companions.
 */
import type { DataSource } from '../../sources/google-health/api-types.js';
import { Rng, hash32 } from '../../synthetic/prng.js';
import { PHONE, TRACKER, WEIGHT_SOURCE, type SleepLog, type SyntheticDay } from '../../synthetic/model.js';
import type { OffsetMap } from '../../synthetic/time.js';
import { HOUR_MS, MINUTE_MS, dayNumber } from '../../time/index.js';
import type { Variants } from './variants.js';

/** Companion source keys (Row.src); never written by the Takeout renderer. */
export const AIR = 'companion: Fitbit Air';
export const HC_APP = 'companion: Health Connect app';
export const HC_DEVICE = 'companion: Health Connect app + manufacturer';
export const MANUAL_SLEEP = 'companion: manual sleep';
export const COMPANIONS: readonly string[] = [AIR, HC_APP, HC_DEVICE, MANUAL_SLEEP];

const HC_PACKAGE = 'com.xiaomi.wearable';

const LIVE: Record<string, DataSource> = {
  [TRACKER]: { recordingMethod: 'PASSIVELY_MEASURED', platform: 'FITBIT', device: { displayName: TRACKER, formFactor: 'FITNESS_BAND' } },
  [PHONE]: { recordingMethod: 'PASSIVELY_MEASURED', platform: 'FITBIT', device: { displayName: PHONE, formFactor: 'PHONE' } },
  [AIR]: { recordingMethod: 'PASSIVELY_MEASURED', platform: 'FITBIT', device: {} },
  [HC_APP]: { recordingMethod: 'PASSIVELY_MEASURED', platform: 'HEALTH_CONNECT', application: { packageName: HC_PACKAGE } },
  [HC_DEVICE]: {
    recordingMethod: 'PASSIVELY_MEASURED',
    platform: 'HEALTH_CONNECT',
    application: { packageName: HC_PACKAGE },
    device: { manufacturer: 'xiaomi' },
  },
  [MANUAL_SLEEP]: { recordingMethod: 'MANUAL', platform: 'FITBIT' },
};

const DOCUMENTED_TRACKER: DataSource = {
  recordingMethod: 'PASSIVELY_MEASURED',
  platform: 'FITBIT',
  device: { displayName: TRACKER, manufacturer: 'Fitbit', formFactor: 'FITNESS_BAND' },
};

/** Manual weigh-ins (the Takeout's `Fitbit App` rows of weight.csv). */
export const MANUAL_WEIGHT_SOURCE: DataSource = { recordingMethod: 'MANUAL', platform: 'FITBIT', device: { displayName: WEIGHT_SOURCE, formFactor: 'PHONE' } };

/** The `dataSource` of a list point of source `src`. */
export function dataSourceOf(src: string, v: Pick<Variants, 'shapes'>): DataSource {
  if (v.shapes === 'documented' && src === TRACKER) return DOCUMENTED_TRACKER;
  return LIVE[src] ?? { platform: 'FITBIT', device: { displayName: src } };
}

/** Is the source a Google wearable (for `dataSourceFamilies/google-wearables`)? */
export function isWearable(src: string): boolean {
  return src === TRACKER || src === AIR;
}

/** One companion minute of active energy (kcal), stamped at its start. */
export interface CompanionMinute {
  src: string;
  t: number;
  offset: number;
  kcal: number;
}

export interface Companions {
  activeEnergy: CompanionMinute[];
  /** Manually logged naps (classic, one ASLEEP stage). */
  sleeps: SleepLog[];
}

export const NO_COMPANIONS: Companions = { activeEnergy: [], sleeps: [] };

const r2 = (x: number): number => Math.round(x * 100) / 100;

/** The companion sources' truth for one local day (deterministic per seed and date). */
export function companionsOf(day: SyntheticDay, offs: OffsetMap): Companions {
  const r = new Rng(hash32(`${day.seed}|${day.date}|companions`));
  const activeEnergy: CompanionMinute[] = [];
  for (const [src, hour, minutes] of [
    [AIR, 7, 20],
    [HC_APP, 18, 15],
    [HC_DEVICE, 20, 10],
  ] as const) {
    const from = day.start + hour * HOUR_MS + r.int(0, 59) * MINUTE_MS;
    for (let i = 0; i < minutes; i++) {
      const t = from + i * MINUTE_MS;
      if (t + MINUTE_MS > day.end) break;
      activeEnergy.push({ src, t, offset: offs.get(t), kcal: r2(r.uniform(1.5, 6)) });
    }
  }
  const sleeps: SleepLog[] = [];
  if (r.chance(1 / 3)) {
    const start = day.start + 14 * HOUR_MS + r.int(0, 11) * 5 * MINUTE_MS;
    const minutes = r.int(3, 9) * 5;
    const end = start + minutes * MINUTE_MS;
    const free = day.sleeps.every((s) => s.end <= start || s.start >= end);
    if (free && end <= day.end) {
      const startOffset = offs.get(start),
        endOffset = offs.get(end);
      sleeps.push({
        // a Fitbit-like log id, unique per (date, kind 5), as the synthetic model makes them
        logId: 40_000_000_000 + (dayNumber(day.date) - 18_000) * 1000 + 5 * 10 + (hash32(`${day.seed}|${day.date}`) % 10),
        dateOfSleep: day.date,
        type: 'classic',
        mainSleep: false,
        start,
        startOffset,
        end,
        endOffset,
        segments: [{ start, end, startOffset, endOffset, level: 'asleep' }],
        shortWakes: [],
        minutesAsleep: minutes,
        minutesAwake: 0,
        minutesToFallAsleep: 0,
        minutesAfterWakeup: 0,
        timeInBed: minutes,
        efficiency: 100,
      });
    }
  }
  return { activeEnergy, sleeps };
}
