/**
 * The add-on's start: options.json → Supervisor (MQTT service, time zone, ingress link) → a generated
 * configuration in /data → validated by the bridge's own loader. `fitbit-bridge addon-run`
 * (src/cli/commands/addon.ts) calls `prepareAddon` and then runs `fitbit-bridge run` on it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { isValidTimeZone } from '../time/index.js';
import type { Logger } from '../util/log.js';
import { ADDON_BASE_CONFIG, ADDON_DATA_DIR, ADDON_HTTP_PORT, buildAddonConfig, writeAddonConfig, type Obj } from './config.js';
import { AddonError, DEFAULT_OPTIONS_PATH, readAddonOptions } from './options.js';
import { DEFAULT_SUPERVISOR_URL, SupervisorClient, type MqttService } from './supervisor.js';

export interface PrepareAddonOptions {
  /** Default /data/options.json. */
  optionsPath?: string;
  /** Default /data. */
  dataDir?: string;
  /** Default http://supervisor. */
  supervisorUrl?: string;
  /** Default 8099 (the ingress port). */
  httpPort?: number;
  /** Extra configuration keys; default /config/config.yaml when it exists. */
  baseConfigPath?: string;
  /** SUPERVISOR_TOKEN and TZ are read from here. Default process.env. */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

export type MqttSource = 'options' | 'supervisor' | 'off';
export type TimezoneSource = 'options' | 'config' | 'supervisor' | 'env' | 'none';

export interface PreparedAddon {
  /** The generated configuration file (mode 0600). */
  configFile: string;
  /** It, loaded and validated. */
  config: LoadedConfig;
  mqttSource: MqttSource;
  timezone: { value: string | null; source: TimezoneSource };
}

function readBase(path: string): Obj | null {
  if (!existsSync(path)) return null;
  let data: unknown;
  try {
    data = parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new AddonError(`${path}: invalid YAML (${(e as Error).message.split('\n')[0] ?? ''})`);
  }
  if (data === null || data === undefined) return null;
  if (typeof data !== 'object' || Array.isArray(data)) throw new AddonError(`${path}: expected a mapping of configuration keys`);
  return data as Obj;
}

export async function prepareAddon(p: PrepareAddonOptions = {}): Promise<PreparedAddon> {
  const env = p.env ?? process.env;
  const dataDir = p.dataDir ?? ADDON_DATA_DIR;
  const options = readAddonOptions(p.optionsPath ?? DEFAULT_OPTIONS_PATH);
  const basePath = p.baseConfigPath ?? ADDON_BASE_CONFIG;
  const base = readBase(basePath);
  const supervisor = new SupervisorClient({ baseUrl: p.supervisorUrl ?? DEFAULT_SUPERVISOR_URL, token: env.SUPERVISOR_TOKEN });

  // MQTT: the options' broker, else the Supervisor's MQTT service (a failure there stops the start)
  let mqttService: MqttService | null = null;
  let mqttSource: MqttSource = 'off';
  if (options.mqtt.enabled) {
    if (options.mqtt.server !== undefined) mqttSource = 'options';
    else {
      mqttService = await supervisor.mqttService();
      mqttSource = 'supervisor';
    }
  }

  // time zone for takeout.timezone: options, else the base config's, else the Supervisor's, else $TZ
  let tz: { value: string | null; source: TimezoneSource } = { value: null, source: 'none' };
  const baseTz = base && typeof base.takeout === 'object' && base.takeout !== null ? (base.takeout as Obj).timezone : undefined;
  if (options.takeout.timezone !== undefined) tz = { value: options.takeout.timezone, source: 'options' };
  else if (typeof baseTz === 'string') tz = { value: baseTz, source: 'config' };
  else {
    try {
      const z = await supervisor.timezone();
      if (z !== null && isValidTimeZone(z)) tz = { value: z, source: 'supervisor' };
    } catch (e) {
      p.logger?.warn({ err: (e as Error).message }, 'no time zone from the Supervisor; using $TZ');
    }
    const envTz = env.TZ;
    if (tz.value === null && envTz !== undefined && isValidTimeZone(envTz)) tz = { value: envTz, source: 'env' };
  }

  // the devices' link in Home Assistant (discovery configuration_url): the add-on's ingress page,
  // unless /config/config.yaml names another; without an answer, no link (nothing else depends on it)
  let publicUrl: string | null = null;
  const baseHttp = base && typeof base.http === 'object' && base.http !== null ? (base.http as Obj) : {};
  if (baseHttp.public_url === undefined) {
    try {
      publicUrl = await supervisor.ingressLink();
    } catch (e) {
      p.logger?.warn({ err: (e as Error).message }, 'no ingress link from the Supervisor; the devices in Home Assistant get no link to the web page');
    }
  }

  const built = buildAddonConfig({
    publicUrl,
    options,
    dataDir,
    httpPort: p.httpPort ?? ADDON_HTTP_PORT,
    mqttService,
    timezone: tz.source === 'supervisor' || tz.source === 'env' ? tz.value : null,
    base,
  });
  const configFile = writeAddonConfig(built, dataDir);
  // the loader alone: no FITBIT_BRIDGE_* variable of the image may contradict the options
  const config = loadConfig({ file: configFile, env: {} });
  p.logger?.info(
    {
      configFile,
      baseConfig: base ? basePath : null,
      accounts: config.accounts.map((a) => a.name),
      mqtt: mqttSource,
      mqttServer: config.mqtt.server ?? null,
      timezone: tz.value,
      timezoneFrom: tz.source,
      remoteWrite: config.remote_write.url !== undefined ? new URL(config.remote_write.url).origin : null,
      dropFolder: config.takeout.drop_folder ?? null,
      http: `${config.http.bind}:${config.http.port}`,
      publicUrl: config.http.public_url ?? null,
    },
    'add-on configuration ready',
  );
  return { configFile, config, mqttSource, timezone: tz };
}

/**
 * The environment `run` gets in the add-on: every FITBIT_BRIDGE_* variable of the image removed
 * (the options are the whole configuration), FITBIT_BRIDGE_CONFIG naming the generated file.
 * The crash-test failpoints stay.
 */
export function addonRunEnv(env: NodeJS.ProcessEnv, configFile: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith('FITBIT_BRIDGE_') && !k.startsWith('FITBIT_BRIDGE_FAILPOINT')) continue;
    out[k] = v;
  }
  out.FITBIT_BRIDGE_CONFIG = configFile;
  return out;
}
