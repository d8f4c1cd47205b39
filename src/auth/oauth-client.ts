/**
 * Google OAuth 2.0 for an installed app: authorization code + PKCE S256 with a loopback redirect,
 * refresh tokens kept per account in a token file (token-store.ts) and refreshed ahead of expiry
 * under a cross-process file lock (lock.ts).
 *
 * Never log token values: log records here carry the account, times and scopes only.
 */
import { mkdir } from 'node:fs/promises';
import { BridgeError, errText } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { DAY_MS, systemClock, type Clock } from '../time/index.js';
import type { Logger } from '../util/log.js';
import { CONSENT_SCOPES, hasScope } from '../sources/google-health/scopes.js';
import { withFileLock } from './lock.js';
import { readTokenFile, readTokenFileSync, tokenFilePath, writeTokenFile, type TokenFile, type TokenSet } from './token-store.js';

export const GOOGLE_AUTHORIZE_ENDPOINT = 'https://accounts.google.com/o/oauth2/v2/auth';
export const GOOGLE_TOKEN_ENDPOINT = 'https://oauth2.googleapis.com/token';

/**
 * The read scopes the bridge asks for: exactly those of the API methods it calls (the table in
 * src/sources/google-health/scopes.ts).
 */
export const READ_SCOPES: readonly string[] = CONSENT_SCOPES;

export { hasScope };

export interface AuthorizeUrlParams {
  authorizeEndpoint?: string;
  clientId: string;
  redirectUri: string;
  scopes: readonly string[];
  state: string;
  codeChallenge: string;
  loginHint?: string;
}

/** The consent URL (`access_type=offline`, `prompt=consent`, PKCE S256). */
export function buildAuthorizeUrl(p: AuthorizeUrlParams): string {
  const u = new URL(p.authorizeEndpoint ?? GOOGLE_AUTHORIZE_ENDPOINT);
  u.searchParams.set('client_id', p.clientId);
  u.searchParams.set('redirect_uri', p.redirectUri);
  u.searchParams.set('response_type', 'code');
  u.searchParams.set('scope', p.scopes.join(' '));
  u.searchParams.set('state', p.state);
  u.searchParams.set('code_challenge', p.codeChallenge);
  u.searchParams.set('code_challenge_method', 'S256');
  u.searchParams.set('access_type', 'offline');
  u.searchParams.set('prompt', 'consent');
  u.searchParams.set('include_granted_scopes', 'true');
  if (p.loginHint) u.searchParams.set('login_hint', p.loginHint);
  return u.toString();
}

/** The token endpoint's answer (snake_case, as Google sends it). */
export interface TokenResponse {
  access_token: string;
  expires_in: number;
  refresh_token?: string;
  refresh_token_expires_in?: number;
  scope: string;
  token_type: string;
}

/** An OAuth error answer (`{"error": "...", "error_description": "..."}`) or an unusable answer. */
export class OAuthError extends BridgeError {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly errorDescription: string,
  ) {
    super(`OAuth token endpoint: HTTP ${status} ${error}${errorDescription ? `: ${errorDescription}` : ''}`, '', EXIT.PARTIAL);
    this.name = 'OAuthError';
  }
}

export type ReauthReason = 'missing' | 'invalid_grant' | 'refresh-expired';

/** The account needs a new consent in the browser (exit code 2: the user must run `fitbit-bridge auth`). */
export class ReauthNeededError extends BridgeError {
  constructor(
    readonly account: string,
    readonly reason: ReauthReason,
    detail = '',
  ) {
    const why =
      reason === 'missing'
        ? 'is not authorised yet'
        : reason === 'refresh-expired'
          ? 'has an expired authorisation (Testing-mode apps need a new consent every 7 days)'
          : 'was refused by Google (authorisation expired or revoked)';
    const what = `account ${account} ${why}${detail ? ` (${detail})` : ''}`;
    super(what, `Run fitbit-bridge auth --account ${account}`, EXIT.USAGE, { message: `${what}; run: fitbit-bridge auth --account ${account}` });
    this.name = 'ReauthNeededError';
  }
}

