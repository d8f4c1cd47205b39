/**
 * Per-file and per-record limits of the Takeout readers (issue 13). Real exports stay far below
 * every one of them (the longest real CSV line is a few hundred characters, the largest real JSON
 * record a few tens of KB); they exist so a damaged or hostile file cannot make one read take
 * unbounded memory or time, or put a 32 MB "data source" name into every /metrics scrape.
 *
 * A limit hit ends THAT FILE with an error naming the file, the line and the limit (CsvFileError,
 * JsonFileError, FileFormatError; the file is not written: all-or-nothing per file); the rest of
 * the import goes on. Documented in README
 * ("Limits of the import") — keep both in step.
 */

/** Longest CSV field, in characters (after unquoting). */
export const CSV_MAX_FIELD_CHARS = 64 * 1024;

/** Longest CSV record (one row, quoted newlines included), in characters. */
export const CSV_MAX_RECORD_CHARS = 1024 * 1024;

/** Longest JSON string value (or object key), in characters. */
export const JSON_MAX_STRING_CHARS = 64 * 1024;

/**
 * Largest JSON record (one element of the top-level array), in bytes of its text; also the largest
 * JSON file whose top level is not an array (such a file is one record and is read whole).
 */
export const JSON_MAX_RECORD_BYTES = 16 * 1024 * 1024;

/** Longest data-source (series) name, in characters: Takeout `data source` cells and Google Health API device names. */
export const SOURCE_NAME_MAX_CHARS = 256;

/** A byte count for messages: `64 KiB`, `16 MiB`. */
export function sizeText(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n}`;
}
