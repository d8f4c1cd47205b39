/**
 * Fast streaming CSV reader for Takeout CSVs (RFC 4180).
 *
 * - strips a UTF-8 BOM, handles CRLF and LF (and a lone trailing CR), ignores blank lines
 *   (empty or whitespace-only), trims nothing else;
 * - quoted fields: quoted commas, doubled quotes, quoted newlines (CRLF inside quotes is kept);
 * - header = first non-blank line, kept as is (use {@link normalizeHeader} to compare names);
 * - rows are NOT checked against the header width: the caller decides what a short/long row means;
 * - empty file → yields nothing; header only → yields one batch with empty `rows`.
 */
import { StringDecoder } from 'node:string_decoder';

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
function parseQuoted(text: string, start: number, eof: boolean): QuotedResult | null | 'unterminated' {
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
      fields.push(value);
    } else {
      let k = i;
      while (k < n) {
        const c = text.charCodeAt(k);
        if (c === 44 || c === 10 || c === 13) break;
        k++;
      }
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
 * @throws CsvFileError for an unterminated quoted field (file and line of the record).
 */
export async function* readCsv(stream: AsyncIterable<Buffer | string>, file: string): AsyncGenerator<CsvBatch> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let first = true;
  let line = 1; // physical line number of the start of `carry`
  let header: string[] | null = null;
  let rows: string[][] = [];
  let lines: number[] = [];
  let yielded = false;

  const emitRow = (fields: string[], at: number): void => {
    if (header === null) header = fields;
    else {
      rows.push(fields);
      lines.push(at);
    }
  };

  const process = (text: string, eof: boolean): string => {
    const n = text.length;
    let pos = 0;
    while (pos < n) {
      let nl = text.indexOf('\n', pos);
      if (nl < 0) {
        if (!eof) break;
        nl = n;
      }
      let end = nl;
      if (end > pos && text.charCodeAt(end - 1) === 13) end--;
      const raw = text.slice(pos, end);
      if (raw.indexOf('"') < 0) {
        if (!isBlank(raw)) emitRow(raw.split(','), line);
        line++;
        pos = nl + 1;
        continue;
      }
      const r = parseQuoted(text, pos, eof);
      if (r === null) break; // need more data
      if (r === 'unterminated') throw new CsvFileError(file, line, 'unterminated quoted field (missing closing ")');
      emitRow(r.fields, line);
      line += 1 + r.innerLines;
      pos = r.end;
    }
    return pos >= n ? '' : text.slice(pos);
  };

  for await (const chunk of stream) {
    let text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (first) {
      if (text.length === 0) continue;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    carry = process(carry.length ? carry + text : text, false);
    if (rows.length >= CSV_BATCH_ROWS) {
      // emit full batches; keep the remainder for the next one
      while (rows.length >= CSV_BATCH_ROWS) {
        const out = { header: header!, rows: rows.slice(0, CSV_BATCH_ROWS), lines: lines.slice(0, CSV_BATCH_ROWS) };
        rows = rows.slice(CSV_BATCH_ROWS);
        lines = lines.slice(CSV_BATCH_ROWS);
        yielded = true;
        yield out;
      }
    }
  }
  let tail = decoder.end();
  if (first && tail.charCodeAt(0) === 0xfeff) tail = tail.slice(1);
  const rest = carry + tail;
  if (rest.length) process(rest, true);
  while (rows.length > CSV_BATCH_ROWS) {
    const out = { header: header!, rows: rows.slice(0, CSV_BATCH_ROWS), lines: lines.slice(0, CSV_BATCH_ROWS) };
    rows = rows.slice(CSV_BATCH_ROWS);
    lines = lines.slice(CSV_BATCH_ROWS);
    yielded = true;
    yield out;
  }
  // the last partial batch; a header-only file yields one batch with empty rows
  if (header !== null && (rows.length > 0 || !yielded)) yield { header, rows, lines };
}
