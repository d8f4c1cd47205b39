/**
 * Reading Takeout JSON files: a top-level array of records (or one top-level object).
 *
 * IMPORTANT for callers: an error (truncated file, garbage) can surface after some batches were
 * already yielded (always so on the streaming path). Nothing yielded from a file is trustworthy
 * until the generator completed without throwing: buffer a file's records and write them only
 * when the file completed.
 *
 * Limits (limits.ts): a string value or key longer than JSON_MAX_STRING_CHARS, a record (element
 * of the top-level array) larger than JSON_MAX_RECORD_BYTES, and a file whose top level is not an
 * array larger than JSON_MAX_RECORD_BYTES end the file with a JsonFileError naming the line and
 * the limit. Batches are bounded in records and in bytes.
 */
import { Readable, pipeline } from 'node:stream';
import ParserMod from 'stream-json/Parser.js';
import StreamArrayMod from 'stream-json/streamers/StreamArray.js';
import { errText } from '../../errors.js';
import { clip } from '../../util/clip.js';
import { JSON_MAX_RECORD_BYTES, JSON_MAX_STRING_CHARS, sizeText } from './limits.js';

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
  /** Limits (tests use smaller ones). Defaults: JSON_MAX_STRING_CHARS, JSON_MAX_RECORD_BYTES. */
  maxString?: number;
  maxRecord?: number;
}

/** A streamed batch is also yielded once the records in it took this many bytes of the file. */
export const JSON_BATCH_BYTES = 8 * 1024 * 1024;

function stringTooLong(file: string, len: number, max: number, line: number | undefined, partial: boolean): JsonFileError {
  const where = line === undefined ? '' : ` (line ${line})`;
  return new JsonFileError(
    file,
    `${file}: a JSON string of ${partial ? 'at least ' : ''}${len} characters${where} is longer than the limit of ${sizeText(max)} characters per string (JSON_MAX_STRING_CHARS); the file looks damaged`,
    undefined,
    line,
  );
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
      throw new JsonFileError(file, `${file}: invalid JSON at byte ${byte} (line ${line}): ${clip(msg)}`, byte, line);
    }
    throw new JsonFileError(file, `${file}: invalid JSON: ${clip(msg)}`);
  }
}

/** The first string value or key longer than `max` in a parsed value (iterative: any depth), or -1. */
function longestOver(value: unknown, max: number): number {
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.length > max) return v.length;
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push(v[i]);
    } else if (v !== null && typeof v === 'object') {
      for (const k in v) {
        if (k.length > max) return k.length;
        stack.push((v as Record<string, unknown>)[k]);
      }
    }
  }
  return -1;
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
  const lim: Limits = { maxString: opts.maxString ?? JSON_MAX_STRING_CHARS, maxRecord: opts.maxRecord ?? JSON_MAX_RECORD_BYTES };
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
      yield* wholeBatches(buf, file, total, batchSize, lim);
      return;
    }
  }
  yield* streamArray(head, it, file, batchSize, lim);
}

interface Limits {
  maxString: number;
  maxRecord: number;
}

/** A file read whole: parsed, its strings checked against the limit (only when it is larger than one may be), batched. */
function* wholeBatches(buf: Buffer, file: string, total: number, batchSize: number, lim: Limits): Generator<unknown[]> {
  const value = parseWhole(buf, file);
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && total > lim.maxRecord) throw objectTooLarge(file, total, lim, false);
  if (total > lim.maxString) {
    const len = longestOver(value, lim.maxString);
    if (len >= 0) throw stringTooLong(file, len, lim.maxString, undefined, false);
  }
  yield* batchesOf(value, file, total, batchSize);
}

function objectTooLarge(file: string, bytes: number, lim: Limits, partial: boolean): JsonFileError {
  return new JsonFileError(
    file,
    `${file}: the top level is not an array and the file is ${partial ? 'at least ' : ''}${bytes} bytes, larger than the limit of ${sizeText(lim.maxRecord)} per record (JSON_MAX_RECORD_BYTES); such a file is one record, read whole: not read`,
    bytes,
  );
}

/**
 * A byte scanner run over the streamed text before the parser sees it: tracks strings (escapes
 * included), nesting and lines, and fails on a string, key or number longer than the string
 * limit or a record (element of the top-level array) larger than the record limit, with the exact
 * line. Cheap (one pass over the bytes, no object per token), and it stops a 500 MB string before
 * the parser has gathered it.
 */
