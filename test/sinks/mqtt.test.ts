/**
 * The MQTT sink against a real mosquitto, hosted by the real `run` controller, reading a real
 * SQLite store. A recorder subscribed to everything checks each discovery payload against Home
 * Assistant's rules (table from HA's sensor/const.py, see src/sinks/mqtt/ha-rules.ts) and each
 * state (every key, steps today monotonic within the local day and reset at local midnight,
 * steps in the last 60 minutes going down), across a broker restart and HA's birth message.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { loadConfig, type LoadedConfig } from '../../src/config/load.js';
import { Controller } from '../../src/run/controller.js';
import { BridgeEvents, type AccountStatus } from '../../src/run/extension.js';
import { discoveryProblems, SENSOR_DEVICE_CLASSES } from '../../src/sinks/mqtt/ha-rules.js';
import { mqttExtension, type MqttExtension } from '../../src/sinks/mqtt/extension.js';
import { openStore } from '../../src/store/store.js';
import { LEGACY_JSON_SOURCE, type Sample, type SeriesKey, type Store } from '../../src/store/types.js';
import { createLogger } from '../../src/util/log.js';
import { Mosquitto, Recorder, type Received } from '../support/mosquitto.js';
import { partContext } from '../support/part-context.js';
import { Tmp } from '../support/tmp.js';

const tmp = new Tmp('fb-mqtt-');
const logger = createLogger(process.env.MQTT_TEST_LOG ?? 'silent');
after(() => tmp.cleanup());

/** The keys every state must carry, written out here (not taken from the code under test). */
const VALUE_KEYS = [
  'heart_rate',
  'steps_today',
  'steps_last_60_min',
  'calories_today',
  'distance_today',
  'floors_today',
  'resting_heart_rate',
  'hrv',
  'spo2',
  'breathing_rate',
  'sleep_stage',
  'sleep_duration',
  'newest_sample',
  'last_sync',
  'quota_left',
  'reauth_needed',
  'step_goal_reached',
];
const STATE_KEYS = [...VALUE_KEYS, 'measured_at', 'age_s', 'local_date', 'timezone'];

const EX = { exportMs: Date.UTC(2026, 4, 1) };
function ny(h: number, m = 0, day = 6): number {
  return Date.UTC(2026, 3, day, h + 4, m);
}
function minutes(from: number, count: number, v: number, offset = -240): Sample[] {
  return Array.from({ length: count }, (_, i) => ({ t: from + i * 60_000, offset, v }));
}
const alice = (metric: SeriesKey['metric'], source = 'Inspire 3'): SeriesKey => ({ account: 'alice', metric, source });

