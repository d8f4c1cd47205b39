// The quota limiter and the back-off policy on their own (virtual clock, no waiting).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { effectiveLimit, SlidingWindowLimiter, type LimiterTicket } from '../../src/sources/google-health/rate-limit.js';
import { backoffDelay, rateLimitDelay, RATE_LIMIT_BACKOFF, SERVER_BACKOFF, serverErrorDelay } from '../../src/sources/google-health/retry.js';
import { VirtualClock } from './client-harness.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('SlidingWindowLimiter', () => {
  test('keeps a margin below the quota', () => {
    assert.equal(effectiveLimit(300), 285);
    assert.equal(effectiveLimit(10), 9);
    assert.equal(effectiveLimit(2), 1);
    assert.equal(effectiveLimit(1), 1);
    assert.throws(() => effectiveLimit(0), RangeError);
  });

  test('a full window waits until the oldest request is a window (60 s + 2 s) old; first come, first served', async () => {
    const vc = new VirtualClock(0);
    const l = new SlidingWindowLimiter({ quotaPerMinute: 10, clock: vc.clock, sleep: vc.sleep });
    const order: number[] = [];
    const admittedAt: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const t = await l.acquire();
        order.push(i);
        admittedAt.push(vc.now);
        t.release();
      }),
    );
    assert.deepEqual(
      order,
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.deepEqual(admittedAt, [...Array<number>(9).fill(0), ...Array<number>(9).fill(62_000), 124_000, 124_000]);
    // never more than 9 in any 62 s
    for (const t of admittedAt) assert.ok(admittedAt.filter((x) => x > t - 62_000 && x <= t).length <= 9);
  });

  test('requests in flight count until they finish, and from then for a whole window', async () => {
    const vc = new VirtualClock(0);
    const l = new SlidingWindowLimiter({ quotaPerMinute: 4, clock: vc.clock, sleep: vc.sleep });
    const held: LimiterTicket[] = [];
    for (let i = 0; i < 3; i++) held.push(await l.acquire());
    assert.equal(l.inFlight, 3);
    assert.equal(l.left(), 0);
    let fourth: LimiterTicket | null = null;
    void l.acquire().then((t) => {
      fourth = t;
    });
    for (let i = 0; i < 20; i++) await tick();
    assert.equal(fourth, null, 'admitted while the window was full of requests on the way');
    assert.equal(vc.sleeps.length, 0, 'it waits for an answer, not for time');
    vc.now = 30_000; // the first answer comes 30 s later
    held[0]?.release();
    held[0]?.release(); // releasing twice counts once
    for (let i = 0; i < 50 && fourth === null; i++) await tick();
    assert.ok(fourth !== null);
    assert.equal(l.inFlight, 3);
    assert.equal(vc.now, 30_000 + 62_000, 'waited a window after the answer, not after the admission');
    for (const t of held) t.release();
  });

  test('pauseFor holds every request; an aborted signal ends the wait', async () => {
    const vc = new VirtualClock(0);
    const l = new SlidingWindowLimiter({ quotaPerMinute: 300, clock: vc.clock, sleep: vc.sleep });
    l.pauseFor(5_000);
    assert.equal(l.left(), 0);
    const t = await l.acquire();
    assert.equal(vc.now, 5_000);
    assert.equal(t.waitedMs, 5_000);
    t.release();

    const never = new SlidingWindowLimiter({ quotaPerMinute: 300, clock: vc.clock, sleep: () => new Promise<void>(() => undefined) });
    never.pauseFor(60_000);
    const ctl = new AbortController();
    const p = never.acquire(ctl.signal);
    ctl.abort(new Error('bye'));
    await assert.rejects(p, /bye/);
    // the queue goes on after an aborted waiter
    const ok = new SlidingWindowLimiter({ quotaPerMinute: 300, clock: vc.clock, sleep: vc.sleep });
    const c1 = new AbortController();
    c1.abort(new Error('early'));
    await assert.rejects(ok.acquire(c1.signal), /early/);
    (await ok.acquire()).release();
  });
});

describe('back-off policy', () => {
  test('5xx / timeouts: 0.5–1 s, doubling, capped at 30 s', () => {
    const lo = [1, 2, 3, 4, 5, 6, 7].map((r) => backoffDelay(SERVER_BACKOFF, r, () => 0));
    const hi = [1, 2, 3, 4, 5, 6, 7].map((r) => backoffDelay(SERVER_BACKOFF, r, () => 1));
    assert.deepEqual(lo, [500, 1000, 2000, 4000, 8000, 15_000, 15_000]);
    assert.deepEqual(hi, [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    assert.equal(
      serverErrorDelay(20, 1, () => 0),
      20_000,
      'a Retry-After on a 5xx is a minimum',
    );
  });

  test('429: at least Retry-After (plus up to 1 s); without it 10 s doubling to 60 s, jittered upwards', () => {
    assert.equal(
      rateLimitDelay(7, 1, () => 0),
      7000,
    );
    assert.equal(
      rateLimitDelay(7, 1, () => 1),
      8000,
    );
    assert.equal(
      rateLimitDelay(0, 1, () => 0),
      0,
    );
    const lo = [1, 2, 3, 4, 5].map((r) => rateLimitDelay(null, r, () => 0));
    const hi = [1, 2, 3, 4, 5].map((r) => rateLimitDelay(null, r, () => 1));
    assert.deepEqual(lo, [10_000, 20_000, 40_000, 60_000, 60_000]);
    assert.deepEqual(hi, [12_500, 25_000, 50_000, 75_000, 75_000]);
    assert.equal(RATE_LIMIT_BACKOFF.baseMs, 10_000);
  });
});
