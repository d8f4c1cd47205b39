/**
 * Doctor check `config`: the configuration loads and validates; says which file and which
 * environment variables / flags it came from (names only, never values).
 */
import { errText } from '../errors.js';
import { configFilePath, ConfigError, ENV_PREFIX, loadConfig, RESERVED_ENV, type LoadedConfig } from '../config/load.js';
import type { CheckResult, ConfigOrigin } from './types.js';

export interface ConfigCheckOptions {
  /** --config */
  file?: string;
  /** --db */
  db?: string;
  /** --log-level */
  logLevel?: string;
  env: NodeJS.ProcessEnv;
}

export interface ConfigCheckOutcome {
  result: CheckResult;
  config: LoadedConfig | null;
  origin: ConfigOrigin;
}

export function checkConfig(opts: ConfigCheckOptions): ConfigCheckOutcome {
  const reserved = new Set(RESERVED_ENV);
  const env = Object.keys(opts.env)
    .filter((k) => k.startsWith(ENV_PREFIX) && !reserved.has(k) && opts.env[k] !== undefined)
    .sort();
  const flags = [opts.db !== undefined ? '--db' : null, opts.logLevel !== undefined ? '--log-level' : null].filter((x): x is string => x !== null);
  let file: string | null = null;
  try {
    file = configFilePath({ ...(opts.file !== undefined ? { file: opts.file } : {}), env: opts.env });
  } catch {
    file = opts.file ?? null;
  }
  const origin: ConfigOrigin = { file, env, flags };
  const fromParts = [
    file !== null ? `file ${file}` : 'no config file (defaults)',
    env.length > 0 ? `env ${env.join(', ')}` : null,
    flags.length > 0 ? `flags ${flags.join(', ')}` : null,
  ]
    .filter((x): x is string => x !== null)
    .join('; ');
  try {
    const config = loadConfig({
      ...(opts.file !== undefined ? { file: opts.file } : {}),
      env: opts.env,
      overrides: { 'store.path': opts.db, 'log.level': opts.logLevel },
      overrideNames: { 'store.path': '--db', 'log.level': '--log-level' },
    });
    return {
      result: {
        id: 'config',
        name: 'config',
        status: 'ok',
        detail: `valid (${fromParts}); ${config.accounts.length} account${config.accounts.length === 1 ? '' : 's'}: ${config.accounts.map((a) => a.name).join(', ')}`,
        data: { file, env, flags, accounts: config.accounts.map((a) => a.name), store: config.store.path },
      },
      config,
      origin,
    };
  } catch (e) {
    const issues = e instanceof ConfigError ? e.issues : [errText(e)];
    return {
      result: {
        id: 'config',
        name: 'config',
        status: 'problem',
        detail: `invalid (${fromParts}): ${issues.join('; ')}`,
        fix: 'Fix the configuration (every key is described in config.example.yaml and docs/configuration.md); the other checks need a valid configuration',
        data: { file, env, flags, issues },
      },
      config: null,
      origin,
    };
  }
}
