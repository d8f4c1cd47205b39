/** Local-time and stamp helpers for the synthetic generator (zones and dates: src/time). */
import { DAY_MS, HOUR_MS, MINUTE_MS, dayNumber, zoneNamed } from '../time/index.js';

/** UTC instant of a local wall-clock time (`minutes` after local midnight of `date`). In a gap the time moves forward; in an overlap the earlier instant wins. */
export function localToUtc(timezone: string, date: string, minutes: number): number {
  return zoneNamed(timezone).fromWallClock(dayNumber(date) * DAY_MS + Math.round(minutes * MINUTE_MS)).t;
}

/** A piecewise-constant offset function for a span with at most a few transitions. */
export class OffsetMap {
  /** Instants where the offset changes, and the offset from there on. */
  private readonly at: number[] = [];
  private readonly off: number[] = [];
  constructor(timezone: string, from: number, to: number) {
    const zone = zoneNamed(timezone);
    let o = zone.offsetAt(from);
    this.at.push(from);
    this.off.push(o);
    // scan in 1-hour steps, bisect to the minute on change
    for (let t = from; t < to;) {
      const nt = Math.min(t + HOUR_MS, to);
      const no = zone.offsetAt(nt);
      if (no !== o) {
        let lo = t,
          hi = nt; // offset(lo) = o, offset(hi) = no
        while (hi - lo > 1000) {
          const mid = Math.floor((lo + hi) / 2000) * 1000;
          if (mid <= lo) break;
          if (zone.offsetAt(mid) === o) lo = mid;
          else hi = mid;
        }
        this.at.push(hi);
        this.off.push(no);
        o = no;
      }
      t = nt;
    }
  }
  get(t: number): number {
    let i = this.at.length - 1;
    while (i > 0 && t < (this.at[i] as number)) i--;
    return this.off[i] as number;
  }
}

function p2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

/**
 * Wall-clock fields of `t + offsetMinutes`; cached per day so formatting millions of stamps is cheap.
 */
class DayCache {
  day = Number.NaN;
  y = '';
  mo = '';
  d = '';
  set(day: number): void {
    if (day === this.day) return;
    const dt = new Date(day * DAY_MS);
    this.day = day;
    this.y = String(dt.getUTCFullYear());
    this.mo = p2(dt.getUTCMonth() + 1);
    this.d = p2(dt.getUTCDate());
  }
}
const cache = new DayCache();

function parts(ms: number): { hms: string; hm: string } {
  const s = Math.floor((((ms % DAY_MS) + DAY_MS) % DAY_MS) / 1000);
  const h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60),
    sec = s % 60;
  const hm = `${p2(h)}:${p2(m)}`;
  return { hms: `${hm}:${p2(sec)}`, hm };
}

/** `MM/DD/YY HH:MM:SS` of the wall clock `ms` (already shifted to the wanted zone). */
export function fmtFitbit(ms: number): string {
  cache.set(Math.floor(ms / DAY_MS));
  return `${cache.mo}/${cache.d}/${cache.y.slice(2)} ${parts(ms).hms}`;
}
/** `MM/DD/YY` */
export function fmtFitbitDate(ms: number): string {
  cache.set(Math.floor(ms / DAY_MS));
  return `${cache.mo}/${cache.d}/${cache.y.slice(2)}`;
}
/** `YYYY-MM-DDTHH:MM:SS` (naive) */
export function fmtIsoNaive(ms: number): string {
  cache.set(Math.floor(ms / DAY_MS));
  return `${cache.y}-${cache.mo}-${cache.d}T${parts(ms).hms}`;
}
/** `YYYY-MM-DDTHH:MM` (naive, minutes) */
export function fmtIsoNaiveMinutes(ms: number): string {
  cache.set(Math.floor(ms / DAY_MS));
  return `${cache.y}-${cache.mo}-${cache.d}T${parts(ms).hm}`;
}
/** `YYYY-MM-DDTHH:MM:SSZ` of a UTC instant. */
export function fmtIsoZ(t: number): string {
  return `${fmtIsoNaive(t)}Z`;
}
/** `YYYY-MM-DD HH:MM:SS+0000` of a UTC instant. */
export function fmtSpaceUtc(t: number): string {
  return `${fmtIsoNaive(t).replace('T', ' ')}+0000`;
}
/** `YYYY-MM-DDTHH:MM:SS.000` local (Fitbit sleep log style). */
export function fmtSleepLocal(ms: number): string {
  return `${fmtIsoNaive(ms)}.000`;
}
/** UTC date `YYYY-MM-DD` of an instant (or of a shifted wall clock). */
export function isoDate(ms: number): string {
  cache.set(Math.floor(ms / DAY_MS));
  return `${cache.y}-${cache.mo}-${cache.d}`;
}
