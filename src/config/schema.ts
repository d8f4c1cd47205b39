/**
 * The configuration schema: the one place that says which keys exist, their types, defaults and
 * meaning (`.describe()` texts feed the docs generator). Objects are strict: unknown keys are
 * errors, so a typo never silently falls back to a default.
 *
 * Secrets are never written here as `X_file` keys: the loader (load.ts) accepts `X_file` for any
 * key `X` of the schema and replaces it by the file's content.
 */
import { join } from 'node:path';
import envPaths from 'env-paths';
import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DUMP_FORMATS = ['csv', 'jsonl'] as const;

/** Account names end up in file paths (dump folders) and MQTT topics: keep them plain. */
export const ACCOUNT_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Per-user directories (XDG on Linux), without the `-nodejs` suffix. */
export function userPaths(): { data: string; config: string } {
  const p = envPaths('fitbit-bridge', { suffix: '' });
  return { data: p.data, config: p.config };
}

/** Default SQLite store: `<user data dir>/fitbit-bridge.db` (Linux: ~/.local/share/fitbit-bridge/fitbit-bridge.db). */
export function defaultStorePath(): string {
  return join(userPaths().data, 'fitbit-bridge.db');
}

/** Default config file: `<user config dir>/config.yaml` (Linux: ~/.config/fitbit-bridge/config.yaml). */
export function defaultConfigPath(): string {
  return join(userPaths().config, 'config.yaml');
}

/** True for a time zone name Intl knows (IANA names such as `Europe/Berlin`, plus `UTC`). */
export function isValidTimeZone(tz: string): boolean {
  if (tz.length === 0) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const timeZoneSchema = z
  .string()
  .refine(isValidTimeZone, { message: 'an IANA time zone name such as Europe/Berlin or America/New_York' });

export const accountNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(ACCOUNT_NAME_RE, { message: 'letters, digits, "_", "." and "-", starting with a letter or digit' });

const storeSchema = z
  .strictObject({
    path: z
      .string()
      .min(1)
      .optional()
      .describe('SQLite file holding all data. Default: <user data dir>/fitbit-bridge.db (Linux: ~/.local/share/fitbit-bridge/fitbit-bridge.db). Also set by --db and FITBIT_BRIDGE_DB.'),
  })
  .describe('Where the data is kept.');

const logSchema = z
  .strictObject({
    level: z.enum(LOG_LEVELS).default('info').describe('Log level of the JSON log lines on stderr. Also set by --log-level.'),
  })
  .describe('Logging.');

const accountSchema = z
  .strictObject({
    name: accountNameSchema.describe('Account name (1–64 characters: letters, digits, "_", "." and "-"); used in dump folders and later in MQTT topics.'),
    timezone: timeZoneSchema
      .optional()
      .describe('IANA time zone of the person, used where the data itself carries no offset. Default: takeout.timezone, then the zone found in the export.'),
  })
  .describe('One person whose Fitbit data is kept.');

const takeoutSchema = z
  .strictObject({
    timezone: timeZoneSchema
      .optional()
      .describe('IANA time zone for Takeout records stamped in local time when neither the account nor the export says which zone. Also set by import-takeout --timezone.'),
  })
  .describe('Google Takeout import.');

const dumpSchema = z
  .strictObject({
    dir: z.string().min(1).optional().describe('Folder the dump command writes to when no <dir> argument is given.'),
    format: z.enum(DUMP_FORMATS).default('csv').describe('File format of the per-day files: csv or jsonl. Also set by dump --format.'),
  })
  .describe('Per-day file dump (the dump command).');

export const configSchema = z
  .strictObject({
    store: storeSchema.prefault({}),
    log: logSchema.prefault({}),
    accounts: z
      .array(accountSchema)
      .min(1)
      .refine((a) => new Set(a.map((x) => x.name)).size === a.length, { message: 'account names that are all different' })
      .default([{ name: 'default' }])
      .describe('Accounts (people). The first one is the default for commands run without --account.'),
    takeout: takeoutSchema.prefault({}),
    dump: dumpSchema.prefault({}),
  })
  .describe('fitbit-bridge configuration.');

export type Config = z.infer<typeof configSchema>;
export type AccountConfig = Config['accounts'][number];
