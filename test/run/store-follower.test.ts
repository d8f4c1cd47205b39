/**
 * The store follower: one poll of the change sequence announces each change once and wakes the
 * subscribed sinks; a subscription's passes coalesce (N changes or kicks during a pass → exactly
 * one more pass), follow each other at once while the pass says more is pending, back off
 * exponentially after a failure (and reset after a success), and stop() waits for the running
 * pass. The store is a stand-in that only answers currentSeq().
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BridgeEvents } from '../../src/run/extension.js';
import { StoreFollower } from '../../src/run/store-follower.js';
import type { Store } from '../../src/store/types.js';
import { silentLogger } from '../../src/util/log.js';

function fakeStore(): { store: Store; bump: () => void } {
  let seq = 0;
  const store = { currentSeq: () => seq } as unknown as Store;
  return {
    store,
    bump: () => {
      seq++;
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A promise with its resolve function (a pass that ends when the test says so). */
function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(5);
  }
}

describe('store follower', () => {
  // the follower's timers are unref'd (they never keep a bridge alive): keep the test's event loop up
  let keepAlive: NodeJS.Timeout;
  before(() => {
    keepAlive = setInterval(() => undefined, 1000);
  });
  after(() => clearInterval(keepAlive));

  test('announces each change once (store:changed with the latest seq) and wakes the subscribers', async () => {
    const { store, bump } = fakeStore();
    const events = new BridgeEvents();
    const seen: number[] = [];
    events.on('store:changed', (e) => seen.push(e.seq));
    const follower = new StoreFollower({ store, events, logger: silentLogger(), pollMs: 10_000 });
    let passes = 0;
    const f = follower.subscribe({
      name: 't',
      pass: async () => {
        passes++;
        return false;
      },
    });
    follower.start();
    follower.check();
    assert.deepEqual(seen, [], 'no change yet: nothing announced');
    bump();
    bump();
    follower.check();
    follower.check();
    assert.deepEqual(seen, [2], 'two writes between two reads: one announcement with the latest seq');
    await f.idle();
    assert.equal(passes, 1);
    await follower.stop();
  });

  test('polls by itself at pollMs', async () => {
    const { store, bump } = fakeStore();
    const follower = new StoreFollower({ store, logger: silentLogger(), pollMs: 20 });
    let passes = 0;
    follower.subscribe({
      name: 't',
      pass: async () => {
        passes++;
        return false;
      },
    });
    follower.start();
    bump();
    await until(() => passes === 1);
    await follower.stop();
  });

  test('N changes and kicks during a pass → exactly one more pass', async () => {
    const { store, bump } = fakeStore();
    const follower = new StoreFollower({ store, logger: silentLogger(), pollMs: 10_000 });
    follower.start();
    let passes = 0;
    let g = gate();
    const f = follower.subscribe({
      name: 't',
      pass: async () => {
        passes++;
        await g.promise;
        return false;
      },
    });
    f.kick();
    await until(() => passes === 1);
    for (let i = 0; i < 5; i++) {
      bump();
      follower.check();
      f.kick();
    }
    const first = g;
    g = gate();
    first.open();
    await until(() => passes === 2);
    g.open();
    await f.idle();
    await sleep(30);
    assert.equal(passes, 2, 'the five changes and five kicks made one more pass, not ten');
    await follower.stop();
  });

  test('a pass that says more is pending is followed by another at once', async () => {
    const { store } = fakeStore();
    const follower = new StoreFollower({ store, logger: silentLogger() });
    let left = 3;
    let passes = 0;
    const f = follower.subscribe({
      name: 't',
      pass: async () => {
        passes++;
        left--;
        return left > 0;
      },
    });
    f.kick();
    await f.idle();
    assert.equal(passes, 3);
    await follower.stop();
  });

  test('a failing pass is retried with exponential backoff (bounded), reset by a success', async () => {
    const { store, bump } = fakeStore();
    const follower = new StoreFollower({ store, logger: silentLogger(), pollMs: 10_000 });
    follower.start();
    const at: number[] = [];
    let fail = 4;
    const f = follower.subscribe({
      name: 't',
      retry: { minMs: 40, maxMs: 120 },
      pass: async () => {
        at.push(Date.now());
        if (fail > 0) {
          fail--;
          throw new Error('receiver down');
        }
        return false;
      },
    });
    f.kick();
    // changes during the backoff fold into the retry: they do not cut the wait short
    await sleep(10);
    bump();
    follower.check();
    f.kick();
    await f.idle();
    assert.equal(at.length, 5, 'four failures, then the success');
    const gaps = at.slice(1).map((t, i) => t - (at[i] as number));
    // expected 40, 80, 120 (capped), 120
    const expected = [40, 80, 120, 120];
    gaps.forEach((g, i) => {
      const e = expected[i] as number;
      assert.ok(g >= e - 5 && g < e + 80, `retry ${i + 1} after ${g} ms, expected about ${e} ms (gaps ${gaps.join(', ')})`);
    });
    // after the success the backoff starts again at minMs
    fail = 1;
    at.length = 0;
    f.kick();
    await f.idle();
    assert.equal(at.length, 2);
    const gap = (at[1] as number) - (at[0] as number);
    assert.ok(gap >= 35 && gap < 120, `first retry after a success waits minMs again (${gap} ms)`);
    await follower.stop();
  });

  test('stop() waits for the running pass; nothing runs after it', async () => {
    const { store, bump } = fakeStore();
    const follower = new StoreFollower({ store, logger: silentLogger(), pollMs: 5 });
    follower.start();
    let passes = 0;
    let ended = false;
    const g = gate();
    const f = follower.subscribe({
      name: 't',
      pass: async () => {
        passes++;
        await g.promise;
        ended = true;
        return true;
      },
    });
    f.kick();
    await until(() => passes === 1);
    let stopped = false;
    const stopping = follower.stop().then(() => {
      stopped = true;
    });
    await sleep(30);
    assert.equal(stopped, false, 'stop() is still waiting for the pass');
    g.open();
    await stopping;
    assert.equal(ended, true, 'the pass finished before stop() resolved');
    bump();
    f.kick();
    await sleep(30);
    assert.equal(passes, 1, 'no pass after stop(), although the last one said more was pending');
  });

  test('a subscription stopped during its backoff does not retry', async () => {
    const { store } = fakeStore();
    const follower = new StoreFollower({ store, logger: silentLogger() });
    let passes = 0;
    const f = follower.subscribe({
      name: 't',
      retry: { minMs: 30, maxMs: 30 },
      pass: async () => {
        passes++;
        throw new Error('down');
      },
    });
    f.kick();
    await until(() => passes === 1);
    await f.stop();
    await sleep(80);
    assert.equal(passes, 1);
    await follower.stop();
  });
});
