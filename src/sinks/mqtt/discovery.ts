/**
 * Home Assistant MQTT discovery payloads (model: zigbee2mqtt `lib/extension/homeassistant.ts`):
 * one device per account (`via_device` = the bridge device) and one bridge device; per-entity
 * config topics `<prefix>/<component>/<node_id>/<key>/config`, retained, serialised with sorted
 * keys so an unchanged config is byte-identical and not republished.
 *
 * The sensor table below is the one place that says which entity shows which state key with
 * which device class, state class and unit; units come from the latest-values model (the
 * registry's units). Every payload is checked against Home Assistant's rules (ha-rules.ts)
 * before it is published: a table mistake fails loudly instead of producing an entity HA rejects.
 */
import { LATEST_UNITS, SLEEP_STAGES, type LatestKey } from '../latest.js';
import { discoveryProblems, type StateClass } from './ha-rules.js';
import type { AccountNames } from './names.js';
import type { StateKey } from './state.js';
import type { Topics } from './topics.js';

export type Component = 'sensor' | 'binary_sensor';

export interface EntityDef {
  key: StateKey;
  component: Component;
  name: string;
  device_class?: string;
  state_class?: StateClass;
  unit?: string;
  icon?: string;
  /** `entity_category: diagnostic` (about the bridge or the data flow, not about you). */
  diagnostic?: boolean;
  /** `enabled_by_default: false`: noisy (changes with every sync), enable it in Home Assistant when wanted. */
  disabledByDefault?: boolean;
  options?: readonly string[];
  /**
   * Gets `expire_after` (a live value: Home Assistant marks it unavailable when its topic stays
   * silent that long; the bridge itself publishes it as null once stale, see entities.ts).
   */
  expires?: boolean;
  /** Only with mqtt.step_goal. */
  needsStepGoal?: boolean;
}

const unit = (k: LatestKey): string | undefined => LATEST_UNITS[k] ?? undefined;

/** The entities of an account's device, in order. */
export const ACCOUNT_ENTITIES: readonly EntityDef[] = [
  { key: 'heart_rate', component: 'sensor', name: 'Heart rate', state_class: 'measurement', unit: unit('heart_rate'), icon: 'mdi:heart-pulse', expires: true },
  { key: 'steps_today', component: 'sensor', name: 'Steps today', state_class: 'total_increasing', unit: unit('steps_today'), icon: 'mdi:shoe-print' },
  {
    key: 'steps_last_60_min',
    component: 'sensor',
    name: 'Steps in the last 60 minutes',
    state_class: 'measurement',
    unit: unit('steps_last_60_min'),
    icon: 'mdi:walk',
    expires: true,
  },
  {
    key: 'calories_today',
    component: 'sensor',
    name: 'Calories today',
    device_class: 'energy',
    state_class: 'total_increasing',
    unit: unit('calories_today'),
    icon: 'mdi:fire',
  },
  {
    key: 'distance_today',
    component: 'sensor',
    name: 'Distance today',
    device_class: 'distance',
    state_class: 'total_increasing',
    unit: unit('distance_today'),
    icon: 'mdi:map-marker-distance',
  },
  { key: 'floors_today', component: 'sensor', name: 'Floors today', state_class: 'total_increasing', unit: unit('floors_today'), icon: 'mdi:stairs-up' },
  {
    key: 'resting_heart_rate',
    component: 'sensor',
    name: 'Resting heart rate',
    state_class: 'measurement',
    unit: unit('resting_heart_rate'),
    icon: 'mdi:heart',
  },
  { key: 'hrv', component: 'sensor', name: 'Heart rate variability', state_class: 'measurement', unit: unit('hrv'), icon: 'mdi:heart-flash' },
  { key: 'spo2', component: 'sensor', name: 'Blood oxygen', state_class: 'measurement', unit: unit('spo2'), icon: 'mdi:water-percent' },
  { key: 'breathing_rate', component: 'sensor', name: 'Breathing rate', state_class: 'measurement', unit: unit('breathing_rate'), icon: 'mdi:lungs' },
  { key: 'sleep_stage', component: 'sensor', name: 'Sleep stage', device_class: 'enum', options: SLEEP_STAGES, icon: 'mdi:sleep' },
  {
    key: 'sleep_duration',
    component: 'sensor',
    name: "Last night's sleep",
    device_class: 'duration',
    state_class: 'measurement',
    unit: unit('sleep_duration'),
    icon: 'mdi:bed-clock',
  },
  { key: 'newest_sample', component: 'sensor', name: 'Newest sample', device_class: 'timestamp', icon: 'mdi:clock-check-outline', diagnostic: true },
  { key: 'last_sync', component: 'sensor', name: 'Last successful sync', device_class: 'timestamp', icon: 'mdi:cloud-sync', diagnostic: true },
  {
    key: 'quota_left',
    component: 'sensor',
    name: 'API quota left',
    state_class: 'measurement',
    unit: 'requests',
    icon: 'mdi:gauge',
    diagnostic: true,
    disabledByDefault: true,
  },
  { key: 'reauth_needed', component: 'binary_sensor', name: 'Re-authorisation needed', device_class: 'problem', icon: 'mdi:account-key', diagnostic: true },
  { key: 'step_goal_reached', component: 'binary_sensor', name: 'Step goal reached', icon: 'mdi:trophy', needsStepGoal: true },
];

export interface DiscoveryMessage {
  topic: string;
  payload: Record<string, unknown>;
}

