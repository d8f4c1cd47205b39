/** Time-zone and stamp helpers for the synthetic generator (DST correct, via Intl). */

const MIN = 60_000;
const DAY = 86_400_000;

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let f = offsetFormatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: timezone, timeZoneName: 'longOffset', year: 'numeric' });
    offsetFormatters.set(timezone, f);
  }
  return f;
}

/** UTC offset (minutes east of UTC) in force in `timezone` at instant `t` (UTC ms). */
export function offsetAt(timezone: string, t: number): number {
  const part = formatterFor(timezone).formatToParts(new Date(t)).find((p) => p.type === 'timeZoneName');
  const s = part?.value ?? 'GMT';
  const m = /^GMT(?:([+-])(\d{1,2})(?::?(\d{2}))?)?$/.exec(s);
  if (!m) throw new Error(`cannot read the UTC offset of ${timezone}: "${s}"`);
  if (!m[1]) return 0;
  const v = Number(m[2]) * 60 + Number(m[3] ?? 0);
  return m[1] === '-' ? -v : v;
}

/** Parses `YYYY-MM-DD` into days since 1970-01-01. */
export function dayNumber(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new Error(`expected a date YYYY-MM-DD, got "${date}"`);
  return Math.floor(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY);
}

/** Days since 1970-01-01 → `YYYY-MM-DD`. */
export function dateOfDay(day: number): string {
  return new Date(day * DAY).toISOString().slice(0, 10);
}

export function addDays(date: string, n: number): string {
  return dateOfDay(dayNumber(date) + n);
}

/** UTC instant of a local wall-clock time (`minutes` after local midnight of `date`). In a gap the time moves forward; in an overlap the earlier instant wins. */
export function localToUtc(timezone: string, date: string, minutes: number): number {
  const naive = dayNumber(date) * DAY + Math.round(minutes * MIN);
  const before = offsetAt(timezone, naive - 14 * 3_600_000);
  const after = offsetAt(timezone, naive + 14 * 3_600_000);
  let best = Number.POSITIVE_INFINITY;
  for (const o of [before, after]) {
    const t = naive - o * MIN;
    if (offsetAt(timezone, t) === o && t < best) best = t;
  }
  return Number.isFinite(best) ? best : naive - before * MIN;
}

/** A piecewise-constant offset function for a span with at most a few transitions. */
export class OffsetMap {
  /** Instants where the offset changes, and the offset from there on. */
  private readonly at: number[] = [];
  private readonly off: number[] = [];
  constructor(timezone: string, from: number, to: number) {
    let o = offsetAt(timezone, from);
    this.at.push(from);
    this.off.push(o);
    // scan in 1-hour steps, bisect to the minute on change
    for (let t = from; t < to; ) {
      const nt = Math.min(t + 3_600_000, to);
      const no = offsetAt(timezone, nt);
      if (no !== o) {
        let lo = t, hi = nt; // offset(lo) = o, offset(hi) = no
        while (hi - lo > 1000) {
          const mid = Math.floor((lo + hi) / 2000) * 1000;
          if (mid <= lo) break;
          if (offsetAt(timezone, mid) === o) lo = mid; else hi = mid;
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
    const dt = new Date(day * DAY);
    this.day = day;
    this.y = String(dt.getUTCFullYear());
    this.mo = p2(dt.getUTCMonth() + 1);
    this.d = p2(dt.getUTCDate());
  }
}
const cache = new DayCache();

function parts(ms: number): { hms: string; hm: string } {
  const s = Math.floor((((ms % DAY) + DAY) % DAY) / 1000);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const hm = `${p2(h)}:${p2(m)}`;
  return { hms: `${hm}:${p2(sec)}`, hm };
}

/** `MM/DD/YY HH:MM:SS` of the wall clock `ms` (already shifted to the wanted zone). */
export function fmtFitbit(ms: number): string {
  cache.set(Math.floor(ms / DAY));
  return `${cache.mo}/${cache.d}/${cache.y.slice(2)} ${parts(ms).hms}`;
}
/** `MM/DD/YY` */
export function fmtFitbitDate(ms: number): string {
  cache.set(Math.floor(ms / DAY));
  return `${cache.mo}/${cache.d}/${cache.y.slice(2)}`;
}
/** `YYYY-MM-DDTHH:MM:SS` (naive) */
export function fmtIsoNaive(ms: number): string {
  cache.set(Math.floor(ms / DAY));
  return `${cache.y}-${cache.mo}-${cache.d}T${parts(ms).hms}`;
}
/** `YYYY-MM-DDTHH:MM` (naive, minutes) */
export function fmtIsoNaiveMinutes(ms: number): string {
  cache.set(Math.floor(ms / DAY));
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
/** `-04:00` style offset. */
export function fmtOffset(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const a = Math.abs(offsetMinutes);
  return `${sign}${p2(Math.floor(a / 60))}:${p2(a % 60)}`;
}
/** UTC date `YYYY-MM-DD` of an instant (or of a shifted wall clock). */
export function isoDate(ms: number): string {
  cache.set(Math.floor(ms / DAY));
  return `${cache.y}-${cache.mo}-${cache.d}`;
}

export { MIN, DAY };
