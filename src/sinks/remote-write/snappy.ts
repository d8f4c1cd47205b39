/**
 * Snappy BLOCK format (what remote write 1.0 requires; not the framed/stream format), through
 * snappyjs (pure JavaScript, no native build, so it runs on every architecture of the add-on).
 */
import snappy from 'snappyjs';

export function snappyCompress(raw: Uint8Array): Buffer {
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  return snappy.compress(buf);
}

export function snappyUncompress(compressed: Uint8Array, maxLength = 256 * 1024 * 1024): Buffer {
  const buf = Buffer.isBuffer(compressed) ? compressed : Buffer.from(compressed.buffer, compressed.byteOffset, compressed.byteLength);
  return snappy.uncompress(buf, maxLength);
}
