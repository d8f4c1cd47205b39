/**
 * The live source of one account from the loaded configuration: its TokenManager (token file in
 * google.token_dir, refresh at google.token_endpoint) and a HealthClient (google.api_base_url,
 * google.quota_per_minute), plus the account's time zone and the sync settings.
 */
import { MissingClientError, oauthClientConfig, tokenManagerFor } from '../../auth/flow.js';
import type { TokenManager } from '../../auth/oauth-client.js';
import type { LoadedConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import type { Store } from '../../store/types.js';
import { BridgeError } from '../../errors.js';
import { EXIT } from '../../exit-codes.js';
import type { Clock } from '../../time/index.js';
import type { Logger } from '../../util/log.js';
import { HealthClient, type HealthClientOptions, type RequestEvent } from './client.js';
import { HealthApiError } from './errors.js';
import { GET_SETTINGS, missingConsentScopes, missingScopeMessage, readScope, shortMethod, shortScope } from './scopes.js';

export { MissingClientError };
/** For the CLI, which loads this module on demand (src/cli/commands/sync.ts). */
export { HealthApiError } from './errors.js';

export interface AccountSourceOptions {
  config: LoadedConfig;
  account: string;
  logger?: Logger;
  signal?: AbortSignal;
  onRequest?: (e: RequestEvent) => void;
  /** Epoch ms (tests); default Date.now. */
  clock?: Clock;
}

export interface AccountSource {
  account: string;
  tokens: TokenManager;
  client: HealthClient;
  quotaPerMinute: number;
  sync: Config['sync'];
  /** Closes the client's connections. */
  close(): Promise<void>;
}

/** Builds TokenManager + HealthClient for `account`. Throws MissingClientError without google.client_id. */
export function createAccountSource(opts: AccountSourceOptions): AccountSource {
  const g = opts.config.google;
  const tokens = tokenManagerFor(oauthClientConfig(opts.config), opts.account, opts.logger);
  const copts: HealthClientOptions = {
    baseUrl: g.api_base_url,
    getAccessToken: (o) => tokens.getAccessToken(o),
    quotaPerMinute: g.quota_per_minute,
  };
  if (opts.logger) copts.logger = opts.logger;
  if (opts.signal) copts.signal = opts.signal;
  if (opts.onRequest) copts.onRequest = opts.onRequest;
  if (opts.clock) copts.clock = opts.clock;
  const client = new HealthClient(copts);
  return {
    account: opts.account,
    tokens,
    client,
    quotaPerMinute: g.quota_per_minute,
    sync: opts.config.sync,
    close: () => client.close(),
  };
}

/**
 * The account's IANA zone for the sync: an explicit one, else the account's `timezone` in the
 * config, else the zone stored for the account (earlier imports), else takeout.timezone; null
 * when none is known (the caller asks for one: a zone is never guessed).
 */
export function accountTimezone(config: LoadedConfig, store: Store, account: string, explicit?: string): string | null {
  if (explicit) return explicit;
  const a = config.accounts.find((x) => x.name === account);
  return a?.timezone ?? store.getAccount(account)?.timezone ?? config.takeout.timezone ?? null;
}

/** Neither the config, the store nor the Google account settings name the account's zone. */
export class NoTimezoneError extends BridgeError {
  constructor(readonly account: string) {
    super(`the time zone of account ${account} is unknown and its Google account settings name none; set accounts[].timezone in the config`, '', EXIT.USAGE);
    this.name = 'NoTimezoneError';
  }
}

/**
 * No time zone is configured, and the Google account settings that name it cannot be read: the
 * account's authorisation lacks googlehealth.settings.readonly (authorised before fitbit-bridge
 * asked for it).
 */
export class SettingsScopeMissingError extends BridgeError {
  constructor(
    readonly account: string,
    options: { cause?: unknown } = {},
  ) {
    const scope = shortScope(readScope('settings'));
    super(
      `the time zone of account ${account} is not configured, and reading it from the Google account settings (${shortMethod(GET_SETTINGS)}) needs ${scope}, ` +
        "which the account's authorisation lacks (authorisations made before fitbit-bridge asked for it lack it)",
      `Run fitbit-bridge auth --account ${account} and allow ${scope} on Google's consent page, or set accounts[].timezone in the config`,
      EXIT.USAGE,
      options,
    );
    this.name = 'SettingsScopeMissingError';
  }
}

/**
 * accountTimezone, else the zone of the Google account's settings (`users/me/settings`
 * `timeZone`), which is then stored for the account. Throws NoTimezoneError when none is known,
 * SettingsScopeMissingError when the settings may not be read (the authorisation lacks
 * settings.readonly).
 */
export async function resolveAccountTimezone(config: LoadedConfig, store: Store, account: string, client: HealthClient, logger?: Logger): Promise<string> {
  const known = accountTimezone(config, store, account);
  if (known) return known;
  let tz: unknown;
  try {
    tz = (await client.settings()).timeZone;
  } catch (e) {
    if (e instanceof HealthApiError && e.kind === 'missing-scope') throw new SettingsScopeMissingError(account, { cause: e });
    throw e;
  }
  if (typeof tz !== 'string' || tz === '') throw new NoTimezoneError(account);
  const prev = store.getAccount(account);
  store.setAccount({ name: account, profileId: prev?.profileId ?? null, timezone: tz });
  logger?.info({ account, timezone: tz }, 'time zone taken from the Google account settings');
  return tz;
}

const toldScopes = new Set<string>();

/**
 * Tells, once per account and process, of every consent scope the account's authorisation lacks
 * (`granted`: its token file's scopes): a warning naming the scope, the call that needs it and
 * why, what goes on meanwhile and the command that grants it (scopes.ts missingScopeMessage).
 * `timezone`: the account's configured zone, if any. Returns the missing scopes.
 */
export function warnMissingScopes(account: string, granted: readonly string[], timezone: string | null, logger?: Logger): string[] {
  const missing = missingConsentScopes(granted);
  for (const scope of missing) {
    const key = `${account} ${scope}`;
    if (toldScopes.has(key)) continue;
    toldScopes.add(key);
    logger?.warn({ account, scope }, missingScopeMessage(account, scope, timezone));
  }
  return missing;
}
