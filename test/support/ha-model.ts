/**
 * A small, faithful model of Home Assistant's MQTT sensors and binary sensors, as far as what
 * they display depends on the messages they get (homeassistant/components/mqtt/sensor.py and
 * binary_sensor.py, read 2026; see src/sinks/mqtt/ha-rules.ts for the commit):
 *
 * - Discovery: subscribes to `<prefix>/+/+/+/config`; an entity is created from each retained or
 *   live config (an empty payload removes it) and then subscribes to its state topic, its
 *   json_attributes_topic and its availability topics: the broker delivers their retained messages
 *   again on every (re)subscribe.
 * - `expire_after`: an entity with it starts expired; EVERY message on its state topic sets it
 *   not expired and re-arms the timer to now + expire_after ("When expire_after is set, and we
 *   receive a message, assume device is not expired"), whatever the payload says; when the timer
 *   passes, the entity is unavailable.
 * - The value template (`{{ value_json.a }}` / `{{ value_json.a.b }}`) renders like Jinja: null as
 *   "None", true / false as "True" / "False". "None" → native value None (state unknown); for a
 *   numeric sensor an empty rendering is ignored; an enum value outside options is ignored.
 *   Binary sensors compare with payload_on / payload_off as strings; "None" → unknown.
 * - Availability: every availability topic must hold its payload_available (mode "all"); none
 *   received yet → unavailable.
 * - A restart restores a sensor with expire_after (RestoreSensor): when its last state was not
 *   unknown / unavailable and last_changed + expire_after is still ahead, the value is shown
 *   again until then, before the retained messages arrive.
 *
 * Time is the injected clock: expire timers are evaluated when the display is read.
 */
import mqtt, { type MqttClient } from 'mqtt';

export interface HaEntity {
  /** The discovery topic. */
  id: string;
  component: string;
  config: Record<string, unknown>;
  native: string | null;
  attributes: Record<string, unknown>;
  expireAfterS: number | null;
  expired: boolean;
  expiresAt: number | null;
  availability: Map<string, string | undefined>;
  /** Last time the displayed state changed (HA's last_changed), clock ms. */
  lastChanged: number;
  lastDisplay: string;
  /** Messages received on the state topic. */
  stateMessages: number;
}

export interface Applied {
  entity: HaEntity;
  topic: string;
  payload: string;
  at: number;
}

interface Restorable {
  display: string;
  native: string | null;
  lastChanged: number;
}

