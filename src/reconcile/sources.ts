/**
 * The rank of data sources for one minute of an additive metric (steps, energy, distance, floors,
 * elevation, active zone minutes): when several sources hold the same minute, the highest-ranked
 * one gives it (day-totals.ts). Three tiers, best first:
 *
 * 1. a tracker or watch: a device name (`Inspire 3`, `Pixel Watch 4`, a manufacturer such as
 *    `xiaomi`), the API's tracker family rollUp `Google Health (wearables)`, an unnamed device of a
 *    platform (`Fitbit (unnamed device)`, `Fitbit (unnamed watch)`);
 * 2. the phone and other apps: `Fitbit App`, manual entries (`Fitbit (manual entry)`), Health
 *    Connect packages (`com.xiaomi.wearable`), the API's all-sources rollUp `Google Health (all
 *    sources)` (and the Google-sources one), a point naming no device `Google Health (unknown
 *    device)`, the Takeout CSV default `Google export`;
 * 3. the legacy JSON layer `Fitbit export (legacy)` (the samples no CSV row matched).
 *
 * Inside a tier: named devices before unnamed ones before rollUps; then by name (code points), so
 * the order is total and does not depend on the order series are listed in.
 */
import { LEGACY_JSON_SOURCE } from '../store/types.js';

/** Tiers, best first. */
export type SourceTier = 'tracker' | 'phone' | 'legacy';

const TIER_NUMBER: Record<SourceTier, number> = { tracker: 0, phone: 1, legacy: 2 };

/** Names of the phone / app tier that are not recognisable by their form (see sourceLabel in src/sources/google-health/mapping.ts). */
const PHONE_NAMES = new Set([
  'Fitbit App',
  'Google Health (all sources)',
  'Google Health (Google sources)',
  'Google Health (unknown device)',
  'Google export',
  'MANUAL',
]);

/** Rollups of a family (no device): after the named sources of their tier. */
const ROLLUPS = new Set(['Google Health (wearables)', 'Google Health (all sources)', 'Google Health (Google sources)']);

/** A Health Connect / Android package name: `com.xiaomi.wearable`. */
const PACKAGE = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/i;

/** The tier of a source name. */
export function sourceTier(source: string): SourceTier {
  if (source === LEGACY_JSON_SOURCE) return 'legacy';
  if (PHONE_NAMES.has(source) || / \(manual entry\)$/.test(source) || PACKAGE.test(source)) return 'phone';
  return 'tracker';
}

/** 0 a named source, 1 an unnamed device of a platform, 2 a rollUp of a family. */
function subRank(source: string): number {
  if (ROLLUPS.has(source)) return 2;
  if (/ \(unnamed [^)]*\)$/.test(source) || source === 'Google Health (unknown device)') return 1;
  return 0;
}

/** Sorts best first: a negative number when `a` outranks `b`. Total (names break ties). */
export function compareSources(a: string, b: string): number {
  if (a === b) return 0;
  const t = TIER_NUMBER[sourceTier(a)] - TIER_NUMBER[sourceTier(b)];
  if (t !== 0) return t;
  const s = subRank(a) - subRank(b);
  if (s !== 0) return s;
  return a < b ? -1 : 1;
}

/** The sources best first (a new array). */
export function rankSources<T extends string>(sources: Iterable<T>): T[] {
  return [...new Set(sources)].sort(compareSources);
}
