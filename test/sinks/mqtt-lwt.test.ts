/**
 * The MQTT sink in a child process that is killed with SIGKILL: the broker publishes the last
 * will (`<base>/bridge/state` = offline, retained); a new process resumes from the durable cursor
 * and delivers what was written while no bridge ran; the daily maxima survive the kill.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LEGACY_JSON_SOURCE, type Sample, type SeriesKey, type Store } from '../../src/store/types.js';
import { Mosquitto, Recorder } from '../support/mosquitto.js';
import { Tmp } from '../support/tmp.js';

const tmp = new Tmp('fb-mqtt-lwt-');
const payloadOf = (m: { payload: string }): Record<string, unknown> => JSON.parse(m.payload) as Record<string, unknown>;
const src = (p: string): string => fileURLToPath(new URL(`../../src/${p}`, import.meta.url));

const CHILD = `
import { loadConfig } from ${JSON.stringify(src('config/load.ts'))};
import { openStore } from ${JSON.stringify(src('store/store.ts'))};
import { Controller } from ${JSON.stringify(src('run/controller.ts'))};
import { mqttExtension } from ${JSON.stringify(src('sinks/mqtt/extension.ts'))};
import { silentLogger } from ${JSON.stringify(src('util/log.ts'))};
const config = loadConfig({ env: {}, file: process.env.FB_CONFIG });
const store = openStore(config.store.path);
const ext = mqttExtension({ reconnectMinMs: 100, reconnectMaxMs: 400 });
const controller = new Controller({ config, store, logger: silentLogger(), version: 'child', parts: [ext], sync: null });
await controller.start();
while (!ext.isConnected()) await new Promise((r) => setTimeout(r, 20));
await ext.flush();
process.stdout.write('ready\\n');
setInterval(() => {}, 60_000);
`;

const EX = { exportMs: Date.UTC(2026, 4, 1) };
const hr: SeriesKey = { account: 'alice', metric: 'heart_rate', source: 'Inspire 3' };
const legacySteps: SeriesKey = { account: 'alice', metric: 'steps', source: LEGACY_JSON_SOURCE };

let broker: Mosquitto;
let rec: Recorder;
let store: Store;
let cfgFile: string;
const children: ChildProcess[] = [];

before(async () => {
  broker = await Mosquitto.start();
  rec = await Recorder.connect(broker.url);
  const db = tmp.dbPath();
  store = tmp.store(db);
  cfgFile = tmp.path('config.yaml');
  // A zone where it is about noon now, so "today" cannot change during the test.
  const east = 12 - new Date().getUTCHours();
  const zone = east === 0 ? 'UTC' : `Etc/GMT${east > 0 ? '-' : '+'}${Math.abs(east)}`;
  writeFileSync(
    cfgFile,
    `store:\n  path: ${db}\nhttp:\n  enabled: false\naccounts:\n  - name: alice\n    timezone: ${zone}\nmqtt:\n  server: ${broker.url}\n  keepalive: 10\n`,
  );
});

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await rec?.close();
  await broker?.cleanup();
  tmp.cleanup();
});

function startChild(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
    env: { ...process.env, FB_CONFIG: cfgFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`the child did not get ready: ${err}`)), 15_000);
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(t);
        resolve(child);
      }
    });
    child.once('exit', (code, sig) => {
      clearTimeout(t);
      reject(new Error(`the child exited (${code ?? sig}): ${err}`));
    });
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

function minutesBack(n: number, v: number): Sample[] {
  const end = Math.floor(Date.now() / 60_000) * 60_000;
  return Array.from({ length: n }, (_, i) => ({ t: end - (n - i) * 60_000, offset: 0, v }));
}

test('kill -9: the last will marks the bridge offline; the next process delivers what it missed', async () => {
  const steps = minutesBack(10, 10);
  store.writeSamples(hr, [{ t: Date.now() - 2000, offset: 0, v: 71 }], EX);
  store.writeSamples(legacySteps, steps, EX);
  const first = await startChild();
  await rec.waitFor((m) => m.topic === 'fitbit-bridge/bridge/state' && m.payload === 'online', 5000, 0, 'online');
  const s1 = await rec.waitFor((m) => m.topic === 'fitbit-bridge/alice' && payloadOf(m).heart_rate === 71, 5000, 0, 'the first state');
  assert.equal(payloadOf(s1).steps_today, 100);
  assert.equal(store.getState('sink:mqtt:cursor'), String(store.currentSeq()), 'the cursor is committed');

  const from = rec.messages.length;
  await killed(first);
  const will = await rec.waitFor((m) => m.topic === 'fitbit-bridge/bridge/state' && m.payload === 'offline', 5000, from, 'the last will');
  assert.equal(will.payload, 'offline');
  const probe = await Recorder.connect(broker.url, ['fitbit-bridge/bridge/state']);
  const retained = await probe.waitFor((m) => m.retain, 3000, 0, 'the retained bridge state');
  assert.equal(retained.payload, 'offline', 'the will is retained');
  await probe.close();

  // written while no bridge runs: a new heart rate, and the steps move to another source in two steps
  const cursorBefore = Number(store.getState('sink:mqtt:cursor'));
  store.writeSamples(hr, [{ t: Date.now() - 1000, offset: 0, v: 72 }], EX);
  store.removeMatching(legacySteps, steps, 0.5);
  assert.ok(store.currentSeq() > cursorBefore);

  const from2 = rec.messages.length;
  const second = await startChild();
  const s2 = await rec.waitFor((m) => m.topic === 'fitbit-bridge/alice' && payloadOf(m).heart_rate === 72, 5000, from2, 'the missed write');
  assert.equal(payloadOf(s2).steps_today, 100, "the day's maximum survived the kill");
  await rec.waitFor((m) => m.topic === 'fitbit-bridge/bridge/state' && m.payload === 'online', 5000, from2, 'online again');
  assert.equal(store.getState('sink:mqtt:cursor'), String(store.currentSeq()));
  await killed(second);
});
