/** PKCE (RFC 7636) with the S256 method, the only one Google accepts for the bridge. */
import { createHash, randomBytes } from 'node:crypto';

const UNRESERVED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~';

export function isValidCodeVerifier(verifier: string): boolean {
  return /^[A-Za-z0-9._~-]{43,128}$/.test(verifier);
}

/** A random code verifier of `length` (43–128) unreserved characters. */
export function createCodeVerifier(length = 64): string {
  if (!Number.isInteger(length) || length < 43 || length > 128) {
    throw new RangeError(`PKCE code verifier length must be 43–128, got ${length}`);
  }
  // 66 symbols: reject bytes >= 198 (3 × 66) so every symbol is equally likely.
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 198 && out.length < length) out += UNRESERVED.charAt(b % 66);
    }
  }
  return out;
}

/** BASE64URL(SHA256(ASCII(verifier))), no padding. */
export function codeChallengeS256(verifier: string): string {
  if (!isValidCodeVerifier(verifier)) throw new RangeError('invalid PKCE code verifier');
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

export interface PkcePair {
  verifier: string;
  challenge: string;
  method: 'S256';
}

export function createPkcePair(length = 64): PkcePair {
  const verifier = createCodeVerifier(length);
  return { verifier, challenge: codeChallengeS256(verifier), method: 'S256' };
}

/** A random `state` value for the authorize request (CSRF protection). */
export function createState(): string {
  return randomBytes(24).toString('base64url');
}
