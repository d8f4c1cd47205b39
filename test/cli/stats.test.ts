import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { collectStats, formatStats } from '../../src/cli/commands/stats.js';
import { SinkCursor } from '../../src/sinks/cursor.js';
import { openStore } from '../../src/store/store.js';
import type { SeriesKey, Store } from '../../src/store/types.js';

describe('collectStats on a real store', () => {
  let dir: string;
  let store: Store;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fb-stats-'));
    store = openStore(join(dir, 'fb.db'));
    const hr: SeriesKey = { account: 'alice', metric: 'heart_rate', source: 'Inspire 3' };
    const steps: SeriesKey = { account: 'bob', metric: 'steps', source: 'Fitbit App' };
    store.write(() => {
      store.setAccount({ name: 'alice', profileId: 'P1', timezone: 'Europe/Berlin' });
      store.writeSamples(
        hr,
        [
          { t: Date.UTC(2024, 0, 1, 12), offset: 60, v: 70 },
          { t: Date.UTC(2024, 6, 1, 12), offset: 120, v: 80 },
        ],
        { exportMs: 1 },
      );
      store.writeSamples(
        steps,
        Array.from({ length: 10 }, (_, i) => ({ t: Date.UTC(2023, 4, 2) + i * 3_600_000 * 3, offset: 0, v: i })),
        { exportMs: 1 },
      );
      store.upsertSession({
        account: 'alice',
        kind: 'sleep',
        source: 'Inspire 3',
        layer: 'takeout-csv',
        start: Date.UTC(2024, 0, 1, 22),
        startOffset: 60,
        end: Date.UTC(2024, 0, 2, 6),
        endOffset: 60,
        segments: [],
        details: {},
      });
    });
  });
  after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('per account, metric and source; sessions; size', () => {
    const s = collectStats(store);
    assert.equal(s.store.samples, 12);
    assert.equal(s.store.sessions, 1);
    assert.ok(s.store.bytes > 0);
    assert.equal(s.store.bytesPerSample, Math.round((s.store.bytes / 12) * 100) / 100);
    assert.deepEqual(s.accounts, [
      { name: 'alice', profileId: 'P1', timezone: 'Europe/Berlin' },
      { name: 'bob', profileId: null, timezone: null },
    ]);
    assert.deepEqual(s.series[0], {
      account: 'alice',
      metric: 'heart_rate',
      unit: 'bpm',
      source: 'Inspire 3',
      samples: 2,
      first: '2024-01-01T13:00:00+01:00',
      last: '2024-07-01T14:00:00+02:00',
    });
    assert.deepEqual(s.series[1], {
      account: 'bob',
      metric: 'steps',
      unit: 'steps',
      source: 'Fitbit App',
      samples: 10,
      first: '2023-05-02T00:00:00+00:00',
      last: '2023-05-03T03:00:00+00:00',
    });
    assert.deepEqual(s.sessions, [
      {
        account: 'alice',
        kind: 'sleep',
        source: 'Inspire 3',
        layer: 'takeout-csv',
        sessions: 1,
        first: '2024-01-01T23:00:00+01:00',
        last: '2024-01-02T07:00:00+01:00',
      },
    ]);
    const text = formatStats(s);
    assert.match(text, /12 samples, 1 sessions/);
    assert.match(text, /Account alice \(profile P1, Europe\/Berlin\)/);
    assert.match(text, /heart_rate\s+bpm\s+Inspire 3\s+2\s+2024-01-01T13:00:00\+01:00/);
  });

  test('one account only', () => {
    const s = collectStats(store, 'bob');
    assert.deepEqual(
      s.accounts.map((a) => a.name),
      ['bob'],
    );
    assert.deepEqual(
      s.series.map((x) => x.metric),
      ['steps'],
    );
    assert.equal(s.store.samples, 10);
    assert.deepEqual(collectStats(store, 'carol').accounts, []);
  });
});

test('stats shows how far behind the store each sink is (its durable cursor)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fb-stats-sinks-'));
  const store = openStore(join(dir, 'fb.db'));
  try {
    const key: SeriesKey = { account: 'a', metric: 'steps', source: 'Inspire 3' };
    assert.deepEqual(collectStats(store).sinks, [], 'no sink has run yet');
    store.writeSamples(key, [{ t: Date.UTC(2024, 0, 1, 12), offset: 0, v: 1 }], { exportMs: 1 });
    const cursor = new SinkCursor(store, 'mqtt');
    cursor.commit(store.currentSeq());
    assert.deepEqual(collectStats(store).sinks, [{ name: 'mqtt', position: store.currentSeq(), changesBehind: 0, blocksBehind: 0 }]);
    // two more days arrive: the sink is two blocks behind until it delivers them
    store.writeSamples(
      key,
      [
        { t: Date.UTC(2024, 0, 2, 12), offset: 0, v: 2 },
        { t: Date.UTC(2024, 0, 3, 12), offset: 0, v: 3 },
      ],
      { exportMs: 1 },
    );
    const s = collectStats(store);
    assert.equal(s.sinks[0]?.blocksBehind, 2);
    assert.ok((s.sinks[0]?.changesBehind ?? 0) > 0);
    assert.match(formatStats(s), /Sink mqtt: 2 changed day blocks \/ sessions not delivered yet/);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
