/**
 * Reconciliation: one truth per measurement, whichever layers, versions and sources carry it and
 * whatever order they arrive in. Every rule lives in this folder; the README's "How the import
 * reads your export" states them for users.
 *
 * - Samples (`samples.ts` pure rules, `samples-store.ts` applied to the store; used by the Takeout
 *   import, the Google Health API write path and schema migration 4):
 *   - intraday: a legacy-layer sample (source "Fitbit export (legacy)") at an instant where the
 *     CSV layer or the API has a sample of the metric IS that sample, whatever the values; the
 *     non-legacy value is kept, differences beyond the metric's tolerance are counted as layer
 *     disagreements (HRV Details vs `heart_rate_variability_*.csv` included);
 *   - daily values: one per (metric, local day); the Google `daily_*.csv` value wins over the
 *     legacy summaries;
 *   - weight: one weigh-in per (local day, weight within the JSON's rounding); weight.csv's real
 *     instant wins over the JSON's placeholder time (`23:59:59`).
 * - Sleep (`sleep.ts`): overlapping sleeps of any layer, algorithm version and source are one
 *   physical sleep; one version counts (`takeout.sleep_version`: newest = the API, else the highest
 *   `algorithm_version`; legacy = the sleep-*.json log / v1); the others are stored alternatives.
 *   Chosen sleeps are main sleep or nap, never unknown. `sleepDayFigures` is the one source of
 *   per-day sleep figures (dump summary, TSDB, MQTT).
 * - Day totals (`sources.ts` rank, `day-totals.ts` merge): an additive metric's total over a local
 *   day is merged per minute across sources (tracker, else phone / app, else the legacy layer):
 *   never the larger of two partial days, never a sum of the same minutes.
 */
export { matchLegacy, ruleOf, totalMerged, type MergeCounts, type SampleRule } from './samples.js';
export { filterLegacy, readMerged, reconcileStored } from './samples-store.js';
export { chooseSleeps, sleepDayFigures, type SleepDayFigure, type SleepKind, type SleepVersionPreference } from './sleep.js';
export { compareSources, rankSources, sourceTier, type SourceTier } from './sources.js';
export { dayTotals, hasDailySum, windowTotal, type DayTotal } from './day-totals.js';