async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function configFor(url: string, db: string, extra = ''): LoadedConfig {
  const file = tmp.path(`config-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    `store:
  path: ${db}
http:
  enabled: false
accounts:
  - name: alice
    timezone: America/New_York
  - name: bob
    timezone: Europe/Berlin
mqtt:
  server: ${url}
  step_goal: 1000
  expire_after_seconds: 600
${extra}`,
  );
  return loadConfig({ env: {}, file });
}

interface Bridge {
  ext: MqttExtension;
  controller: Controller;
  store: Store;
  stop(): Promise<void>;
}

async function startBridge(config: LoadedConfig, clock: () => number): Promise<Bridge> {
  const store = tmp.store(config.store.path);
  const ext = mqttExtension({ clock, reconnectMinMs: 100, reconnectMaxMs: 400, publishTimeoutMs: 3000 });
  const controller = new Controller({ config, store, logger, version: '9.9.9-test', parts: [ext], sync: null });
  await controller.start();
  return { ext, controller, store, stop: () => controller.stop() };
}

function isConfigTopic(t: string): boolean {
  return /^homeassistant\/[^/]+\/[^/]+\/[^/]+\/config$/.test(t);
}

/** Checks one discovery payload; returns its problems (empty: fine). */
function checkDiscovery(m: Received): string[] {
  const component = m.topic.split('/')[1] as string;
  const p = JSON.parse(m.payload) as Record<string, unknown>;
  const problems = discoveryProblems(component, p).map((x) => `${m.topic}: ${x}`);
  const dc = p.device_class as string | undefined;
  const unit = p.unit_of_measurement as string | undefined;
  // The rules of the brief, stated independently of ha-rules.ts:
  if (dc === 'enum' && (!Array.isArray(p.options) || unit !== undefined || p.state_class !== undefined))
    problems.push(`${m.topic}: enum needs options, no unit, no state class`);
  if (dc === 'timestamp' && (p.state_class !== undefined || unit !== undefined)) problems.push(`${m.topic}: timestamp with a state class or unit`);
  if ((unit === 'bpm' || unit === 'steps') && dc !== undefined) problems.push(`${m.topic}: ${unit} with a device class`);
  if (dc !== undefined && component === 'sensor' && unit === undefined && !['enum', 'timestamp', 'date'].includes(dc))
    problems.push(`${m.topic}: device class without a unit`);
  if (dc !== undefined && component === 'sensor' && !(dc in SENSOR_DEVICE_CLASSES)) problems.push(`${m.topic}: unknown device class ${dc}`);
  if (p.default_entity_id !== `${component}.${String(p.object_id)}`) problems.push(`${m.topic}: default_entity_id`);
  const origin = p.origin as Record<string, unknown> | undefined;
  if (origin?.name !== 'fitbit-bridge' || origin.sw !== '9.9.9-test' || origin.url !== 'https://github.com/fitbit-bridge/fitbit-bridge')
    problems.push(`${m.topic}: origin`);
  return problems;
}

/** A Home Assistant discovery message, as far as these tests read it. */
interface DiscoveryPayload {
  unique_id: string;
  device: { identifiers: string[]; via_device?: string; name: string; sw_version: string };
  availability: { topic: string }[];
  [key: string]: unknown;
}

const payloadOf = (m: Received): Record<string, unknown> => JSON.parse(m.payload) as Record<string, unknown>;

function checkState(m: Received): Record<string, unknown> {
  const s = JSON.parse(m.payload) as Record<string, unknown>;
  assert.deepEqual(Object.keys(s), STATE_KEYS, `${m.topic}: the state carries every key, in order`);
  for (const k of ['measured_at', 'age_s']) {
    assert.deepEqual(Object.keys(s[k] as object), VALUE_KEYS, `${m.topic}: ${k} carries every key`);
  }
  return s;
}

describe('MQTT sink with a real broker', { concurrency: false }, () => {
  let broker: Mosquitto;
  let rec: Recorder;
  let b: Bridge;
  let now = ny(7);
  const db = tmp.dbPath();

  before(async () => {
    broker = await Mosquitto.start();
    rec = await Recorder.connect(broker.url);
    // Left from an earlier run: a sensor that no longer exists, an account no longer configured,
    // and another integration's config that must stay.
    const ours = (uid: string) =>
      JSON.stringify({ name: 'x', unique_id: uid, state_topic: 'fitbit-bridge/alice', availability: [{ topic: 'fitbit-bridge/bridge/state' }] });
    await rec.client.publishAsync('homeassistant/sensor/fitbit_bridge_alice/old_metric/config', ours('fitbit_bridge_alice_old_metric'), {
      qos: 1,
      retain: true,
    });
    await rec.client.publishAsync('homeassistant/sensor/fitbit_bridge_carol/heart_rate/config', ours('fitbit_bridge_carol_heart_rate'), {
      qos: 1,
      retain: true,
    });
    await rec.client.publishAsync(
      'homeassistant/sensor/0x00158d0001/temperature/config',
      JSON.stringify({ name: 'T', unique_id: '0x00158d0001_temperature', availability: [{ topic: 'zigbee2mqtt/bridge/state' }] }),
      { qos: 1, retain: true },
    );
    b = await startBridge(configFor(broker.url, db), () => now);
  });

  after(async () => {
    await b?.stop();
    await rec?.close();
    await broker?.cleanup();
  });

  test("discovery: one device per account plus the bridge, every payload within Home Assistant's rules; stale configs cleared", async () => {
    await rec.waitFor((m) => m.topic === 'fitbit-bridge/bridge/state' && m.payload === 'online', 5000, 0, 'bridge online');
    await rec.waitFor((m) => m.topic === 'homeassistant/sensor/fitbit_bridge_alice/old_metric/config' && m.payload === '', 5000, 0, 'the stale sensor cleared');
    await rec.waitFor(
      (m) => m.topic === 'homeassistant/sensor/fitbit_bridge_carol/heart_rate/config' && m.payload === '',
      5000,
      0,
      'the removed account cleared',
    );
    await b.ext.flush();
    const configs = new Map<string, Received>();
    for (const m of rec.messages)
      if (isConfigTopic(m.topic) && m.payload !== '' && !m.topic.includes('0x00158d') && !m.topic.includes('old_metric') && !m.topic.includes('carol'))
        configs.set(m.topic, m);
    assert.equal(configs.size, 1 + 2 * 17, [...configs.keys()].join('\n'));
    const problems = [...configs.values()].flatMap(checkDiscovery);
    assert.deepEqual(problems, []);

    const payloads = [...configs.values()].map((m) => ({ topic: m.topic, p: JSON.parse(m.payload) as DiscoveryPayload }));
    const uids = payloads.map((x) => x.p.unique_id);
    assert.equal(new Set(uids).size, uids.length, 'unique ids are unique');
    const bridge = payloads.find((x) => x.topic === 'homeassistant/binary_sensor/fitbit_bridge_bridge/connection_state/config');
    assert.ok(bridge);
    assert.equal(bridge.p.device_class, 'connectivity');
    assert.equal(bridge.p.entity_category, 'diagnostic');
    const bridgeId = bridge.p.device.identifiers[0];
    const get = (account: string, key: string, component = 'sensor') => {
      const x = payloads.find((y) => y.topic === `homeassistant/${component}/fitbit_bridge_${account}/${key}/config`);
      assert.ok(x, `${account}/${key}`);
      return x.p;
    };
    for (const account of ['alice', 'bob']) {
      const hr = get(account, 'heart_rate');
      assert.deepEqual(hr.device.identifiers, [`fitbit_bridge_${account}`]);
      assert.equal(hr.device.via_device, bridgeId);
      assert.equal(hr.device.name, `Fitbit ${account}`);
      assert.equal(hr.device.sw_version, '9.9.9-test');
      // each entity reads its own topic (HA re-arms expire_after on any message on the state topic)
      assert.equal(hr.state_topic, `fitbit-bridge/${account}/heart_rate`);
      assert.equal(hr.value_template, '{{ value_json.value }}');
      assert.equal(hr.json_attributes_topic, `fitbit-bridge/${account}/heart_rate`);
      assert.equal(hr.json_attributes_template, "{{ {'measured_at': value_json.measured_at} | tojson }}");
      assert.equal(hr.enabled_by_default, undefined);
      assert.equal((hr.device as Record<string, unknown>).configuration_url, undefined, 'no http.public_url: no link');
      assert.equal(hr.unit_of_measurement, 'bpm');
      assert.equal(hr.device_class, undefined);
      assert.equal(hr.expire_after, 600);
      assert.deepEqual(
        hr.availability.map((a) => a.topic),
        ['fitbit-bridge/bridge/state'],
      );
      assert.equal(hr.default_entity_id, `sensor.fitbit_${account}_heart_rate`);
      assert.equal(hr.object_id, `fitbit_${account}_heart_rate`);
      assert.equal(get(account, 'steps_today').state_class, 'total_increasing');
      assert.equal(get(account, 'steps_today').expire_after, undefined);
      assert.equal(get(account, 'steps_last_60_min').state_class, 'measurement');
      assert.equal(get(account, 'calories_today').device_class, 'energy');
      assert.equal(get(account, 'distance_today').unit_of_measurement, 'm');
      assert.deepEqual(get(account, 'sleep_stage').options, ['wake', 'light', 'deep', 'rem', 'asleep', 'restless', 'unknown']);
      assert.equal(get(account, 'sleep_duration').device_class, 'duration');
      assert.equal(get(account, 'newest_sample').device_class, 'timestamp');
      assert.equal(get(account, 'newest_sample').entity_category, 'diagnostic');
      assert.equal(get(account, 'quota_left').enabled_by_default, false, 'noisy: changes with every sync');
      assert.equal(get(account, 'sleep_stage').state_topic, `fitbit-bridge/${account}/sleep_stage`);
      assert.equal(get(account, 'last_sync').entity_category, 'diagnostic');
      assert.equal(get(account, 'quota_left').entity_category, 'diagnostic');
      const reauth = get(account, 'reauth_needed', 'binary_sensor');
      assert.equal(reauth.device_class, 'problem');
      assert.equal(reauth.entity_category, 'diagnostic');
      get(account, 'step_goal_reached', 'binary_sensor');
    }
    // the other integration's config is still retained
    const probe = await Recorder.connect(broker.url, ['homeassistant/sensor/0x00158d0001/temperature/config']);
    const kept = await probe.waitFor((m) => m.retain, 3000, 0, 'the foreign config');
    assert.notEqual(kept.payload, '');
    await probe.close();
  });

  test('state: every key, null when unknown', async () => {
    await b.ext.flush();
    const m = await rec.waitFor((x) => x.topic === 'fitbit-bridge/bob', 5000, 0, "bob's state");
    const s = checkState(m);
    for (const k of VALUE_KEYS) if (k !== 'reauth_needed') assert.equal(s[k], null, k);
    assert.equal(s.reauth_needed, false);
    assert.equal(s.timezone, 'Europe/Berlin');
    // every entity has its own retained topic
    for (const k of VALUE_KEYS) {
      const e = await rec.waitFor((x) => x.topic === `fitbit-bridge/bob/${k}`, 5000, 0, `bob's ${k}`);
      assert.deepEqual(JSON.parse(e.payload), { value: k === 'reauth_needed' ? false : null, measured_at: null }, k);
    }
    assert.equal(rec.last('fitbit-bridge/bridge/state')?.retain !== undefined, true);
  });

  test('a simulated day: steps today never drop, reset at local midnight; the last 60 minutes go down; late data arrives', async () => {
    const from = rec.messages.length;
    let sentinel = 40;
    /** Makes a change that must show (a new heart rate), flushes, and returns alice's state with it. */
    const settle = async (what: string): Promise<Record<string, unknown>> => {
      sentinel++;
      b.store.writeSamples(alice('heart_rate'), [{ t: now - 1000, offset: -240, v: sentinel }], EX);
      await b.ext.flush();
      const v = sentinel;
      const m = await rec.waitFor(
        (x) => x.topic === 'fitbit-bridge/alice' && (JSON.parse(x.payload) as { heart_rate: number }).heart_rate === v,
        5000,
        from,
        what,
      );
      return checkState(m);
    };

    now = ny(7);
    b.store.writeSamples(alice('steps', LEGACY_JSON_SOURCE), minutes(ny(6), 60, 10), EX);
    let s = await settle('06:00–07:00 steps');
    assert.equal(s.steps_today, 600);
    assert.equal(s.steps_last_60_min, 600);
    assert.equal((s.measured_at as Record<string, string>).steps_today, '2026-04-06T06:59:00-04:00');
    assert.equal((s.age_s as Record<string, number>).steps_today, 60);
    for (const k of ['steps_today', 'steps_last_60_min']) {
      const e = await rec.waitFor((x) => x.topic === `fitbit-bridge/alice/${k}` && x.payload.includes('600'), 5000, from, `alice's ${k}`);
      assert.deepEqual(JSON.parse(e.payload), { value: 600, measured_at: '2026-04-06T06:59:00-04:00' });
    }
    assert.equal(s.step_goal_reached, false);
    assert.equal(s.local_date, '2026-04-06');

    now = ny(7, 30);
    s = await settle('07:30');
    assert.equal(s.steps_last_60_min, 300, 'half the window has passed');
    assert.equal(s.steps_today, 600);

    now = ny(8, 30);
    s = await settle('08:30');
    assert.equal(s.steps_last_60_min, 0, 'sitting still');

    // re-attribution: the samples leave the legacy series, then arrive under the tracker
    b.store.removeMatching(alice('steps', LEGACY_JSON_SOURCE), minutes(ny(6), 60, 10), 0.5);
    s = await settle('re-attribution, half done');
    assert.equal(s.steps_today, 600, 'never drops within the day');
    b.store.writeSamples(alice('steps'), minutes(ny(6), 60, 10), EX);
    // late data: steps earlier today, yesterday's resting heart rate, last night's sleep
    b.store.writeSamples(alice('steps', 'Fitbit App'), minutes(ny(5), 10, 50), EX);
    b.store.writeSamples(alice('resting_heart_rate'), [{ t: ny(0, 0, 5), offset: -240, v: 57 }], EX);
    b.store.upsertSession({
      account: 'alice',
      kind: 'sleep',
      source: 'Inspire 3',
      layer: 'api',
      start: ny(23, 0, 5),
      startOffset: -240,
      end: ny(5),
      endOffset: -240,
      mainSleep: true,
      segments: [
        { start: ny(23, 0, 5), end: ny(4, 50), stage: 'light' },
        { start: ny(4, 50), end: ny(5), stage: 'wake' },
      ],
      details: {},
    });
    s = await settle('late data');
    assert.equal(s.steps_today, 1100);
    assert.equal(s.step_goal_reached, true);
    assert.equal(s.resting_heart_rate, 57);
    assert.equal(s.sleep_duration, 350);
    assert.equal(s.sleep_stage, 'wake');

    now = ny(23, 59);
    b.store.writeSamples(alice('steps'), minutes(ny(23), 59, 2), EX);
    s = await settle('23:59');
    assert.equal(s.steps_today, 1100 + 118);

    now = ny(0, 0, 7) + 30_000;
    s = await settle('after midnight');
    assert.equal(s.local_date, '2026-04-07');
    assert.equal(s.steps_today, 0, 'reset at local midnight');
    assert.equal(s.step_goal_reached, false);
    b.store.writeSamples(alice('steps'), minutes(ny(0, 0, 7), 1, 5), EX);
    now = ny(0, 2, 7);
    s = await settle('first steps of the new day');
    assert.equal(s.steps_today, 5);

    // every state published on the way: monotonic within each local day, one reset at midnight
    const states = rec.messages
      .slice(from)
      .filter((m) => m.topic === 'fitbit-bridge/alice')
      .map((m) => checkState(m));
    let resets = 0;
    let down = 0;
    for (let i = 1; i < states.length; i++) {
      const [p, c] = [states[i - 1]!, states[i]!];
      if (c.local_date === p.local_date)
        assert.ok((c.steps_today as number) >= (p.steps_today as number), `steps today dropped: ${String(p.steps_today)} → ${String(c.steps_today)}`);
      else resets++;
      if ((c.steps_last_60_min as number) < (p.steps_last_60_min as number)) down++;
    }
    assert.equal(resets, 1);
    assert.ok(down >= 2, 'steps in the last 60 minutes went down');
    // bob (Berlin) saw none of it
    assert.equal(rec.lastJson('fitbit-bridge/bob')?.steps_today, null);
  });

  test('a write by another process is delivered; the cursor catches up', async () => {
    const other = openStore(db);
    try {
      const from = rec.messages.length;
      now = ny(9, 0, 7);
      other.writeSamples(alice('heart_rate', 'Other process'), [{ t: now - 5000, offset: -240, v: 88 }], EX);
      await rec.waitFor((x) => x.topic === 'fitbit-bridge/alice' && payloadOf(x).heart_rate === 88, 5000, from, "the other process's write");
      await b.ext.flush();
      const lag = b.ext.lag();
      assert.equal(lag.seqBehind, 0);
      assert.equal(lag.position, other.currentSeq());
      assert.equal(lag.connected, true);
    } finally {
      other.close();
    }
  });

  test('broker stopped and restarted: reconnects, republishes everything, writes made during the outage arrive', async () => {
    await b.ext.flush();
    const position = b.ext.lag().position;
    await broker.stop();
    await until(() => !b.ext.isConnected(), 5000, 'the bridge to notice');
    b.store.writeSamples(alice('heart_rate'), [{ t: now - 2000, offset: -240, v: 123 }], EX);
    b.store.writeSamples(alice('floors'), minutes(ny(8, 0, 7), 3, 1), EX);
    await new Promise((r) => setTimeout(r, 300));
    const during = b.ext.lag();
    assert.ok(during.seqBehind >= 2, `behind during the outage: ${JSON.stringify(during)}`);
    assert.equal(during.position, position, 'nothing committed while the broker is away');
    const from = rec.messages.length;
    await broker.restart(); // persistence off: every retained message is gone
    const s = await rec.waitFor((x) => x.topic === 'fitbit-bridge/alice' && payloadOf(x).heart_rate === 123, 8000, from, "the outage's write");
    assert.equal(checkState(s).floors_today, 3);
    await rec.waitFor((x) => x.topic === 'homeassistant/sensor/fitbit_bridge_alice/heart_rate/config' && x.payload !== '', 5000, from, 'discovery republished');
    await rec.waitFor((x) => x.topic === 'fitbit-bridge/bob', 5000, from, 'bob republished');
    await rec.waitFor((x) => x.topic === 'fitbit-bridge/bridge/state' && x.payload === 'online', 5000, from, 'online again');
    await b.ext.flush();
    assert.equal(b.ext.lag().seqBehind, 0);
  });

  test("Home Assistant's birth message: only what the broker lacks is published again", async () => {
    await b.ext.flush();
    await new Promise((r) => setTimeout(r, 200)); // the bridge sees its own messages come back
    let from = rec.messages.length;
    await rec.client.publishAsync('homeassistant/status', 'online', { qos: 1 });
    await new Promise((r) => setTimeout(r, 500));
    await b.ext.flush();
    assert.deepEqual(
      rec.messages.slice(from).map((m) => m.topic),
      ['homeassistant/status'],
      'every message is retained: nothing to republish',
    );
    // someone cleared a config and an entity's state: exactly those come back
    await rec.client.publishAsync('homeassistant/sensor/fitbit_bridge_bob/steps_today/config', '', { qos: 1, retain: true });
    await rec.client.publishAsync('fitbit-bridge/alice/steps_today', '', { qos: 1, retain: true });
    await new Promise((r) => setTimeout(r, 200));
    from = rec.messages.length;
    await rec.client.publishAsync('homeassistant/status', 'online', { qos: 1 });
    const cfg = await rec.waitFor(
      (x) => x.topic === 'homeassistant/sensor/fitbit_bridge_bob/steps_today/config' && x.payload !== '',
      5000,
      from,
      'the cleared config after the birth message',
    );
    assert.deepEqual(checkDiscovery(cfg), []);
    await rec.waitFor((x) => x.topic === 'fitbit-bridge/alice/steps_today' && x.payload !== '', 5000, from, 'the cleared state after the birth message');
    await b.ext.flush();
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(
      rec.messages
        .slice(from)
        .map((m) => m.topic)
        .sort(),
      ['fitbit-bridge/alice/steps_today', 'homeassistant/sensor/fitbit_bridge_bob/steps_today/config', 'homeassistant/status'],
    );
  });

  test('nothing is republished when nothing changed', async () => {
    await b.ext.flush();
    await new Promise((r) => setTimeout(r, 200));
    const from = rec.messages.length;
    await b.ext.flush();
    await b.ext.flush();
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(
      rec.messages.slice(from).map((m) => m.topic),
      [],
    );
  });
});

