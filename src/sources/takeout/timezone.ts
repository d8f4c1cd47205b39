/**
 * Time-zone conversion for the Takeout importer, using Intl only (no tz library).
 *
 * Offsets are minutes east of UTC (New York in summer = -240). All instants are UTC milliseconds.
 */

const HOUR = 3_600_000;
const MINUTE = 60_000;
const DAY = 86_400_000;

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

function validDateTime(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  return (
    mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo) &&
    h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 59
  );
}

/** Local wall-clock fields read as if they were UTC → "local ms". */
function wallMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  return daysFromCivil(y, mo, d) * DAY + h * HOUR + mi * MINUTE + s * 1000 + ms;
}

export class Zone {
  readonly name: string;
  private readonly fmt: Intl.DateTimeFormat;
  /** hour bucket → offset, or NaN when an offset change happens inside that hour. */
  private readonly cache = new Map<number, number>();
  private lastBucket = Number.NaN;
  private lastOffset = 0;

  /** @throws Error naming the zone if it is not a valid IANA time-zone name. */
  constructor(iana: string) {
    if (typeof iana !== 'string' || iana.trim() === '') {
      throw new Error(`invalid time zone ${JSON.stringify(iana)}: expected an IANA name such as "America/New_York"`);
    }
    try {
      this.fmt = new Intl.DateTimeFormat('en-US', {
        timeZone: iana.trim(),
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        era: 'short',
      });
    } catch {
      throw new Error(`unknown time zone ${JSON.stringify(iana)}: expected an IANA name such as "America/New_York"`);
    }
    this.name = this.fmt.resolvedOptions().timeZone;
  }

  /** Exact offset (minutes east) at an instant, via Intl (slow; whole-second precision). */
  private computeOffset(utcMs: number): number {
    const t = Math.floor(utcMs / 1000) * 1000;
    let y = 0, mo = 1, d = 1, h = 0, mi = 0, s = 0, bc = false;
    for (const p of this.fmt.formatToParts(t)) {
      switch (p.type) {
        case 'year': y = Number(p.value); break;
        case 'month': mo = Number(p.value); break;
        case 'day': d = Number(p.value); break;
        case 'hour': h = Number(p.value) % 24; break;
        case 'minute': mi = Number(p.value); break;
        case 'second': s = Number(p.value); break;
        case 'era': bc = p.value === 'BC' || p.value === 'B'; break;
        default: break;
      }
    }
    if (bc) y = 1 - y;
    return Math.round((wallMs(y, mo, d, h, mi, s, 0) - t) / MINUTE);
  }

  /** Minutes east of UTC at `utcMs`. Cached per UTC hour; exact inside an hour holding a transition. */
  offsetAt(utcMs: number): number {
    const bucket = Math.floor(utcMs / HOUR);
    if (bucket === this.lastBucket) return this.lastOffset;
    let off = this.cache.get(bucket);
    if (off === undefined) {
      const a = this.computeOffset(bucket * HOUR);
      const b = this.computeOffset(bucket * HOUR + HOUR - 1000);
      off = a === b ? a : Number.NaN;
      if (this.cache.size > 500_000) this.cache.clear();
      this.cache.set(bucket, off);
    }
    if (Number.isNaN(off)) return this.computeOffset(utcMs); // transition inside this hour: not cached
    this.lastBucket = bucket;
    this.lastOffset = off;
    return off;
  }

  /**
   * Local wall-clock → UTC. DST gap (non-existent time): shifted forward by the gap (like Temporal
   * 'compatible'), gap=true. Repeated hour: 'earlier' (default) or 'later' offset, ambiguous=true.
   * Month is 1-based. Fields are not range-checked (out-of-range values roll over like Date.UTC).
   */
  fromLocal(
    y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0,
    pick: 'earlier' | 'later' = 'earlier',
  ): { t: number; offset: number; gap: boolean; ambiguous: boolean } {
    const local = mo >= 1 && mo <= 12 ? wallMs(y, mo, d, h, mi, s, ms) : Date.UTC(y, mo - 1, d, h, mi, s, ms);
    const before = this.offsetAt(local - DAY);
    const after = this.offsetAt(local + DAY);
    if (before === after) {
      const t = local - before * MINUTE;
      const o = this.offsetAt(t);
      if (o === before) return { t, offset: o, gap: false, ambiguous: false };
      // Unusual: a transition and its reversal within ±1 day. Fall through to the general path.
    }
    const candidates: number[] = [];
    for (const o of before === after ? [before, this.offsetAt(local)] : [before, after]) {
      const t = local - o * MINUTE;
      if (this.offsetAt(t) === o && !candidates.includes(t)) candidates.push(t);
    }
    candidates.sort((a, b) => a - b);
    if (candidates.length === 0) {
      // Gap: use the offset in force before the transition, which moves the time forward by the gap.
      const t = local - before * MINUTE;
      return { t, offset: this.offsetAt(t), gap: true, ambiguous: false };
    }
    if (candidates.length === 1) {
      const t = candidates[0]!;
      return { t, offset: this.offsetAt(t), gap: false, ambiguous: false };
    }
    const t = pick === 'later' ? candidates[candidates.length - 1]! : candidates[0]!;
    return { t, offset: this.offsetAt(t), gap: false, ambiguous: true };
  }
}

