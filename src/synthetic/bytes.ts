/** A growable byte buffer with allocation-free writers for the hot paths (stamps, integers). */
import { DAY_MS } from '../time/index.js';

export class Bytes {
  buf: Buffer;
  len = 0;
  constructor(capacity = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(capacity);
  }
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const nb = Buffer.allocUnsafe(cap);
    this.buf.copy(nb, 0, 0, this.len);
    this.buf = nb;
  }
  /** Any string (UTF-8). */
  str(s: string): this {
    this.ensure(s.length * 3);
    this.len += this.buf.write(s, this.len, 'utf8');
    return this;
  }
  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }
  byte(c: number): this {
    this.ensure(1);
    this.buf[this.len++] = c;
    return this;
  }
  /** Two digits, zero padded. */
  d2(n: number): this {
    this.ensure(2);
    this.buf[this.len++] = 48 + ((n / 10) | 0);
    this.buf[this.len++] = 48 + (n % 10);
    return this;
  }
  /** A non-negative integer. */
  uint(n: number): this {
    if (n < 10) return this.byte(48 + n);
    if (n < 100) return this.d2(n);
    return this.str(String(n));
  }
  /** The content (a view, not a copy). */
  data(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

/** Per-day cache of encoded date prefixes. */
class DatePrefix {
  private day = Number.NaN;
  private fitbit = Buffer.alloc(0);
  private iso = Buffer.alloc(0);
  private set(day: number): void {
    if (day === this.day) return;
    this.day = day;
    const d = new Date(day * DAY_MS).toISOString();
    this.iso = Buffer.from(`${d.slice(0, 10)}T`, 'latin1');
    this.fitbit = Buffer.from(`${d.slice(5, 7)}/${d.slice(8, 10)}/${d.slice(2, 4)} `, 'latin1');
  }
  fitbitOf(ms: number): Buffer {
    this.set(Math.floor(ms / DAY_MS));
    return this.fitbit;
  }
  isoOf(ms: number): Buffer {
    this.set(Math.floor(ms / DAY_MS));
    return this.iso;
  }
}
const prefix = new DatePrefix();

function hms(w: Bytes, ms: number): void {
  const s = Math.floor((((ms % DAY_MS) + DAY_MS) % DAY_MS) / 1000);
  w.d2((s / 3600) | 0)
    .byte(58)
    .d2(((s % 3600) / 60) | 0)
    .byte(58)
    .d2(s % 60);
}

/** `MM/DD/YY HH:MM:SS` of a wall clock `ms`. */
export function writeFitbitStamp(w: Bytes, ms: number): void {
  w.bytes(prefix.fitbitOf(ms));
  hms(w, ms);
}

/** `YYYY-MM-DDTHH:MM:SSZ` of a UTC instant. */
export function writeIsoZ(w: Bytes, t: number): void {
  w.bytes(prefix.isoOf(t));
  hms(w, t);
  w.byte(90);
}