export interface DiscoveryOptions {
  topics: Topics;
  accounts: readonly AccountNames[];
  version: string;
  stepGoal: number | null;
  /** Seconds; 0 = no expire_after. */
  expireAfter: number;
  /** http.public_url: the devices' configuration_url (omitted when null). */
  publicUrl?: string | null;
}

/** The project's home (discovery `origin.url`, Home Assistant's "support URL"). */
export const PROJECT_URL = 'https://github.com/fitbit-bridge/fitbit-bridge';

/** JSON with object keys sorted at every level (arrays keep their order). */
export function stableStringify(v: unknown): string {
  return JSON.stringify(sortKeys(v));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) o[k] = sortKeys((v as Record<string, unknown>)[k]);
    return o;
  }
  return v;
}

function origin(version: string): Record<string, unknown> {
  // abbreviated keys as zigbee2mqtt sends them; HA expands sw → sw_version, url → support_url
  return { name: 'fitbit-bridge', sw: version, url: PROJECT_URL };
}

function bridgeDevice(o: DiscoveryOptions): Record<string, unknown> {
  return {
    identifiers: [o.topics.bridgeNode],
    name: o.topics.base === 'fitbit-bridge' ? 'fitbit-bridge' : `fitbit-bridge (${o.topics.base})`,
    manufacturer: 'fitbit-bridge',
    model: 'fitbit-bridge',
    sw_version: o.version,
    ...(o.publicUrl ? { configuration_url: o.publicUrl } : {}),
  };
}

/** Every discovery config the bridge produces for this configuration. */
export function discoveryMessages(o: DiscoveryOptions): DiscoveryMessage[] {
  const { topics } = o;
  const out: DiscoveryMessage[] = [];
  const availability = [{ topic: topics.bridgeState, payload_available: 'online', payload_not_available: 'offline' }];

  // The bridge device: its connection state.
  {
    const objectId = `${topics.baseId}_connection_state`;
    out.push({
      topic: topics.discoveryConfig('binary_sensor', topics.bridgeNode, 'connection_state'),
      payload: {
        name: 'Connection state',
        unique_id: `${topics.bridgeNode}_connection_state`,
        object_id: objectId,
        default_entity_id: `binary_sensor.${objectId}`,
        state_topic: topics.bridgeState,
        payload_on: 'online',
        payload_off: 'offline',
        device_class: 'connectivity',
        entity_category: 'diagnostic',
        icon: 'mdi:router-wireless',
        device: bridgeDevice(o),
        origin: origin(o.version),
      },
    });
  }

  for (const a of o.accounts) {
    const node = topics.accountNode(a.id);
    const device = {
      identifiers: [node],
      name: `Fitbit ${a.account}`,
      manufacturer: 'Fitbit',
      model: 'Fitbit account (Google Health API / Takeout)',
      sw_version: o.version,
      via_device: topics.bridgeNode,
      ...(o.publicUrl ? { configuration_url: o.publicUrl } : {}),
    };
    for (const e of ACCOUNT_ENTITIES) {
      if (e.needsStepGoal && o.stepGoal === null) continue;
      const objectId = `fitbit_${a.id}_${e.key}`;
      const stateTopic = topics.entityState(a.topic, e.key);
      const p: Record<string, unknown> = {
        name: e.name,
        unique_id: `${node}_${e.key}`,
        object_id: objectId,
        default_entity_id: `${e.component}.${objectId}`,
        state_topic: stateTopic,
        value_template: '{{ value_json.value }}',
        json_attributes_topic: stateTopic,
        json_attributes_template: "{{ {'measured_at': value_json.measured_at} | tojson }}",
        availability,
        device,
        origin: origin(o.version),
      };
      if (e.icon) p.icon = e.icon;
      if (e.device_class) p.device_class = e.device_class;
      if (e.state_class) p.state_class = e.state_class;
      if (e.unit) p.unit_of_measurement = e.unit;
      if (e.options) p.options = [...e.options];
      if (e.diagnostic) p.entity_category = 'diagnostic';
      if (e.disabledByDefault) p.enabled_by_default = false;
      if (e.expires && o.expireAfter > 0) p.expire_after = o.expireAfter;
      if (e.component === 'binary_sensor') {
        // The state JSON holds true / false; HA compares the rendered template ("True") with the
        // payloads as strings, as zigbee2mqtt does.
        p.payload_on = true;
        p.payload_off = false;
      }
      out.push({ topic: topics.discoveryConfig(e.component, node, e.key), payload: p });
    }
  }
  for (const m of out) {
    const component = m.topic.slice(topics.prefix.length + 1).split('/')[0] as string;
    const problems = discoveryProblems(component, m.payload);
    if (problems.length > 0) throw new Error(`discovery payload ${m.topic} breaks Home Assistant's rules: ${problems.join('; ')}`);
  }
  return out;
}

/** True when a retained discovery payload was produced by this bridge (same bridge state topic). */
export function isOurs(payload: unknown, topics: Topics): boolean {
  if (payload === null || typeof payload !== 'object') return false;
  const p = payload as Record<string, unknown>;
  if (p.state_topic === topics.bridgeState) return true;
  const av = p.availability;
  if (Array.isArray(av)) return av.some((x) => x !== null && typeof x === 'object' && (x as Record<string, unknown>).topic === topics.bridgeState);
  return p.availability_topic === topics.bridgeState;
}
