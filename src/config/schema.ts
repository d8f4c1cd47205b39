/**
 * The configuration schema: the one place that says which keys exist, their types, defaults and
 * meaning (`.describe()` texts feed the docs generator). Objects are strict: unknown keys are
 * errors, so a typo never silently falls back to a default.
 *
 * Secrets are never written here as `X_file` keys: the loader (load.ts) accepts `X_file` for any
 * key `X` of the schema and replaces it by the file's content.
 */
import { isIP } from 'node:net';
import { join } from 'node:path';
import envPaths from 'env-paths';
import { z } from 'zod';
import { isValidTimeZone } from '../time/index.js';

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

export const timeZoneSchema = z.string().refine(isValidTimeZone, { error: 'an IANA time zone name such as Europe/Berlin or America/New_York' });

export const accountNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(ACCOUNT_NAME_RE, { error: 'letters, digits, "_", "." and "-", starting with a letter or digit' });

const storeSchema = z
  .strictObject({
    path: z
      .string()
      .min(1)
      .optional()
      .describe(
        'SQLite file holding all data. Default: <user data dir>/fitbit-bridge.db (Linux: ~/.local/share/fitbit-bridge/fitbit-bridge.db). Also set by --db and FITBIT_BRIDGE_DB.',
      ),
  })
  .describe('Where the data is kept.');

const logSchema = z
  .strictObject({
    level: z.enum(LOG_LEVELS).default('info').describe('Log level of the JSON log lines on stderr. Also set by --log-level.'),
  })
  .describe('Logging.');

const accountSchema = z
  .strictObject({
    name: accountNameSchema.describe('Account name (1–64 characters: letters, digits, "_", "." and "-"); used in dump folders, MQTT topics and metric labels.'),
    timezone: timeZoneSchema
      .optional()
      .describe('IANA time zone of the person, used where the data itself carries no offset. Default: takeout.timezone, then the zone found in the export.'),
  })
  .describe('One person whose Fitbit data is kept.');

const takeoutSchema = z
  .strictObject({
    timezone: timeZoneSchema
      .optional()
      .describe(
        'IANA time zone for Takeout records stamped in local time when neither the account nor the export says which zone. Also set by import-takeout --timezone.',
      ),
    drop_folder: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Folder `fitbit-bridge run` watches for new Takeout exports (.zip / .tgz archives, all parts of a multi-part export, or extracted folders) and imports each once. A relative path is relative to the working directory of `run`. Unset: no drop folder.',
      ),
    drop_poll_seconds: z
      .number()
      .min(1)
      .max(86_400)
      .default(60)
      .describe('How often the drop folder is scanned (polling works on network shares and SD cards; file-system events only make a scan come sooner).'),
    drop_settle_seconds: z
      .number()
      .min(0)
      .max(86_400)
      .default(120)
      .describe(
        'A dropped file (or folder) is imported only after its size and modification time stayed unchanged this long (a copy or download still in progress is waited for).',
      ),
    drop_account: accountNameSchema.optional().describe('Account the drop folder imports into. Default: the first account.'),
    sleep_version: z
      .enum(['newest', 'legacy'])
      .default('newest')
      .describe(
        'Which version of a sleep counts when several exist (Takeout lists each sleep once per algorithm version; the Google Health API has its own): newest = the highest algorithm version, the Google Health API session counting as the newest; legacy = the sleep-*.json logs (sleep_session_v1). The others stay stored as alternatives that no total, series or MQTT value counts (dump --sleep-alternatives shows them). Applies to sessions already stored; changing it makes the sinks re-send the nights.',
      ),
  })
  .describe('Google Takeout import.');

const dumpSchema = z
  .strictObject({
    dir: z.string().min(1).optional().describe('Folder the dump command writes to when no <dir> argument is given.'),
    format: z.enum(DUMP_FORMATS).default('csv').describe('File format of the per-day files: csv or jsonl. Also set by dump --format.'),
    sleep_alternatives: z
      .boolean()
      .default(false)
      .describe(
        'Also write the versions of a sleep that are not counted (takeout.sleep_version) to the sleep files, marked chosen=false. Also set by dump --sleep-alternatives.',
      ),
  })
  .describe('Per-day file dump (the dump command).');

