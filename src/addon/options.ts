/**
 * The Home Assistant add-on's options: what the Supervisor writes to `/data/options.json` from
 * the add-on's Configuration tab, validated against `options` / `schema` of
 * homeassistant-addon/fitbit-bridge/config.yaml (the Supervisor checks the types first; this
 * checks them again, plus the rules of the bridge's own configuration that the Supervisor's
 * type language cannot say, so a mistake is reported by option name).
 *
 * The groups mirror the bridge's configuration keys (docs/configuration.md): `google.client_id`
 * here is `google.client_id` there. Empty strings count as "not set" (clearing a field in the
 * UI may leave "" behind).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { BridgeError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { ACCOUNT_NAME_RE, LOG_LEVELS } from '../config/schema.js';
import { isValidTimeZone } from '../time/index.js';

/** Where the Supervisor puts the options. */
export const DEFAULT_OPTIONS_PATH = '/data/options.json';

/** "" and null mean "not set". */
function unsetEmpty<T extends z.ZodType>(t: T) {
  return z.preprocess((v) => (v === '' || v === null ? undefined : v), t.optional());
}

const tzString = z.string().refine(isValidTimeZone, { error: 'an IANA time zone name such as Europe/Berlin' });
const MQTT_URL_RE = /^(mqtts?|wss?|tcp|ssl|tls):\/\/[^\s/]+/;

export const addonOptionsSchema = z.strictObject({
  accounts: z
    .array(
      z.strictObject({
        name: z.string().min(1).max(64).regex(ACCOUNT_NAME_RE, { error: 'letters, digits, "_", "." and "-", starting with a letter or digit' }),
        timezone: unsetEmpty(tzString),
      }),
    )
    .min(1, { error: 'at least one account' })
    .refine((a) => new Set(a.map((x) => x.name)).size === a.length, { error: 'account names that are all different' }),
  log_level: z.enum(LOG_LEVELS).default('info'),
  google: z
    .strictObject({
      client_id: unsetEmpty(z.string()),
      client_secret: unsetEmpty(z.string()),
    })
    .prefault({}),
  mqtt: z
    .strictObject({
      enabled: z.boolean().default(true),
      server: unsetEmpty(z.string().regex(MQTT_URL_RE, { error: 'a broker URL such as mqtt://core-mosquitto:1883' })),
      username: unsetEmpty(z.string()),
      password: unsetEmpty(z.string()),
      base_topic: unsetEmpty(z.string()),
      discovery_prefix: unsetEmpty(z.string()),
      step_goal: unsetEmpty(z.number().int().min(1).max(1_000_000)),
    })
    .prefault({}),
  remote_write: z
    .strictObject({
      url: unsetEmpty(z.url()),
      username: unsetEmpty(z.string()),
      password: unsetEmpty(z.string()),
    })
    .prefault({}),
  takeout: z
    .strictObject({
      drop_folder: unsetEmpty(z.string()),
      timezone: unsetEmpty(tzString),
    })
    .prefault({}),
  sync: z
    .strictObject({
      backfill_days: unsetEmpty(z.number().int().min(0).max(36_500)),
    })
    .prefault({}),
});

export type AddonOptions = z.output<typeof addonOptionsSchema>;

/** A problem with the add-on's options or its environment, said so the user can act on it. */
export class AddonError extends BridgeError {
  constructor(message: string) {
    super(message, "Fix the add-on options or the add-on's services, then restart the add-on", EXIT.USAGE, { message });
    this.name = 'AddonError';
  }
}

/** Secret option paths: their values never appear in a message. */
const SECRET_OPTIONS = new Set(['google.client_secret', 'mqtt.password', 'remote_write.password']);

/** Validates options (the parsed JSON); throws AddonError naming every bad option. */
export function parseAddonOptions(raw: unknown, source = 'options.json'): AddonOptions {
  const r = addonOptionsSchema.safeParse(raw);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => {
    const path = i.path.map(String).join('.') || '(top level)';
    const keys = i.code === 'unrecognized_keys' ? `: unknown option ${i.keys.join(', ')}` : '';
    const detail = SECRET_OPTIONS.has(path) ? 'invalid value' : i.message;
    return `${path}${keys}${keys ? '' : `: ${detail}`}`;
  });
  throw new AddonError(`invalid add-on options in ${source}:\n  ${lines.join('\n  ')}\nFix them in the add-on's Configuration tab.`);
}

/** Reads and validates the options file. */
export function readAddonOptions(path = DEFAULT_OPTIONS_PATH): AddonOptions {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new AddonError(
      `cannot read the add-on options ${path} (${code}); addon-run is meant to run inside the Home Assistant add-on, where the Supervisor writes that file`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new AddonError(`the add-on options ${path} are not valid JSON (${(e as Error).message})`);
  }
  return parseAddonOptions(raw, path);
}
