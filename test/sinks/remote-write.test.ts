/**
 * Remote write into a REAL Prometheus (2.42, remote-write receiver, 3650d out-of-order window)
 * and a REAL VictoriaMetrics: after delivery, every series' samples (count, sum, first and last
 * instant, each pair) queried back through the HTTP API equal the store's — also with late data
 * merged into an old day, with Prometheus killed for part of the delivery, with writes by another
 * store connection noticed by the extension, and with a conflicting sample, which alone is lost.
 */
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { configSchema } from '../../src/config/schema.js';
import type { ExtensionContext } from '../../src/run/extension.js';
import { remoteWriteExtension } from '../../src/sinks/remote-write/extension.js';
import { createRemoteWrite } from '../../src/sinks/remote-write/index.js';
import { openStore } from '../../src/store/store.js';
import type { Store } from '../../src/store/types.js';
import { silentLogger } from '../../src/util/log.js';
import { partContext } from '../support/part-context.js';
import { Prometheus } from '../support/prometheus.js';
import { Tmp } from '../support/tmp.js';
import { VictoriaMetrics } from '../support/victoria-metrics.js';
import { ACCOUNT, assertTsdbHolds, expectedFromStore, importDataset, dailyAlternatives, rwConfig, totalSamples } from './remote-write-helpers.js';

const tmp = new Tmp('fb-rw-');
let base: string; // a store with the dataset, copied per test
const servers: Array<{ cleanup(): Promise<void> }> = [];

before(async () => {
  const store = tmp.store();
  await importDataset(tmp, store, 2);
  base = store.path;
  store.close();
});
after(async () => {
  for (const s of servers) await s.cleanup();
  tmp.cleanup();
});

/** A fresh copy of the dataset store (a byte copy of the closed, checkpointed file). */
function copyStore(): Store {
  const dst = tmp.dbPath();
  copyFileSync(base, dst);
  return tmp.store(dst);
}

async function prometheus(): Promise<Prometheus> {
  const p = await Prometheus.start();
  servers.push(p);
  return p;
}

const HR = { account: ACCOUNT, metric: 'heart_rate' as const };