const cronSchema = z
  .string()
  .min(1)
  .refine(
    (x) => {
      const n = x.trim().split(/\s+/).length;
      return n === 5 || n === 6;
    },
    { error: 'a cron expression of 5 or 6 fields, such as "*/5 * * * *"' },
  );

const googleSchema = z
  .strictObject({
    client_id: z
      .string()
      .min(1)
      .optional()
      .describe('OAuth client id of your Google Cloud project (Desktop app client). Needed for auth, sync and run with the live source.'),
    client_secret: z
      .string()
      .min(1)
      .optional()
      .describe(
        'OAuth client secret of that client (Desktop clients have one; Google treats it as not secret, it is still never logged). Prefer client_secret_file.',
      ),
    authorize_endpoint: z
      .url()
      .default('https://accounts.google.com/o/oauth2/v2/auth')
      .describe('Google OAuth authorization endpoint (the emulator has its own).'),
    token_endpoint: z.url().default('https://oauth2.googleapis.com/token').describe('Google OAuth token endpoint.'),
    api_base_url: z.url().default('https://health.googleapis.com').describe('Base URL of the Google Health API (v4 paths are appended).'),
    token_dir: z.string().min(1).optional().describe('Folder of the per-account token files (mode 0600). Default: tokens/ beside the store file.'),
    quota_per_minute: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(300)
      .describe('Requests per user per minute the API allows; the client stays under it by itself.'),
  })
  .describe('Google Health API (the live source) and Google OAuth.');

const syncSchema = z
  .strictObject({
    overlap_hours: z
      .number()
      .min(0)
      .max(24 * 14)
      .default(48)
      .describe(
        'Intraday types: the late-data re-read goes back this many hours before the newest synced instant (whole local days; there is no change feed: late data arrives after a phone sync). It runs every sync.overlap_every_hours per type, not on every pass.',
      ),
    overlap_every_hours: z
      .number()
      .min(0)
      .max(24 * 14)
      .default(6)
      .describe(
        'Intraday types: how often the sync.overlap_hours re-read runs per type; the passes between ask only for what is new since the newest stored point (minus sync.recent_overlap_minutes). 0: on every pass.',
      ),
    recent_overlap_minutes: z
      .number()
      .min(0)
      .max(24 * 60)
      .default(10)
      .describe('Intraday types: a pass between two late-data re-reads asks for the points from this many minutes before the newest stored point on.'),
    recent_types: z
      .array(z.string().min(1))
      .default(['heart-rate'])
      .describe(
        'Intraday data types (heart-rate, steps, distance, …) whose new data `fitbit-bridge run` fetches on every schedule.recent pass; every type (these too) is fetched by the schedule.daily pass. Each type listed costs one request a pass (288 a day at every 5 minutes).',
      ),
    recheck_days: z.number().int().min(0).max(60).default(3).describe('Daily types: the last days re-read on every pass (values are finalised late).'),
    backfill_days: z
      .number()
      .int()
      .min(0)
      .max(36_500)
      .default(3650)
      .describe('How far back the backfill goes at most (it stops earlier at the first day without data).'),
    keep_raw_pages: z
      .boolean()
      .default(true)
      .describe('Keep every raw API page (compressed) in the store so `fitbit-bridge rebuild` can re-derive the data without downloading it again.'),
  })
  .describe('Google Health API sync.');

const scheduleSchema = z
  .strictObject({
    recent: cronSchema.default('*/5 * * * *').describe('Cron: the newest intraday data of the types in sync.recent_types (heart rate).'),
    daily: cronSchema
      .default('7 */3 * * *')
      .describe(
        'Cron: every type: daily values and sessions (resting heart rate, HRV, sleep, exercise, …), the intraday types (steps, distance, …) and their late-data re-read.',
      ),
    backfill: cronSchema.default('*/10 * * * *').describe('Cron: continue the backfill of older history while quota is free.'),
  })
  .describe('When `fitbit-bridge run` does what (node-schedule cron expressions, local time of the bridge).');

