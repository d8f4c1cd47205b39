/**
 * Shared pieces of the Takeout parsers: the per-file output buffers, the parse context, and fast
 * stamp / number parsing (charCode arithmetic, no regex and no allocation per row).
 */
import { clip } from '../../../util/clip.js';
import type { MetricId } from '../../../metrics/registry.js';
import type { Sample, SessionRecord, SessionSegment } from '../../../store/types.js';
import { DAY_MS, HOUR_MS, LocalSequence, MINUTE_MS, daysFromCivil, type Zone } from '../../../time/index.js';

/** Samples of one (metric, source) collected from one file. */
export class SeriesBuffer {
  readonly samples: Sample[] = [];
  constructor(
    readonly metric: MetricId,
    readonly source: string,
  ) {}
  push(t: number, offset: number, v: number): void {
    this.samples.push({ t, offset, v });
  }
}

/** Stages of the CSV sleep layer, keyed by sleep id, waiting to be joined to their session. */
export interface StageGroup {
  sleepId: string;
  /** algorithm_version of the stage rows (`sleep_stages_v2`; '' or absent when the file has none). */
  version?: string;
  source: string;
  segments: SessionSegment[];
}

/** Everything one file produced; written by import.ts in one store transaction. */
export class FileOutput {
  readonly series = new Map<string, SeriesBuffer>();
  readonly sessions: SessionRecord[] = [];
  readonly stageGroups: StageGroup[] = [];
  /** Free-form notes for the summary (e.g. the unit assumed for weight). */
  readonly notes: string[] = [];
  private lastKey = '';
  private last: SeriesBuffer | null = null;

  buffer(metric: MetricId, source: string): SeriesBuffer {
    const key = metric + '\u0000' + source;
    if (key === this.lastKey && this.last) return this.last;
    let b = this.series.get(key);
    if (!b) {
      b = new SeriesBuffer(metric, source);
      this.series.set(key, b);
    }
    this.lastKey = key;
    this.last = b;
    return b;
  }

  get sampleCount(): number {
    let n = 0;
    for (const b of this.series.values()) n += b.samples.length;
    return n;
  }
}

export interface ProfileInfo {
  id: string | null;
  timezone: string | null;
  /** Profile.csv `weight_unit` (POUND, METRIC, STONE, …) upper-cased, or null. */
  weightUnit: string | null;
  /** Height in centimetres when known. */
  heightCm: number | null;
}

/** What a parser gets: the file, the zone (null when unknown), and a warning sink. */
export interface ParseContext {
  /** Display name of the file (path inside the archive). */
  file: string;
  account: string;
  /** The user's zone; parsers of local-time files are only called when it is set. */
  zone: Zone | null;
  profile: ProfileInfo | null;
  out: FileOutput;
  /** A skipped row or record: line (CSV, 1-based) or record index in the message. */
  warn(line: number | undefined, message: string): void;
  /** Weight samples already known (weight.csv of this archive, in kg), for the lb/kg decision. */
  knownWeightsKg: (fromMs: number, toMs: number) => number[];
}

// ---- offsets of UTC instants --------------------------------------------------------------

const BUCKET = 15 * MINUTE_MS;

/** Zone offset lookups memoised per 15-minute bucket (checked at both ends, so DST-safe). */
export class OffsetCache {
  private bucket = NaN;
  private off = 0;
  constructor(private readonly zone: Zone | null) {}
  at(t: number): number {
    const z = this.zone;
    if (!z) return 0;
    const b = Math.floor(t / BUCKET);
    if (b === this.bucket) return this.off;
    const a = z.offsetAt(b * BUCKET);
    const e = z.offsetAt(b * BUCKET + BUCKET - 1);
    if (a === e) {
      this.bucket = b;
      this.off = a;
      return a;
    }
    return z.offsetAt(t);
  }
}

// ---- calendar arithmetic ------------------------------------------------------------------

const DC = { key: -1, day: 0 };

/** UTC ms of wall-clock parts read as UTC (the day number is memoised: stamps come in runs). */
export function utcOf(p: StampParts): number {
  const key = (p.y * 16 + p.mo) * 32 + p.d;
  if (key !== DC.key) {
    DC.key = key;
    DC.day = daysFromCivil(p.y, p.mo, p.d);
  }
  return DC.day * DAY_MS + p.h * HOUR_MS + p.mi * MINUTE_MS + p.s * 1000 + p.ms;
}

// ---- stamp parsing ------------------------------------------------------------------------

/** Reusable parse result; `zone` is 'none' (naive), 'Z', or 'offset' with `off` minutes east. */
export interface StampParts {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  ms: number;
  zone: 'none' | 'Z' | 'offset';
  off: number;
}

export function newParts(): StampParts {
  return { y: 0, mo: 0, d: 0, h: 0, mi: 0, s: 0, ms: 0, zone: 'none', off: 0 };
}

function dig(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1000;
}
function d2(s: string, i: number): number {
  return dig(s, i) * 10 + dig(s, i + 1);
}

