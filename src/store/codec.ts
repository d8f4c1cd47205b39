/**
 * Block codec: a sorted run of samples (strictly increasing instants) <-> a compact Buffer.
 *
 * Layout (format version 1):
 *   byte 0      version (1)
 *   bytes 1..   deflateRaw of the body:
 *     varint    n (number of samples)
 *     -- when n > 0 --
 *     zvarint   t[0] (UTC ms; zigzag so pre-1970 instants work)
 *     varint    g: GCD of the time deltas (1 when n == 1)
 *     varint*   (t[i] - t[i-1]) / g for i = 1..n-1
 *     varint    r: number of offset runs
 *     r ×       varint count, zvarint offset (minutes east)
 *     byte      value mode: k in 0..6 = values are exact integers v·10^k, zigzag-delta varints;
 *               255 = raw float64 little-endian (fallback)
 *     ...       values
 *
 * Lossless: decode(encode(x)) deep-equals x. The scaled-integer mode is used only when every
 * value survives the round trip exactly (round(v·10^k) / 10^k === v); -0 forces the float mode.
 */
import { deflateRawSync, inflateRawSync, constants as zc } from 'node:zlib';
import type { Sample } from './types.js';

export const CODEC_VERSION = 1;
const MODE_FLOAT = 255;
const POW10 = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000] as const;
/** Scaled integers stay within ±2^51 so that deltas and their zigzag stay exact doubles. */
const MAX_SCALED = 2 ** 51;

/** Columnar form of a block. Only the first `n` entries of each array are meaningful. */
export interface Columns {
  n: number;
  t: Float64Array;
  offset: Int32Array;
  v: Float64Array;
}

export class CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecError';
  }
}

// ---- varints ---------------------------------------------------------------------------------

class Writer {
  buf: Buffer;
  pos = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  /** Unsigned varint of a non-negative safe integer (caller ensured capacity: ≤ 8 bytes). */
  uv(x: number): void {
    const b = this.buf;
    let p = this.pos;
    if (x < 0x80000000) {
      while (x >= 0x80) {
        b[p++] = (x & 0x7f) | 0x80;
        x >>>= 7;
      }
      b[p++] = x;
    } else {
      while (x >= 0x80) {
        b[p++] = (x % 128) | 0x80;
        x = Math.floor(x / 128);
      }
      b[p++] = x;
    }
    this.pos = p;
  }
  zv(x: number): void {
    this.uv(x >= 0 ? x * 2 : -x * 2 - 1);
  }
}

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  uv(): number {
    const b = this.buf;
    let p = this.pos;
    let x = 0;
    let mul = 1;
    for (;;) {
      if (p >= b.length) throw new CodecError('codec: block truncated (varint runs past the end)');
      const c = b[p++]!;
      x += (c & 0x7f) * mul;
      if (c < 0x80) break;
      mul *= 128;
      if (mul > 2 ** 56) throw new CodecError('codec: corrupt varint');
    }
    this.pos = p;
    return x;
  }
  zv(): number {
    const u = this.uv();
    // zigzag decode without 32-bit wraparound
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }
  byte(): number {
    if (this.pos >= this.buf.length) throw new CodecError('codec: block truncated');
    return this.buf[this.pos++]!;
  }
}

function gcd(a: number, b: number): number {
  while (b !== 0) {
    const r = a % b;
    a = b;
    b = r;
  }
  return a;
}

// ---- value scaling ---------------------------------------------------------------------------

function fitsScale(x: number, k: number): boolean {
  const p = POW10[k]!;
  const r = Math.round(x * p);
  return r / p === x && Math.abs(r) <= MAX_SCALED;
}

/** Smallest k in 0..6 with every value an exact v·10^k integer, or -1 (use float64). */
export function chooseScale(v: Float64Array, n: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) {
    const x = v[i]!;
    if (x === 0) {
      if (1 / x < 0) return -1; // -0 would not survive the integer path
      continue;
    }
    while (!fitsScale(x, k)) {
      if (++k > 6) return -1;
    }
  }
  // A value accepted at a smaller k is almost always exact at a larger one too; check to be sure.
  if (k > 0) {
    for (let i = 0; i < n; i++) if (!fitsScale(v[i]!, k)) return -1;
  }
  return k;
}