interface ClientCredentials {
  tokenEndpoint?: string;
  clientId: string;
  clientSecret?: string;
  timeoutMs?: number;
}

function parseTokenResponse(status: number, body: unknown): TokenResponse {
  const x = body as Record<string, unknown> | null;
  if (typeof x !== 'object' || x === null) throw new OAuthError(status, 'invalid_response', 'token response is not a JSON object');
  if (typeof x.access_token !== 'string' || x.access_token === '') throw new OAuthError(status, 'invalid_response', 'access_token missing');
  if (typeof x.expires_in !== 'number' || !(x.expires_in > 0)) throw new OAuthError(status, 'invalid_response', 'expires_in missing');
  if (typeof x.token_type !== 'string' || x.token_type.toLowerCase() !== 'bearer') throw new OAuthError(status, 'invalid_response', 'token_type is not Bearer');
  const out: TokenResponse = {
    access_token: x.access_token,
    expires_in: x.expires_in,
    scope: typeof x.scope === 'string' ? x.scope : '',
    token_type: x.token_type,
  };
  if (typeof x.refresh_token === 'string' && x.refresh_token !== '') out.refresh_token = x.refresh_token;
  if (typeof x.refresh_token_expires_in === 'number') out.refresh_token_expires_in = x.refresh_token_expires_in;
  return out;
}

async function tokenRequest(c: ClientCredentials, params: Record<string, string>): Promise<TokenResponse> {
  const form = new URLSearchParams({ ...params, client_id: c.clientId });
  if (c.clientSecret !== undefined) form.set('client_secret', c.clientSecret);
  const res = await fetch(c.tokenEndpoint ?? GOOGLE_TOKEN_ENDPOINT, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form.toString(),
    signal: AbortSignal.timeout(c.timeoutMs ?? 30_000),
  });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  if (!res.ok) {
    const e = body as { error?: unknown; error_description?: unknown } | null;
    const error = typeof e?.error === 'string' ? e.error : `http_${res.status}`;
    const desc = typeof e?.error_description === 'string' ? e.error_description : '';
    throw new OAuthError(res.status, error, desc);
  }
  return parseTokenResponse(res.status, body);
}

export interface ExchangeCodeParams extends ClientCredentials {
  code: string;
  codeVerifier: string;
  redirectUri: string;
}

/** Trades the authorization code for tokens. */
export function exchangeCode(p: ExchangeCodeParams): Promise<TokenResponse> {
  return tokenRequest(p, {
    grant_type: 'authorization_code',
    code: p.code,
    code_verifier: p.codeVerifier,
    redirect_uri: p.redirectUri,
  });
}

export interface RefreshParams extends ClientCredentials {
  refreshToken: string;
}

/** A new access token (and possibly a rotated refresh token). */
export function refresh(p: RefreshParams): Promise<TokenResponse> {
  return tokenRequest(p, { grant_type: 'refresh_token', refresh_token: p.refreshToken });
}

/** The TokenSet for a token response received at `now`; `previous` fills what a refresh leaves out. */
export function tokenSetFromResponse(r: TokenResponse, now: number, previous?: TokenSet): TokenSet {
  const refreshToken = r.refresh_token ?? previous?.refreshToken;
  if (refreshToken === undefined) {
    throw new OAuthError(200, 'invalid_response', 'no refresh_token in the answer (was access_type=offline and prompt=consent sent?)');
  }
  const scopes = r.scope.trim() === '' ? (previous?.scopes ?? []) : r.scope.split(' ').filter((s) => s !== '');
  return {
    accessToken: r.access_token,
    accessTokenExpiresAt: now + r.expires_in * 1000,
    refreshToken,
    refreshTokenExpiresAt: r.refresh_token_expires_in !== undefined ? now + r.refresh_token_expires_in * 1000 : (previous?.refreshTokenExpiresAt ?? null),
    scopes,
    obtainedAt: now,
  };
}

export type AccountAuthState = 'ok' | 'expiring-soon' | 'reauth-needed' | 'missing';

