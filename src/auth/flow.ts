/**
 * One consent, start to end, shared by `fitbit-bridge auth` (terminal) and the `/auth` page of
 * `fitbit-bridge run` (any browser): a consent URL with a fresh state and PKCE pair, then the
 * code (from the loopback redirect or from a redirect URL pasted by hand) traded for tokens,
 * which are checked (scopes) and stored in the account's token file.
 */
import type { LoadedConfig } from '../config/load.js';
import { BridgeError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { DAY_MS } from '../time/index.js';
import type { Logger } from '../util/log.js';
import { parsePastedRedirect } from './loopback.js';
import { buildAuthorizeUrl, exchangeCode, hasScope, READ_SCOPES, tokenSetFromResponse, TokenManager } from './oauth-client.js';
import { createPkcePair, createState } from './pkce.js';
import { scopeNeededFor, shortScope } from '../sources/google-health/scopes.js';
import type { TokenSet } from './token-store.js';

/** What a consent needs from the configuration. */
export interface OAuthClientConfig {
  clientId: string;
  clientSecret?: string;
  authorizeEndpoint: string;
  tokenEndpoint: string;
  tokenDir: string;
}

/** Thrown when google.client_id is not configured. */
export class MissingClientError extends BridgeError {
  constructor() {
    super(
      'no Google OAuth client is configured (google.client_id)',
      'Set google.client_id and google.client_secret (or client_secret_file) in the config, then run fitbit-bridge auth',
      EXIT.USAGE,
      { message: 'no Google OAuth client is configured (google.client_id)' },
    );
    this.name = 'MissingClientError';
  }
}

/** The OAuth client settings of the configuration; throws MissingClientError without a client id. */
export function oauthClientConfig(config: LoadedConfig): OAuthClientConfig {
  const g = config.google;
  if (!g.client_id) throw new MissingClientError();
  const out: OAuthClientConfig = {
    clientId: g.client_id,
    authorizeEndpoint: g.authorize_endpoint,
    tokenEndpoint: g.token_endpoint,
    tokenDir: g.token_dir,
  };
  if (g.client_secret !== undefined) out.clientSecret = g.client_secret;
  return out;
}

/** The TokenManager of one account. */
export function tokenManagerFor(c: OAuthClientConfig, account: string, logger?: Logger): TokenManager {
  const opts: ConstructorParameters<typeof TokenManager>[0] = {
    account,
    dir: c.tokenDir,
    tokenEndpoint: c.tokenEndpoint,
    clientId: c.clientId,
  };
  if (c.clientSecret !== undefined) opts.clientSecret = c.clientSecret;
  if (logger !== undefined) opts.logger = logger;
  return new TokenManager(opts);
}

export interface CompletedAuthorization {
  account: string;
  tokens: TokenSet;
  /** Scopes the bridge asked for that Google did not grant (the user unticked them). */
  missingScopes: string[];
}

/** A consent in progress: open `url`, then hand the code (or the pasted redirect URL) to `complete*`. */
export class PendingAuthorization {
  readonly url: string;
  readonly state: string;
  readonly createdAt: number;
  private readonly verifier: string;
  private done = false;

  readonly scopes: readonly string[];
  private readonly logger: Logger | undefined;

  constructor(
    private readonly client: OAuthClientConfig,
    readonly account: string,
    readonly redirectUri: string,
    opts: { logger?: Logger; state?: string; scopes?: readonly string[] } = {},
  ) {
    this.logger = opts.logger;
    this.scopes = opts.scopes ?? READ_SCOPES;
    this.state = opts.state ?? createState();
    const pkce = createPkcePair();
    this.verifier = pkce.verifier;
    this.createdAt = Date.now();
    this.url = buildAuthorizeUrl({
      authorizeEndpoint: client.authorizeEndpoint,
      clientId: client.clientId,
      redirectUri,
      scopes: this.scopes,
      state: this.state,
      codeChallenge: pkce.challenge,
    });
  }

  /** Completes with a redirect URL (or its query) pasted by hand; checks the state. */
  completeWithPastedUrl(pasted: string): Promise<CompletedAuthorization> {
    return this.completeWithCode(parsePastedRedirect(pasted, this.state));
  }

  /** Trades the code for tokens and stores them in the account's token file (clears a reauth-needed mark). */
  async completeWithCode(code: string): Promise<CompletedAuthorization> {
    if (this.done) throw new Error('this authorisation was already completed; start a new one');
    this.done = true;
    const params: Parameters<typeof exchangeCode>[0] = {
      tokenEndpoint: this.client.tokenEndpoint,
      clientId: this.client.clientId,
      code,
      codeVerifier: this.verifier,
      redirectUri: this.redirectUri,
    };
    if (this.client.clientSecret !== undefined) params.clientSecret = this.client.clientSecret;
    const r = await exchangeCode(params);
    const tokens = tokenSetFromResponse(r, Date.now());
    await tokenManagerFor(this.client, this.account, this.logger).save(tokens);
    const missingScopes = this.scopes.filter((s) => !hasScope(tokens.scopes, s));
    if (missingScopes.length)
      this.logger?.warn(
        { account: this.account, missingScopes },
        `Google granted fewer scopes than asked for: ${describeMissingScopes(missingScopes)}; run fitbit-bridge auth --account ${this.account} again and tick every box to grant them`,
      );
    return { account: this.account, tokens, missingScopes };
  }
}

/** `googlehealth.sleep.readonly (dataPoints.list needs to read sleep), …`: the scopes and what needs them. */
export function describeMissingScopes(scopes: readonly string[]): string {
  return scopes.map((s) => `${shortScope(s)} (${scopeNeededFor(s)})`).join(', ');
}

/** A short human line on how long the consent lasts (Testing-mode apps: 7 days). */
export function describeRefreshLifetime(tokens: TokenSet, now = Date.now()): string {
  if (tokens.refreshTokenExpiresAt === null) return 'the authorisation does not expire by itself (app in production)';
  const days = (tokens.refreshTokenExpiresAt - now) / DAY_MS;
  return (
    `the authorisation lasts until ${new Date(tokens.refreshTokenExpiresAt).toISOString()} (${days.toFixed(1)} days; ` +
    'apps in Testing mode need a new consent every 7 days: run `fitbit-bridge auth` again, or use the /auth page of `fitbit-bridge run`)'
  );
}