class LimitScanner {
  /** bytes scanned, newlines seen */
  fed = 0;
  line = 1;
  private inStr = false;
  private esc = false;
  /** characters (UTF-8 sequence starts) of the current string, or digits of the current number */
  private run = 0;
  private depth = 0;
  private recordStart = 0;
  error: JsonFileError | null = null;
  constructor(
    private readonly file: string,
    private readonly lim: Limits,
  ) {}

  /** Scans one chunk; false (and `error` set) when a limit is hit. */
  scan(b: Buffer): boolean {
    const { maxString, maxRecord } = this.lim;
    let inStr = this.inStr,
      esc = this.esc,
      run = this.run,
      depth = this.depth,
      line = this.line;
    const base = this.fed;
    for (let i = 0; i < b.length; i++) {
      const c = b[i]!;
      if (inStr) {
        if (esc) esc = false;
        else if (c === 0x5c) esc = true;
        else if (c === 0x22) {
          inStr = false;
          continue;
        }
        if ((c & 0xc0) !== 0x80 && ++run > maxString) {
          this.error = stringTooLong(this.file, run, maxString, line, true);
          return false;
        }
        if (c === 0x0a) line++;
        continue;
      }
      if (c === 0x22) {
        inStr = true;
        run = 0;
      } else if (c === 0x0a) {
        line++;
        run = 0;
      } else if (c === 0x5b || c === 0x7b) {
        if (++depth === 2) this.recordStart = base + i;
        run = 0;
      } else if (c === 0x5d || c === 0x7d) {
        depth--;
        run = 0;
      } else if ((c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d || c === 0x2b || c === 0x65 || c === 0x45) {
        if (++run > maxString) {
          this.error = new JsonFileError(
            this.file,
            `${this.file}: a JSON number of at least ${run} characters (line ${line}) is longer than the limit of ${sizeText(maxString)} characters (JSON_MAX_STRING_CHARS); the file looks damaged`,
            base + i,
            line,
          );
          return false;
        }
      } else run = 0;
      if (depth >= 2 && base + i - this.recordStart > maxRecord) {
        this.error = new JsonFileError(
          this.file,
          `${this.file}: a JSON record (element of the top-level array) reaching line ${line} is larger than the limit of ${sizeText(maxRecord)} per record (JSON_MAX_RECORD_BYTES); the file looks damaged`,
          base + i,
          line,
        );
        return false;
      }
    }
    this.inStr = inStr;
    this.esc = esc;
    this.run = run;
    this.depth = depth;
    this.line = line;
    this.fed = base + b.length;
    return true;
  }
}

async function* streamArray(head: Buffer[], it: AsyncIterator<Buffer | string>, file: string, batchSize: number, lim: Limits): AsyncGenerator<unknown[]> {
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
    // Not an array: one record, read whole (an object must be materialised anyway) up to the
    // record limit; a larger one is refused before it is read further.
    const all = [...pre];
    let n = all.reduce((a, b) => a + b.length, 0);
    while (!ended && n <= lim.maxRecord) {
      const r = await it.next();
      if (r.done) break;
      const b = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      all.push(b);
      n += b.length;
    }
    if (n > lim.maxRecord) throw objectTooLarge(file, n, lim, true);
    const buf = Buffer.concat(all, n);
    if (isNoDataFile(buf)) return;
    yield* wholeBatches(buf, file, n, batchSize, lim);
    return;
  }

  let srcEnded = false;
  const scanner = new LimitScanner(file, lim);
  async function* source(): AsyncGenerator<Buffer> {
    for (const b of pre) {
      if (!scanner.scan(b)) throw scanner.error!;
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
      if (!scanner.scan(b)) throw scanner.error!;
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
  let batchFrom = 0;
  try {
    for await (const item of arr as AsyncIterable<{ key: number; value: unknown }>) {
      batch.push(item.value);
      if (batch.length >= batchSize || scanner.fed - batchFrom >= JSON_BATCH_BYTES) {
        const out = batch;
        batch = [];
        batchFrom = scanner.fed;
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
  if (scanner.error) throw scanner.error;
  if (failure !== null) {
    const msg = clip(failure.message);
    const truncated = srcEnded || /has expected|Unexpected end|premature/i.test(msg);
    throw new JsonFileError(
      file,
      truncated
        ? `${file}: JSON ends unexpectedly after ${scanner.fed} bytes (line ${scanner.line}); the file looks truncated or is malformed near its end (${msg})`
        : `${file}: invalid JSON, detected within the first ${scanner.fed} bytes (by line ${scanner.line}): ${msg}`,
      scanner.fed,
      scanner.line,
    );
  }
  if (batch.length) yield batch;
}
