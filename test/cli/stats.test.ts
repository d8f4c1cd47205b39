import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectStats, formatStats, isoWithOffset } from '../../src/cli/commands/stats.js';
import type { Sample, SeriesInfo, SeriesKey, Store, StoredSession } from '../../src/store/types.js';

test('isoWithOffset: local time with the offset', () => {
  const t = Date.UTC(2024, 2, 31, 0, 59, 0);
  assert.equal(isoWithOffset(t, 120), '2024-03-31T02:59:00+02:00');
  assert.equal(isoWithOffset(t, -240), '2024-03-30T20:59:00-04:00');
  assert.equal(isoWithOffset(t, 0), '2024-03-31T00:59:00+00:00');
  assert.equal(isoWithOffset(t + 5, 330), '2024-03-31T06:29:00.005+05:30');
});

/** A store with fixed content; only what stats reads is implemented. */
function fakeStore(): Store {
  const hr: SeriesKey = { account: 'alice', metric: 'heart_rate', source: 'Inspire 3' };
  const samples: Sample[] = [
    { t: Date.UTC(2024, 0, 1, 12), offset: 60, v: 70 },
    { t: Date.UTC(2024, 6, 1, 12), offset: 120, v: 80 },
  ];
  const series: SeriesInfo[] = [
    { ...hr, id: 1, count: 2, first: samples[0]!.t, last: samples[1]!.t },
    { account: 'bob', metric: 'steps', source: 'Fitbit App', id: 2, count: 10, first: Date.UTC(2023, 4, 2), last: Date.UTC(2023, 4, 3) },
  ];
  const sleep: StoredSession = {
    id: 1, seq: 1, account: 'alice', kind: 'sleep', source: 'Inspire 3', layer: 'takeout-csv',
    start: Date.UTC(2024, 0, 1, 22), startOffset: 60, end: Date.UTC(2024, 0, 2, 6), endOffset: 60, segments: [], details: {},
  };
  const notUsed = (): never => { throw new Error('not used by stats'); };
  return {
    path: '/data/fb.db',
    listSeries: (f?: Partial<SeriesKey>) => series.filter((s) => f?.account === undefined || s.account === f.account),
    *iterateSamples(key: SeriesKey, from?: number, to?: number) {
      if (key.account !== 'alice') return;
      for (const s of samples) if ((from === undefined || s.t >= from) && (to === undefined || s.t < to)) yield s;
    },
    sessions: (account: string, kind: string) => (account === 'alice' && kind === 'sleep' ? [sleep] : []),
    accounts: () => [{ name: 'alice', profileId: 'P1', timezone: 'Europe/Berlin' }],
    diskBytes: () => 4096,
    write: notUsed, writeSamples: notUsed, removeMatching: notUsed, readDay: notUsed, readDayColumns: notUsed, days: notUsed, upsertSession: notUsed,
    currentSeq: notUsed, changedBlocks: notUsed, changedSessions: notUsed, getAccount: notUsed, setAccount: notUsed,
    getState: notUsed, setState: notUsed, close: () => {},
  };
}

test('collectStats: per account, metric and source; sessions; size', () => {
  const s = collectStats(fakeStore());
  assert.deepEqual(s.store, { path: '/data/fb.db', bytes: 4096, samples: 12, sessions: 1, bytesPerSample: 341.33 });
  assert.deepEqual(s.accounts, [
    { name: 'alice', profileId: 'P1', timezone: 'Europe/Berlin' },
    { name: 'bob', profileId: null, timezone: null },
  ]);
  assert.deepEqual(s.series[0], {
    account: 'alice', metric: 'heart_rate', unit: 'bpm', source: 'Inspire 3', samples: 2,
    first: '2024-01-01T13:00:00+01:00', last: '2024-07-01T14:00:00+02:00',
  });
  assert.equal(s.series[1]?.account, 'bob');
  assert.equal(s.series[1]?.first, '2023-05-02T00:00:00+00:00', 'no sample readable: offset 0');
  assert.deepEqual(s.sessions, [{
    account: 'alice', kind: 'sleep', source: 'Inspire 3', layer: 'takeout-csv', sessions: 1,
    first: '2024-01-01T23:00:00+01:00', last: '2024-01-02T07:00:00+01:00',
  }]);
  const text = formatStats(s);
  assert.match(text, /^Store \/data\/fb\.db: 4\.0 KiB on disk, 12 samples, 1 sessions, 341\.3 bytes\/sample/);
  assert.match(text, /Account alice \(profile P1, Europe\/Berlin\)/);
  assert.match(text, /heart_rate\s+bpm\s+Inspire 3\s+2\s+2024-01-01T13:00:00\+01:00/);
});

test('collectStats: one account only', () => {
  const s = collectStats(fakeStore(), 'bob');
  assert.deepEqual(s.accounts.map((a) => a.name), ['bob']);
  assert.deepEqual(s.series.map((x) => x.metric), ['steps']);
  assert.equal(s.store.samples, 10);
  assert.equal(s.store.bytesPerSample, 341.33, 'bytes per sample over the whole store');
  assert.deepEqual(collectStats(fakeStore(), 'carol').accounts, []);
});
