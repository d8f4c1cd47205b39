/**
 * Truthful entities: data that stopped arriving two days ago never shows as current in Home
 * Assistant. The MQTT sink (hosted by the real `run` controller, real SQLite store) publishes to a
 * real mosquitto; Home Assistant is replayed by test/support/ha-model.ts (expire_after re-armed on
 * every message on the state topic, value_template / None → unknown, availability, retained
 * messages redelivered on every (re)subscribe, RestoreSensor on restart). After every message
 * the model applies, and at every checkpoint, the heart rate and the sleep stage it displays must
 * have been measured within their freshness limit (known here from the data the test wrote, not
 * from what the bridge says), through a bridge restart and Home Assistant restarts. Injected
 * clock only (real time plus an offset the test moves).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { loadConfig, type LoadedConfig } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { Controller } from '../../src/run/controller.js';
import { discoveryMessages } from '../../src/sinks/mqtt/discovery.js';
import { STALE_MARGIN_MS } from '../../src/sinks/mqtt/entities.js';
import { mqttExtension, type MqttExtension } from '../../src/sinks/mqtt/extension.js';
import { accountNames } from '../../src/sinks/mqtt/names.js';
import { Topics } from '../../src/sinks/mqtt/topics.js';
import type { SeriesKey, SessionRecord, SleepStage, Store } from '../../src/store/types.js';
import { createLogger } from '../../src/util/log.js';
import { HaModel } from '../support/ha-model.js';
import { Mosquitto } from '../support/mosquitto.js';
import { Tmp } from '../support/tmp.js';

const tmp = new Tmp('fb-mqtt-ha-');
const logger = createLogger(process.env.MQTT_TEST_LOG ?? 'silent');
after(() => tmp.cleanup());

const EX = { exportMs: Date.UTC(2026, 4, 1) };
const LIMIT_S = 600;
function ny(h: number, m = 0, day = 6): number {
  return Date.UTC(2026, 3, day, h + 4, m);
}
const alice = (metric: SeriesKey['metric'], source = 'Inspire 3'): SeriesKey => ({ account: 'alice', metric, source });

// The data: heart rate every minute 06:00–06:59 on April 4 (every value different, so a shown
// value names its sample), and the night before, ending at 06:30 in a deep stage.
const HR: { t: number; v: number }[] = Array.from({ length: 60 }, (_, i) => ({ t: ny(6, i, 4), v: Math.round((60 + i / 10) * 10) / 10 }));
const SEGMENTS: { start: number; end: number; stage: SleepStage }[] = [
  { start: ny(23, 0, 3), end: ny(1, 0, 4), stage: 'light' },
  { start: ny(1, 0, 4), end: ny(3, 0, 4), stage: 'deep' },
  { start: ny(3, 0, 4), end: ny(5, 0, 4), stage: 'rem' },
  { start: ny(5, 0, 4), end: ny(6, 30, 4), stage: 'deep' },
];
const NIGHT: SessionRecord = {
  account: 'alice',
  kind: 'sleep',
  source: 'Inspire 3',
  layer: 'api',
  start: ny(23, 0, 3),
  startOffset: -240,
  end: ny(6, 30, 4),
  endOffset: -240,
  mainSleep: true,
  segments: SEGMENTS,
  details: {},
};

const HR_ID = 'homeassistant/sensor/fitbit_bridge_alice/heart_rate/config';
const SLEEP_ID = 'homeassistant/sensor/fitbit_bridge_alice/sleep_stage/config';
const STEPS_ID = 'homeassistant/sensor/fitbit_bridge_alice/steps_today/config';

let offset = 0;
const clock = (): number => Date.now() + offset;
const setClock = (t: number): void => {
  offset = t - Date.now();
};

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function configFor(url: string, db: string): LoadedConfig {
  const file = tmp.path('config.yaml');
  writeFileSync(
    file,
    `store:\n  path: ${db}\nhttp:\n  enabled: false\naccounts:\n  - name: alice\n    timezone: America/New_York\nmqtt:\n  server: ${url}\n  expire_after_seconds: ${LIMIT_S}\n`,
  );
  return loadConfig({ env: {}, file });
}

interface Bridge {
  ext: MqttExtension;
  stop(): Promise<void>;
}

async function startBridge(config: LoadedConfig, store: Store): Promise<Bridge> {
  const ext = mqttExtension({ clock, reconnectMinMs: 100, reconnectMaxMs: 400, publishTimeoutMs: 3000 });
  const controller = new Controller({ config, store, logger, version: '9.9.9-test', parts: [ext], sync: null });
  await controller.start();
  await until(() => ext.isConnected(), 5000, 'the bridge to connect');
  await ext.flush();
  return { ext, stop: () => controller.stop() };
}

describe('Home Assistant never shows a stale heart rate or sleep stage as current', { concurrency: false }, () => {
  let broker: Mosquitto;
  let ha: HaModel;
  let store: Store;
  let config: LoadedConfig;
  let bridge: Bridge | null = null;
  const violations: string[] = [];

  /** True when what the model displays for `id` was measured within its limit at `now`. */
  function truthful(id: string, shown: string, now: number): boolean {
    if (shown === 'unknown' || shown === 'unavailable') return true;
    if (id === HR_ID) {
      return (
        HR.some((s) => String(s.v) === shown && s.t <= now && now - s.t < LIMIT_S * 1000) ||
        extraHr.some((s) => String(s.v) === shown && s.t <= now && now - s.t < LIMIT_S * 1000)
      );
    }
    return SEGMENTS.some((g) => g.stage === shown && g.start <= now && now < g.end && now < NIGHT.end);
  }
  const extraHr: { t: number; v: number }[] = [];

  function check(where: string): void {
    const now = clock();
    for (const id of [HR_ID, SLEEP_ID]) {
      const shown = ha.display(id);
      if (!truthful(id, shown, now)) violations.push(`${where}: ${id.split('/')[3]} shows ${shown} at ${new Date(now).toISOString()}`);
    }
  }

  before(async () => {
    broker = await Mosquitto.start();
    const db = tmp.dbPath();
    store = tmp.store(db);
    store.writeSamples(
      alice('heart_rate'),
      HR.map((s) => ({ t: s.t, offset: -240, v: s.v })),
      EX,
    );
    store.upsertSession(NIGHT);
    config = configFor(broker.url, db);
    ha = await HaModel.start(broker.url, clock);
    ha.onApplied((a) => check(`after ${a.topic} = ${a.payload.slice(0, 80)}`));
  });

  after(async () => {
    await bridge?.stop();
    await ha?.close();
    await broker?.cleanup();
  });

  test('while the data was fresh: the current heart rate and stage show; each turns unknown at its limit by itself', async () => {
    setClock(ny(6, 10, 4));
    bridge = await startBridge(config, store);
    await until(() => ha.display(HR_ID) === '61' && ha.display(SLEEP_ID) === 'deep', 5000, 'heart rate 61 and deep sleep shown');
    // 400 ms before the bridge's margin: still deep; then the stage turns unknown without any new data or pass
    setClock(ny(6, 30, 4) - STALE_MARGIN_MS - 400);
    await bridge.ext.flush();
    await until(() => ha.display(SLEEP_ID) === 'deep' && ha.display(HR_ID) === '62.9', 3000, 'deep sleep, heart rate of 06:29');
    await until(() => ha.display(SLEEP_ID) === 'unknown', 3000, 'the stage to turn unknown when the night ended');
    assert.equal(ha.display(HR_ID), '62.9');
    check('06:30');
    // the newest heart rate before the bridge stops: 06:50
    setClock(ny(6, 50, 4));
    await bridge.ext.flush();
    await until(() => ha.display(HR_ID) === '65', 3000, 'heart rate of 06:50');
    assert.equal(ha.entities.get(HR_ID)?.attributes.measured_at, '2026-04-04T06:50:00-04:00', 'the attribute is the measurement time');
    await bridge.stop();
    bridge = null;
    await until(() => ha.display(HR_ID) === 'unavailable', 3000, 'the bridge offline');
    assert.deepEqual(violations, []);
  });

  test('two days later, bridge still stopped, Home Assistant restarts: the retained old heart rate is not shown', async () => {
    setClock(ny(12, 0, 6));
    await ha.restart();
    await until(() => (ha.entities.get(HR_ID)?.stateMessages ?? 0) > 0, 3000, 'the retained heart rate redelivered');
    await sleep(200);
    assert.equal(ha.entities.get(HR_ID)?.native, '65', 'the broker still holds the value of two days ago …');
    assert.equal(ha.display(HR_ID), 'unavailable', '… but the bridge is offline');
    check('HA restarted, bridge stopped');
    assert.deepEqual(violations, []);
  });

  test('the bridge restarts two days later: heart rate and stage are republished as null, never as the old values', async () => {
    const before = ha.entities.get(HR_ID)?.stateMessages ?? 0;
    bridge = await startBridge(config, store);
    await until(() => ha.display(HR_ID) === 'unknown' && ha.display(SLEEP_ID) === 'unknown', 5000, 'both unknown');
    assert.ok((ha.entities.get(HR_ID)?.stateMessages ?? 0) > before);
    assert.equal(ha.entities.get(HR_ID)?.attributes.measured_at, '2026-04-04T06:59:00-04:00', 'unknown, with when the last value was measured');
    check('bridge restarted');
    assert.deepEqual(violations, []);
  });

  test('Home Assistant restarts again and sends its birth message: still unknown', async () => {
    await ha.restart();
    await until(() => ha.display(HR_ID) === 'unknown' && ha.display(SLEEP_ID) === 'unknown', 5000, 'both unknown after the restart');
    await ha.birth();
    await sleep(300);
    check('after the birth message');
    assert.equal(ha.display(HR_ID), 'unknown');
    assert.equal(ha.display(SLEEP_ID), 'unknown');
    assert.deepEqual(violations, []);
  });

  test('fresh data: shown; other keys changing do not re-arm it; unknown at its limit; HA restart in between', async () => {
    const b = bridge!;
    const t0 = clock();
    const fresh = { t: t0 - 60_000, v: 77.7 };
    extraHr.push(fresh);
    store.writeSamples(alice('heart_rate'), [{ t: fresh.t, offset: -240, v: fresh.v }], EX);
    store.writeSamples(alice('steps'), [{ t: t0 - 30_000, offset: -240, v: 20 }], EX);
    await b.ext.flush();
    await until(() => ha.display(HR_ID) === '77.7', 3000, 'the fresh heart rate');
    const hr = ha.entities.get(HR_ID)!;
    const msgs = hr.stateMessages;
    const expiresAt = hr.expiresAt;
    // more steps: steps today changes, the heart rate's topic stays silent
    store.writeSamples(alice('steps'), [{ t: t0 - 10_000, offset: -240, v: 5 }], EX);
    await b.ext.flush();
    await until(() => ha.display(STEPS_ID) === '25', 3000, 'steps today 25');
    assert.equal(hr.stateMessages, msgs, 'no message on the heart rate topic');
    assert.equal(hr.expiresAt, expiresAt, "the heart rate's expire_after was not re-armed");
    // HA restarts while the value is fresh: restored, then the retained (fresh) value
    await ha.restart();
    await until(() => ha.display(HR_ID) === '77.7', 3000, 'the fresh heart rate after the restart');
    // 400 ms before the margin: still shown; then unknown without any new data or pass
    setClock(fresh.t + LIMIT_S * 1000 - STALE_MARGIN_MS - 400);
    await b.ext.flush();
    assert.equal(ha.display(HR_ID), '77.7');
    await until(() => ha.display(HR_ID) === 'unknown', 3000, 'the heart rate to turn unknown at its limit');
    check('limit passed');
    // Home Assistant's own expire_after: unavailable when the topic stays silent that long
    setClock(clock() + (LIMIT_S + 1) * 1000);
    assert.equal(ha.display(HR_ID), 'unavailable');
    assert.deepEqual(violations, []);
  });
});

