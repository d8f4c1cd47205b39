/**
 * proto3 JSON of the time containers: Timestamps (RFC 3339 UTC, fraction only when non-zero),
 * Durations ("-14400s"), CivilDateTime / Date with zero members omitted, and the Interval /
 * Sample containers of a data point.
 */
import type {
  CivilDateTime,
  Date as ApiDate,
  ObservationSampleTime,
  ObservationTimeInterval,
  SessionTimeInterval,
} from '../../sources/google-health/api-types.js';
import { MINUTE_MS } from '../../time/index.js';

/** RFC 3339 UTC, fraction only when non-zero (proto3 JSON Timestamp). */
export function fmtTimestamp(t: number): string {
  const s = new Date(t).toISOString();
  return s.endsWith('.000Z') ? `${s.slice(0, -5)}Z` : s;
}

/** proto3 JSON Duration of an offset in minutes: "-14400s" (a zero offset is "0s": the message is set). */
export function fmtOffsetDuration(offsetMinutes: number): string {
  return `${offsetMinutes * 60}s`;
}

/** proto3 JSON Duration of a length in ms: "1303s", "1.5s". */
export function fmtDurationMs(ms: number): string {
  const s = ms / 1000;
  return Number.isInteger(s) ? `${s}s` : `${s.toFixed(9).replace(/0+$/, '')}s`;
}

/** google.type.Date of a wall-clock instant read as UTC (ms), zero members omitted. */
export function apiDateOfCivilMs(civilMs: number): ApiDate {
  const d = new Date(civilMs);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** google.type.Date of `YYYY-MM-DD`. */
export function apiDate(date: string): ApiDate {
  return { year: Number(date.slice(0, 4)), month: Number(date.slice(5, 7)), day: Number(date.slice(8, 10)) };
}

/** CivilDateTime of a wall-clock instant read as UTC (ms); `time` is always set (possibly `{}`), as observed live. */
export function civilOfCivilMs(civilMs: number): CivilDateTime {
  const d = new Date(civilMs);
  const time: NonNullable<CivilDateTime['time']> = {};
  if (d.getUTCHours()) time.hours = d.getUTCHours();
  if (d.getUTCMinutes()) time.minutes = d.getUTCMinutes();
  if (d.getUTCSeconds()) time.seconds = d.getUTCSeconds();
  if (d.getUTCMilliseconds()) time.nanos = d.getUTCMilliseconds() * 1_000_000;
  return { date: apiDateOfCivilMs(civilMs), time };
}

/** CivilDateTime of an instant at an offset (minutes east), zero members omitted. */
export function civilOf(t: number, offsetMinutes: number): CivilDateTime {
  return civilOfCivilMs(t + offsetMinutes * MINUTE_MS);
}

export function observationInterval(start: number, startOff: number, end: number, endOff: number): ObservationTimeInterval {
  return {
    startTime: fmtTimestamp(start),
    startUtcOffset: fmtOffsetDuration(startOff),
    endTime: fmtTimestamp(end),
    endUtcOffset: fmtOffsetDuration(endOff),
    civilStartTime: civilOf(start, startOff),
    civilEndTime: civilOf(end, endOff),
  };
}

export function sessionInterval(start: number, startOff: number, end: number, endOff: number): SessionTimeInterval {
  return observationInterval(start, startOff, end, endOff);
}

export function sampleTime(t: number, off: number): ObservationSampleTime {
  return { physicalTime: fmtTimestamp(t), utcOffset: fmtOffsetDuration(off), civilTime: civilOf(t, off) };
}