/**
 * Converts a sequence of local stamps in file order; inside a repeated hour it picks 'later' once
 * the local clock goes backwards (so a per-minute series across the fall-back keeps both hours),
 * and counts gaps/ambiguities. Assumes the input is in (roughly) ascending time order: a file
 * sorted descending would be read as "later" throughout a repeated hour.
 */
export class LocalSequence {
  private _gaps = 0;
  private _ambiguous = 0;
  private lastLocal = Number.NEGATIVE_INFINITY;
  private laterMode = false;

  constructor(readonly zone: Zone) {}

  /** Number of stamps that fell in a DST gap (shifted forward). */
  get gaps(): number { return this._gaps; }
  /** Number of stamps that fell in a repeated hour. */
  get ambiguous(): number { return this._ambiguous; }

  next(y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0): { t: number; offset: number } {
    const local = Date.UTC(y, mo - 1, d, h, mi, s, ms);
    const r = this.zone.fromLocal(y, mo, d, h, mi, s, ms, 'earlier');
    if (r.gap) this._gaps++;
    let out: { t: number; offset: number } = { t: r.t, offset: r.offset };
    if (r.ambiguous) {
      this._ambiguous++;
      if (!this.laterMode && local < this.lastLocal) this.laterMode = true;
      if (this.laterMode) {
        const l = this.zone.fromLocal(y, mo, d, h, mi, s, ms, 'later');
        out = { t: l.t, offset: l.offset };
      }
    } else {
      this.laterMode = false;
    }
    this.lastLocal = local;
    return out;
  }
}

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

const UTC_RE =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)$/;

/**
 * '2026-04-06T02:43:45Z', '2026-04-06T02:43:45.123Z', '2026-04-12 05:45:30+0000', '…+00:00',
 * '…-04:00' → UTC ms; null if malformed (including out-of-range fields and stamps without an
 * offset — use {@link parseNaiveStamp} for those). Fast path for the fixed 20-char Z form.
 */
export function parseUtcStamp(s: string): number | null {
  if (s.length === 20 && s.charCodeAt(19) === 90 /* Z */ && s.charCodeAt(10) === 84 /* T */ &&
      s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45 && s.charCodeAt(13) === 58 && s.charCodeAt(16) === 58) {
    const y = d4(s, 0), mo = d2(s, 5), d = d2(s, 8), h = d2(s, 11), mi = d2(s, 14), sec = d2(s, 17);
    if (y < 0 || !validDateTime(y, mo, d, h, mi, sec)) return null;
    return daysFromCivil(y, mo, d) * DAY + h * HOUR + mi * MINUTE + sec * 1000;
  }
  const m = UTC_RE.exec(s.trim());
  if (!m) return null;
  const y = +m[1]!, mo = +m[2]!, d = +m[3]!, h = +m[4]!, mi = +m[5]!, sec = m[6] ? +m[6] : 0;
  if (!validDateTime(y, mo, d, h, mi, sec)) return null;
  const ms = m[7] ? Math.floor(+(m[7] + '00').slice(0, 3)) : 0;
  const off = parseOffset(m[8]!);
  if (off === null) return null;
  return daysFromCivil(y, mo, d) * DAY + h * HOUR + mi * MINUTE + sec * 1000 + ms - off * MINUTE;
}

const OFFSET_RE = /^([+-])(\d{2}):?(\d{2})?$/;
const SECONDS_RE = /^([+-]?\d+(?:\.\d+)?)s$/;

/** '-04:00', '+0530', '+05', '-14400s' (a protobuf Duration), 'Z' / 'UTC' → minutes east; null if malformed. */
export function parseOffset(s: string): number | null {
  const t = s.trim();
  if (t === 'Z' || t === 'z' || t === 'UTC' || t === 'GMT') return 0;
  let m = OFFSET_RE.exec(t);
  if (m) {
    const h = +m[2]!, mi = m[3] ? +m[3] : 0;
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
  const mo = d2(s, 0), d = d2(s, 3);
  const y = yLen === 2 ? (d2(s, 6) < 0 ? -1 : 2000 + d2(s, 6)) : d4(s, 6);
  let h = 0, mi = 0, sec = 0;
  const tp = 6 + yLen;
  if (n > tp) {
    if (s.charCodeAt(tp) !== 32 || s.charCodeAt(tp + 3) !== 58 || s.charCodeAt(tp + 6) !== 58) return null;
    h = d2(s, tp + 1); mi = d2(s, tp + 4); sec = d2(s, tp + 7);
  }
  if (y < 0 || !validDateTime(y, mo, d, h, mi, sec)) return null;
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
  const y = +m[1]!, mo = +m[2]!, d = +m[3]!;
  const h = m[4] ? +m[4] : 0, mi = m[5] ? +m[5] : 0, sec = m[6] ? +m[6] : 0;
  if (!validDateTime(y, mo, d, h, mi, sec)) return null;
  const ms = m[7] ? Math.floor(+(m[7] + '00').slice(0, 3)) : 0;
  return [y, mo, d, h, mi, sec, ms];
}
