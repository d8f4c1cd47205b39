/**
 * The three Home Assistant Supervisor endpoints the add-on asks (all open to every add-on with
 * its token; no `hassio_api` needed):
 *
 * - `GET /services/mqtt` → `{"result":"ok","data":{host,port,ssl,username,password,protocol}}`:
 *   the broker of the MQTT service (the Mosquitto add-on), with credentials made for this
 *   add-on; requested through `services: ["mqtt:want"]` in config.yaml.
 * - `GET /info` → `{"result":"ok","data":{…,"timezone":"Europe/Berlin"}}`: the system's zone.
 * - `GET /addons/self/info` → `{"result":"ok","data":{"slug":"a0d7b954_fitbit-bridge","ingress":true,…}}`:
 *   the add-on's own slug (its repository's hash in front), for the link to its ingress page.
 *
 * Every request carries `Authorization: Bearer $SUPERVISOR_TOKEN`. The base URL is
 * `http://supervisor` inside an add-on and overridable for tests. Errors say which endpoint
 * failed and why, never the token or a password.
 */
import { AddonError } from './options.js';

export const DEFAULT_SUPERVISOR_URL = 'http://supervisor';

export interface MqttService {
  host: string;
  port: number;
  ssl: boolean;
  username?: string;
  password?: string;
  protocol?: string;
}

export interface SupervisorOptions {
  /** Default http://supervisor. */
  baseUrl?: string;
  /** $SUPERVISOR_TOKEN. */
  token: string | undefined;
  /** Per request; default 10 s. */
  timeoutMs?: number;
}

export class SupervisorClient {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(private readonly opts: SupervisorOptions) {
    this.baseUrl = (opts.baseUrl ?? DEFAULT_SUPERVISOR_URL).replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** The `data` of a Supervisor answer; throws AddonError on anything but `result: ok`. */
  async get(path: string): Promise<Record<string, unknown>> {
    const token = this.opts.token;
    if (token === undefined || token === '') {
      throw new AddonError(
        `cannot ask the Supervisor for ${path}: SUPERVISOR_TOKEN is not set (addon-run runs inside the Home Assistant add-on, where the Supervisor sets it)`,
      );
    }
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
      throw new AddonError(`cannot reach the Supervisor at ${this.baseUrl} for ${path} (${cause})`);
    }
    const text = await res.text();
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      /* reported below */
    }
    const obj = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : null;
    if (!res.ok || obj === null || obj.result !== 'ok') {
      const msg = obj && typeof obj.message === 'string' && obj.message !== '' ? `: ${obj.message}` : '';
      const why = res.status === 401 || res.status === 403 ? ' (the Supervisor refused the add-on token)' : '';
      throw new AddonError(
        `the Supervisor answered ${path} with HTTP ${res.status}${obj && typeof obj.result === 'string' ? ` result=${obj.result}` : ''}${msg}${why}`,
      );
    }
    const data = obj.data;
    if (data === null || typeof data !== 'object') throw new AddonError(`the Supervisor answered ${path} without data`);
    return data as Record<string, unknown>;
  }

  /** The MQTT service's broker and credentials. */
  async mqttService(): Promise<MqttService> {
    let data: Record<string, unknown>;
    try {
      data = await this.get('/services/mqtt');
    } catch (e) {
      if (!(e instanceof AddonError)) throw e;
      throw new AddonError(
        `no MQTT broker from the Supervisor: ${e.message}. Install and start the Mosquitto broker add-on, ` +
          'or set mqtt.server (with mqtt.username / mqtt.password) in the add-on options, or turn mqtt.enabled off',
      );
    }
    const host = data.host;
    const port = typeof data.port === 'string' ? Number(data.port) : data.port;
    if (typeof host !== 'string' || host === '' || typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) {
      throw new AddonError("the Supervisor's MQTT service has no usable host and port");
    }
    const out: MqttService = { host, port, ssl: data.ssl === true };
    if (typeof data.username === 'string' && data.username !== '') out.username = data.username;
    if (typeof data.password === 'string' && data.password !== '') out.password = data.password;
    if (typeof data.protocol === 'string') out.protocol = data.protocol;
    return out;
  }

  /**
   * Home Assistant's link to this add-on's ingress page, `homeassistant://hassio/ingress/<slug>`
   * (a device's `configuration_url` may use the `homeassistant://` scheme; the frontend opens
   * the add-on's "Open web UI" page). Null when the add-on has no ingress or no slug.
   */
  async ingressLink(): Promise<string | null> {
    const data = await this.get('/addons/self/info');
    const slug = data.slug;
    if (data.ingress !== true || typeof slug !== 'string' || !/^[a-z0-9_-]+$/i.test(slug)) return null;
    return `homeassistant://hassio/ingress/${slug}`;
  }

  /** The system's IANA time zone (`/info` → timezone). */
  async timezone(): Promise<string | null> {
    const data = await this.get('/info');
    return typeof data.timezone === 'string' && data.timezone !== '' ? data.timezone : null;
  }
}

/** mqtt:// or mqtts:// URL of a broker (IPv6 hosts in brackets). */
export function brokerUrl(s: Pick<MqttService, 'host' | 'port' | 'ssl'>): string {
  const host = s.host.includes(':') && !s.host.startsWith('[') ? `[${s.host}]` : s.host;
  return `${s.ssl ? 'mqtts' : 'mqtt'}://${host}:${s.port}`;
}
