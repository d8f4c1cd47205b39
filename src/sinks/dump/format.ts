/**
 * Pure helpers of the dump sink: local days, value and CSV formatting, row rendering.
 * No I/O here.
 */
import type { SessionSegment, StoredSession } from '../../store/types.js';
import { MINUTE_MS, calendarDay, formatIso, formatOffset, zoneOffset } from '../../time/index.js';
import { sleepVersionLabel } from '../../reconcile/sleep.js';

export type DumpFormat = 'csv' | 'jsonl';

/** Day number of a `YYYY-MM-DD` date; throws with the expected form when invalid. */
export function dateToDay(date: string, what = 'date'): number {
  const day = calendarDay(date);
  if (day === null) throw new Error(`${what}: expected a calendar date YYYY-MM-DD, got ${JSON.stringify(date)}`);
  return day;
}

/**
 * A number printed minimally: the shortest representation that round-trips, after dropping binary
 * float noise beyond 15 significant digits (0.1 + 0.2 prints `0.3`, 72 prints `72`, 0.5 `0.5`).
 * Never exponent notation; -0 prints `0`; non-finite values print as the empty string.
 */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return '';
  // Fast paths: integers, and reprs too short to carry more than 15 significant digits.
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return v === 0 ? '0' : String(v);
  const direct = String(v);
  if (direct.length <= 15 && !direct.includes('e')) return direct;
  const n = Number(v.toPrecision(15));
  if (n === 0) return '0';
  const s = String(n);
  return s.includes('e') ? expandExponent(s) : s;
}

function expandExponent(s: string): string {
  const neg = s.startsWith('-');
  const [mant = '', expStr = '0'] = (neg ? s.slice(1) : s).split('e');
  const exp = Number(expStr);
  const [intPart = '', fracPart = ''] = mant.split('.');
  const digits = intPart + fracPart;
  const point = intPart.length + exp; // position of the decimal point within digits
  let out: string;
  if (point <= 0) out = '0.' + '0'.repeat(-point) + digits;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = digits.slice(0, point) + '.' + digits.slice(point);
  return (neg ? '-' : '') + out;
}

