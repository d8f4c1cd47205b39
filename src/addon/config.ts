/**
 * Add-on options → the bridge's configuration. `buildAddonConfig` is pure: it takes the
 * validated options plus what the Supervisor said (MQTT service, time zone, the add-on's ingress
 * link for `http.public_url`) and returns the
 * configuration object (the same keys as a config.yaml) and the secrets it refers to. Secrets
 * never sit in the generated YAML: they go to files under `<data>/secrets/` (mode 0600) that
 * the configuration names with `X_file` keys, which the loader reads (src/config/load.ts).
 *
 * Fixed by the add-on: the store `/data/fitbit-bridge.db`, tokens `/data/tokens`, HTTP on
 * 0.0.0.0:8099 (the ingress port; config.yaml publishes no port). HTTP serves only the
 * Supervisor's ingress proxy and the container itself (the image's health check):
 * `http.allowed_clients: [172.30.32.2, 127.0.0.1]`; it answers any Host name
 * (`http.allowed_hosts: ['*']`: only that proxy connects, and Home Assistant authenticates every
 * ingress request); /config/config.yaml may set either key otherwise. An optional `/config/config.yaml` (the add-on's own folder,
 * `addon_configs/<slug>/` on the host) may hold any other key; the options override it.
 */
import { chmodSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { AddonOptions } from './options.js';
import { brokerUrl, type MqttService } from './supervisor.js';

export const ADDON_HTTP_PORT = 8099;
/** The Supervisor's ingress proxy: the one outside client the add-on's HTTP server serves by default. */
export const INGRESS_PROXY_ADDRESS = '172.30.32.2';
/** Who may connect by default: the ingress proxy, and the container's loopback (the image's HEALTHCHECK asks /healthz). */
export const ADDON_HTTP_CLIENTS = [INGRESS_PROXY_ADDRESS, '127.0.0.1'] as const;
export const ADDON_DATA_DIR = '/data';
/** The add-on's `addon_config` folder as mounted inside the container. */
export const ADDON_BASE_CONFIG = '/config/config.yaml';
/** Where the drop folder points when the options leave it out. */
export const DEFAULT_DROP_FOLDER = '/share/fitbit-bridge/takeout';

export type Obj = Record<string, unknown>;

export interface AddonInputs {
  options: AddonOptions;
  /** Default /data. */
  dataDir?: string;
  /** Default 8099. */
  httpPort?: number;
  /** From the Supervisor; null when MQTT is off or the options name a server. */
  mqttService: MqttService | null;
  /** The time zone for takeout.timezone when the options have none (Supervisor, else TZ). */
  timezone: string | null;
  /** Parsed /config/config.yaml, if any. */
  base?: Obj | null;
  /** http.public_url (the add-on's ingress page) unless the base config sets one. */
  publicUrl?: string | null;
}

export interface AddonConfig {
  /** The configuration (config.yaml keys). */
  config: Obj;
  /** File name under <data>/secrets → content. */
  secrets: Record<string, string>;
}

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `over` merged onto `base`: objects key by key, everything else (lists too) replaced. */
export function deepMerge(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isObj(b) && isObj(v) ? deepMerge(b, v) : v;
  }
  return out;
}

/** Drops a key and its `_file` twin (so an option replaces either form of the base). */
function setSecretFile(target: Obj, key: string, path: string): void {
  delete target[key];
  target[`${key}_file`] = path;
}