function valid(p: StampParts): boolean {
  return p.mo >= 1 && p.mo <= 12 && p.d >= 1 && p.d <= 31 && p.h >= 0 && p.h <= 23 && p.mi >= 0 && p.mi <= 59 && p.s >= 0 && p.s <= 60 && p.ms >= 0;
}

/** `MM/DD/YY HH:MM:SS` at position i of a larger text (the fast JSON scanner). */
export function parseLegacyAt(s: string, i: number, p: StampParts): boolean {
  if (s.charCodeAt(i + 2) !== 47 || s.charCodeAt(i + 5) !== 47 || s.charCodeAt(i + 8) !== 32 || s.charCodeAt(i + 11) !== 58 || s.charCodeAt(i + 14) !== 58)
    return false;
  p.mo = d2(s, i);
  p.d = d2(s, i + 3);
  p.y = 2000 + d2(s, i + 6);
  p.h = d2(s, i + 9);
  p.mi = d2(s, i + 12);
  p.s = d2(s, i + 15);
  p.ms = 0;
  p.zone = 'none';
  p.off = 0;
  return valid(p);
}

/** Fitbit legacy stamp `MM/DD/YY HH:MM:SS` (or `MM/DD/YY` alone). */
export function parseLegacy(s: string, p: StampParts): boolean {
  if (s.length !== 17 && s.length !== 8) return false;
  if (s.charCodeAt(2) !== 47 || s.charCodeAt(5) !== 47) return false;
  p.mo = d2(s, 0);
  p.d = d2(s, 3);
  p.y = 2000 + d2(s, 6);
  if (s.length === 17) {
    if (s.charCodeAt(8) !== 32 || s.charCodeAt(11) !== 58 || s.charCodeAt(14) !== 58) return false;
    p.h = d2(s, 9);
    p.mi = d2(s, 12);
    p.s = d2(s, 15);
  } else {
    p.h = 0;
    p.mi = 0;
    p.s = 0;
  }
  p.ms = 0;
  p.zone = 'none';
  p.off = 0;
  return valid(p);
}

/**
 * ISO-like stamps: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM`, `YYYY-MM-DD[T ]HH:MM:SS[.fff]` followed by
 * nothing, `Z`, `+HH:MM`, `+HHMM` or `+HH`.
 */
export function parseIso(s: string, p: StampParts): boolean {
  const n = s.length;
  if (n < 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return false;
  p.y = d2(s, 0) * 100 + d2(s, 2);
  p.mo = d2(s, 5);
  p.d = d2(s, 8);
  p.h = 0;
  p.mi = 0;
  p.s = 0;
  p.ms = 0;
  p.zone = 'none';
  p.off = 0;
  let i = 10;
  if (i < n) {
    const sep = s.charCodeAt(i);
    if (sep !== 84 && sep !== 32) return false; // 'T' or ' '
    if (n < i + 6 || s.charCodeAt(i + 3) !== 58) return false;
    p.h = d2(s, i + 1);
    p.mi = d2(s, i + 4);
    i += 6;
    if (i < n && s.charCodeAt(i) === 58) {
      if (n < i + 3) return false;
      p.s = d2(s, i + 1);
      i += 3;
      if (i < n && s.charCodeAt(i) === 46) {
        i++;
        let ms = 0,
          k = 0;
        while (i < n) {
          const c = dig(s, i);
          if (c < 0) break;
          if (k < 3) ms = ms * 10 + c;
          k++;
          i++;
        }
        if (k === 0) return false;
        for (; k < 3; k++) ms *= 10;
        p.ms = ms;
      }
    }
    if (i < n) {
      const c = s.charCodeAt(i);
      if (c === 90 && i === n - 1) {
        p.zone = 'Z';
        i++;
      } else if (c === 43 || c === 45) {
        const sign = c === 45 ? -1 : 1;
        const rest = n - i - 1;
        let hh: number,
          mm = 0;
        if (rest === 5 && s.charCodeAt(i + 3) === 58) {
          hh = d2(s, i + 1);
          mm = d2(s, i + 4);
        } else if (rest === 4) {
          hh = d2(s, i + 1);
          mm = d2(s, i + 3);
        } else if (rest === 2) {
          hh = d2(s, i + 1);
        } else return false;
        if (hh < 0 || hh > 18 || mm < 0 || mm > 59) return false;
        p.zone = 'offset';
        p.off = sign * (hh * 60 + mm);
        i = n;
      } else return false;
    }
  }
  return valid(p);
}

const ZC = { key: -1, day: 0 };

/**
 * The Google layer's usual stamp `YYYY-MM-DDTHH:MM:SSZ` (exactly 20 chars) → UTC ms, with the day
 * number memoised; NaN for anything else (the caller then uses {@link parseIso}).
 */
export function fastUtcZ(s: string): number {
  if (
    s.length !== 20 ||
    s.charCodeAt(19) !== 90 ||
    s.charCodeAt(10) !== 84 ||
    s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45 ||
    s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58
  )
    return NaN;
  const y = d2(s, 0) * 100 + d2(s, 2),
    mo = d2(s, 5),
    d = d2(s, 8),
    h = d2(s, 11),
    mi = d2(s, 14),
    sec = d2(s, 17);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) return NaN;
  const key = (y * 16 + mo) * 32 + d;
  if (key !== ZC.key) {
    ZC.key = key;
    ZC.day = daysFromCivil(y, mo, d);
  }
  return ZC.day * DAY_MS + h * HOUR_MS + mi * MINUTE_MS + sec * 1000;
}

