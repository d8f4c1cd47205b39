/**
 * Fast streaming CSV reader for Takeout CSVs (RFC 4180).
 *
 * - strips a UTF-8 BOM, handles CRLF and LF (and a lone trailing CR), ignores blank lines
 *   (empty or whitespace-only), trims nothing else;
 * - quoted fields: quoted commas, doubled quotes, quoted newlines (CRLF inside quotes is kept);
 * - header = first non-blank line, kept as is (use {@link normalizeHeader} to compare names);
 * - rows are NOT checked against the header width: the caller decides what a short/long row means;
 * - empty file → yields nothing; header only → yields one batch with empty `rows`;
 * - limits (limits.ts): a field longer than CSV_MAX_FIELD_CHARS or a record longer than
 *   CSV_MAX_RECORD_CHARS ends the file with a CsvFileError naming the line and the limit;
 * - linear in the input: an incomplete record is parsed again only once the text buffered for it
 *   has doubled (a 32 MB field is not rescanned per 64 KiB chunk).
 */
import { StringDecoder } from 'node:string_decoder';
import { CSV_MAX_FIELD_CHARS, CSV_MAX_RECORD_CHARS, sizeText } from './limits.js';

export interface CsvBatch {
  header: string[];
  rows: string[][];
  /** 1-based physical line number of the start of each row (same index as `rows`). */
  lines: number[];
}

export class CsvFileError extends Error {
  constructor(
    public readonly file: string,
    public readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
    this.name = 'CsvFileError';
  }
}

/** trim + lower-case, for matching header names. */
export function normalizeHeader(h: string): string {
  return h.trim().toLowerCase();
}

export const CSV_BATCH_ROWS = 4096;
/** A batch is also yielded once its rows hold this many characters (bounded memory for long rows). */
export const CSV_BATCH_CHARS = 4 * 1024 * 1024;

/** Limits the reader applies (tests use smaller ones). */
export interface CsvLimits {
  maxField: number;
  maxRecord: number;
}

const DEFAULT_LIMITS: CsvLimits = { maxField: CSV_MAX_FIELD_CHARS, maxRecord: CSV_MAX_RECORD_CHARS };

function fieldTooLong(file: string, line: number, len: number, lim: CsvLimits, partial = false): CsvFileError {
  return new CsvFileError(
    file,
    line,
    `a field of ${partial ? 'at least ' : ''}${len} characters is longer than the limit of ${sizeText(lim.maxField)} characters per field (CSV_MAX_FIELD_CHARS); the file looks damaged`,
  );
}

function recordTooLong(file: string, line: number, len: number, lim: CsvLimits, partial = false): CsvFileError {
  return new CsvFileError(
    file,
    line,
    `a record of ${partial ? 'at least ' : ''}${len} characters is longer than the limit of ${sizeText(lim.maxRecord)} characters per record (CSV_MAX_RECORD_CHARS); the file looks damaged`,
  );
}

interface QuotedResult {
  fields: string[];
  /** index just after the record's terminating newline (or text length at EOF) */
  end: number;
  /** number of newlines consumed inside quoted fields */
  innerLines: number;
}

/**
 * Parses one record starting at `start` that contains quotes. Returns null when the record is
 * not complete within `text` (an open quote reaches the end) and `eof` is false.
 */
function parseQuoted(text: string, start: number, eof: boolean, maxField: number): QuotedResult | null | 'unterminated' | { tooLong: number } {
  const fields: string[] = [];
  const n = text.length;
  let i = start;
  let innerLines = 0;
  for (;;) {
    // start of a field
    if (i < n && text.charCodeAt(i) === 34 /* " */) {
      let value = '';
      let segStart = i + 1;
      let j = segStart;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) {
          if (value.length + n - segStart > maxField) return { tooLong: value.length + n - segStart };
          return eof ? 'unterminated' : null;
        }
        if (q + 1 < n && text.charCodeAt(q + 1) === 34) {
          value += text.slice(segStart, q + 1);
          segStart = j = q + 2;
          continue;
        }
        if (q + 1 >= n && !eof) return null; // could be the first half of a doubled quote
        value += text.slice(segStart, q);
        i = q + 1;
        break;
      }
      // count newlines inside the quoted value
      for (let k = value.indexOf('\n'); k >= 0; k = value.indexOf('\n', k + 1)) innerLines++;
      // lenient: characters between the closing quote and the next separator are appended as is
      let k = i;
      while (k < n) {
        const c = text.charCodeAt(k);
        if (c === 44 || c === 10 || c === 13) break;
        k++;
      }
      if (k > i) value += text.slice(i, k);
      i = k;
      if (value.length > maxField) return { tooLong: value.length };
      fields.push(value);
    } else {
      let k = i;
      while (k < n) {
        const c = text.charCodeAt(k);
        if (c === 44 || c === 10 || c === 13) break;
        k++;
      }
      if (k - i > maxField) return { tooLong: k - i };
      fields.push(text.slice(i, k));
      i = k;
    }
    if (i >= n) {
      if (!eof) return null;
      return { fields, end: n, innerLines };
    }
    const c = text.charCodeAt(i);
    if (c === 44) {
      i++;
      if (i >= n && !eof) return null;
      if (i >= n) {
        fields.push('');
        return { fields, end: n, innerLines };
      }
      continue;
    }
    if (c === 13) {
      if (i + 1 >= n && !eof) return null;
      if (i + 1 < n && text.charCodeAt(i + 1) === 10) return { fields, end: i + 2, innerLines };
      return { fields, end: i + 1, innerLines }; // lone CR treated as a line end
    }
    return { fields, end: i + 1, innerLines }; // \n
  }
}

