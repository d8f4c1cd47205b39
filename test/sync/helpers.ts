/** Shared set-up of the sync tests: the real Google emulator over HTTP, a token file, a real store. */
import { join } from 'node:path';
import { TokenManager, tokenSetFromResponse } from '../../src/auth/oauth-client.js';
import { configSchema, type Config } from '../../src/config/schema.js';
import { startGoogleEmulator, type GoogleEmulator, type GoogleEmulatorOptions } from '../../src/emulator/index.js';
import { HealthClient } from '../../src/sources/google-health/client.js';
import { startNode, type ChildRun } from '../support/child.js';
import { Tmp as BaseTmp } from '../support/tmp.js';
import { ROOT_DIR, cliEnv } from '../integration/helpers.js';

export const TZ = 'America/New_York';
export const SEED = 20260312;
export const ACCOUNT = 'default';
/** A synthetic week with the spring DST change (2026-03-08 in New York). */
export const FIRST = '2026-03-02';
export const LAST = '2026-03-08';
/** The sync's "now": the afternoon after the last day. */
export const NOW = Date.UTC(2026, 2, 9, 17, 0, 0);

export class Tmp extends BaseTmp {
  constructor() {
    super('fb-sync-');
  }
}

export function syncConfig(extra: Partial<Config['sync']> = {}): Config['sync'] {
  return { ...configSchema.parse({}).sync, ...extra };
}

export async function emulator(extra: GoogleEmulatorOptions = {}): Promise<GoogleEmulator> {
  return startGoogleEmulator({ seed: SEED, timezone: TZ, firstDay: FIRST, lastDay: LAST, quotaPerMinute: 100_000, ...extra });
}

/** Stores a consent for `account` in `dir` (no browser: the emulator's token issue). */
export async function authorizeAccount(emu: GoogleEmulator, dir: string, account = ACCOUNT, scopes?: readonly string[]): Promise<TokenManager> {
  const tm = new TokenManager({ account, dir, tokenEndpoint: emu.tokenEndpoint, clientId: emu.clientId, clientSecret: emu.clientSecret });
  await tm.save(tokenSetFromResponse(emu.issueTokens(scopes), Date.now()));
  return tm;
}

export function clientFor(emu: GoogleEmulator, tm: TokenManager): HealthClient {
  return new HealthClient({ baseUrl: emu.apiBaseUrl, getAccessToken: (o) => tm.getAccessToken(o), quotaPerMinute: 100_000 });
}

/** Environment of a CLI child pointed at the emulator (config through FITBIT_BRIDGE_* variables); `timezone: null` configures no zone. */
export function syncEnv(
  home: string,
  emu: GoogleEmulator,
  tokenDir: string,
  extra: Record<string, string> = {},
  timezone: string | null = TZ,
): NodeJS.ProcessEnv {
  return cliEnv(home, {
    FITBIT_BRIDGE_GOOGLE__CLIENT_ID: emu.clientId,
    FITBIT_BRIDGE_GOOGLE__CLIENT_SECRET: emu.clientSecret,
    FITBIT_BRIDGE_GOOGLE__TOKEN_ENDPOINT: emu.tokenEndpoint,
    FITBIT_BRIDGE_GOOGLE__AUTHORIZE_ENDPOINT: emu.authorizeEndpoint,
    FITBIT_BRIDGE_GOOGLE__API_BASE_URL: emu.apiBaseUrl,
    FITBIT_BRIDGE_GOOGLE__TOKEN_DIR: tokenDir,
    FITBIT_BRIDGE_GOOGLE__QUOTA_PER_MINUTE: '100000',
    FITBIT_BRIDGE_ACCOUNTS__0__NAME: ACCOUNT,
    ...(timezone === null ? {} : { FITBIT_BRIDGE_ACCOUNTS__0__TIMEZONE: timezone }),
    ...extra,
  });
}

export type { ChildRun };

/** Runs a script (tsx) with args and env to completion. */
export async function runNode(args: string[], env: NodeJS.ProcessEnv): Promise<ChildRun> {
  const { code, signal, stdout, stderr } = await startNode(args, env, ROOT_DIR).done;
  return { code, signal, stdout, stderr };
}

export const CHILD_SCRIPT = join(ROOT_DIR, 'test/sync/child-sync.ts');
