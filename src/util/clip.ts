/**
 * Quoting untrusted text in messages: warnings, errors and logs quote at most a few hundred
 * characters of anything read from a file, a request or the network (issue 13), so a 500 MB
 * field never reaches stdout, a log line or the store's state table.
 */

/** Longest quote of untrusted text in a message, in characters. */
export const MAX_QUOTE = 200;

/**
 * `text` cut to at most `max` characters (UTF-16 code units, never splitting a surrogate pair),
 * with the number of characters left out: `abc… (1234 more characters)`.
 */
export function clip(text: string, max: number = MAX_QUOTE): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max);
  const c = text.charCodeAt(end - 1);
  if (end > 0 && c >= 0xd800 && c <= 0xdbff) end--;
  return `${text.slice(0, end)}… (${text.length - end} more characters)`;
}