function isBlank(line: string): boolean {
  if (line.length === 0) return true;
  const c = line.charCodeAt(0);
  if (c !== 32 && c !== 9 && c !== 13) return false;
  return line.trim() === '';
}

/**
 * Reads a CSV stream in batches of up to 4096 rows. `file` is only used in error messages.
 * @throws CsvFileError for an unterminated quoted field, a field or record over the limits (file
 *   and line of the record).
 */
export async function* readCsv(stream: AsyncIterable<Buffer | string>, file: string, limits: CsvLimits = DEFAULT_LIMITS): AsyncGenerator<CsvBatch> {
  const { maxField, maxRecord } = limits;
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let first = true;
  let line = 1; // physical line number of the start of `carry`
  let header: string[] | null = null;
  let rows: string[][] = [];
  let lines: number[] = [];
  let yielded = false;
  let batchChars = 0;

  const emitRow = (fields: string[], at: number, chars: number): void => {
    if (header === null) header = fields;
    else {
      rows.push(fields);
      lines.push(at);
      batchChars += chars;
    }
  };

  /** An unquoted line longer than a field may be: each field checked. */
  const checkFields = (raw: string): void => {
    let from = 0;
    for (;;) {
      const c = raw.indexOf(',', from);
      const end = c < 0 ? raw.length : c;
      if (end - from > maxField) throw fieldTooLong(file, line, end - from, limits);
      if (c < 0) return;
      from = c + 1;
    }
  };

  const process = (text: string, eof: boolean): string => {
    const n = text.length;
    let pos = 0;
    while (pos < n) {
      let nl = text.indexOf('\n', pos);
      if (nl < 0) {
        if (!eof) {
          // an incomplete record: over the limits already? (a quoted one: parseQuoted tells)
          if (n - pos > maxRecord) throw recordTooLong(file, line, n - pos, limits, true);
          if (text.indexOf('"', pos) < 0) {
            const c = text.lastIndexOf(',');
            if (n - Math.max(pos, c + 1) > maxField) throw fieldTooLong(file, line, n - Math.max(pos, c + 1), limits, true);
            break;
          }
        }
        nl = n;
      }
      let end = nl;
      if (end > pos && text.charCodeAt(end - 1) === 13) end--;
      if (end - pos > maxRecord) throw recordTooLong(file, line, end - pos, limits);
      const raw = text.slice(pos, end);
      if (raw.indexOf('"') < 0) {
        if (!isBlank(raw)) {
          if (raw.length > maxField) checkFields(raw);
          emitRow(raw.split(','), line, raw.length);
        }
        line++;
        pos = nl + 1;
        continue;
      }
      const r = parseQuoted(text, pos, eof, maxField);
      if (r === null) {
        // need more data
        if (n - pos > maxRecord) throw recordTooLong(file, line, n - pos, limits, true);
        break;
      }
      if (r === 'unterminated') throw new CsvFileError(file, line, 'unterminated quoted field (missing closing ")');
      if ('tooLong' in r) throw fieldTooLong(file, line, r.tooLong, limits, !eof);
      if (r.end - pos > maxRecord) throw recordTooLong(file, line, r.end - pos, limits);
      emitRow(r.fields, line, r.end - pos);
      line += 1 + r.innerLines;
      pos = r.end;
    }
    return pos >= n ? '' : text.slice(pos);
  };

  // Text received but not parsed yet: an incomplete record waits until the text buffered for it
  // has doubled (or reaches the record limit), so a long record costs linear time, not quadratic.
  let pending: string[] = [];
  let pendingLen = 0;
  let need = 0;

  function* flush(): Generator<CsvBatch> {
    while (rows.length >= CSV_BATCH_ROWS || (rows.length > 0 && batchChars >= CSV_BATCH_CHARS)) {
      const k = Math.min(rows.length, CSV_BATCH_ROWS);
      const out = { header: header!, rows: rows.slice(0, k), lines: lines.slice(0, k) };
      rows = rows.slice(k);
      lines = lines.slice(k);
      if (rows.length === 0) batchChars = 0;
      yielded = true;
      yield out;
    }
  }

  for await (const chunk of stream) {
    let text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (first) {
      if (text.length === 0) continue;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    if (carry.length + pendingLen + text.length < need) {
      pending.push(text);
      pendingLen += text.length;
      continue;
    }
    if (pendingLen) {
      pending.push(text);
      text = pending.join('');
      pending = [];
      pendingLen = 0;
    }
    carry = process(carry.length ? carry + text : text, false);
    need = carry.length ? Math.min(carry.length * 2, maxRecord + 1) : 0;
    yield* flush();
  }
  let tail = decoder.end();
  if (first && tail.charCodeAt(0) === 0xfeff) tail = tail.slice(1);
  const rest = carry + pending.join('') + tail;
  pending = [];
  if (rest.length) process(rest, true);
  yield* flush();
  // the last partial batch; a header-only file yields one batch with empty rows
  if (header !== null && (rows.length > 0 || !yielded)) yield { header, rows, lines };
}
