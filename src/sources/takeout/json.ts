/**
 * Reading Takeout JSON files: a top-level array of records (or one top-level object).
 *
 * IMPORTANT for callers: an error (truncated file, garbage) can surface after some batches were
 * already yielded (always so on the streaming path). Nothing yielded from a file is trustworthy
 * until the generator completed without throwing: buffer a file's records and write them only
 * when the file completed.
 */
import { Readable, pipeline } from 'node:stream';
import ParserMod from 'stream-json/Parser.js';
import StreamArrayMod from 'stream-json/streamers/StreamArray.js';
import { errText } from '../../errors.js';

export class JsonFileError extends Error {
  constructor(
    public readonly file: string,
    message: string,
    /** byte offset of the problem (exact on the small-file path when V8 reports it, approximate when streaming) */
    public readonly position?: number,
    /** 1-based line of the problem, where known */
    public readonly line?: number,
  ) {
    super(message);
    this.name = 'JsonFileError';
  }
}

export interface ReadJsonOptions {
  /** Files larger than this (by sizeHint or by bytes actually read) are streamed. Default 16 MiB. */
  streamThreshold?: number;
  /** Max elements per yielded batch. Default 8192. */
  batchSize?: number;
}

export const JSON_STREAM_THRESHOLD = 16 * 1024 * 1024;
const NO_DATA_MAX = 16;

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * True for a file that carries no records: empty or whitespace only, `null`, `[]`, `{}`, or fewer
 * than 16 bytes that are not valid JSON (Takeout's 7-byte "no data" files).
 */
export function isNoDataFile(content: Buffer | string): boolean {
  const bytes = typeof content === 'string' ? Buffer.byteLength(content) : content.length;
  const text = stripBom(typeof content === 'string' ? content : content.toString('utf8')).trim();
  if (text === '') return true;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return bytes < NO_DATA_MAX;
  }
  return isEmptyValue(v);
}

