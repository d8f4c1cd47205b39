/**
 * The remote write 1.0 `WriteRequest` (prometheus/prompb types.proto + remote.proto), encoded by
 * hand: only two nested messages are needed, and writing them straight from typed arrays into one
 * exactly-sized buffer avoids a per-sample object (a year of minute data is ~15M samples).
 *
 *   message WriteRequest { repeated TimeSeries timeseries = 1; }          // field 3 (metadata) unused
 *   message TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
 *   message Label        { string name = 1; string value = 2; }
 *   message Sample       { double value = 1; int64 timestamp = 2; }       // timestamp: ms since epoch
 *
 * Wire format: tag = field << 3 | wire type (0 varint, 1 fixed64, 2 length-delimited).
 */

/** A label pair; a series' labels must be sorted by name (`__name__` first). */
export type Label = readonly [name: string, value: string];

/** One series of a request: its labels and a run of its samples in time order. */
export interface SeriesChunk {
  /** The series' encoded labels (see encodeLabels), shared by every chunk of the series. */
  labels: EncodedLabels;
  /** Instants (ms) and values, same length, ascending instants. */
  t: ArrayLike<number>;
  v: ArrayLike<number>;
}

export interface EncodedLabels {
  readonly labels: readonly Label[];
  /** The `labels` fields of a TimeSeries, ready to copy. */
  readonly bytes: Buffer;
}

const TAG_TIMESERIES = 0x0a; // WriteRequest.timeseries, field 1, length-delimited
const TAG_LABEL = 0x0a; // TimeSeries.labels, field 1
const TAG_SAMPLE = 0x12; // TimeSeries.samples, field 2
const TAG_LABEL_NAME = 0x0a;
const TAG_LABEL_VALUE = 0x12;
const TAG_SAMPLE_VALUE = 0x09; // field 1, fixed64
const TAG_SAMPLE_TIMESTAMP = 0x10; // field 2, varint

/** Bytes of a non-negative integer (< 2^53) as a varint. */
export function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 128) {
    buf[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/** int64 varint: negative numbers take 10 bytes (two's complement). */
function int64Size(n: number): number {
  return n >= 0 ? varintSize(n) : 10;
}

function writeInt64(buf: Buffer, pos: number, n: number): number {
  if (n >= 0) return writeVarint(buf, pos, n);
  let x = BigInt.asUintN(64, BigInt(n));
  for (let i = 0; i < 9; i++) {
    buf[pos++] = Number(x & 0x7fn) | 0x80;
    x >>= 7n;
  }
  buf[pos++] = Number(x);
  return pos;
}

/** Encodes the labels of a series once (they repeat in every chunk of it). */
export function encodeLabels(labels: readonly Label[]): EncodedLabels {
  for (let i = 1; i < labels.length; i++) {
    if (labels[i - 1]![0] >= labels[i]![0]) throw new RangeError(`labels must be sorted by name and unique: ${labels.map((l) => l[0]).join(', ')}`);
  }
  const parts: Buffer[] = [];
  for (const [name, value] of labels) {
    const n = Buffer.from(name, 'utf8');
    const v = Buffer.from(value, 'utf8');
    const inner = 1 + varintSize(n.length) + n.length + 1 + varintSize(v.length) + v.length;
    const b = Buffer.allocUnsafe(1 + varintSize(inner) + inner);
    let p = 0;
    b[p++] = TAG_LABEL;
    p = writeVarint(b, p, inner);
    b[p++] = TAG_LABEL_NAME;
    p = writeVarint(b, p, n.length);
    p += n.copy(b, p);
    b[p++] = TAG_LABEL_VALUE;
    p = writeVarint(b, p, v.length);
    p += v.copy(b, p);
    parts.push(b);
  }
  return { labels, bytes: Buffer.concat(parts) };
}

function sampleSize(t: number): number {
  return 1 + 8 + 1 + int64Size(t);
}

/** The serialized WriteRequest of these chunks (one TimeSeries per chunk). */
export function encodeWriteRequest(chunks: readonly SeriesChunk[]): Buffer {
  // pass 1: sizes
  const tsSizes = new Array<number>(chunks.length);
  let total = 0;
  for (let c = 0; c < chunks.length; c++) {
    const ch = chunks[c]!;
    let size = ch.labels.bytes.length;
    const t = ch.t;
    for (let i = 0; i < t.length; i++) {
      const s = sampleSize(t[i]!);
      size += 1 + varintSize(s) + s;
    }
    tsSizes[c] = size;
    total += 1 + varintSize(size) + size;
  }
  // pass 2: bytes
  const buf = Buffer.allocUnsafe(total);
  let p = 0;
  for (let c = 0; c < chunks.length; c++) {
    const ch = chunks[c]!;
    buf[p++] = TAG_TIMESERIES;
    p = writeVarint(buf, p, tsSizes[c]!);
    p += ch.labels.bytes.copy(buf, p);
    const { t, v } = ch;
    for (let i = 0; i < t.length; i++) {
      const ti = t[i]!;
      buf[p++] = TAG_SAMPLE;
      buf[p++] = 1 + 8 + 1 + int64Size(ti); // < 128: one byte
      buf[p++] = TAG_SAMPLE_VALUE;
      buf.writeDoubleLE(v[i]!, p);
      p += 8;
      buf[p++] = TAG_SAMPLE_TIMESTAMP;
      p = writeInt64(buf, p, ti);
    }
  }
  if (p !== total) throw new Error(`protobuf: wrote ${p} bytes, expected ${total}`);
  return buf;
}

// ---- decoding (tests and diagnostics) ------------------------------------------------------------

export interface DecodedSeries {
  labels: Label[];
  samples: Array<{ t: number; v: number }>;
}

function readVarint(buf: Uint8Array, pos: { p: number }): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const b = buf[pos.p++];
    if (b === undefined) throw new RangeError('protobuf: truncated varint');
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return result;
    shift += 7n;
  }
}

