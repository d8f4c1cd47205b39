/**
 * IANA time zones through Intl only (no tz library): the offset in force at an instant, local
 * wall-clock → instant (DST gaps and repeated hours resolved explicitly), local dates and days.
 *
 * Offsets are minutes east of UTC (New York in summer = -240). All instants are UTC milliseconds.
 */
import { DAY_MS, HOUR_MS, MINUTE_MS } from './constants.js';
import { wallClockMs } from './dates.js';
import { clip } from '../util/clip.js';

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
      throw new Error(
        `invalid time zone ${typeof iana === 'string' ? JSON.stringify(clip(iana)) : String(iana)}: expected an IANA name such as "America/New_York"`,
      );
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
      throw new Error(`unknown time zone ${JSON.stringify(clip(iana))}: expected an IANA name such as "America/New_York"`);
    }
    this.name = this.fmt.resolvedOptions().timeZone;
  }

  /** Exact offset (minutes east) at an instant, via Intl (slow; whole-second precision). */
  private computeOffset(utcMs: number): number {
    const t = Math.floor(utcMs / 1000) * 1000;
    let y = 0,
      mo = 1,
      d = 1,
      h = 0,
      mi = 0,
      s = 0,
      bc = false;
    for (const p of this.fmt.formatToParts(t)) {
      switch (p.type) {
        case 'year':
          y = Number(p.value);
          break;
        case 'month':
          mo = Number(p.value);
          break;
        case 'day':
          d = Number(p.value);
          break;
        case 'hour':
          h = Number(p.value) % 24;
          break;
        case 'minute':
          mi = Number(p.value);
          break;
        case 'second':
          s = Number(p.value);
          break;
        case 'era':
          bc = p.value === 'BC' || p.value === 'B';
          break;
        default:
          break;
      }
    }
    if (bc) y = 1 - y;
    return Math.round((wallClockMs(y, mo, d, h, mi, s, 0) - t) / MINUTE_MS);
  }

  /** Minutes east of UTC at `utcMs`. Cached per UTC hour; exact inside an hour holding a transition. */
  offsetAt(utcMs: number): number {
    const bucket = Math.floor(utcMs / HOUR_MS);
    if (bucket === this.lastBucket) return this.lastOffset;
    let off = this.cache.get(bucket);
    if (off === undefined) {
      const a = this.computeOffset(bucket * HOUR_MS);
      const b = this.computeOffset(bucket * HOUR_MS + HOUR_MS - 1000);
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
    y: number,
    mo: number,
    d: number,
    h: number,
    mi: number,
    s: number,
    ms = 0,
    pick: 'earlier' | 'later' = 'earlier',
  ): { t: number; offset: number; gap: boolean; ambiguous: boolean } {
    const local = mo >= 1 && mo <= 12 ? wallClockMs(y, mo, d, h, mi, s, ms) : Date.UTC(y, mo - 1, d, h, mi, s, ms);
    return this.fromWallClock(local, pick);
  }

  /** {@link fromLocal} of a wall-clock time given as "local ms" (the local fields read as if they were UTC). */
  fromWallClock(local: number, pick: 'earlier' | 'later' = 'earlier'): { t: number; offset: number; gap: boolean; ambiguous: boolean } {
    const before = this.offsetAt(local - DAY_MS);
    const after = this.offsetAt(local + DAY_MS);
    if (before === after) {
      const t = local - before * MINUTE_MS;
      const o = this.offsetAt(t);
      if (o === before) return { t, offset: o, gap: false, ambiguous: false };
      // Unusual: a transition and its reversal within ±1 day. Fall through to the general path.
    }
    const candidates: number[] = [];
    for (const o of before === after ? [before, this.offsetAt(local)] : [before, after]) {
      const t = local - o * MINUTE_MS;
      if (this.offsetAt(t) === o && !candidates.includes(t)) candidates.push(t);
    }
    candidates.sort((a, b) => a - b);
    if (candidates.length === 0) {
      // Gap: use the offset in force before the transition, which moves the time forward by the gap.
      const t = local - before * MINUTE_MS;
      return { t, offset: this.offsetAt(t), gap: true, ambiguous: false };
    }
    if (candidates.length === 1) {
      const t = candidates[0]!;
      return { t, offset: this.offsetAt(t), gap: false, ambiguous: false };
    }
    const t = pick === 'later' ? candidates[candidates.length - 1]! : candidates[0]!;
    return { t, offset: this.offsetAt(t), gap: false, ambiguous: true };
  }

  /** `YYYY-MM-DD` of the local day holding `t`. */
  localDate(t: number): string {
    return new Date(t + this.offsetAt(t) * MINUTE_MS).toISOString().slice(0, 10);
  }

  /**
   * Local midnight of a date (month 1-based): its instant and offset. When midnight falls in a DST
   * gap, the instant is shifted forward by the gap (see {@link fromLocal}).
   */
  midnight(y: number, mo: number, d: number): { t: number; offset: number } {
    const r = this.fromLocal(y, mo, d, 0, 0, 0, 0, 'earlier');
    return { t: r.t, offset: r.offset };
  }

  /** Instant of local midnight of a `YYYY-MM-DD` date (not validated). */
  midnightOfDate(date: string): number {
    const [y, m, d] = date.split('-').map(Number) as [number, number, number];
    return this.fromLocal(y, m, d, 0, 0, 0, 0, 'earlier').t;
  }

  /**
   * The local day holding `t`: its date and bounds [start, end) in UTC ms. A day whose midnight
   * falls in a DST gap starts at the first instant that exists.
   */
  dayAt(t: number): { date: string; start: number; end: number } {
    const local = new Date(t + this.offsetAt(t) * MINUTE_MS);
    const y = local.getUTCFullYear();
    const m = local.getUTCMonth() + 1;
    const d = local.getUTCDate();
    let start = this.fromLocal(y, m, d, 0, 0, 0).t;
    let end = this.fromLocal(y, m, d + 1, 0, 0, 0).t;
    if (start > t) start = t;
    if (end <= t) end = t + 1;
    return { date: local.toISOString().slice(0, 10), start, end };
  }
}

/** True for a time zone name Intl knows (IANA names such as `Europe/Berlin`, plus `UTC`). */
export function isValidTimeZone(tz: string): boolean {
  if (tz.length === 0) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const zones = new Map<string, Zone | null>();

function cachedZone(name: string): Zone | null {
  let z = zones.get(name);
  if (z === undefined) {
    try {
      z = new Zone(name);
    } catch {
      z = null;
    }
    zones.set(name, z);
  }
  return z;
}

/**
 * The Zone of an IANA name, shared per name (so its offset cache is reused).
 * @throws Error naming the zone if it is not a valid IANA time-zone name.
 */
export function zoneNamed(name: string): Zone {
  return cachedZone(name) ?? new Zone(name);
}

/** Minutes east of UTC in force in the zone `name` at `t`; null for an unknown zone. */
export function zoneOffset(name: string, t: number): number | null {
  const z = cachedZone(name);
  return z === null ? null : z.offsetAt(t);
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
  get gaps(): number {
    return this._gaps;
  }
  /** Number of stamps that fell in a repeated hour. */
  get ambiguous(): number {
    return this._ambiguous;
  }

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
