/**
 * Takeout stamp formats (UTC stamps with an offset, protobuf-style offsets, the legacy
 * `MM/DD/YY HH:MM:SS` and naive local stamps) parsed into instants or wall-clock fields. Zones,
 * offsets and calendar arithmetic live in src/time.
 */
import { DAY_MS, HOUR_MS, MINUTE_MS, daysFromCivil, isValidDateTime } from '../../time/index.js';

// ---------------------------------------------------------------- stamp parsing

function d2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

function d4(s: string, i: number): number {
  const a = d2(s, i);
  const b = d2(s, i + 2);
  return a < 0 || b < 0 ? -1 : a * 100 + b;
}

const UTC_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)$/;

/**
 * '2026-04-06T02:43:45Z', '2026-04-06T02:43:45.123Z', '2026-04-12 05:45:30+0000', '…+00:00',
 * '…-04:00' → UTC ms; null if malformed (including out-of-range fields and stamps without an
 * offset — use {@link parseNaiveStamp} for those). Fast path for the fixed 20-char Z form.
 */
export function parseUtcStamp(s: string): number | null {
  if (
    s.length === 20 &&
    s.charCodeAt(19) === 90 /* Z */ &&
    s.charCodeAt(10) === 84 /* T */ &&
    s.charCodeAt(4) === 45 &&
    s.charCodeAt(7) === 45 &&
    s.charCodeAt(13) === 58 &&
    s.charCodeAt(16) === 58
  ) {
    const y = d4(s, 0),
      mo = d2(s, 5),
      d = d2(s, 8),
      h = d2(s, 11),
      mi = d2(s, 14),
      sec = d2(s, 17);
    if (y < 0 || !isValidDateTime(y, mo, d, h, mi, sec)) return null;
    return daysFromCivil(y, mo, d) * DAY_MS + h * HOUR_MS + mi * MINUTE_MS + sec * 1000;
  }
  const m = UTC_RE.exec(s.trim());
  if (!m) return null;
  const y = +m[1]!,
    mo = +m[2]!,
    d = +m[3]!,
    h = +m[4]!,
    mi = +m[5]!,
    sec = m[6] ? +m[6] : 0;
  if (!isValidDateTime(y, mo, d, h, mi, sec)) return null;
  const ms = m[7] ? Math.floor(+(m[7] + '00').slice(0, 3)) : 0;
  const off = parseOffset(m[8]!);
  if (off === null) return null;
  return daysFromCivil(y, mo, d) * DAY_MS + h * HOUR_MS + mi * MINUTE_MS + sec * 1000 + ms - off * MINUTE_MS;
}

const OFFSET_RE = /^([+-])(\d{2}):?(\d{2})?$/;
const SECONDS_RE = /^([+-]?\d+(?:\.\d+)?)s$/;

/** '-04:00', '+0530', '+05', '-14400s' (a protobuf Duration), 'Z' / 'UTC' → minutes east; null if malformed. */
export function parseOffset(s: string): number | null {
  const t = s.trim();
  if (t === 'Z' || t === 'z' || t === 'UTC' || t === 'GMT') return 0;
  let m = OFFSET_RE.exec(t);
  if (m) {
    const h = +m[2]!,
      mi = m[3] ? +m[3] : 0;
    if (h > 18 || mi > 59) return null;
    return (m[1] === '-' ? -1 : 1) * (h * 60 + mi);
  }
  m = SECONDS_RE.exec(t);
  if (m) {
    const sec = +m[1]!;
    if (!Number.isFinite(sec) || Math.abs(sec) > 18 * 3600) return null;
    return Math.round(sec / 60);
  }
  return null;
}

/**
 * 'MM/DD/YY HH:MM:SS' (years 20YY) → [y, mo, d, h, mi, s]; also accepts a 4-digit year and a
 * date without time ('03/19/26' → midnight). null if malformed.
 */
export function parseLegacyStamp(s: string): [number, number, number, number, number, number] | null {
  const n = s.length;
  let yLen: number;
  if (n === 17 || n === 8) yLen = 2;
  else if (n === 19 || n === 10) yLen = 4;
  else return null;
  if (s.charCodeAt(2) !== 47 || s.charCodeAt(5) !== 47) return null;
  const mo = d2(s, 0),
    d = d2(s, 3);
  const y = yLen === 2 ? (d2(s, 6) < 0 ? -1 : 2000 + d2(s, 6)) : d4(s, 6);
  let h = 0,
    mi = 0,
    sec = 0;
  const tp = 6 + yLen;
  if (n > tp) {
    if (s.charCodeAt(tp) !== 32 || s.charCodeAt(tp + 3) !== 58 || s.charCodeAt(tp + 6) !== 58) return null;
    h = d2(s, tp + 1);
    mi = d2(s, tp + 4);
    sec = d2(s, tp + 7);
  }
  if (y < 0 || !isValidDateTime(y, mo, d, h, mi, sec)) return null;
  return [y, mo, d, h, mi, sec];
}

const NAIVE_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(.*)$/;

/**
 * '2026-04-14T04:26:30.000', '2026-04-02T13:14', '2026-04-13', '2026-04-12 05:45:30' →
 * [y, mo, d, h, mi, s, ms]; null if malformed or if it carries a zone suffix ('Z', '+00:00'),
 * unless `ignoreSuffix` is true (for files such as sleep_score.csv whose 'Z' stamps are local).
 */
export function parseNaiveStamp(s: string, ignoreSuffix = false): [number, number, number, number, number, number, number] | null {
  const m = NAIVE_RE.exec(s.trim());
  if (!m) return null;
  const rest = m[8]!;
  if (rest !== '') {
    if (!ignoreSuffix) return null;
    const r = rest.trim();
    if (!(r === 'Z' || r === 'z' || (m[4] !== undefined && parseOffset(r) !== null))) return null;
  }
  const y = +m[1]!,
    mo = +m[2]!,
    d = +m[3]!;
  const h = m[4] ? +m[4] : 0,
    mi = m[5] ? +m[5] : 0,
    sec = m[6] ? +m[6] : 0;
  if (!isValidDateTime(y, mo, d, h, mi, sec)) return null;
  const ms = m[7] ? Math.floor(+(m[7] + '00').slice(0, 3)) : 0;
  return [y, mo, d, h, mi, sec, ms];
}