function fields(buf: Uint8Array, visit: (field: number, wire: number, value: bigint | Uint8Array | number) => void): void {
  const pos = { p: 0 };
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  while (pos.p < buf.length) {
    const tag = Number(readVarint(buf, pos));
    const field = tag >> 3;
    const wire = tag & 7;
    if (wire === 0) visit(field, wire, readVarint(buf, pos));
    else if (wire === 1) {
      visit(field, wire, view.getFloat64(pos.p, true));
      pos.p += 8;
    } else if (wire === 2) {
      const len = Number(readVarint(buf, pos));
      visit(field, wire, buf.subarray(pos.p, pos.p + len));
      pos.p += len;
    } else if (wire === 5) pos.p += 4;
    else throw new RangeError(`protobuf: unsupported wire type ${wire}`);
  }
}

/** Decodes a serialized WriteRequest (the inverse of encodeWriteRequest). */
export function decodeWriteRequest(buf: Uint8Array): DecodedSeries[] {
  const out: DecodedSeries[] = [];
  const td = new TextDecoder();
  fields(buf, (f, w, ts) => {
    if (f !== 1 || w !== 2) return;
    const series: DecodedSeries = { labels: [], samples: [] };
    fields(ts as Uint8Array, (f2, w2, val) => {
      if (f2 === 1 && w2 === 2) {
        let name = '';
        let value = '';
        fields(val as Uint8Array, (f3, _w3, s) => {
          if (f3 === 1) name = td.decode(s as Uint8Array);
          else if (f3 === 2) value = td.decode(s as Uint8Array);
        });
        series.labels.push([name, value]);
      } else if (f2 === 2 && w2 === 2) {
        let t = 0;
        let v = 0;
        fields(val as Uint8Array, (f3, _w3, s) => {
          if (f3 === 1) v = s as number;
          else if (f3 === 2) t = Number(BigInt.asIntN(64, s as bigint));
        });
        series.samples.push({ t, v });
      }
    });
    out.push(series);
  });
  return out;
}