/** Renders `{{ value_json.a }}` / `{{ value_json.a.b }}` as Jinja would print it. */
export function renderValueTemplate(template: string | undefined, payload: string): string {
  if (template === undefined) return payload;
  const m = /^\{\{\s*value_json((?:\.[A-Za-z0-9_]+)+)\s*\}\}$/.exec(template.trim());
  if (!m) throw new Error(`the model does not render ${template}`);
  let v: unknown;
  try {
    v = JSON.parse(payload);
  } catch {
    return payload; // HA: the template is not rendered; the raw payload is used
  }
  for (const part of m[1]!.slice(1).split('.')) {
    v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  }
  if (v === undefined) return '';
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** The attributes `{{ {'k': value_json.path, …} | tojson }}` yields. */
function renderAttributes(template: string | undefined, payload: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return {};
  }
  if (template === undefined) return json !== null && typeof json === 'object' ? (json as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {};
  for (const m of template.matchAll(/'([A-Za-z0-9_]+)':\s*value_json((?:\.[A-Za-z0-9_]+)+)/g)) {
    let v: unknown = json;
    for (const part of m[2]!.slice(1).split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
    out[m[1]!] = v ?? null;
  }
  return out;
}

export class HaModel {
  readonly entities = new Map<string, HaEntity>();
  private client: MqttClient | null = null;
  private restorable = new Map<string, Restorable>();
  private listeners: Array<(a: Applied) => void> = [];

  private constructor(
    private readonly url: string,
    private readonly clock: () => number,
    private readonly prefix: string,
  ) {}

  static async start(url: string, clock: () => number, prefix = 'homeassistant'): Promise<HaModel> {
    const m = new HaModel(url, clock, prefix);
    await m.connect();
    return m;
  }

  /** Called after every message an entity applied. */
  onApplied(fn: (a: Applied) => void): void {
    this.listeners.push(fn);
  }

  private async connect(): Promise<void> {
    const client = await mqtt.connectAsync(this.url, { reconnectPeriod: 0, clean: true });
    this.client = client;
    client.on('message', (topic, payload) => this.onMessage(topic, payload.toString('utf8')));
    await client.subscribeAsync(`${this.prefix}/+/+/+/config`, { qos: 1 });
  }

  /** Home Assistant stops (its entities' states are kept for restoring) and starts again. */
  async restart(): Promise<void> {
    this.restorable.clear();
    for (const e of this.entities.values()) this.restorable.set(e.id, { display: this.display(e.id), native: e.native, lastChanged: e.lastChanged });
    this.entities.clear();
    await this.client?.endAsync();
    await this.connect();
  }

  /** Publishes the birth message `online` on `<prefix>/status`. */
  async birth(): Promise<void> {
    await this.client?.publishAsync(`${this.prefix}/status`, 'online', { qos: 1 });
  }

  async close(): Promise<void> {
    await this.client?.endAsync();
    this.client = null;
  }

  /** The entity whose unique_id is `uid`. */
  byUniqueId(uid: string): HaEntity | undefined {
    for (const e of this.entities.values()) if (e.config.unique_id === uid) return e;
    return undefined;
  }

  /** What Home Assistant shows for an entity now: 'unavailable', 'unknown', 'on' / 'off' or the value. */
  display(id: string): string {
    const e = this.entities.get(id);
    if (!e) return 'unavailable';
    const now = this.clock();
    if (e.expireAfterS !== null && e.expiresAt !== null && now >= e.expiresAt) {
      e.expired = true;
      e.expiresAt = null;
    }
    const avail = [...e.availability].every(([topic, got]) => got !== undefined && got === this.availablePayload(e, topic));
    if (!avail || (e.expireAfterS !== null && e.expired)) return 'unavailable';
    return e.native === null ? 'unknown' : e.native;
  }

  private availablePayload(e: HaEntity, topic: string): string {
    const list = (e.config.availability as Array<Record<string, unknown>> | undefined) ?? [];
    const a = list.find((x) => x.topic === topic);
    return String(a?.payload_available ?? 'online');
  }

  private onMessage(topic: string, payload: string): void {
    if (/^[^/]+\/[^/]+\/[^/]+\/[^/]+\/config$/.test(topic) && topic.startsWith(`${this.prefix}/`)) {
      this.onDiscovery(topic, payload);
      return;
    }
    for (const e of this.entities.values()) {
      const cfg = e.config;
      let touched = false;
      if (e.availability.has(topic)) {
        e.availability.set(topic, payload);
        touched = true;
      }
      if (cfg.json_attributes_topic === topic) {
        e.attributes = renderAttributes(cfg.json_attributes_template as string | undefined, payload);
        touched = true;
      }
      if (cfg.state_topic === topic) {
        this.onState(e, payload);
        touched = true;
      }
      if (touched) {
        this.noteChange(e);
        for (const l of this.listeners) l({ entity: e, topic, payload, at: this.clock() });
      }
    }
  }

  private onState(e: HaEntity, payload: string): void {
    const now = this.clock();
    e.stateMessages++;
    if (e.expireAfterS !== null) {
      e.expired = false;
      e.expiresAt = now + e.expireAfterS * 1000;
    }
    const rendered = renderValueTemplate(e.config.value_template as string | undefined, payload);
    if (e.component === 'binary_sensor') {
      if (rendered === '') return;
      if (rendered === String(e.config.payload_on ?? 'ON').replace(/^true$/, 'True')) e.native = 'on';
      else if (rendered === String(e.config.payload_off ?? 'OFF').replace(/^false$/, 'False')) e.native = 'off';
      else if (rendered === 'None') e.native = null;
      return;
    }
    if (rendered === 'None') {
      e.native = null;
      return;
    }
    const numeric = e.config.state_class !== undefined || e.config.unit_of_measurement !== undefined;
    if (numeric) {
      if (rendered !== '') e.native = rendered;
      return;
    }
    const options = e.config.options as string[] | undefined;
    if (options && !options.includes(rendered)) return;
    e.native = rendered;
  }

  private noteChange(e: HaEntity): void {
    const d = this.display(e.id);
    if (d !== e.lastDisplay) {
      e.lastDisplay = d;
      e.lastChanged = this.clock();
    }
  }

  private onDiscovery(topic: string, payload: string): void {
    if (payload === '') {
      this.entities.delete(topic);
      return;
    }
    const config = JSON.parse(payload) as Record<string, unknown>;
    const old = this.entities.get(topic);
    if (old && JSON.stringify(old.config) === payload) return;
    const component = topic.slice(this.prefix.length + 1).split('/')[0]!;
    const expire = typeof config.expire_after === 'number' && config.expire_after > 0 ? config.expire_after : null;
    const availability = new Map<string, string | undefined>();
    for (const a of (config.availability as Array<Record<string, unknown>> | undefined) ?? []) availability.set(String(a.topic), undefined);
    const e: HaEntity = {
      id: topic,
      component,
      config,
      native: null,
      attributes: {},
      expireAfterS: expire,
      expired: expire !== null,
      expiresAt: null,
      availability,
      lastChanged: this.clock(),
      lastDisplay: 'unavailable',
      stateMessages: 0,
    };
    // RestoreSensor (sensor.py, async_added_to_hass): only sensors with expire_after
    const r = this.restorable.get(topic);
    this.restorable.delete(topic);
    if (r && component === 'sensor' && expire !== null && r.display !== 'unknown' && r.display !== 'unavailable') {
      const expirationAt = r.lastChanged + expire * 1000;
      if (expirationAt > this.clock()) {
        e.expired = false;
        e.native = r.native;
        e.expiresAt = expirationAt;
        e.lastChanged = r.lastChanged;
        e.lastDisplay = r.display;
      }
    }
    this.entities.set(topic, e);
    const topics = new Set<string>([String(config.state_topic)]);
    if (typeof config.json_attributes_topic === 'string') topics.add(config.json_attributes_topic);
    for (const t of availability.keys()) topics.add(t);
    // (re)subscribing makes the broker deliver the retained messages again
    this.client?.subscribe([...topics], { qos: 1 });
  }
}