// ---- encode ----------------------------------------------------------------------------------

function checkColumns(c: Columns): void {
  const { n, t, offset, v } = c;
  if (!Number.isInteger(n) || n < 0 || n > t.length || n > offset.length || n > v.length) {
    throw new CodecError(`codec: bad column length ${n}`);
  }
  let prev = -Infinity;
  for (let i = 0; i < n; i++) {
    const ti = t[i]!;
    if (!Number.isSafeInteger(ti)) throw new CodecError(`codec: sample ${i}: instant must be an integer number of ms, got ${ti}`);
    if (ti <= prev) throw new CodecError(`codec: sample ${i}: instants must be strictly increasing (${ti} after ${prev})`);
    prev = ti;
    const vi = v[i]!;
    if (!Number.isFinite(vi)) throw new CodecError(`codec: sample ${i} at ${ti}: value must be a finite number, got ${vi}`);
  }
}

export interface EncodeOptions {
  /** zlib level (default 4: within ~2 % of level 6 in size, about twice as fast). */
  level?: number;
}

/** Encodes columns (instants strictly increasing, values finite). */
export function encodeColumns(c: Columns, opts: EncodeOptions = {}): Buffer {
  checkColumns(c);
  const { n, t, offset, v } = c;
  const w = new Writer(32 + n * 12);
  w.uv(n);
  if (n > 0) {
    w.zv(t[0]!);
    let g = 0;
    for (let i = 1; i < n; i++) {
      g = gcd(t[i]! - t[i - 1]!, g);
      if (g === 1) break;
    }
    if (g === 0) g = 1;
    w.uv(g);
    w.ensure(n * 8);
    if (g === 1) {
      for (let i = 1; i < n; i++) w.uv(t[i]! - t[i - 1]!);
    } else {
      for (let i = 1; i < n; i++) w.uv((t[i]! - t[i - 1]!) / g);
    }
    // offsets: runs
    let runs = 1;
    for (let i = 1; i < n; i++) if (offset[i] !== offset[i - 1]) runs++;
    w.ensure(10 + runs * 16);
    w.uv(runs);
    let start = 0;
    for (let i = 1; i <= n; i++) {
      if (i === n || offset[i] !== offset[start]) {
        w.uv(i - start);
        const o = offset[start]!;
        w.zv(o);
        start = i;
      }
    }
    // values
    const k = chooseScale(v, n);
    w.ensure(1 + n * 9);
    if (k < 0) {
      w.buf[w.pos++] = MODE_FLOAT;
      for (let i = 0; i < n; i++) {
        w.buf.writeDoubleLE(v[i]!, w.pos);
        w.pos += 8;
      }
    } else {
      w.buf[w.pos++] = k;
      const p = POW10[k]!;
      let prev = 0;
      for (let i = 0; i < n; i++) {
        const r = k === 0 ? v[i]! : Math.round(v[i]! * p);
        const d = r - prev;
        prev = r;
        // inline zigzag + fast path
        if (d > -0x40000000 && d < 0x40000000) {
          let z = (d << 1) ^ (d >> 31);
          const b = w.buf;
          let pos = w.pos;
          while (z >= 0x80) {
            b[pos++] = (z & 0x7f) | 0x80;
            z >>>= 7;
          }
          b[pos++] = z;
          w.pos = pos;
        } else {
          w.zv(d);
        }
      }
    }
  }
  const body = w.buf.subarray(0, w.pos);
  const z = deflateRawSync(body, { level: opts.level ?? 4, strategy: zc.Z_DEFAULT_STRATEGY });
  const out = Buffer.allocUnsafe(z.length + 1);
  out[0] = CODEC_VERSION;
  z.copy(out, 1);
  return out;
}

// ---- decode ----------------------------------------------------------------------------------

