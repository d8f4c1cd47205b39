/**
 * A real `fitbit-bridge run` in-process for the /metrics and dashboard tests: the Google emulator
 * (a synthetic user whose last days are served up to now), live sync through the real
 * controller, the Prometheus extension on a free port and — when a URL is given — the
 * remote-write extension delivering the history to a real TSDB.
 *
 *   const b = await startLiveBridge({ days: 4, remoteWriteUrl: prom.remoteWriteUrl });
 *   b.metricsUrl                    // http://127.0.0.1:<port>/metrics
 *   await b.close();
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tokenSetFromResponse, TokenManager } from '../../src/auth/oauth-client.js';
import { loadConfig, type LoadedConfig } from '../../src/config/load.js';
import { startGoogleEmulator, type GoogleEmulator } from '../../src/emulator/index.js';
import { Controller } from '../../src/run/controller.js';
import type { Extension } from '../../src/run/extension.js';
import { mqttExtension, type MqttExtension } from '../../src/sinks/mqtt/extension.js';
import { prometheusExtension, type PrometheusExtension } from '../../src/sinks/prometheus/extension.js';
import { remoteWriteExtension, type RemoteWriteExtension } from '../../src/sinks/remote-write/extension.js';
import { openStore } from '../../src/store/store.js';
import type { Store } from '../../src/store/types.js';
import { silentLogger } from '../../src/util/log.js';
import { QUIET_SCHEDULE_ENV } from './schedule.js';
import { Tmp } from './tmp.js';

export interface LiveBridgeOptions {
  /** Account names (each authorised with the emulator). Default ['alice']. */
  accounts?: string[];
  /** Accounts configured but never authorised (live, auth missing). */
  unauthorised?: string[];
  timezone?: string;
  days?: number;
  seed?: number;
  remoteWriteUrl?: string;
  /** An MQTT broker: hosts the MQTT sink too. */
  mqttUrl?: string;
  /** Extra environment overrides of the config (FITBIT_BRIDGE_…). */
  env?: Record<string, string>;
}

export interface LiveBridge {
  tmp: Tmp;
  emu: GoogleEmulator;
  config: LoadedConfig;
  store: Store;
  controller: Controller;
  prom: PrometheusExtension;
  rw: RemoteWriteExtension | null;
  mqtt: MqttExtension | null;
  /** http://127.0.0.1:<port> */
  url: string;
  /** host:port for a scrape config. */
  target: string;
  metricsUrl: string;
  /** Waits for the sync jobs and the remote-write delivery to finish. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export async function startLiveBridge(opts: LiveBridgeOptions = {}): Promise<LiveBridge> {
  const tmp = new Tmp('fb-live-bridge-');
  const timezone = opts.timezone ?? 'America/New_York';
  const accounts = opts.accounts ?? ['alice'];
  const all = [...accounts, ...(opts.unauthorised ?? [])];
  const emu = await startGoogleEmulator({ seed: opts.seed ?? 11, timezone, days: opts.days ?? 3, quotaPerMinute: 100_000 });
  const file = join(tmp.dir, 'config.yaml');
  writeFileSync(file, '');
  const env: Record<string, string> = {
    ...QUIET_SCHEDULE_ENV,
    FITBIT_BRIDGE_HTTP__PORT: '0',
    FITBIT_BRIDGE_HTTP__BIND: '127.0.0.1',
    FITBIT_BRIDGE_GOOGLE__TOKEN_DIR: tmp.mkdir('tokens'),
    FITBIT_BRIDGE_GOOGLE__CLIENT_ID: emu.clientId,
    FITBIT_BRIDGE_GOOGLE__CLIENT_SECRET: emu.clientSecret,
    FITBIT_BRIDGE_GOOGLE__AUTHORIZE_ENDPOINT: emu.authorizeEndpoint,
    FITBIT_BRIDGE_GOOGLE__TOKEN_ENDPOINT: emu.tokenEndpoint,
    FITBIT_BRIDGE_GOOGLE__API_BASE_URL: emu.url,
    FITBIT_BRIDGE_GOOGLE__QUOTA_PER_MINUTE: '100000',
    FITBIT_BRIDGE_SYNC__BACKFILL_DAYS: String((opts.days ?? 3) + 1),
    ...(opts.remoteWriteUrl ? { FITBIT_BRIDGE_REMOTE_WRITE__URL: opts.remoteWriteUrl } : {}),
    ...(opts.mqttUrl ? { FITBIT_BRIDGE_MQTT__SERVER: opts.mqttUrl } : {}),
    ...(opts.env ?? {}),
  };
  all.forEach((name, i) => {
    env[`FITBIT_BRIDGE_ACCOUNTS__${i}__NAME`] = name;
    env[`FITBIT_BRIDGE_ACCOUNTS__${i}__TIMEZONE`] = timezone;
  });
  const config = loadConfig({ file, overrides: { 'store.path': tmp.dbPath() }, env });
  for (const account of accounts) {
    const tm = new TokenManager({
      account,
      dir: config.google.token_dir,
      tokenEndpoint: emu.tokenEndpoint,
      clientId: emu.clientId,
      clientSecret: emu.clientSecret,
    });
    await tm.save(tokenSetFromResponse(emu.issueTokens(), Date.now()));
  }
  const store = openStore(config.store.path);
  // the sinks the table would build for this config, kept at hand for the tests; /metrics finds them through the controller
  const rw = opts.remoteWriteUrl ? remoteWriteExtension() : null;
  const mq = opts.mqttUrl ? mqttExtension() : null;
  const prom = prometheusExtension();
  const parts: Extension[] = [prom, ...(mq ? [mq] : []), ...(rw ? [rw] : [])];
  const controller = new Controller({ config, store, logger: silentLogger(), version: 'test', parts });
  await controller.start();
  const url = controller.http?.url();
  if (!url) throw new Error('the bridge HTTP server is not listening');
  return {
    tmp,
    emu,
    config,
    store,
    controller,
    prom,
    rw,
    mqtt: mq,
    url,
    target: new URL(url).host,
    metricsUrl: `${url}/metrics`,
    async idle() {
      await controller.idle();
      if (rw) await rw.idle();
      if (mq) await mq.flush();
    },
    async close() {
      await controller.stop();
      store.close();
      await emu.close();
      tmp.cleanup();
    },
  };
}