/** UTC offset text `-04:00`, `+0530`, `+05`, `Z` → minutes east, or null. */
export function parseOffsetText(s: string): number | null {
  const t = s.trim();
  if (t === 'Z' || t === 'UTC' || t === '+00:00' || t === '0') return 0;
  const c = t.charCodeAt(0);
  if (c !== 43 && c !== 45) return null;
  const sign = c === 45 ? -1 : 1;
  let hh: number,
    mm = 0;
  if (t.length === 6 && t.charCodeAt(3) === 58) {
    hh = d2(t, 1);
    mm = d2(t, 4);
  } else if (t.length === 5) {
    hh = d2(t, 1);
    mm = d2(t, 3);
  } else if (t.length === 3) {
    hh = d2(t, 1);
  } else return null;
  if (hh < 0 || hh > 18 || mm < 0 || mm > 59) return null;
  return sign * (hh * 60 + mm);
}

/** A number from a CSV cell or a JSON string value; NaN when empty or not a number. */
export function num(s: string | undefined): number {
  if (s === undefined || s.length === 0) return NaN;
  const v = +s;
  if (v === 0 && s.trim().length === 0) return NaN;
  return v;
}

/** Number from a JSON value that may be a number or a numeric string. */
export function jnum(x: unknown): number {
  if (typeof x === 'number') return x;
  if (typeof x === 'string') return num(x);
  return NaN;
}

/**
 * Local wall-clock → instant, in file order. Wraps a LocalSequence (which resolves DST gaps and
 * repeated hours) with a memo per 15-minute local bucket: when the zone has one unambiguous
 * offset over the whole bucket, stamps in it are converted by arithmetic; stamps in a bucket
 * touching a DST change go through the LocalSequence. After such a stretch the sequence is
 * renewed so its "later" mode (second pass of a repeated hour) cannot leak into next year.
 */
export class LocalClock {
  private seq: LocalSequence;
  private bucket = NaN;
  private off = 0;
  private dirty = false;
  constructor(private readonly zone: Zone) {
    this.seq = new LocalSequence(zone);
  }
  next(y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0): { t: number; offset: number } {
    const local = daysFromCivil(y, mo, d) * DAY_MS + h * HOUR_MS + mi * MINUTE_MS + s * 1000 + ms;
    const b = Math.floor(local / BUCKET);
    if (b !== this.bucket) {
      this.bucket = NaN;
      const a = this.zone.fromLocal(y, mo, d, h, Math.floor(mi / 15) * 15, 0, 0, 'earlier');
      const bl = b * BUCKET + BUCKET - 1;
      const e = new Date(bl);
      const z = this.zone.fromLocal(
        e.getUTCFullYear(),
        e.getUTCMonth() + 1,
        e.getUTCDate(),
        e.getUTCHours(),
        e.getUTCMinutes(),
        e.getUTCSeconds(),
        e.getUTCMilliseconds(),
        'earlier',
      );
      if (!a.gap && !a.ambiguous && !z.gap && !z.ambiguous && a.offset === z.offset && a.t === b * BUCKET - a.offset * MINUTE_MS) {
        this.bucket = b;
        this.off = a.offset;
      }
    }
    if (b === this.bucket) {
      if (this.dirty) {
        this.seq = new LocalSequence(this.zone);
        this.dirty = false;
      }
      return { t: local - this.off * MINUTE_MS, offset: this.off };
    }
    this.dirty = true;
    return this.seq.next(y, mo, d, h, mi, s, ms);
  }
}

export function newSequence(zone: Zone): LocalClock {
  return new LocalClock(zone);
}

/** Column index by normalised header name, trying each alias; -1 when absent. */
export function col(header: readonly string[], ...names: string[]): number {
  for (const n of names) {
    const i = header.indexOf(n);
    if (i >= 0) return i;
  }
  return -1;
}

/** The error of a local-time file met without a zone. */
export const NO_ZONE_MESSAGE =
  'the stamps are local time and no time zone is known (no --timezone, no Profile.csv timezone, none stored for the account): pass --timezone <IANA name>, e.g. --timezone America/New_York';

/** Thrown by parsers for whole-file problems (wrong header, no zone for local stamps). */
export class FileFormatError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'FileFormatError';
  }
}

export function requireCols(file: string, header: readonly string[], spec: Record<string, string[]>): Record<string, number> {
  const out: Record<string, number> = {};
  const missing: string[] = [];
  for (const [k, names] of Object.entries(spec)) {
    const i = col(header, ...names);
    if (i < 0) missing.push(names[0] as string);
    out[k] = i;
  }
  if (missing.length) {
    throw new FileFormatError(file, `unexpected CSV header "${clip(header.join(','))}": expected column(s) ${missing.map((m) => `"${m}"`).join(', ')}`);
  }
  return out;
}
