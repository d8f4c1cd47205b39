/** Small time helpers shared by the store and its consumers. All instants are UTC milliseconds. */

export const DAY_MS = 86_400_000;

/** UTC day number of an instant: days since 1970-01-01 (UTC). */
export function utcDay(t: number): number {
  return Math.floor(t / DAY_MS);
}

/** First instant (UTC ms) of a UTC day. */
export function dayStart(day: number): number {
  return day * DAY_MS;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function checkArgs(t: number, offsetMin: number): void {
  if (!Number.isFinite(t)) throw new RangeError(`time: expected a finite instant in ms, got ${t}`);
  if (!Number.isInteger(offsetMin)) throw new RangeError(`time: expected a UTC offset in whole minutes, got ${offsetMin}`);
}

/** YYYY-MM-DD of the local day at `t` under the UTC offset `offsetMin` (minutes east). */
export function localDateString(t: number, offsetMin: number): string {
  checkArgs(t, offsetMin);
  return new Date(t + offsetMin * 60_000).toISOString().slice(0, 10);
}

/** Formats an offset in minutes east as ±HH:MM (0 → +00:00). */
export function formatOffset(offsetMin: number): string {
  const sign = offsetMin < 0 ? '-' : '+';
  const a = Math.abs(offsetMin);
  return `${sign}${pad2(Math.floor(a / 60))}:${pad2(a % 60)}`;
}

/**
 * ISO 8601 local time with its offset, e.g. 2026-04-06T00:43:45-04:00. Milliseconds appear only
 * when non-zero (2026-04-06T00:43:45.250-04:00). Offset 0 is written +00:00.
 */
export function formatIso(t: number, offsetMin: number): string {
  checkArgs(t, offsetMin);
  const iso = new Date(t + offsetMin * 60_000).toISOString(); // YYYY-MM-DDTHH:mm:ss.sssZ
  const body = iso.endsWith('.000Z') ? iso.slice(0, -5) : iso.slice(0, -1);
  return body + formatOffset(offsetMin);
}