function isEmptyValue(v: unknown): boolean {
  if (v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

function lineAt(text: string, pos: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < pos; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function parseWhole(buf: Buffer, file: string): unknown {
  const text = buf.toString('utf8');
  const bomBytes = text.charCodeAt(0) === 0xfeff ? 3 : 0;
  const body = bomBytes ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (e) {
    const msg = errText(e);
    if (/end of JSON input|Unterminated/i.test(msg)) {
      throw new JsonFileError(
        file,
        `${file}: JSON ends unexpectedly after ${buf.length} bytes (line ${lineAt(body, body.length)}); the file looks truncated`,
        buf.length,
        lineAt(body, body.length),
      );
    }
    const m = /position (\d+)/.exec(msg);
    if (m) {
      const pos = Number(m[1]);
      if (body.slice(pos).trim() === '') {
        const l = lineAt(body, pos);
        throw new JsonFileError(file, `${file}: JSON ends unexpectedly after ${buf.length} bytes (line ${l}); the file looks truncated`, buf.length, l);
      }
      const byte = bomBytes + Buffer.byteLength(body.slice(0, pos));
      const line = lineAt(body, pos);
      throw new JsonFileError(file, `${file}: invalid JSON at byte ${byte} (line ${line}): ${msg}`, byte, line);
    }
    throw new JsonFileError(file, `${file}: invalid JSON: ${msg}`);
  }
}

function* batchesOf(value: unknown, file: string, bytes: number, batchSize: number): Generator<unknown[]> {
  if (isEmptyValue(value)) return;
  if (Array.isArray(value)) {
    if (value.length <= batchSize) {
      yield value;
      return;
    }
    for (let i = 0; i < value.length; i += batchSize) yield value.slice(i, i + batchSize);
    return;
  }
  if (typeof value === 'object') {
    yield [value];
    return;
  }
  if (bytes < NO_DATA_MAX) return; // a tiny scalar: treat as a "no data" marker
  throw new JsonFileError(file, `${file}: expected a JSON array or object at the top level, found ${typeof value}`, 0, 1);
}

/**
 * Yields the elements of a top-level JSON array in batches (a top-level object → one batch with
 * that object). Files up to `streamThreshold` bytes (default 16 MiB) are parsed in one go;
 * larger ones are streamed with stream-json so memory stays bounded (a huge top-level *object*
 * is still parsed whole). Empty / "no data" files yield nothing (see {@link isNoDataFile}).
 *
 * @throws JsonFileError (file, and byte position / line where known). Batches yielded before an
 *   error must be discarded by the caller (see the module comment).
 */
export async function* readJsonArray(
  stream: AsyncIterable<Buffer | string>,
  file: string,
  sizeHint: number,
  opts: ReadJsonOptions = {},
): AsyncGenerator<unknown[]> {
  const threshold = opts.streamThreshold ?? JSON_STREAM_THRESHOLD;
  const batchSize = Math.max(1, opts.batchSize ?? 8192);
  const it = stream[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let total = 0;
  let streaming = sizeHint > threshold;
  if (!streaming) {
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      const b = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      head.push(b);
      total += b.length;
      if (total > threshold) {
        streaming = true;
        break;
      } // sizeHint was wrong: switch to streaming
    }
    if (!streaming) {
      if (total === 0) return;
      const buf = head.length === 1 ? head[0]! : Buffer.concat(head, total);
      if (isNoDataFile(buf)) return;
      yield* batchesOf(parseWhole(buf, file), file, total, batchSize);
      return;
    }
  }
  yield* streamArray(head, it, file, batchSize);
}

async function* streamArray(head: Buffer[], it: AsyncIterator<Buffer | string>, file: string, batchSize: number): AsyncGenerator<unknown[]> {
  // Peek at the first significant byte to tell an array from an object.
  const pre: Buffer[] = [...head];
  let first = -1;
  const scan = (b: Buffer, skipBom: boolean): number => {
    for (let i = skipBom && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0; i < b.length; i++) {
      const c = b[i]!;
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return c;
    }
    return -1;
  };
  for (let i = 0; i < pre.length && first < 0; i++) first = scan(pre[i]!, i === 0);
  let ended = false;
  while (first < 0) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    const b = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    pre.push(b);
    first = scan(b, pre.length === 1);
  }
  if (first < 0) return; // whitespace only
  if (first !== 0x5b /* [ */) {
    // Not an array: read it whole (an object must be materialised anyway).
    const all = [...pre];
    let n = all.reduce((a, b) => a + b.length, 0);
    while (!ended) {
      const r = await it.next();
      if (r.done) break;
      const b = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      all.push(b);
      n += b.length;
    }
    const buf = Buffer.concat(all, n);
    if (isNoDataFile(buf)) return;
    yield* batchesOf(parseWhole(buf, file), file, n, batchSize);
    return;
  }

  let fed = 0;
  let srcEnded = false;
  let newlines = 0;
  const count = (b: Buffer): void => {
    fed += b.length;
    for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) newlines++;
  };
  async function* source(): AsyncGenerator<Buffer> {
    for (const b of pre) {
      count(b);
      yield b;
    }
    if (ended) {
      srcEnded = true;
      return;
    }
    for (;;) {
      const r = await it.next();
      if (r.done) {
        srcEnded = true;
        return;
      }
      const b = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      count(b);
      yield b;
    }
  }
  const src = Readable.from(source(), { objectMode: false });
  const parser = ParserMod.make({ packValues: true, streamValues: false });
  const arr = StreamArrayMod.make();
  let failure: Error | null = null;
  pipeline(src, parser, arr, (err) => {
    if (err) failure = err;
  });
  let batch: unknown[] = [];
  try {
    for await (const item of arr as AsyncIterable<{ key: number; value: unknown }>) {
      batch.push(item.value);
      if (batch.length >= batchSize) {
        const out = batch;
        batch = [];
        yield out;
      }
    }
  } catch (e) {
    failure = e instanceof Error ? e : new Error(String(e));
  } finally {
    if (!arr.destroyed) {
      src.destroy();
      parser.destroy();
      arr.destroy();
    }
  }
  if (failure !== null) {
    const msg = failure.message;
    const truncated = srcEnded || /has expected|Unexpected end|premature/i.test(msg);
    throw new JsonFileError(
      file,
      truncated
        ? `${file}: JSON ends unexpectedly after ${fed} bytes (line ${newlines + 1}); the file looks truncated or is malformed near its end (${msg})`
        : `${file}: invalid JSON, detected within the first ${fed} bytes (by line ${newlines + 1}): ${msg}`,
      fed,
      newlines + 1,
    );
  }
  if (batch.length) yield batch;
}
