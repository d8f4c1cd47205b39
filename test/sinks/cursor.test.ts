/** The sinks' durable cursor over the store's change sequence, on a real store (two connections: two processes). */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { SinkCursor } from '../../src/sinks/cursor.js';
import { Tmp } from '../support/tmp.js';

const tmp = new Tmp('fb-cursor-');
after(() => tmp.cleanup());

const DAY = 86_400_000;
const key = { account: 'a', metric: 'steps' as const, source: 'Inspire 3' };
const t0 = Date.UTC(2026, 3, 6, 12);

test('pending changes follow the change sequence; late data in an old day comes again; commit is durable', () => {
  const path = tmp.dbPath();
  const writer = tmp.store(path);
  const reader = tmp.store(path); // another connection, as another process would have
  const c = new SinkCursor(reader, 'test');
  assert.equal(c.position(), 0);
  assert.deepEqual(c.pending().blocks, []);

  writer.writeSamples(
    key,
    [
      { t: t0, offset: -240, v: 10 },
      { t: t0 + DAY, offset: -240, v: 20 },
    ],
    { exportMs: 1 },
  );
  const p1 = c.pending();
  assert.equal(p1.blocks.length, 2);
  assert.equal(p1.upto, writer.currentSeq());
  assert.equal(c.lag().seqBehind > 0, true);
  c.commit(p1.upto);
  assert.deepEqual(c.pending().blocks, []);
  assert.equal(c.lag().seqBehind, 0);

  // late data merged into the first (old) day: that block is pending again, the other is not
  writer.writeSamples(key, [{ t: t0 + 60_000, offset: -240, v: 5 }], { exportMs: 1 });
  const p2 = c.pending();
  assert.deepEqual(
    p2.blocks.map((b) => b.day),
    [Math.floor(t0 / DAY)],
  );
  // rewriting the same values changes nothing: nothing pending
  c.commit(p2.upto);
  writer.writeSamples(key, [{ t: t0 + 60_000, offset: -240, v: 5 }], { exportMs: 1 });
  assert.deepEqual(c.pending().blocks, []);

  // the position survives a reopen; commit never moves backwards
  reader.close();
  const again = new SinkCursor(tmp.store(path), 'test');
  assert.equal(again.position(), p2.upto);
  again.commit(1);
  assert.equal(again.position(), p2.upto);
});

test('pending(maxBlocks) cuts at a block boundary so committing it is safe', () => {
  const store = tmp.store();
  for (let d = 0; d < 5; d++) store.writeSamples(key, [{ t: t0 + d * DAY, offset: 0, v: d }], { exportMs: 1 });
  const c = new SinkCursor(store, 'cut');
  const seen: number[] = [];
  for (let i = 0; i < 10; i++) {
    const p = c.pending(2);
    if (p.blocks.length === 0) break;
    assert.ok(p.blocks.length <= 2);
    seen.push(...p.blocks.map((b) => b.day));
    c.commit(p.upto);
  }
  assert.equal(seen.length, 5);
  assert.equal(new Set(seen).size, 5);
});
