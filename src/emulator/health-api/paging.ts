/** Page sizes and page tokens (opaque; bound to the request they continue). */
import { hash32 } from '../../synthetic/prng.js';
import { invalidArgument } from './errors.js';

const TOKEN_MESSAGE = 'Invalid page token: it is malformed or was issued for a different filter.'; // *invented* wording

/**
 * `pageSize` of a query string or body: absent / 0 → `def`; above `max` → `max` (truncated, not an
 * error, per discovery); not an int32 → Google's type error; negative → 400 (*invented* wording).
 */
export function pageSizeOf(raw: unknown, def: number, max: number, field = 'page_size'): number {
  if (raw === null || raw === undefined || raw === '') return def;
  const s = String(raw).trim();
  if (!/^-?\d+$/.test(s) || !Number.isSafeInteger(Number(s)) || Math.abs(Number(s)) > 2 ** 31 - 1) {
    throw invalidArgument(field, `Invalid value at '${field}' (TYPE_INT32), "${String(raw)}"`);
  }
  const n = Number(s);
  if (n < 0) throw invalidArgument(field, `${field} must not be negative.`);
  return n === 0 ? def : Math.min(n, max);
}

function bindingHash(binding: string): string {
  return hash32(binding).toString(36);
}

export function encodeToken(position: number, binding: string): string {
  return Buffer.from(JSON.stringify({ p: position, h: bindingHash(binding) })).toString('base64url');
}

/** Position of a page token ('' = 0); a token that is not ours or was made for another request is a 400. */
export function decodeToken(token: string, binding: string): number {
  if (token === '') return 0;
  try {
    const o = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (typeof o === 'object' && o !== null) {
      const { p, h } = o as { p?: unknown; h?: unknown };
      if (typeof p === 'number' && Number.isInteger(p) && p >= 0 && h === bindingHash(binding)) return p;
    }
  } catch {
    // fall through
  }
  throw invalidArgument('page_token', TOKEN_MESSAGE);
}
