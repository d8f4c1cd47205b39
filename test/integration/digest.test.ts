/** storeDigest: equal content → equal digest, whatever the write order; any change → another digest. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { storeDigest } from '../../src/store/digest.js';
import type { Sample, SeriesKey, SessionRecord, Store } from '../../src/store/types.js';
import { Tmp } from './helpers.js';

const tmp = new Tmp();
after(() => tmp.cleanup());

const HR: SeriesKey = { account: 'a', metric: 'heart_rate', source: 'Inspire 3' };
const STEPS: SeriesKey = { account: 'a', metric: 'steps', source: 'Fitbit App' };
const T0 = Date.UTC(2026, 2, 8, 6);
const samples: Sample[] = Array.from({ length: 50 }, (_, i) => ({ t: T0 + i * 3_600_000, offset: i < 2 ? -300 : -240, v: 60 + i / 3 }));
const sleep: SessionRecord = {
  account: 'a',
  kind: 'sleep',
  source: 'Inspire 3',
  layer: 'takeout-csv',
  start: T0,
  startOffset: -300,
  end: T0 + 7 * 3_600_000,
  endOffset: -240,
  externalId: '42',
  mainSleep: true,
  segments: [{ start: T0, end: T0 + 3_600_000, stage: 'light' }],
  details: { b: 1, a: 'x' },
};

function fill(store: Store, opts: { reverse?: boolean; split?: boolean } = {}): Store {
  const list = opts.reverse ? [...samples].reverse() : samples;
  store.write(() => {
    if (opts.split) {
      store.writeSamples(HR, list.slice(25), { exportMs: 1 });
      store.writeSamples(HR, list.slice(0, 25), { exportMs: 1 });
    } else store.writeSamples(HR, list, { exportMs: 1 });
    store.writeSamples(STEPS, [{ t: T0, offset: -300, v: 12 }], { exportMs: 1 });
    store.upsertSession(sleep);
  });
  return store;
}

describe('storeDigest', () => {
  const base = storeDigest(fill(tmp.store()));

  it('is a sha256 hex string and differs from the empty store', () => {
    assert.match(base, /^[0-9a-f]{64}$/);
    assert.notEqual(base, storeDigest(tmp.store()));
  });

  it('does not depend on write order, batching, ids or seq', () => {
    const s = tmp.store();
    s.write(() => s.writeSamples({ account: 'a', metric: 'spo2', source: 'x' }, [{ t: 1, offset: 0, v: 1 }], { exportMs: 1 }));
    s.write(() => s.removeMatching({ account: 'a', metric: 'spo2', source: 'x' }, [{ t: 1, offset: 0, v: 1 }], 0));
    assert.equal(storeDigest(fill(s, { reverse: true, split: true })), base, 'an emptied series counts as no series');
    const d = tmp.store();
    d.write(() => d.upsertSession({ ...sleep, details: { a: 'x', b: 1 } }));
    fill(d);
    assert.equal(storeDigest(d), base, 'details key order does not matter');
  });

  it('changes with any value, offset, instant, source or session field', () => {
    const variants: ((s: Store) => void)[] = [
      (s) => s.write(() => s.writeSamples(HR, [{ ...samples[7]!, v: samples[7]!.v + 1e-9 }], { exportMs: 2 })),
      (s) => s.write(() => s.writeSamples(HR, [{ t: T0 + 1, offset: -300, v: 60 }], { exportMs: 1 })),
      (s) => s.write(() => s.writeSamples({ ...STEPS, source: 'Inspire 3' }, [{ t: T0, offset: -300, v: 12 }], { exportMs: 1 })),
      (s) => s.write(() => s.upsertSession({ ...sleep, mainSleep: false })),
      (s) => s.write(() => s.upsertSession({ ...sleep, layer: 'takeout-json' })),
      (s) => s.write(() => s.upsertSession({ ...sleep, segments: [] })),
    ];
    const seen = new Set([base]);
    for (const [i, change] of variants.entries()) {
      const s = fill(tmp.store());
      change(s);
      const d = storeDigest(s);
      assert.ok(!seen.has(d), `variant ${i} changes the digest`);
      seen.add(d);
    }
    // an offset change alone
    const s = tmp.store();
    s.write(() => {
      s.writeSamples(
        HR,
        samples.map((x, i) => (i === 0 ? { ...x, offset: -240 } : x)),
        { exportMs: 1 },
      );
      s.writeSamples(STEPS, [{ t: T0, offset: -300, v: 12 }], { exportMs: 1 });
      s.upsertSession(sleep);
    });
    assert.notEqual(storeDigest(s), base);
  });
});
