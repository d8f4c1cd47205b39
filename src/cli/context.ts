/**
 * Builds what every command needs from the global options: configuration, logger and (lazily)
 * the store. Modules that are heavy or written elsewhere are imported on demand so `--help`
 * stays fast.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import type { AccountConfig } from '../config/schema.js';
import { BridgeError } from '../errors.js';
import type { Store } from '../store/types.js';
import { createLogger, type Logger } from '../util/log.js';
import { CliError, isSqliteError, storeError, usageError } from './errors.js';
import { EXIT } from '../exit-codes.js';
import { mkdirPrivate } from '../util/private-fs.js';

/** Options every command accepts (before or after the command name). */
export interface GlobalOptions {
  db?: string;
  config?: string;
  logLevel?: string;
}

export interface OpenStoreOptions {
  /** Open read-only (stats, dump). */
  readonly?: boolean;
  /** Fail with exit code 4 when the file does not exist (read-only commands). */
  mustExist?: boolean;
}

export interface Context {
  config: LoadedConfig;
  logger: Logger;
  /** Effective log level (flag > FITBIT_BRIDGE_LOG_LEVEL > config log.level). */
  logLevel: string;
  storePath: string;
  openStore(opts?: OpenStoreOptions): Promise<Store>;
}

/** Names of the flags that map onto config keys (for messages). */
const OVERRIDE_NAMES: Record<string, string> = { 'store.path': '--db', 'log.level': '--log-level' };

export function createContext(globals: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Context {
  const config = loadConfig({
    file: globals.config,
    env,
    overrides: { 'store.path': globals.db, 'log.level': globals.logLevel },
    overrideNames: OVERRIDE_NAMES,
  });
  const envLevel = env.FITBIT_BRIDGE_LOG_LEVEL;
  const logLevel = globals.logLevel ?? (envLevel !== undefined && envLevel !== '' ? envLevel : config.log.level);
  const logger = createLogger(logLevel);
  const storePath = config.store.path;

  async function openStore(opts: OpenStoreOptions = {}): Promise<Store> {
    if (opts.mustExist && !existsSync(storePath)) {
      throw new CliError(
        `no store at ${storePath}`,
        'Import data first (fitbit-bridge import-takeout <path>), or point --db or FITBIT_BRIDGE_DB at an existing store',
        EXIT.INPUT,
      );
    }
    if (existsSync(storePath) && statSync(storePath).isDirectory()) {
      throw storeError(`the store path ${storePath} is a directory`, 'Give the path of a file with --db or store.path');
    }
    const mod = await import('../store/store.js');
    try {
      if (!opts.readonly) mkdirPrivate(dirname(storePath));
      const store = mod.openStore(storePath, { readonly: opts.readonly ?? false });
      // which version of a physical sleep counts (takeout.sleep_version): stored for every process
      // (a change takes effect at once and makes the sinks re-send the nights); read-only: this run only
      try {
        store.setSleepVersion(config.takeout.sleep_version);
      } catch (e) {
        store.close();
        throw e;
      }
      return store;
    } catch (e) {
      if (e instanceof BridgeError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (isSqliteError(e) || code === 'EACCES' || code === 'EROFS' || code === 'EPERM') {
        throw storeError(
          `cannot open the store ${storePath}: ${(e as Error).message}`,
          'Check that the file is a fitbit-bridge store and that you may read and write it',
          e,
        );
      }
      throw e;
    }
  }

  logger.debug({ storePath, logLevel }, 'configuration loaded');
  return { config, logger, logLevel, storePath, openStore };
}

/** The configured account by name, or undefined. */
export function accountConfig(config: LoadedConfig, name: string): AccountConfig | undefined {
  return config.accounts.find((a) => a.name === name);
}

/**
 * The account a command works on: `--account`, else the first configured one. It must be in the
 * configuration or already in the store; otherwise a usage error lists the known ones.
 */
export function resolveAccount(config: LoadedConfig, store: Store, flag: string | undefined): string {
  const account = flag ?? config.accounts[0]?.name ?? 'default';
  const configured = config.accounts.map((a) => a.name);
  const inStore = store.accounts().map((a) => a.name);
  if (!configured.includes(account) && !inStore.includes(account)) {
    throw usageError(
      `account "${account}" is neither in the configuration nor in the store (known: ${[...new Set([...configured, ...inStore])].join(', ')})`,
      `Add it under accounts: in the config file (or set FITBIT_BRIDGE_ACCOUNTS__<n>__NAME=${account}), or check the spelling`,
    );
  }
  return account;
}