describe('Prometheus', () => {
  test('everything in the store arrives; late data merged into an old day follows', async () => {
    const prom = await prometheus();
    const store = copyStore();
    const { sink, client } = createRemoteWrite({ store, config: rwConfig(prom.remoteWriteUrl, { batch_samples: 5000 }), logger: silentLogger() });
    const r = await sink.drain();
    const expected = expectedFromStore(store);
    assert.ok(totalSamples(expected) > 20_000, `dataset too small: ${totalSamples(expected)}`);
    assert.equal(r.rejected, 0);
    assert.equal(client.stats.samplesRejected, 0);
    const held = await assertTsdbHolds(prom, expected);
    assert.ok(held.series >= 15, `series: ${held.series}`);
    assert.equal(sink.cursor.lag().seqBehind, 0);

    // late data: new heart-rate samples inside the first day, and a new day-old steps minute
    const hr = store.listSeries(HR)[0]!;
    const t0 = hr.first! + 2500; // between existing samples
    store.writeSamples(
      hr,
      [
        { t: t0, offset: -240, v: 101 },
        { t: t0 + 1000, offset: -240, v: 102 },
      ],
      { exportMs: Date.now() },
    );
    const steps = store.listSeries({ account: ACCOUNT, metric: 'steps' })[0]!;
    store.writeSamples(steps, [{ t: steps.first! + 30_000, offset: -240, v: 7 }], { exportMs: Date.now() });
    assert.ok(sink.cursor.lag().seqBehind > 0);
    const r2 = await sink.drain();
    assert.ok(r2.blocks >= 2 && r2.blocks <= 4, `only the changed blocks are resent: ${r2.blocks}`);
    // (the steps total of that day was written already and is sent again: either value may show)
    const later = expectedFromStore(store);
    const alternatives = dailyAlternatives(expected, later);
    assert.ok(alternatives.size >= 1, 'the late steps minute changed a day total');
    await assertTsdbHolds(prom, later, { alternatives });
  });

  test('Prometheus killed during the delivery: delivery waits, resumes, nothing is lost', async () => {
    const prom = await prometheus();
    const store = copyStore();
    const { sink, client } = createRemoteWrite({
      store,
      config: rwConfig(prom.remoteWriteUrl, { batch_samples: 1000, max_backoff_seconds: 1 }),
      logger: silentLogger(),
      minBackoffMs: 50,
      blocksPerPass: 4,
    });
    // one pass goes through, then Prometheus dies; the rest of the delivery meets a dead receiver
    // (deterministic: no race between the kill and a fast delivery)
    const first = await sink.pass();
    assert.ok(first.sent > 0 && !first.caughtUp, 'the first pass delivered part of the store');
    await prom.kill();
    const sentAtKill = client.stats.samplesSent;
    const done = sink.drain();
    await prom.waitFor(async () => client.stats.retries >= 3, 30_000, 'retries');
    await sleep(300);
    await prom.start();
    await done;
    const expected = expectedFromStore(store);
    assert.ok(sentAtKill < totalSamples(expected), 'killed before the end');
    assert.ok(client.stats.retries >= 3);
    assert.equal(client.stats.samplesRejected, 0);
    await assertTsdbHolds(prom, expected);
  });

  test('a batch with a conflicting sample loses only that sample (bisection)', async () => {
    const prom = await prometheus();
    const store = copyStore();
    const cfg = rwConfig(prom.remoteWriteUrl, { batch_samples: 20_000 });
    const { sink, client } = createRemoteWrite({ store, config: cfg, logger: silentLogger() });
    await sink.drain();
    // the newest heart-rate sample gets another value (a newer export wins in the store);
    // Prometheus refuses a different value at the newest instant it holds: HTTP 400 for the batch
    const hr = store.listSeries(HR).sort((a, b) => b.count - a.count)[0]!;
    const last = [...store.iterateSamples(hr, hr.last!, hr.last! + 1)][0]!;
    const oldExpected = expectedFromStore(store);
    const wr = store.writeSamples(hr, [{ ...last, v: last.v + 10 }], { exportMs: Date.now() + 86_400_000 });
    assert.equal(wr.changed, 1);
    // and a new sample elsewhere, in the same pass
    const steps = store.listSeries({ account: ACCOUNT, metric: 'steps' })[0]!;
    store.writeSamples(steps, [{ t: steps.first! + 45_000, offset: -240, v: 33 }], { exportMs: Date.now() });
    const rejected: number[] = [];
    client.on('rejected', (s) => rejected.push(s.t));
    const r = await sink.drain();
    assert.deepEqual(rejected, [last.t], 'exactly the conflicting sample');
    assert.equal(r.rejected, 1);
    assert.equal(client.stats.samplesRejected, 1);
    assert.ok(client.stats.requests > 3, 'bisected');
    // everything else is there: the new steps minute; the refused heart-rate sample keeps its old value
    const expected = expectedFromStore(store);
    const alternatives = dailyAlternatives(oldExpected, expected);
    const hrKey = [...expected.keys()].find((k) => k.includes('fitbit_history_heart_rate_bpm') && k.includes(JSON.stringify(hr.source)))!;
    expected.set(hrKey, oldExpected.get(hrKey)!);
    await assertTsdbHolds(prom, expected, { alternatives });
    assert.equal(sink.cursor.lag().seqBehind, 0, 'the cursor moved on');
  });

  test('the run extension delivers, notices writes of another connection (the store follower), shows lag', async () => {
    const prom = await prometheus();
    const store = copyStore();
    const config = configSchema.parse({ remote_write: { url: prom.remoteWriteUrl } }) as unknown as ExtensionContext['config'];
    const { ctx, close } = partContext({ config, store });
    const ext = remoteWriteExtension();
    assert.equal(ext.name, 'remote-write');
    assert.equal(ext.stats().enabled, false);
    await ext.start(ctx);
    try {
      await ext.idle();
      const first = expectedFromStore(store);
      await assertTsdbHolds(prom, first);
      const s1 = ext.stats();
      assert.equal(s1.enabled, true);
      assert.equal(s1.lag.seqBehind, 0);
      assert.ok(s1.samplesSent > 20_000);
      // another connection (as another process would) writes late data: the store follower's poll notices it
      const other = openStore(store.path);
      const hr = other.listSeries(HR)[0]!;
      other.writeSamples(hr, [{ t: hr.first! + 1500, offset: -240, v: 99 }], { exportMs: Date.now() });
      other.close();
      await prom.waitFor(
        async () => (await prom.scalar(`fitbit_history_heart_rate_bpm{source=${JSON.stringify(hr.source)}}`, hr.first! + 1500)) === 99,
        20_000,
        'the late sample',
      );
      // a write of this connection: idle() delivers it
      const steps = store.listSeries({ account: ACCOUNT, metric: 'steps' })[0]!;
      store.writeSamples(steps, [{ t: steps.first! + 15_000, offset: -240, v: 5 }], { exportMs: Date.now() });
      await ext.idle();
      const later = expectedFromStore(store);
      await assertTsdbHolds(prom, later, { alternatives: dailyAlternatives(first, later) });
    } finally {
      await ext.stop();
      await close();
    }
    assert.equal(ext.stats().enabled, false);
  });
});

describe('VictoriaMetrics', () => {
  test('everything arrives; a full resend stores nothing twice (-dedup.minScrapeInterval=1ms)', async () => {
    const vm = await VictoriaMetrics.start();
    servers.push(vm);
    const store = copyStore();
    const { sink } = createRemoteWrite({ store, config: rwConfig(vm.remoteWriteUrl, { batch_samples: 10_000 }), logger: silentLogger() });
    await sink.drain();
    const expected = expectedFromStore(store);
    await assertTsdbHolds(vm, expected);
    sink.cursor.reset();
    const r = await sink.drain();
    assert.ok(r.sent >= totalSamples(expected));
    await assertTsdbHolds(vm, expected);
    // a changed value is sent again at the same instant; VictoriaMetrics keeps ONE of the two (its
    // dedup rule decides which: 1.79 has kept either, the old value in one of eight runs here), and
    // nothing else changes
    const hr = store.listSeries(HR)[0]!;
    const first = [...store.iterateSamples(hr, hr.first!, hr.first! + 1)][0]!;
    store.writeSamples(hr, [{ ...first, v: first.v + 1 }], { exportMs: Date.now() + 86_400_000 });
    await sink.drain();
    const later = expectedFromStore(store);
    const hrKey = [...later.keys()].find((k) => k.includes('fitbit_history_heart_rate_bpm') && k.includes(JSON.stringify(hr.source)))!;
    // (assertTsdbHolds counts the samples of every series: the changed one is not stored twice)
    await assertTsdbHolds(vm, later, { alternatives: new Map([[hrKey, new Map([[first.t, [first.v]]])]]) });
  });
});
