/**
 * The reference's *uncertain* points, each served in both variants (option `variant` of
 * createHealthApi, `--variant key=value` of `fitbit-bridge emulator`). Defaults follow the
 * strongest evidence in the reference.
 *
 * - `sleepFilterMember`: `end_time` (default; one live capture: sleep filters on
 *   `sleep.interval.end_time` / `civil_end_time` only, and the discovery document agrees) or
 *   `civil_start_time` (another integrator: sleep filters on `sleep.interval.civil_start_time`
 *   and `start_time`). The member of the other variant answers the documented
 *   INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER body.
 * - `dailyRollUpEnd`: `exclusive` (default; discovery: closed-open civil range) or `inclusive`
 *   (one example: `range.end`'s date is included). Windows' `civilEndTime` is exclusive in both.
 * - `retryAfter`: `header` (default; 429 carries `Retry-After: <seconds>`) or `none` (429 without
 *   it: the client must back off on its own).
 * - `heartRateDefaultPageSize`: `50` (default; observed live when `pageSize` is omitted) or `1440`
 *   (what the discovery document says for every type).
 * - `shapes`: `live` (default; what outside integrators captured in 2026: data sources that are
 *   not a named device - Fitbit Air `"device": {}`, Health Connect apps, manual sleep - beside the
 *   named tracker; sleep with `metadata.mainSleep`, zero summary minutes as `"0"`, no civil
 *   interval times and no `metadata.externalId`; exercise with `exerciseEvents`,
 *   `heartRateZoneDurations`, `exerciseMetadata`; "NaN" in daily temperature / HRV doubles; see
 *   ./sources.ts) or `documented` (every point names its device, sessions as the discovery
 *   document describes them, no companion sources).
 * - `emptyPages`: `past-first` (default; seen live: a list over a past range can answer
 *   `{"nextPageToken":"…"}` with no points, the points on the next page; the emulator does so for
 *   the first page of every list / reconcile whose filter range ends before the local midnight
 *   of today by its clock) or `none` (no empty pages before the data: the emulator's old answer).
 * - `exerciseFilterMember`: `civil_start_time` (default; reported live and in the reference: exercise
 *   filters on `exercise.interval.civil_start_time` only) or `start_time` (the Interval member
 *   `exercise.interval.start_time` instead; the client's fallback).
 * - `dailyRollUpOrder`: `newest-first` (default; seen live) or `oldest-first` (the emulator's old order;
 *   the discovery document does not say).
 * - `scopeError`: the reason of the 403 for a token without the method's scope:
 *   `ACCESS_TOKEN_SCOPE_INSUFFICIENT` (default; seen live, domain googleapis.com) or
 *   `MISSING_OAUTH_SCOPE` (the reason the documentation lists).
 */
export interface Variants {
  sleepFilterMember: 'end_time' | 'civil_start_time';
  dailyRollUpEnd: 'exclusive' | 'inclusive';
  retryAfter: 'header' | 'none';
  heartRateDefaultPageSize: 50 | 1440;
  shapes: 'live' | 'documented';
  emptyPages: 'past-first' | 'none';
  exerciseFilterMember: 'civil_start_time' | 'start_time';
  dailyRollUpOrder: 'newest-first' | 'oldest-first';
  scopeError: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT' | 'MISSING_OAUTH_SCOPE';
}

export const DEFAULT_VARIANTS: Variants = {
  sleepFilterMember: 'end_time',
  dailyRollUpEnd: 'exclusive',
  retryAfter: 'header',
  heartRateDefaultPageSize: 50,
  shapes: 'live',
  emptyPages: 'past-first',
  exerciseFilterMember: 'civil_start_time',
  dailyRollUpOrder: 'newest-first',
  scopeError: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
};

/** Every variant key with its allowed values (first = default). */
export const VARIANT_CHOICES: { [K in keyof Variants]: readonly string[] } = {
  sleepFilterMember: ['end_time', 'civil_start_time'],
  dailyRollUpEnd: ['exclusive', 'inclusive'],
  retryAfter: ['header', 'none'],
  heartRateDefaultPageSize: ['50', '1440'],
  shapes: ['live', 'documented'],
  emptyPages: ['past-first', 'none'],
  exerciseFilterMember: ['civil_start_time', 'start_time'],
  dailyRollUpOrder: ['newest-first', 'oldest-first'],
  scopeError: ['ACCESS_TOKEN_SCOPE_INSUFFICIENT', 'MISSING_OAUTH_SCOPE'],
};

/** Fills in defaults; throws on an unknown key or value (the CLI shows the message). */
export function resolveVariants(v: Partial<Record<string, unknown>> = {}): Variants {
  const out: Record<string, unknown> = { ...DEFAULT_VARIANTS };
  for (const [k, raw] of Object.entries(v)) {
    if (raw === undefined) continue;
    const choices = (VARIANT_CHOICES as Record<string, readonly string[] | undefined>)[k];
    if (!choices) throw new Error(`unknown variant "${k}" (known: ${Object.keys(VARIANT_CHOICES).join(', ')})`);
    const s = String(raw);
    if (!choices.includes(s)) throw new Error(`variant ${k} must be one of ${choices.join(', ')}, not "${s}"`);
    out[k] = k === 'heartRateDefaultPageSize' ? Number(s) : s;
  }
  return out as unknown as Variants;
}

/** `key=value` strings (CLI) → a partial variant object. */
export function parseVariantArgs(args: readonly string[]): Partial<Variants> {
  const out: Record<string, string> = {};
  for (const a of args) {
    const i = a.indexOf('=');
    if (i <= 0) throw new Error(`expected --variant key=value, got "${a}"`);
    out[a.slice(0, i).trim()] = a.slice(i + 1).trim();
  }
  resolveVariants(out);
  return out;
}
