/**
 * Calendar arithmetic on the proleptic Gregorian calendar, and local dates / times of instants
 * under a fixed UTC offset. All instants are UTC milliseconds; offsets are minutes east of UTC
 * (New York in summer = -240); a "day number" counts days since 1970-01-01.
 */
import { DAY_MS, HOUR_MS, MINUTE_MS } from './constants.js';

/** Days since 1970-01-01 of a proleptic Gregorian date, month 1-based (H. Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Days in month `m` (1-based) of year `y`. */
export function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** True when the fields name a real calendar date and a wall-clock time 00:00:00–23:59:59 (month 1-based). */
export function isValidDateTime(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo) && h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 59;
}

/** Wall-clock fields read as if they were UTC ("local ms"); month 1-based, fields not range-checked. */
export function wallClockMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0): number {
  return daysFromCivil(y, mo, d) * DAY_MS + h * HOUR_MS + mi * MINUTE_MS + s * 1000 + ms;
}

// ---- day numbers and YYYY-MM-DD dates -----------------------------------------------------------

/** UTC day number of an instant: days since 1970-01-01 (UTC). */
export function utcDay(t: number): number {
  return Math.floor(t / DAY_MS);
}

/** First instant (UTC ms) of a UTC day. */
export function dayStart(day: number): number {
  return day * DAY_MS;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * `YYYY-MM-DD` → day number. The shape is checked, the calendar is not: out-of-range fields roll
 * over ("2026-02-30" is 2026-03-02); use {@link calendarDay} to validate a date.
 * @throws RangeError when the text is not of the form YYYY-MM-DD.
 */
export function dayNumber(date: string): number {
  const m = DATE_RE.exec(date);
  if (!m) throw new RangeError(`expected a date YYYY-MM-DD, got ${JSON.stringify(date)}`);
  return daysFromCivil(+m[1]!, +m[2]!, +m[3]!);
}

/** Day number of a real calendar date `YYYY-MM-DD` ("2028-02-29" yes, "2026-02-29" no); null otherwise. */
export function calendarDay(date: string): number | null {
  const m = DATE_RE.exec(date);
  if (!m) return null;
  const y = +m[1]!,
    mo = +m[2]!,
    d = +m[3]!;
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return null;
  return daysFromCivil(y, mo, d);
}

/** Day number → `YYYY-MM-DD`. */
export function dateOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The date `n` days after `date` (before it when `n` is negative), both `YYYY-MM-DD`. */
export function addDays(date: string, n: number): string {
  return dateOfDay(dayNumber(date) + n);
}

// ---- local time under a fixed offset ------------------------------------------------------------

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function checkArgs(t: number, offsetMin: number): void {
  if (!Number.isFinite(t)) throw new RangeError(`time: expected a finite instant in ms, got ${t}`);
  if (!Number.isInteger(offsetMin)) throw new RangeError(`time: expected a UTC offset in whole minutes, got ${offsetMin}`);
}

/** Local day number of the instant `t` under the offset `offsetMin` (minutes east). */
export function localDayAtOffset(t: number, offsetMin: number): number {
  return Math.floor((t + offsetMin * MINUTE_MS) / DAY_MS);
}

/** `YYYY-MM-DD` of the local day at `t` under the offset `offsetMin` (minutes east). */
export function localDateAtOffset(t: number, offsetMin: number): string {
  checkArgs(t, offsetMin);
  return new Date(t + offsetMin * MINUTE_MS).toISOString().slice(0, 10);
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
  const iso = new Date(t + offsetMin * MINUTE_MS).toISOString(); // YYYY-MM-DDTHH:mm:ss.sssZ
  const body = iso.endsWith('.000Z') ? iso.slice(0, -5) : iso.slice(0, -1);
  return body + formatOffset(offsetMin);
}
