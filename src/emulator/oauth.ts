/**
 * Emulator of Google's OAuth 2.0 endpoints for installed apps (authorization code + PKCE S256,
 * loopback redirect), strict enough to catch client mistakes:
 *
 * - `GET /o/oauth2/v2/auth` consents automatically and redirects to the loopback `redirect_uri`.
 * - `POST /token` handles `authorization_code` (PKCE verified, code single-use, redirect_uri must
 *   match) and `refresh_token`.
 * - `POST /revoke` revokes a grant by one of its tokens.
 *
 * Deliberate choices (document these when comparing with live Google):
 * - Refresh tokens ROTATE on every refresh and the old one is invalid at once (grace 0 s). Live
 *   Google usually keeps the refresh token; a client that survives strict rotation survives both.
 * - A grant (consent) has a refresh lifetime counted from the consent, like apps in *Testing*
 *   status (7 days): `refresh_token_expires_in` counts down from the consent across rotations.
 * - Tokens are random (crypto.randomBytes, base64url) and are never logged.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../time/index.js';

/** A client registered at the emulator. `secret: null` = public client (no secret required). */
export interface EmulatorClient {
  id: string;
  secret: string | null;
}

export const EMULATOR_CLIENT_ID = 'fitbit-bridge-emulator.apps.googleusercontent.com';
export const EMULATOR_CLIENT_SECRET = 'GOCSPX-emulator-not-a-secret';

/** Scopes the emulated consent screen knows (new `.readonly` names and the older suffix-less ones). */
const SCOPE_PREFIX = 'https://www.googleapis.com/auth/googlehealth.';
const SCOPE_AREAS = ['activity_and_fitness', 'health_metrics_and_measurements', 'sleep', 'profile', 'settings', 'location', 'nutrition'];

export function isKnownScope(scope: string): boolean {
  if (!scope.startsWith(SCOPE_PREFIX)) return ['openid', 'email', 'profile'].includes(scope);
  const rest = scope.slice(SCOPE_PREFIX.length);
  const area = rest.endsWith('.readonly') ? rest.slice(0, -'.readonly'.length) : rest;
  return SCOPE_AREAS.includes(area);
}

export interface OAuthEmulatorOptions {
  clients: EmulatorClient[];
  refreshTokenLifetimeSec: number;
  accessTokenLifetimeSec: number;
  clock: Clock;
  /** Delay before answering `POST /token` (widens races in tests). */
  tokenDelayMs: number;
}

export interface OAuthStats {
  /** Every `POST /token`, whatever the outcome. */
  tokenRequests: number;
  /** Every `grant_type=refresh_token` request, whatever the outcome. */
  refreshes: number;
}

interface Grant {
  clientId: string;
  scopes: string[];
  consentAt: number;
  refreshExpiresAt: number;
  revoked: boolean;
}

interface AuthCode {
  grant: Omit<Grant, 'consentAt' | 'refreshExpiresAt' | 'revoked'>;
  redirectUri: string;
  codeChallenge: string;
  expiresAt: number;
  used: boolean;
}

interface AccessToken {
  grant: Grant;
  expiresAt: number;
}
interface RefreshToken {
  grant: Grant;
  valid: boolean;
}

const CODE_LIFETIME_MS = 10 * 60_000;