const httpSchema = z
  .strictObject({
    bind: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe('Address the HTTP server of `run` listens on (/healthz, /auth, /metrics). Health data: keep it on 127.0.0.1 unless a reverse proxy guards it.'),
    port: z.number().int().min(0).max(65_535).default(8787).describe('Port of that HTTP server (0: any free port).'),
    enabled: z.boolean().default(true).describe('Serve HTTP at all.'),
    public_url: z
      .string()
      .regex(/^(https?:\/\/[^\s/]+|homeassistant:\/\/[^\s/]+)(\/\S*)?$/, {
        error: 'an http(s):// URL such as http://bridge.example.lan:8787/ (or homeassistant://hassio/ingress/<slug>)',
      })
      .optional()
      .describe(
        "The URL under which people reach the bridge's web page (behind a proxy, or Home Assistant's ingress); Home Assistant's device page links to it (discovery `configuration_url`). Default: none (no link).",
      ),
    allowed_hosts: z
      .array(z.string().min(1).max(253))
      .default([])
      .describe(
        'Host names (the Host header, with or without :port) the HTTP server answers besides localhost and IP addresses, e.g. the name a reverse proxy forwards (bridge.example.lan). Any other name gets 421: a web page cannot reach the bridge through DNS rebinding. `*` accepts every name (only behind a proxy that checks it).',
      ),
    allowed_clients: z
      .array(z.string().refine((s) => isIP(s) !== 0, { error: 'an IP address such as 172.30.32.2 or ::1' }))
      .default([])
      .describe(
        'IP addresses allowed to connect (e.g. the reverse proxy); others get 403. Empty: any. The Home Assistant add-on sets the Supervisor ingress proxy (172.30.32.2). A listed client may name the original host in X-Forwarded-Host (checked like Origin).',
      ),
  })
  .describe('The HTTP server of `fitbit-bridge run`.');

const remoteWriteSchema = z
  .strictObject({
    url: z
      .url()
      .optional()
      .describe(
        'Prometheus remote write endpoint, e.g. http://127.0.0.1:9090/api/v1/write (Prometheus with --web.enable-remote-write-receiver) or http://127.0.0.1:8428/api/v1/write (VictoriaMetrics). Unset: remote write is off.',
      ),
    username: z.string().min(1).optional().describe('HTTP basic auth user name (with password).'),
    password: z.string().min(1).optional().describe('HTTP basic auth password. Never logged. Prefer password_file.'),
    bearer_token: z
      .string()
      .min(1)
      .optional()
      .describe('Sent as Authorization: Bearer <token> (instead of basic auth). Never logged. Prefer bearer_token_file.'),
    headers: z
      .record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, { error: 'an HTTP header name' }), z.string())
      .default({})
      .describe('Extra HTTP headers of every request (e.g. X-Scope-OrgID for Mimir / Cortex).'),
    batch_samples: z.number().int().min(1).max(1_000_000).default(10_000).describe('Samples per request at most.'),
    timeout_seconds: z.number().min(1).max(3600).default(30).describe('Timeout of one request; a timed-out request is retried.'),
    max_backoff_seconds: z
      .number()
      .min(1)
      .max(3600)
      .default(60)
      .describe('Longest wait between retries while the TSDB is down or overloaded (5xx, 429, no connection).'),
    from: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'a date YYYY-MM-DD' })
      .optional()
      .describe('Oldest local day to send (YYYY-MM-DD). Default: everything in the store.'),
    daily_settle_hours: z
      .number()
      .min(0)
      .max(24 * 14)
      .default(12)
      .describe(
        'Per-day series (steps per day, sleep time, …) of a day are sent this many hours after the day ended, when late data has come in: a TSDB does not reliably take a second value sent for the same timestamp.',
      ),
  })
  .refine((r) => !(r.bearer_token !== undefined && (r.username !== undefined || r.password !== undefined)), {
    error: 'either username/password or bearer_token, not both',
  })
  .refine((r) => (r.username === undefined) === (r.password === undefined), { error: 'username and password together' })
  .describe('Remote write of the history (every sample with its own timestamp) to Prometheus, VictoriaMetrics, Mimir, … (see docs/tsdb.md).');

/** Base topics and discovery prefixes: levels of letters, digits, "_", "." and "-"; no wildcards, no empty level. */
const topicPrefixSchema = z.string().regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, {
  error: 'topic levels of letters, digits, "_", "." and "-" joined by "/" (no wildcards, no leading or trailing "/")',
});