/** Decodes a block into columns (exactly sized). */
export function decodeColumns(data: Uint8Array): Columns {
  if (data.length < 1) throw new CodecError('codec: empty block');
  const version = data[0];
  if (version !== CODEC_VERSION) {
    throw new CodecError(`codec: block format version ${version} is not supported (this program reads version ${CODEC_VERSION}); upgrade fitbit-bridge`);
  }
  let body: Buffer;
  try {
    body = inflateRawSync(data.subarray(1));
  } catch (e) {
    throw new CodecError(`codec: corrupt block (${(e as Error).message})`);
  }
  const r = new Reader(body);
  const n = r.uv();
  if (n > body.length * 8 + 1) throw new CodecError(`codec: corrupt block (n = ${n})`);
  const t = new Float64Array(n);
  const offset = new Int32Array(n);
  const v = new Float64Array(n);
  if (n === 0) return { n, t, offset, v };
  let cur = r.zv();
  t[0] = cur;
  const g = r.uv();
  const b = body;
  let p = r.pos;
  for (let i = 1; i < n; i++) {
    // inline varint (fast path ≤ 4 bytes)
    let c = b[p++]!;
    let x = c & 0x7f;
    if (c >= 0x80) {
      c = b[p++]!;
      x |= (c & 0x7f) << 7;
      if (c >= 0x80) {
        r.pos = p - 2;
        x = r.uv();
        p = r.pos;
      }
    }
    if (p > b.length) throw new CodecError('codec: block truncated (instants)');
    cur += x * g;
    t[i] = cur;
  }
  r.pos = p;
  const runs = r.uv();
  let i = 0;
  for (let k = 0; k < runs; k++) {
    const count = r.uv();
    const o = r.zv();
    if (i + count > n) throw new CodecError('codec: corrupt block (offset runs exceed n)');
    offset.fill(o, i, i + count);
    i += count;
  }
  if (i !== n) throw new CodecError('codec: corrupt block (offset runs short of n)');
  const mode = r.byte();
  if (mode === MODE_FLOAT) {
    if (r.pos + n * 8 > b.length) throw new CodecError('codec: block truncated (values)');
    for (let j = 0; j < n; j++) v[j] = b.readDoubleLE(r.pos + j * 8);
  } else if (mode <= 6) {
    const pk = POW10[mode]!;
    let prev = 0;
    p = r.pos;
    for (let j = 0; j < n; j++) {
      let c = b[p++]!;
      let z = c & 0x7f;
      let d: number;
      if (c >= 0x80) {
        c = b[p++]!;
        z |= (c & 0x7f) << 7;
        if (c >= 0x80) {
          r.pos = p - 2;
          d = r.zv();
          p = r.pos;
        } else {
          d = (z >>> 1) ^ -(z & 1);
        }
      } else {
        d = (z >>> 1) ^ -(z & 1);
      }
      prev += d;
      v[j] = mode === 0 ? prev : prev / pk;
    }
    if (p > b.length) throw new CodecError('codec: block truncated (values)');
    r.pos = p;
  } else {
    throw new CodecError(`codec: corrupt block (value mode ${mode})`);
  }
  return { n, t, offset, v };
}

// ---- Sample[] convenience ---------------------------------------------------------------------

/** Columns from samples (no sorting; encode checks the order). */
export function toColumns(samples: readonly Sample[]): Columns {
  const n = samples.length;
  const t = new Float64Array(n);
  const offset = new Int32Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = samples[i]!;
    if (!Number.isInteger(s.offset)) throw new CodecError(`codec: sample ${i} at ${s.t}: offset must be whole minutes, got ${s.offset}`);
    t[i] = s.t;
    offset[i] = s.offset;
    v[i] = s.v;
  }
  return { n, t, offset, v };
}

export function fromColumns(c: Columns, from = -Infinity, to = Infinity): Sample[] {
  const out: Sample[] = [];
  const { n, t, offset, v } = c;
  for (let i = 0; i < n; i++) {
    const ti = t[i]!;
    if (ti < from || ti >= to) continue;
    out.push({ t: ti, offset: offset[i]!, v: v[i]! });
  }
  return out;
}

/** Encodes samples sorted by strictly increasing `t`. Throws CodecError on NaN, ±Infinity, bad order. */
export function encode(samples: readonly Sample[], opts?: EncodeOptions): Buffer {
  return encodeColumns(toColumns(samples), opts);
}

export function decode(data: Uint8Array): Sample[] {
  return fromColumns(decodeColumns(data));
}