/** One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF, or edge spaces. */
export function csvField(s: string): string {
  if (/[",\r\n]/.test(s) || s !== s.trim()) return '"' + s.replace(/"/g, '""') + '"';
  return s;
}

export function csvLine(fields: readonly string[]): string {
  return fields.map(csvField).join(',') + '\n';
}

// ---- fast paths for sample files ----------------------------------------------------------------

let isoMinute = Number.NaN;
let isoOffset = Number.NaN;
let isoPrefix = '';
let isoSuffix = '';

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * Same text as formatIso(t, offsetMin) (src/time), with the minute part cached: samples
 * come in time order, many per minute.
 */
export function formatIsoFast(t: number, offsetMin: number): string {
  if (!Number.isInteger(t) || !Number.isInteger(offsetMin)) return formatIso(t, offsetMin);
  const local = t + offsetMin * MINUTE_MS;
  const minute = Math.floor(local / MINUTE_MS) * MINUTE_MS;
  if (minute !== isoMinute || offsetMin !== isoOffset) {
    const iso = new Date(minute).toISOString();
    if (iso.length !== 24) return formatIso(t, offsetMin); // years beyond 0000–9999
    isoMinute = minute;
    isoOffset = offsetMin;
    isoPrefix = iso.slice(0, 17);
    isoSuffix = formatOffset(offsetMin);
  }
  const ms = local - minute;
  const milli = ms % 1000;
  return isoPrefix + pad2((ms - milli) / 1000) + (milli === 0 ? '' : `.${String(milli).padStart(3, '0')}`) + isoSuffix;
}

/** A sample of one day with the source it came from. */
export interface RawSample {
  t: number;
  offset: number;
  v: number;
  source: string;
}

/** Timestamp, then source (one series never holds two samples at one instant). */
export function compareRaw(a: RawSample, b: RawSample): number {
  return a.t - b.t || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0);
}

/** Whole-file text of a day of samples (already ordered). */
export function renderSamples(format: DumpFormat, samples: readonly RawSample[]): string {
  const parts: string[] = [];
  let lastSource: string | null = null;
  let sourceText = '';
  if (format === 'csv') {
    parts.push(csvLine(SAMPLE_COLUMNS));
    for (const x of samples) {
      if (x.source !== lastSource) {
        lastSource = x.source;
        sourceText = csvField(x.source);
      }
      parts.push(`${formatIsoFast(x.t, x.offset)},${formatValue(x.v)},${sourceText}\n`);
    }
  } else {
    for (const x of samples) {
      if (x.source !== lastSource) {
        lastSource = x.source;
        sourceText = JSON.stringify(x.source);
      }
      const value = formatValue(x.v);
      parts.push(`{"timestamp":"${formatIsoFast(x.t, x.offset)}","value":${value === '' ? 'null' : value},"source":${sourceText}}\n`);
    }
  }
  return parts.join('');
}

// ---- rows ----------------------------------------------------------------------------------------

export const SAMPLE_COLUMNS = ['timestamp', 'value', 'source'] as const;
/** `sleep`: main (the night's main sleep) or nap. */
export const SLEEP_COLUMNS = ['start', 'end', 'stage', 'source', 'sleep'] as const;
/** With `dump --sleep-alternatives`: every stored version, `version` (e.g. sleep_session_v2, json log, api) and whether it is the one counted. */
export const SLEEP_ALTERNATIVE_COLUMNS = [...SLEEP_COLUMNS, 'version', 'chosen'] as const;
export const EXERCISE_COLUMNS = ['start', 'end', 'activity', 'source', 'duration_s', 'details'] as const;

export function columnsOf(kind: 'sample' | 'sleep' | 'exercise', sleepAlternatives = false): readonly string[] {
  return kind === 'sample' ? SAMPLE_COLUMNS : kind === 'sleep' ? (sleepAlternatives ? SLEEP_ALTERNATIVE_COLUMNS : SLEEP_COLUMNS) : EXERCISE_COLUMNS;
}

/** A row ready to print: sort keys, CSV text fields and the JSON object of the same row. */
export interface Row {
  /** Instant the row is ordered by (UTC ms), then by source. */
  t: number;
  source: string;
  csv: readonly string[];
  json: Record<string, unknown>;
}

/**
 * Offset (minutes east) to print for an instant inside a session. Sessions store offsets only at
 * start and end; when they differ (a DST change or travel during the night) the account's IANA
 * zone decides if it agrees with both ends, otherwise the nearer end's offset is used.
 */
export function sessionOffsetAt(s: StoredSession, x: number, timezone: string | null): number {
  if (s.startOffset === s.endOffset) return s.startOffset;
  if (timezone) {
    const a = zoneOffset(timezone, s.start);
    const b = zoneOffset(timezone, s.end);
    if (a === s.startOffset && b === s.endOffset) {
      const o = zoneOffset(timezone, x);
      if (o !== null) return o;
    }
  }
  return x - s.start <= s.end - x ? s.startOffset : s.endOffset;
}

/**
 * Rows of a sleep session: one per stage segment, or one with an empty stage when it has none.
 * `sleep`: main / nap (empty when unknown: an alternative without mainSleep). With `alternatives`,
 * also the session's version and whether it is the chosen one.
 */
export function sleepRows(s: StoredSession, timezone: string | null, alternatives?: { chosen: boolean }): Row[] {
  const segs: SessionSegment[] = [...s.segments].sort((a, b) => a.start - b.start || a.end - b.end);
  const kind = s.mainSleep === true ? 'main' : s.mainSleep === false ? 'nap' : '';
  const extraCsv = alternatives ? [sleepVersionLabel(s), alternatives.chosen ? 'true' : 'false'] : [];
  const extraJson = alternatives ? { version: sleepVersionLabel(s), chosen: alternatives.chosen } : {};
  const row = (t: number, start: string, end: string, stage: string): Row => ({
    t,
    source: s.source,
    csv: [start, end, stage, s.source, kind, ...extraCsv],
    json: { start, end, stage: stage === '' ? null : stage, source: s.source, sleep: kind === '' ? null : kind, ...extraJson },
  });
  if (segs.length === 0) return [row(s.start, formatIso(s.start, s.startOffset), formatIso(s.end, s.endOffset), '')];
  return segs.map((g) =>
    row(g.start, formatIso(g.start, sessionOffsetAt(s, g.start, timezone)), formatIso(g.end, sessionOffsetAt(s, g.end, timezone)), g.stage),
  );
}

const ACTIVITY_KEYS = ['activityName', 'activity', 'activity_name', 'exerciseType', 'exercise_type', 'name', 'type'];

/** Activity name of an exercise session from its details (first known key holding a string). */
export function activityOf(details: Record<string, unknown>): string {
  for (const k of ACTIVITY_KEYS) {
    const v = details[k];
    if (typeof v === 'string' && v !== '') return v;
  }
  return '';
}

/** JSON with object keys sorted at every level (stable output for byte comparisons). */
export function stableJson(v: unknown): string {
  return JSON.stringify(sortKeys(v));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** One row per exercise session; `details` carries every detail field as JSON (sorted keys). */
export function exerciseRow(s: StoredSession): Row {
  const start = formatIso(s.start, s.startOffset);
  const end = formatIso(s.end, s.endOffset);
  const activity = activityOf(s.details);
  const durationS = Math.round((s.end - s.start) / 1000);
  return {
    t: s.start,
    source: s.source,
    csv: [start, end, activity, s.source, String(durationS), stableJson(s.details)],
    json: { start, end, activity: activity === '' ? null : activity, source: s.source, duration_s: durationS, details: sortKeys(s.details) },
  };
}

/** Row order inside a day file: instant, then source, then the printed row (total and stable). */
export function compareRows(a: Row, b: Row): number {
  if (a.t !== b.t) return a.t - b.t;
  if (a.source !== b.source) return a.source < b.source ? -1 : 1;
  const x = a.csv.join('\u0000');
  const y = b.csv.join('\u0000');
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Whole-file text of a day: header (CSV only) plus rows. */
export function renderFile(format: DumpFormat, columns: readonly string[], rows: readonly Row[]): string {
  if (format === 'csv') {
    let out = csvLine(columns);
    for (const r of rows) out += csvLine(r.csv);
    return out;
  }
  let out = '';
  for (const r of rows) out += JSON.stringify(r.json) + '\n';
  return out;
}
