/**
 * MQTT publish delay: from a store commit to the state message arriving at a subscriber, through
 * a real mosquitto, with the sink hosted by the real `run` controller. Target: < 100 ms.
 *
 *   node --import tsx bench/mqtt/run.ts [--n 40] [--days 30]
 *
 * Two paths:
 * - "other process": the write comes through a second store connection (an import-takeout beside
 *   run); the bridge's store follower notices it by its poll of the change sequence (every 50 ms).
 * - "event": the write is followed by `store:changed` (what the controller emits after an
 *   in-process sync job).
 * The store holds `--days` days of 5-second heart rate, per-minute steps / calories / distance
 * and daily values, so a pass reads realistic blocks. Also reports the time of one
 * computeLatest (what every pass does per account).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { Controller } from '../../src/run/controller.js';
import { computeLatest } from '../../src/sinks/latest.js';
import { mqttExtension } from '../../src/sinks/mqtt/extension.js';
import { openStore } from '../../src/store/store.js';
import type { Sample, SeriesKey } from '../../src/store/types.js';
import { silentLogger } from '../../src/util/log.js';
import { Mosquitto, Recorder } from '../../test/support/mosquitto.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const N = arg('n', 40);
const DAYS = arg('days', 30);
const EX = { exportMs: Date.now() };
const key = (metric: SeriesKey['metric']): SeriesKey => ({ account: 'alice', metric, source: 'Inspire 3' });

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return `n=${s.length} p50=${q(0.5).toFixed(1)} ms  p95=${q(0.95).toFixed(1)} ms  max=${s[s.length - 1]!.toFixed(1)} ms  mean=${mean.toFixed(1)} ms`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fb-bench-mqtt-'));
  const broker = await Mosquitto.start();
  try {
    const db = join(dir, 'store.db');
    const store = openStore(db);
    const now = Date.now();
    const start = Math.floor(now / 86_400_000) * 86_400_000 - (DAYS - 1) * 86_400_000;
    for (let d = 0; d < DAYS; d++) {
      const day = start + d * 86_400_000;
      const hr: Sample[] = [];
      for (let t = day; t < Math.min(day + 86_400_000, now - 60_000); t += 5000) hr.push({ t, offset: 0, v: 60 + ((t / 5000) % 30) });
      const perMin = (v: number): Sample[] => {
        const out: Sample[] = [];
        for (let t = day; t < Math.min(day + 86_400_000, now - 60_000); t += 60_000) out.push({ t, offset: 0, v });
        return out;
      };
      store.writeSamples(key('heart_rate'), hr, EX);
      store.writeSamples(key('steps'), perMin(12), EX);
      store.writeSamples(key('calories'), perMin(1.3), EX);
      store.writeSamples(key('distance'), perMin(9.1), EX);
      store.writeSamples(key('resting_heart_rate'), [{ t: day, offset: 0, v: 55 + (d % 5) }], EX);
    }
    const c0 = performance.now();
    for (let i = 0; i < 20; i++) computeLatest(store, 'alice', { now: Date.now(), timezone: 'UTC' });
    const computeMs = (performance.now() - c0) / 20;

    const cfgFile = join(dir, 'config.yaml');
    writeFileSync(cfgFile, `store:\n  path: ${db}\nhttp:\n  enabled: false\naccounts:\n  - name: alice\n    timezone: UTC\nmqtt:\n  server: ${broker.url}\n`);
    const config = loadConfig({ env: {}, file: cfgFile });
    const ext = mqttExtension();
    const controller = new Controller({ config, store, logger: silentLogger(), version: 'bench', parts: [ext], sync: null });
    const rec = await Recorder.connect(broker.url, ['fitbit-bridge/alice']);
    await controller.start();
    while (!ext.isConnected()) await new Promise((r) => setTimeout(r, 10));
    await ext.flush();
    const other = openStore(db);

    let v = 200;
    /** `write` commits and returns performance.now() right after the commit. */
    const measure = async (write: (value: number) => number): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < N; i++) {
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 200));
        const value = ++v;
        const from = rec.messages.length;
        const t0 = write(value);
        const m = await rec.waitFor((x) => (JSON.parse(x.payload) as { heart_rate: number }).heart_rate === value, 5000, from, `value ${value}`);
        out.push(m.hr - t0);
      }
      return out;
    };
    const viaPoll = await measure((value) => {
      other.writeSamples(key('heart_rate'), [{ t: Date.now() - 500, offset: 0, v: value }], EX);
      return performance.now();
    });
    const viaEvent = await measure((value) => {
      store.writeSamples(key('heart_rate'), [{ t: Date.now() - 500, offset: 0, v: value }], EX);
      const t0 = performance.now();
      controller.events.emit('store:changed', { seq: store.currentSeq() });
      return t0;
    });
    console.log(
      `mqtt bench: store ${DAYS} days (${store.listSeries({ account: 'alice' }).reduce((a, s) => a + s.count, 0)} samples), one computeLatest ${computeMs.toFixed(2)} ms`,
    );
    console.log(`commit → broker → subscriber, other process (sink's poll, 50 ms): ${stats(viaPoll)}`);
    console.log(`commit → broker → subscriber, store:changed event (in-process sync): ${stats(viaEvent)}`);
    other.close();
    await controller.stop();
    await rec.close();
    store.close();
  } finally {
    await broker.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