describe('discovery: origin, device link, categories', () => {
  test('configuration_url from http.public_url (http, https or homeassistant://), omitted when unset', () => {
    const topics = new Topics('fitbit-bridge', 'homeassistant');
    const accounts = [...accountNames(['alice']).values()];
    const base = { topics, accounts, version: '1.0.0', stepGoal: null, expireAfter: 600 };
    const withUrl = discoveryMessages({ ...base, publicUrl: 'homeassistant://hassio/ingress/fitbit_bridge' });
    for (const m of withUrl) {
      assert.equal((m.payload.device as Record<string, unknown>).configuration_url, 'homeassistant://hassio/ingress/fitbit_bridge', m.topic);
      assert.deepEqual(m.payload.origin, { name: 'fitbit-bridge', sw: '1.0.0', url: 'https://github.com/fitbit-bridge/fitbit-bridge' });
    }
    for (const m of discoveryMessages(base)) assert.equal('configuration_url' in (m.payload.device as object), false, m.topic);
    const parse = (public_url: string) => configSchema.safeParse({ http: { public_url } }).success;
    assert.equal(parse('http://bridge.example.lan:8787/'), true);
    assert.equal(parse('https://example.org/fitbit'), true);
    assert.equal(parse('homeassistant://hassio/ingress/fitbit_bridge'), true);
    assert.equal(parse('ftp://example.org'), false);
    assert.equal(parse('bridge.example.lan'), false);
  });
});