export function buildAddonConfig(inp: AddonInputs): AddonConfig {
  const o = inp.options;
  const dataDir = inp.dataDir ?? ADDON_DATA_DIR;
  const secretsDir = join(dataDir, 'secrets');
  const secrets: Record<string, string> = {};
  const secret = (target: Obj, key: string, name: string, value: string): void => {
    secrets[name] = value;
    setSecretFile(target, key, join(secretsDir, name));
  };
  const base: Obj = inp.base ? structuredClone(inp.base) : {};
  // options replace the base's value of a key in either form (X or X_file)
  const clear = (section: string, key: string): void => {
    const s = base[section];
    if (isObj(s)) {
      delete s[key];
      delete s[`${key}_file`];
    }
  };

  const cfg: Obj = {
    store: { path: join(dataDir, 'fitbit-bridge.db') },
    log: { level: o.log_level },
    accounts: o.accounts.map((a) => (a.timezone !== undefined ? { name: a.name, timezone: a.timezone } : { name: a.name })),
    google: { token_dir: join(dataDir, 'tokens') },
    http: { enabled: true, bind: '0.0.0.0', port: inp.httpPort ?? ADDON_HTTP_PORT },
  };
  const baseHttp = isObj(base.http) ? base.http : {};
  const http = cfg.http as Obj;
  if (baseHttp.allowed_clients === undefined) http.allowed_clients = [...ADDON_HTTP_CLIENTS];
  if (baseHttp.allowed_hosts === undefined) http.allowed_hosts = ['*'];
  if (baseHttp.public_url === undefined && inp.publicUrl != null) http.public_url = inp.publicUrl;

  const google = cfg.google as Obj;
  if (o.google.client_id !== undefined) {
    clear('google', 'client_id');
    google.client_id = o.google.client_id;
  }
  if (o.google.client_secret !== undefined) {
    clear('google', 'client_secret');
    secret(google, 'client_secret', 'google_client_secret', o.google.client_secret);
  }

  const mqtt: Obj = {};
  if (!o.mqtt.enabled) {
    mqtt.enabled = false;
  } else {
    const server = o.mqtt.server ?? (inp.mqttService ? brokerUrl(inp.mqttService) : undefined);
    if (server !== undefined) {
      mqtt.enabled = true;
      mqtt.server = server;
      // the user's credentials win as a pair; else the Supervisor's (only when it gave the server too)
      const userCreds = o.mqtt.username !== undefined || o.mqtt.password !== undefined;
      const username = userCreds ? o.mqtt.username : o.mqtt.server === undefined ? inp.mqttService?.username : undefined;
      const password = userCreds ? o.mqtt.password : o.mqtt.server === undefined ? inp.mqttService?.password : undefined;
      clear('mqtt', 'username');
      clear('mqtt', 'password');
      if (username !== undefined) mqtt.username = username;
      if (password !== undefined) secret(mqtt, 'password', 'mqtt_password', password);
    }
    if (o.mqtt.base_topic !== undefined) mqtt.base_topic = o.mqtt.base_topic;
    if (o.mqtt.discovery_prefix !== undefined) mqtt.discovery_prefix = o.mqtt.discovery_prefix;
    if (o.mqtt.step_goal !== undefined) mqtt.step_goal = o.mqtt.step_goal;
  }
  cfg.mqtt = mqtt;

  const rw: Obj = {};
  if (o.remote_write.url !== undefined) rw.url = o.remote_write.url;
  if (o.remote_write.username !== undefined) {
    clear('remote_write', 'username');
    clear('remote_write', 'bearer_token');
    rw.username = o.remote_write.username;
  }
  if (o.remote_write.password !== undefined) {
    clear('remote_write', 'password');
    clear('remote_write', 'bearer_token');
    secret(rw, 'password', 'remote_write_password', o.remote_write.password);
  }
  if (Object.keys(rw).length > 0) cfg.remote_write = rw;

  const takeout: Obj = { drop_folder: o.takeout.drop_folder ?? DEFAULT_DROP_FOLDER };
  const baseTakeout = isObj(base.takeout) ? base.takeout : {};
  const tz = o.takeout.timezone ?? (typeof baseTakeout.timezone === 'string' ? undefined : (inp.timezone ?? undefined));
  if (tz !== undefined) takeout.timezone = tz;
  cfg.takeout = takeout;

  if (o.sync.backfill_days !== undefined) cfg.sync = { backfill_days: o.sync.backfill_days };

  return { config: deepMerge(base, cfg), secrets };
}

/** Writes a file atomically with mode 0600. */
function writePrivate(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/**
 * Writes the secrets (mode 0600, folder 0700) and the configuration YAML (0600) under `dataDir`;
 * returns the configuration file's path.
 */
export function writeAddonConfig(ac: AddonConfig, dataDir = ADDON_DATA_DIR): string {
  mkdirSync(dataDir, { recursive: true });
  const secretsDir = join(dataDir, 'secrets');
  mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
  chmodSync(secretsDir, 0o700);
  for (const [name, value] of Object.entries(ac.secrets)) writePrivate(join(secretsDir, name), value);
  // a secret the options no longer hold does not stay on disk
  for (const name of readdirSync(secretsDir)) if (!(name in ac.secrets)) rmSync(join(secretsDir, name), { force: true });
  const file = join(dataDir, 'fitbit-bridge.yaml');
  const header =
    '# Generated by the fitbit-bridge add-on from its options at every start. Do not edit: change the\n' +
    "# options, or put other keys into the add-on's config folder (/config/config.yaml inside the add-on).\n";
  writePrivate(file, header + stringify(ac.config));
  return file;
}