describe('MQTT sink: account status, credentials', { concurrency: false }, () => {
  let broker: Mosquitto;
  before(async () => {
    broker = await Mosquitto.start({ users: { fitbit: 's3cret pass' } });
  });
  after(async () => {
    await broker?.cleanup();
  });

  test('a password-protected broker (password_file); re-authorisation and sync status in the state', async () => {
    const pw = tmp.path('mqtt-password');
    writeFileSync(pw, 's3cret pass\n');
    const config = configFor(broker.url, tmp.dbPath(), `  username: fitbit\n  password_file: ${pw}\n  base_topic: home/fitbit\n`);
    assert.equal(config.mqtt.password, 's3cret pass');
    const rec = await Recorder.connect(broker.url, ['#'], { username: 'fitbit', password: 's3cret pass' });
    const store = tmp.store(config.store.path);
    const events = new BridgeEvents();
    let status: AccountStatus = {
      name: 'alice',
      live: true,
      auth: 'reauth-needed',
      lastSyncAt: Date.UTC(2026, 3, 6, 12),
      lastSuccessAt: Date.UTC(2026, 3, 6, 11, 55),
      lastError: 'invalid_grant',
      quotaLeft: 17,
      lastAdded: 0,
    };
    const { ctx, close } = partContext({
      config,
      store,
      logger,
      events,
      version: '9.9.9-test',
      accounts: () => [status, { ...status, name: 'bob', auth: 'ok', quotaLeft: null, lastSuccessAt: null }],
    });
    const ext = mqttExtension({ clock: () => ny(12) });
    await ext.start(ctx);
    try {
      const m = await rec.waitFor((x) => x.topic === 'home/fitbit/alice', 5000, 0, 'alice on the custom base topic');
      const s = checkState(m);
      assert.equal(s.reauth_needed, true);
      assert.equal(s.last_sync, '2026-04-06T07:55:00-04:00');
      assert.equal(s.quota_left, 17);
      const reauth = await rec.waitFor((x) => x.topic === 'homeassistant/binary_sensor/home_fitbit_alice/reauth_needed/config', 5000, 0, 'the problem sensor');
      assert.deepEqual(checkDiscovery(reauth), []);
      assert.equal((JSON.parse(reauth.payload) as DiscoveryPayload).availability[0]?.topic, 'home/fitbit/bridge/state');
      const from = rec.messages.length;
      status = { ...status, auth: 'ok', lastError: null };
      events.emit('account:status', status);
      const ok = await rec.waitFor((x) => x.topic === 'home/fitbit/alice' && payloadOf(x).reauth_needed === false, 5000, from, 'authorised again');
      checkState(ok);
    } finally {
      await ext.stop();
      await close();
    }
    const off = await rec.waitFor((x) => x.topic === 'home/fitbit/bridge/state' && x.payload === 'offline', 3000, 0, 'offline on a clean stop');
    assert.equal(off.payload, 'offline');
    await rec.close();
  });

  test('a wrong password: the bridge runs on, not connected, and says so', async () => {
    const config = configFor(broker.url, tmp.dbPath(), '  username: fitbit\n  password: wrong\n');
    const b = await startBridge(config, () => ny(12));
    try {
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(b.ext.isConnected(), false);
      b.store.writeSamples(alice('heart_rate'), [{ t: ny(11), offset: -240, v: 60 }], EX);
      await new Promise((r) => setTimeout(r, 150));
      const lag = b.ext.lag();
      assert.equal(lag.connected, false);
      assert.ok(lag.seqBehind >= 1);
    } finally {
      await b.stop();
    }
  });
});