export function randomToken(prefix: string, bytes = 32): string {
  return prefix + randomBytes(bytes).toString('base64url');
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** True for `http://127.0.0.1:PORT/...`, `http://[::1]:PORT/...`, `http://localhost:PORT/...`. */
export function isLoopbackRedirect(uri: string): boolean {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return false;
  }
  return u.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(u.hostname) && u.hash === '' && u.username === '';
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Google's consent-screen error page ("Access blocked … Error 400: invalid_request"). */
export function sendAuthorizeError(res: ServerResponse, status: number, error: string, detail: string): void {
  const body =
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Error ${status}: ${escapeHtml(error)}</title></head>` +
    `<body><h1>Access blocked: Authorization Error</h1><p>${escapeHtml(detail)}</p>` +
    `<p>Error ${status}: ${escapeHtml(error)}</p></body></html>\n`;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-cache, no-store, max-age=0, must-revalidate',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function oauthError(res: ServerResponse, status: number, error: string, description: string): void {
  sendJson(res, status, { error, error_description: description });
}

const MAX_BODY = 64 * 1024;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export class OAuthEmulator {
  readonly stats: OAuthStats = { tokenRequests: 0, refreshes: 0 };
  private readonly codes = new Map<string, AuthCode>();
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly refreshTokens = new Map<string, RefreshToken>();
  private readonly grants = new Set<Grant>();

  constructor(private readonly opts: OAuthEmulatorOptions) {}

  /** Every grant revoked: refresh and access tokens stop working (user removed the app's access). */
  revokeAll(): void {
    for (const g of this.grants) g.revoked = true;
  }

  /** Every grant's refresh lifetime ends now (the 7-day Testing-mode expiry); access tokens live on. */
  expireRefreshTokens(): void {
    const now = this.opts.clock();
    for (const g of this.grants) g.refreshExpiresAt = Math.min(g.refreshExpiresAt, now);
  }

  /**
   * A consent without the browser dance (tests, the emulator's control surface): a new grant for
   * `clientId` with `scopes`, and its token response (access + refresh token).
   */
  mint(clientId: string, scopes: string[]): Record<string, string | number> {
    const now = this.opts.clock();
    const grant: Grant = { clientId, scopes: [...scopes], consentAt: now, refreshExpiresAt: now + this.opts.refreshTokenLifetimeSec * 1000, revoked: false };
    this.grants.add(grant);
    return this.issue(grant, true);
  }

  /** The grant behind a `Bearer` access token, or null when missing, unknown, expired or revoked. */
  authenticate(authorization: string | undefined): { accessToken: string; scopes: string[] } | null {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const token = m?.[1];
    if (token === undefined) return null;
    const at = this.accessTokens.get(token);
    if (!at || at.grant.revoked || this.opts.clock() >= at.expiresAt) return null;
    return { accessToken: token, scopes: [...at.grant.scopes] };
  }

  /** `GET /o/oauth2/v2/auth`: validates like Google, then consents on the user's behalf. */
  handleAuthorize(res: ServerResponse, url: URL): void {
    const q = url.searchParams;
    const p = (k: string): string | null => {
      const all = q.getAll(k);
      return all.length === 1 ? (all[0] ?? null) : null;
    };
    const clientId = p('client_id');
    if (!clientId) return sendAuthorizeError(res, 400, 'invalid_request', 'Missing required parameter: client_id');
    if (!this.opts.clients.some((c) => c.id === clientId)) {
      return sendAuthorizeError(res, 401, 'invalid_client', 'The OAuth client was not found.');
    }
    const redirectUri = p('redirect_uri');
    if (!redirectUri) return sendAuthorizeError(res, 400, 'invalid_request', 'Missing required parameter: redirect_uri');
    if (!isLoopbackRedirect(redirectUri)) {
      return sendAuthorizeError(res, 400, 'invalid_request', `Invalid parameter value for redirect_uri: not a loopback address: ${redirectUri}`);
    }
    const responseType = p('response_type');
    if (responseType !== 'code') {
      return sendAuthorizeError(res, 400, 'invalid_request', `Invalid response_type: ${responseType ?? '(missing)'}`);
    }
    const scope = p('scope');
    if (!scope || scope.trim() === '') return sendAuthorizeError(res, 400, 'invalid_request', 'Missing required parameter: scope');
    const scopes = [...new Set(scope.split(' ').filter((s) => s !== ''))];
    const unknown = scopes.filter((s) => !isKnownScope(s));
    if (unknown.length > 0) return sendAuthorizeError(res, 400, 'invalid_scope', `Some requested scopes were invalid: ${unknown.join(' ')}`);
    const state = p('state');
    if (!state) return sendAuthorizeError(res, 400, 'invalid_request', 'Missing required parameter: state');
    const challenge = p('code_challenge');
    if (!challenge || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
      return sendAuthorizeError(res, 400, 'invalid_request', 'Missing or invalid code_challenge (expected S256, 43 base64url characters)');
    }
    if (p('code_challenge_method') !== 'S256') {
      return sendAuthorizeError(res, 400, 'invalid_request', 'code_challenge_method must be S256');
    }
    if (p('access_type') !== 'offline') {
      return sendAuthorizeError(res, 400, 'invalid_request', 'access_type must be offline (the bridge needs a refresh token)');
    }
    const code = randomToken('4/0A', 48);
    this.codes.set(code, {
      grant: { clientId, scopes },
      redirectUri,
      codeChallenge: challenge,
      expiresAt: this.opts.clock() + CODE_LIFETIME_MS,
      used: false,
    });
    const target = new URL(redirectUri);
    target.searchParams.set('state', state);
    target.searchParams.set('code', code);
    target.searchParams.set('scope', scopes.join(' '));
    res.writeHead(302, { location: target.toString(), 'content-length': 0 });
    res.end();
  }

  /** `POST /token`. */
  async handleToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.stats.tokenRequests++;
    let form: URLSearchParams;
    try {
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      const body = await readBody(req);
      if (type !== 'application/x-www-form-urlencoded') {
        return oauthError(res, 400, 'invalid_request', 'Invalid Content-Type, expected application/x-www-form-urlencoded');
      }
      form = new URLSearchParams(body);
    } catch {
      return oauthError(res, 400, 'invalid_request', 'Unreadable request body');
    }
    if (form.get('grant_type') === 'refresh_token') this.stats.refreshes++;
    if (this.opts.tokenDelayMs > 0) await new Promise((r) => setTimeout(r, this.opts.tokenDelayMs));

    const client = this.authenticateClient(req, form);
    if (client === 'missing') return oauthError(res, 400, 'invalid_request', 'Missing required parameter: client_id');
    if (client === null) return oauthError(res, 401, 'invalid_client', 'The OAuth client was not found.');
    if (client === 'bad-secret') return oauthError(res, 401, 'invalid_client', 'Unauthorized');

    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') return this.codeGrant(res, client, form);
    if (grantType === 'refresh_token') return this.refreshGrant(res, client, form);
    return oauthError(res, 400, 'unsupported_grant_type', `Invalid grant_type: ${grantType ?? ''}`);
  }

  /** `POST /revoke` (token in the form or the query): revokes the whole grant. */
  async handleRevoke(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    let token = url.searchParams.get('token');
    try {
      const body = await readBody(req);
      token = new URLSearchParams(body).get('token') ?? token;
    } catch {
      return oauthError(res, 400, 'invalid_request', 'Unreadable request body');
    }
    const grant = token ? (this.refreshTokens.get(token)?.grant ?? this.accessTokens.get(token)?.grant) : undefined;
    if (!grant || grant.revoked) return oauthError(res, 400, 'invalid_token', 'Token expired or revoked');
    grant.revoked = true;
    sendJson(res, 200, {});
  }

  private authenticateClient(req: IncomingMessage, form: URLSearchParams): EmulatorClient | null | 'missing' | 'bad-secret' {
    let id = form.get('client_id');
    let secret = form.get('client_secret');
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (basic !== undefined) {
      const decoded = Buffer.from(basic, 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i > 0) {
        id = decodeURIComponent(decoded.slice(0, i));
        secret = decodeURIComponent(decoded.slice(i + 1));
      }
    }
    if (!id) return 'missing';
    const client = this.opts.clients.find((c) => c.id === id);
    if (!client) return null;
    if (client.secret !== null && (secret === null || !safeEqual(secret, client.secret))) return 'bad-secret';
    return client;
  }

  private codeGrant(res: ServerResponse, client: EmulatorClient, form: URLSearchParams): void {
    const code = form.get('code');
    const verifier = form.get('code_verifier');
    const redirectUri = form.get('redirect_uri');
    if (!code) return oauthError(res, 400, 'invalid_request', 'Missing required parameter: code');
    if (!redirectUri) return oauthError(res, 400, 'invalid_request', 'Missing required parameter: redirect_uri');
    if (!verifier) return oauthError(res, 400, 'invalid_request', 'Missing code verifier.');
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return oauthError(res, 400, 'invalid_request', 'Invalid code verifier.');
    const entry = this.codes.get(code);
    if (!entry || entry.used || this.opts.clock() >= entry.expiresAt || entry.grant.clientId !== client.id) {
      return oauthError(res, 400, 'invalid_grant', 'Malformed auth code.');
    }
    // Single use, whatever happens next (a failed PKCE attempt burns the code too).
    entry.used = true;
    if (entry.redirectUri !== redirectUri) return oauthError(res, 400, 'redirect_uri_mismatch', 'Bad Request');
    if (!safeEqual(s256(verifier), entry.codeChallenge)) return oauthError(res, 400, 'invalid_grant', 'Bad Request');
    const now = this.opts.clock();
    const grant: Grant = {
      ...entry.grant,
      consentAt: now,
      refreshExpiresAt: now + this.opts.refreshTokenLifetimeSec * 1000,
      revoked: false,
    };
    this.grants.add(grant);
    sendJson(res, 200, this.issue(grant, true));
  }

  private refreshGrant(res: ServerResponse, client: EmulatorClient, form: URLSearchParams): void {
    const token = form.get('refresh_token');
    if (!token) return oauthError(res, 400, 'invalid_request', 'Missing required parameter: refresh_token');
    const entry = this.refreshTokens.get(token);
    const now = this.opts.clock();
    if (!entry || !entry.valid || entry.grant.revoked || now >= entry.grant.refreshExpiresAt) {
      return oauthError(res, 400, 'invalid_grant', 'Token has been expired or revoked.');
    }
    if (entry.grant.clientId !== client.id) return oauthError(res, 400, 'unauthorized_client', 'Unauthorized');
    // Strict rotation: the presented refresh token dies now (grace 0 s).
    entry.valid = false;
    sendJson(res, 200, this.issue(entry.grant, true));
  }

  private issue(grant: Grant, withRefresh: boolean): Record<string, string | number> {
    const now = this.opts.clock();
    const accessToken = randomToken('ya29.', 48);
    this.accessTokens.set(accessToken, { grant, expiresAt: now + this.opts.accessTokenLifetimeSec * 1000 });
    const body: Record<string, string | number> = {
      access_token: accessToken,
      expires_in: this.opts.accessTokenLifetimeSec,
    };
    if (withRefresh) {
      const refreshToken = randomToken('1//0', 48);
      this.refreshTokens.set(refreshToken, { grant, valid: true });
      body.refresh_token = refreshToken;
      body.refresh_token_expires_in = Math.max(0, Math.floor((grant.refreshExpiresAt - now) / 1000));
    }
    body.scope = grant.scopes.join(' ');
    body.token_type = 'Bearer';
    return body;
  }
}