export interface TokenManagerOptions {
  account: string;
  /** Directory of the token files. */
  dir: string;
  tokenEndpoint?: string;
  clientId: string;
  clientSecret?: string;
  /** Refresh when the access token expires within this. Default 5 min. */
  refreshAheadMs?: number;
  /** Epoch ms; default Date.now. */
  clock?: Clock;
  logger?: Logger;
  /** Cross-process lock wait; default 60 s. */
  lockTimeoutMs?: number;
  /** Lock age after which it is taken over; default 60 s. */
  lockStaleMs?: number;
}

/**
 * Hands out a valid access token for one account. Safe across processes (`run` beside a `sync`
 * started by hand): refreshing happens under `<account>.json.lock`, and after taking the lock the
 * token file is read again, so a refresh another process just did is used instead of spending a
 * refresh token that was rotated away.
 */
export class TokenManager {
  readonly account: string;
  readonly path: string;
  private readonly opts: TokenManagerOptions;
  private readonly clock: Clock;
  private readonly refreshAheadMs: number;
  private inflight: Promise<string> | null = null;
  private forcedInflight: Promise<string> | null = null;
  /** The access token this manager handed out last (a forced refresh compares the file's token with it). */
  private issued: string | null = null;

  constructor(opts: TokenManagerOptions) {
    this.opts = opts;
    this.account = opts.account;
    this.path = tokenFilePath(opts.dir, opts.account);
    this.clock = opts.clock ?? systemClock;
    this.refreshAheadMs = opts.refreshAheadMs ?? 5 * 60_000;
  }

  /** Stores tokens from a fresh consent (clears a reauth-needed mark). */
  async save(tokens: TokenSet): Promise<void> {
    await mkdir(this.opts.dir, { recursive: true, mode: 0o700 });
    await withFileLock(
      `${this.path}.lock`,
      () =>
        writeTokenFile(this.opts.dir, {
          version: 1,
          account: this.account,
          tokens,
          reauthNeeded: null,
        }),
      this.lockOptions(),
    );
    this.opts.logger?.info(
      { account: this.account, scopes: tokens.scopes, refreshTokenExpiresAt: iso(tokens.refreshTokenExpiresAt) },
      'stored new authorisation',
    );
  }

  /** The account's auth state from its token file (no network). */
  state(): AccountAuthState {
    const f = readTokenFileSync(this.opts.dir, this.account);
    if (f === null) return 'missing';
    if (f.reauthNeeded !== null) return 'reauth-needed';
    const exp = f.tokens.refreshTokenExpiresAt;
    if (exp === null) return 'ok';
    const left = exp - this.clock();
    if (left <= 0) return 'reauth-needed';
    return left <= DAY_MS ? 'expiring-soon' : 'ok';
  }

  /** Scopes granted at the last consent or refresh ([] when there is no token file). */
  grantedScopes(): string[] {
    return readTokenFileSync(this.opts.dir, this.account)?.tokens.scopes ?? [];
  }

