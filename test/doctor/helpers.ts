/** Helpers of the doctor tests: a config folder with a store and token files, and injected deps. */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { READ_SCOPES } from '../../src/auth/oauth-client.js';
import { writeTokenFile, type TokenSet } from '../../src/auth/token-store.js';
import type { DoctorDeps, StatFsLike } from '../../src/doctor/index.js';
import { openStore } from '../../src/store/store.js';
import { Tmp } from '../support/tmp.js';

export const NOW = Date.UTC(2026, 4, 10, 12);
export const DAY = 86_400_000;

/** A roomy disk: 100 GiB, half free. */
export const ROOMY: StatFsLike = { bsize: 4096, blocks: 26_214_400, bavail: 13_107_200 };

export function deps(over: Partial<DoctorDeps> = {}): Partial<DoctorDeps> {
  return { now: () => NOW, statfs: async () => ROOMY, timeoutMs: 2000, platform: 'linux', ...over };
}

export interface Setup {
  dir: string;
  config: string;
  store: string;
  tokenDir: string;
}

/**
 * A folder with config.yaml (store + token folder inside it), an empty store and, per account,
 * a token file (unless `tokens` says otherwise). `yaml` is appended to the config.
 */
export async function setup(
  tmp: Tmp,
  opts: {
    accounts?: string[];
    google?: Record<string, string>;
    yaml?: string;
    tokens?: Record<string, Partial<TokenSet> | null>;
    reauth?: Record<string, string>;
    createStore?: boolean;
  } = {},
): Promise<Setup> {
  const dir = tmp.mkdir('doctor');
  const store = join(dir, 'data', 'fitbit-bridge.db');
  const tokenDir = join(dir, 'data', 'tokens');
  const accounts = opts.accounts ?? ['default'];
  const google = { client_id: 'test-client', client_secret: 'test-secret', ...opts.google };
  const lines = [
    `store:\n  path: ${store}`,
    `accounts:\n${accounts.map((a) => `  - name: ${a}`).join('\n')}`,
    `google:\n${Object.entries(google)
      .map(([k, v]) => `  ${k}: ${v}`)
      .join('\n')}\n  token_dir: ${tokenDir}`,
    opts.yaml ?? '',
  ];
  const config = join(dir, 'config.yaml');
  writeFileSync(config, `${lines.join('\n')}\n`);
  mkdirSync(join(dir, 'data'), { recursive: true });
  if (opts.createStore !== false) openStore(store).close();
  for (const a of accounts) {
    const t = opts.tokens?.[a];
    if (t === null) continue;
    const tokens: TokenSet = {
      accessToken: `at-${a}`,
      accessTokenExpiresAt: NOW + 3600_000,
      refreshToken: `rt-${a}`,
      refreshTokenExpiresAt: NOW + 6 * DAY,
      scopes: [...READ_SCOPES],
      obtainedAt: NOW - DAY,
      ...t,
    };
    const reason = opts.reauth?.[a];
    await writeTokenFile(tokenDir, { version: 1, account: a, tokens, reauthNeeded: reason !== undefined ? { at: NOW - 3600_000, reason } : null });
  }
  try {
    chmodSync(tokenDir, 0o700);
  } catch {
    /* no token folder */
  }
  return { dir, config, store, tokenDir };
}
