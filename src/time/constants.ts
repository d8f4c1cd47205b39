/** Durations in milliseconds. A "day" here is 24 hours of UTC time (a local day may be 23 or 25 hours long). */

export const SECOND_MS = 1000;
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