const mqttSchema = z
  .strictObject({
    enabled: z.boolean().optional().describe('Publish to MQTT from `fitbit-bridge run`. Default: on when server is set, else off.'),
    server: z
      .string()
      .regex(/^(mqtts?|wss?|tcp|ssl|tls):\/\/[^\s/]+/, { error: 'a broker URL such as mqtt://localhost:1883 or mqtts://broker:8883' })
      .optional()
      .describe('Broker URL: mqtt://host:1883, mqtts://host:8883 (TLS), ws:// or wss://. Default: none (MQTT off).'),
    username: z.string().min(1).optional().describe('User name for the broker. Default: none (anonymous).'),
    password: z.string().optional().describe('Password for the broker; never logged. Prefer password_file: <path>.'),
    client_id: z.string().min(1).max(128).optional().describe('MQTT client id. Default: fitbit-bridge_<random>.'),
    base_topic: topicPrefixSchema
      .default('fitbit-bridge')
      .describe('Topic everything is published under: <base>/<account> (state JSON), <base>/bridge/state (online / offline).'),
    discovery: z
      .boolean()
      .default(true)
      .describe(
        'Publish Home Assistant MQTT discovery configs (devices and entities appear by themselves); false also clears the configs this bridge published before.',
      ),
    discovery_prefix: topicPrefixSchema.default('homeassistant').describe('Home Assistant discovery prefix (HA: Settings → MQTT → discovery prefix).'),
    keepalive: z
      .number()
      .int()
      .min(5)
      .max(3600)
      .default(60)
      .describe('MQTT keepalive in seconds; the broker publishes the last will (bridge offline) after 1.5 × this without a packet.'),
    reject_unauthorized: z
      .boolean()
      .default(true)
      .describe('TLS: refuse a broker certificate that does not verify (false only for self-signed test brokers; prefer ca).'),
    ca: z.string().min(1).optional().describe('TLS: PEM CA certificate(s) the broker certificate must chain to. Usually ca_file: <path>.'),
    cert: z.string().min(1).optional().describe('TLS client certificate (PEM), when the broker wants one. Usually cert_file: <path>.'),
    key: z.string().min(1).optional().describe('TLS client key (PEM). Usually key_file: <path>.'),
    step_goal: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .optional()
      .describe('Daily step goal: adds a "Step goal reached" binary sensor per account. Default: none (no such sensor).'),
    expire_after_seconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 86_400)
      .default(3600)
      .describe(
        'Freshness limit of the live sensors (heart rate, steps in the last 60 minutes): a value measured longer ago than this is published as null (Home Assistant: unknown), and their expire_after (unavailable when the topic stays silent) is set to it; 0: no limit.',
      ),
  })
  .refine((m) => m.enabled !== true || m.server !== undefined, { error: 'a server when mqtt.enabled is true', path: ['server'] })
  .describe('MQTT with Home Assistant discovery (published by `fitbit-bridge run`).');

/** Whether `run` should host the MQTT sink: mqtt.enabled, else whether mqtt.server is set. */
export function mqttEnabled(cfg: { mqtt: { enabled?: boolean | undefined; server?: string | undefined } }): boolean {
  return (cfg.mqtt.enabled ?? cfg.mqtt.server !== undefined) && cfg.mqtt.server !== undefined;
}

export const configSchema = z
  .strictObject({
    store: storeSchema.prefault({}),
    log: logSchema.prefault({}),
    accounts: z
      .array(accountSchema)
      .min(1)
      .refine((a) => new Set(a.map((x) => x.name)).size === a.length, { error: 'account names that are all different' })
      .default([{ name: 'default' }])
      .describe('Accounts (people). The first one is the default for commands run without --account.'),
    takeout: takeoutSchema.prefault({}),
    dump: dumpSchema.prefault({}),
    google: googleSchema.prefault({}),
    sync: syncSchema.prefault({}),
    schedule: scheduleSchema.prefault({}),
    http: httpSchema.prefault({}),
    remote_write: remoteWriteSchema.prefault({}),
    mqtt: mqttSchema.prefault({}),
  })
  .describe('fitbit-bridge configuration.');

export type Config = z.infer<typeof configSchema>;
export type AccountConfig = Config['accounts'][number];
