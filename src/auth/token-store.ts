/**
 * Per-account token files: `<dir>/<account>.json`, mode 0600, written atomically (temp file in
 * the same directory, fsync, rename, fsync of the directory), so a crash or a concurrent reader
 * never sees a half-written file. Reading validates the shape.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { failpoint } from '../util/failpoints.js';

export interface TokenSet {
  accessToken: string;
  /** Epoch ms. */
  accessTokenExpiresAt: number;
  refreshToken: string;
  /** Epoch ms; null when Google did not say (production apps). */
  refreshTokenExpiresAt: number | null;
  scopes: string[];
  /** Epoch ms of the token response. */
  obtainedAt: number;
}

export interface ReauthMark {
  /** Epoch ms. */
  at: number;
  /** e.g. `invalid_grant: Token has been expired or revoked.` */
  reason: string;
}

export interface TokenFile {
  version: 1;
  account: string;
  tokens: TokenSet;
  /** Set when Google refused the refresh token: the user must consent again. */
  reauthNeeded: ReauthMark | null;
}

export class TokenFileError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'TokenFileError';
  }
}

/** Account names become file names: letters, digits, `.`, `_`, `-`; no leading dot. */
export function assertAccountName(account: string): void {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/.test(account)) {
    throw new RangeError(`invalid account name ${JSON.stringify(account)} (letters, digits, . _ -; at most 64)`);
  }
}

export function tokenFilePath(dir: string, account: string): string {
  assertAccountName(account);
  return join(dir, `${account}.json`);
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isTime(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0;
}

/** Why `x` is not a TokenSet, or null when it is one. */
export function tokenSetProblem(x: unknown): string | null {
  if (!isRecord(x)) return 'tokens is not an object';
  if (typeof x.accessToken !== 'string' || x.accessToken === '') return 'accessToken missing';
  if (!isTime(x.accessTokenExpiresAt)) return 'accessTokenExpiresAt is not a time';
  if (typeof x.refreshToken !== 'string' || x.refreshToken === '') return 'refreshToken missing';
  if (x.refreshTokenExpiresAt !== null && !isTime(x.refreshTokenExpiresAt)) return 'refreshTokenExpiresAt is not a time or null';
  if (!Array.isArray(x.scopes) || !x.scopes.every((s) => typeof s === 'string')) return 'scopes is not a list of strings';
  if (!isTime(x.obtainedAt)) return 'obtainedAt is not a time';
  return null;
}

export function parseTokenFile(text: string, path: string): TokenFile {
  let x: unknown;
  try {
    x = JSON.parse(text);
  } catch {
    throw new TokenFileError(path, 'not valid JSON');
  }
  if (!isRecord(x)) throw new TokenFileError(path, 'not a JSON object');
  if (x.version !== 1) throw new TokenFileError(path, `unsupported version ${JSON.stringify(x.version)}`);
  if (typeof x.account !== 'string') throw new TokenFileError(path, 'account missing');
  const problem = tokenSetProblem(x.tokens);
  if (problem !== null) throw new TokenFileError(path, problem);
  const r = x.reauthNeeded;
  let reauthNeeded: ReauthMark | null = null;
  if (isRecord(r) && isTime(r.at) && typeof r.reason === 'string') reauthNeeded = { at: r.at, reason: r.reason };
  else if (r !== null) throw new TokenFileError(path, 'reauthNeeded is not {at, reason} or null');
  const t = x.tokens as TokenSet;
  return {
    version: 1,
    account: x.account,
    tokens: {
      accessToken: t.accessToken,
      accessTokenExpiresAt: t.accessTokenExpiresAt,
      refreshToken: t.refreshToken,
      refreshTokenExpiresAt: t.refreshTokenExpiresAt,
      scopes: [...t.scopes],
      obtainedAt: t.obtainedAt,
    },
    reauthNeeded,
  };
}

/** The account's token file, or null when there is none. Throws TokenFileError when it is damaged. */
export async function readTokenFile(dir: string, account: string): Promise<TokenFile | null> {
  const path = tokenFilePath(dir, account);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  return parseTokenFile(text, path);
}

/** Synchronous twin of readTokenFile (status displays). */
export function readTokenFileSync(dir: string, account: string): TokenFile | null {
  const path = tokenFilePath(dir, account);
  if (!existsSync(path)) return null;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  return parseTokenFile(text, path);
}

/** Writes `data` to `path` atomically with mode 0600 (temp file + fsync + rename + dir fsync). */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    try {
      await fh.writeFile(data, 'utf8');
      await fh.chmod(0o600);
      await fh.sync();
    } finally {
      await fh.close();
    }
    failpoint('token.before-rename');
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  failpoint('token.after-rename');
  // Make the rename itself durable. Not possible on every platform (Windows): best effort.
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // ignore
  }
}

export async function writeTokenFile(dir: string, file: TokenFile): Promise<void> {
  const path = tokenFilePath(dir, file.account);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
}