  /**
   * A valid access token, refreshed ahead of expiry. Throws ReauthNeededError when consent is needed.
   *
   * `forceRefresh` (after the API answered 401 to the token handed out last): refreshes even though
   * the token has not expired, still under the cross-process lock and after re-reading the file.
   * When the file then holds another access token than the one this manager handed out, another
   * process refreshed after ours was issued, and its token is used instead of refreshing again.
   * Concurrent forced calls share one refresh.
   */
  async getAccessToken(opts: { forceRefresh?: boolean } = {}): Promise<string> {
    if (opts.forceRefresh) {
      if (this.forcedInflight === null) {
        const rejected = this.issued;
        this.forcedInflight = this.refreshLocked(rejected ?? '').finally(() => {
          this.forcedInflight = null;
        });
      }
      return this.forcedInflight;
    }
    if (this.forcedInflight !== null) return this.forcedInflight;
    const f = await readTokenFile(this.opts.dir, this.account);
    const fresh = this.usable(f);
    if (fresh !== null) return (this.issued = fresh);
    if (this.inflight === null) {
      this.inflight = this.refreshLocked().finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }

  private lockOptions(): { timeoutMs: number; staleMs: number } {
    return { timeoutMs: this.opts.lockTimeoutMs ?? 60_000, staleMs: this.opts.lockStaleMs ?? 60_000 };
  }

  /** The stored access token when it is good for longer than refreshAheadMs; throws when reauth is needed. */
  private usable(f: TokenFile | null): string | null {
    if (f === null) throw new ReauthNeededError(this.account, 'missing');
    if (f.reauthNeeded !== null) throw new ReauthNeededError(this.account, 'invalid_grant', f.reauthNeeded.reason);
    return this.clock() < f.tokens.accessTokenExpiresAt - this.refreshAheadMs ? f.tokens.accessToken : null;
  }

  /** `rejected`: a forced refresh; the token the API refused ('' when this manager handed out none). */
  private async refreshLocked(rejected?: string): Promise<string> {
    const token = await withFileLock(`${this.path}.lock`, () => this.refreshUnderLock(rejected), this.lockOptions());
    this.issued = token;
    return token;
  }

  private async refreshUnderLock(rejected: string | undefined): Promise<string> {
    // Re-read under the lock: another process may have refreshed (and rotated the refresh token).
    const f = await readTokenFile(this.opts.dir, this.account);
    const fresh = this.usable(f);
    if (rejected === undefined) {
      if (fresh !== null) {
        this.opts.logger?.debug({ account: this.account }, 'access token was refreshed by another process');
        return fresh;
      }
    } else {
      const theirs = (f as TokenFile).tokens;
      if (rejected !== '' && theirs.accessToken !== rejected && this.clock() < theirs.accessTokenExpiresAt - 30_000) {
        this.opts.logger?.debug({ account: this.account }, 'access token was refreshed by another process since it was refused');
        return theirs.accessToken;
      }
    }
    const file = f as TokenFile;
    const now = this.clock();
    const rexp = file.tokens.refreshTokenExpiresAt;
    if (rexp !== null && now >= rexp) {
      await this.markReauth(file, 'refresh token expired (consent older than its lifetime)');
      throw new ReauthNeededError(this.account, 'refresh-expired');
    }
    let r: TokenResponse;
    try {
      r = await refresh({
        tokenEndpoint: this.opts.tokenEndpoint,
        clientId: this.opts.clientId,
        clientSecret: this.opts.clientSecret,
        refreshToken: file.tokens.refreshToken,
      });
    } catch (e) {
      if (e instanceof OAuthError && e.error === 'invalid_grant') {
        await this.markReauth(file, `${e.error}: ${e.errorDescription}`);
        throw new ReauthNeededError(this.account, 'invalid_grant', e.errorDescription);
      }
      // Transient trouble (network, 5xx): the current token still works if it has not expired yet
      // (not after a forced refresh: the API has just refused it).
      if (rejected === undefined && this.clock() < file.tokens.accessTokenExpiresAt - 30_000) {
        this.opts.logger?.warn({ account: this.account, err: errText(e) }, 'token refresh failed; using the current access token until it expires');
        return file.tokens.accessToken;
      }
      throw e;
    }
    const tokens = tokenSetFromResponse(r, this.clock(), file.tokens);
    await writeTokenFile(this.opts.dir, { version: 1, account: this.account, tokens, reauthNeeded: null });
    this.opts.logger?.info(
      {
        account: this.account,
        accessTokenExpiresAt: iso(tokens.accessTokenExpiresAt),
        refreshTokenExpiresAt: iso(tokens.refreshTokenExpiresAt),
        rotated: r.refresh_token !== undefined,
        forced: rejected !== undefined,
      },
      'refreshed access token',
    );
    return tokens.accessToken;
  }

  private async markReauth(file: TokenFile, reason: string): Promise<void> {
    await writeTokenFile(this.opts.dir, { ...file, reauthNeeded: { at: this.clock(), reason } });
    this.opts.logger?.warn({ account: this.account, reason }, `authorisation lost; run: fitbit-bridge auth --account ${this.account}`);
  }
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
