// HealthClient against the real emulator (OAuth + Health API over HTTP), on a virtual clock so
// that quota waits cost no real time.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DataPoint } from '../../src/sources/google-health/api-types.js';
import { HealthApiError } from '../../src/sources/google-health/errors.js';
import { bufferLogger, rejection } from '../auth/helpers.js';
import { collect, DAY_FILTER, exactWindow, physicalTime, startHarness, type Harness } from './client-harness.js';

describe('HealthClient against the emulator: paging', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ quotaPerMinute: 100_000 });
  });
  after(() => h.close());

  test('a whole heart-rate day over many pages, the last one a bare {}', async () => {
    const c = h.client({ quotaPerMinute: 100_000 });
    // the clean answer: the day in one or two big pages
    const clean = await collect(c.listAll('heart-rate', { filter: DAY_FILTER, pageSize: 10_000 }));
    const n = clean.points.length;
    assert.ok(n > 10_000, `a day has ${n} points`);
    // a page size that divides the day exactly, so the API ends with a full page and then `{}`
    let size = 0;
    for (let d = Math.ceil(n / 60); d <= Math.floor(n / 3); d++)
      if (n % d === 0) {
        size = d;
        break;
      }
    if (size === 0) size = 1; // n prime: unlikely; one point a page still proves the point (slow but correct)
    h.events.length = 0;
    const paged = await collect(c.listAll('heart-rate', { filter: DAY_FILTER, pageSize: size }));
    assert.equal(paged.raws.length, n / size + 1, `${n} points, page size ${size}`);
    assert.deepEqual(JSON.parse(paged.raws.at(-1) as string), {});
    assert.deepEqual(paged.points, clean.points);
    // newest first, no point twice
    const times = paged.points.map(physicalTime);
    assert.equal(new Set(times).size, n);
    assert.ok(times.every((t, i) => i === 0 || t < (times[i - 1] as string)));
    assert.ok(h.events.every((e) => e.outcome === 'ok' && e.status === 200 && e.path === '/v4/users/me/dataTypes/heart-rate/dataPoints'));
  });

  test('listAll follows an empty first page carrying a token (the live API over a past range): the same points', async () => {
    const live = await startHarness({ quotaPerMinute: 100_000, variant: { emptyPages: 'past-first' } });
    try {
      const c = live.client({ quotaPerMinute: 100_000 });
      const got = await collect(c.listAll('heart-rate', { filter: DAY_FILTER, pageSize: 10_000 }));
      const firstPage = JSON.parse(got.raws[0] as string) as Record<string, unknown>;
      assert.deepEqual(Object.keys(firstPage), ['nextPageToken'], 'the first page holds a token and no points');
      const want = await collect(h.client({ quotaPerMinute: 100_000 }).listAll('heart-rate', { filter: DAY_FILTER, pageSize: 10_000 }));
      assert.equal(got.raws.length, want.raws.length + 1);
      assert.deepEqual(got.points, want.points);
    } finally {
      await live.close();
    }
  });

  test('the default heart-rate page size (50) when pageSize is omitted; raw is the exact response text', async () => {
    const c = h.client({ quotaPerMinute: 100_000 });
    const { filter, points } = await exactWindow(c, 150);
    const pages: { body: { dataPoints?: DataPoint[]; nextPageToken?: string }; raw: string }[] = [];
    for await (const p of c.listAll('heart-rate', { filter })) pages.push(p);
    assert.deepEqual(
      pages.map((p) => p.body.dataPoints?.length ?? 0),
      [50, 50, 50, 0],
    );
    assert.deepEqual(
      pages.flatMap((p) => p.body.dataPoints ?? []),
      points,
    );
    for (const p of pages) assert.deepEqual(JSON.parse(p.raw), p.body);
    const one = await c.listPage('heart-rate', { filter, pageSize: 3 });
    const direct = await fetch(`${h.emu.url}/v4/users/me/dataTypes/heart-rate/dataPoints?${new URLSearchParams({ filter, pageSize: '3' }).toString()}`, {
      headers: { authorization: `Bearer ${await h.tm.getAccessToken()}` },
    });
    assert.equal(one.raw, await direct.text());
  });

  test('data type ids must be kebab-case (no request is made for heart_rate)', async () => {
    const c = h.client();
    const before0 = h.api.requests;
    assert.throws(() => c.listPage('heart_rate', {}), TypeError);
    assert.equal(h.api.requests, before0);
  });

  test('typed errors, not retried: INVALID_DATA_POINT_FILTER with its detailed reason', async () => {
    const c = h.client();
    const before0 = h.api.requests;
    const e = await rejection(c.listPage('heart-rate', { filter: 'heart_rate.interval.start_time >= "2024-03-09T00:00:00Z"' }));
    assert.ok(e instanceof HealthApiError, String(e));
    assert.equal(e.kind, 'invalid-filter');
    assert.equal(e.reason, 'INVALID_DATA_POINT_FILTER');
    assert.equal(e.detailedReason, 'INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER');
    assert.match(e.message, /GET \/v4\/users\/me\/dataTypes\/heart-rate\/dataPoints/);
    assert.equal(h.api.requests, before0 + 1);
    assert.equal(c.stats.requests.client_error, 1);
  });
});

describe('HealthClient against the emulator: quota', () => {
  test('429 + Retry-After: the retry comes at least Retry-After later, and the pages are complete', async () => {
    const h = await startHarness({ quotaPerMinute: 3 });
    try {
      const c = h.client({ quotaPerMinute: 300 }); // believes in a bigger quota than the server grants
      const token = await h.tm.getAccessToken();
      const url = `${h.emu.url}/v4/users/me/dataTypes/heart-rate/dataPoints?pageSize=1`;
      for (let i = 0; i < 3; i++) assert.equal((await fetch(url, { headers: { authorization: `Bearer ${token}` } })).status, 200);
      const refused = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(refused.status, 429);
      const retryAfter = Number(refused.headers.get('retry-after'));
      assert.ok(retryAfter >= 1, `Retry-After ${retryAfter}`);
      await refused.text();

      const page = await c.listPage('heart-rate', { pageSize: 5 });
      assert.equal(page.body.dataPoints?.length, 5);
      const [first, second] = h.events;
      assert.equal(first?.outcome, 'rate_limited');
      assert.equal(first?.status, 429);
      assert.equal(second?.outcome, 'ok');
      assert.ok(
        (second as { at: number }).at - (first as { at: number }).at >= retryAfter * 1000,
        `waited ${(second as { at: number }).at - (first as { at: number }).at} ms for Retry-After ${retryAfter} s`,
      );
      assert.equal(c.stats.requests.rate_limited, 1);
      assert.ok(c.stats.throttledMs >= retryAfter * 1000);
      assert.equal(c.stats.retries, 1);
    } finally {
      await h.close();
    }
  });

  test('a small server quota forces several 429s while paging: nothing lost or doubled', async () => {
    const h = await startHarness({ quotaPerMinute: 4 });
    try {
      const clean = h.client({ quotaPerMinute: 4 });
      const { filter, points } = await exactWindow(clean, 400);
      const c = h.client({ quotaPerMinute: 1000 });
      h.events.length = 0;
      const got = await collect(c.listAll('heart-rate', { filter, pageSize: 40 }));
      assert.deepEqual(got.points, points);
      assert.equal(got.raws.length, 11);
      assert.ok(c.stats.requests.rate_limited >= 2, `${c.stats.requests.rate_limited} 429s`);
      assert.equal(c.stats.requests.ok, 11);
    } finally {
      await h.close();
    }
  });

  test('proactive limiter, equal quotas: 2 × quota concurrent requests, zero 429s', async () => {
    const h = await startHarness({ quotaPerMinute: 300 });
    try {
      const c = h.client({ quotaPerMinute: 300 });
      const t0 = h.vc.now;
      const before0 = h.api.requests;
      const pages = await Promise.all(Array.from({ length: 600 }, (_, i) => c.listPage('heart-rate', { pageSize: 1 + (i % 3) })));
      assert.equal(pages.length, 600);
      assert.ok(pages.every((p, i) => p.body.dataPoints?.length === 1 + (i % 3)));
      assert.equal(c.stats.requests.rate_limited, 0);
      assert.equal(c.stats.requests.ok, 600);
      assert.equal(h.api.requests - before0, 600, 'the emulator saw exactly one request per call');
      // 285 a window (5 % margin), so three windows were needed
      assert.ok(h.vc.now - t0 >= 2 * 60_000, `virtual time ${h.vc.now - t0} ms`);
      assert.ok(c.stats.throttledMs > 0);
      assert.ok(c.stats.quotaLeft() >= 0 && c.stats.quotaLeft() < 285);
    } finally {
      await h.close();
    }
  });
});

describe('HealthClient against the emulator: scopes and logs', () => {
  test('403 ACCESS_TOKEN_SCOPE_INSUFFICIENT is a typed error naming the scope; logs and events carry no token', async () => {
    const h = await startHarness({}, ['https://www.googleapis.com/auth/googlehealth.activity_and_fitness.readonly']);
    try {
      const log = bufferLogger();
      const c = h.client({ logger: log.logger });
      const e = await rejection(c.listPage('heart-rate', { pageSize: 1 }));
      assert.ok(e instanceof HealthApiError, String(e));
      assert.equal(e.kind, 'missing-scope');
      assert.equal(e.reason, 'ACCESS_TOKEN_SCOPE_INSUFFICIENT');
      assert.match(e.advice, /lacks googlehealth\.health_metrics_and_measurements\.readonly, which dataPoints\.list needs to read heart-rate/);
      const steps = await c.listPage('steps', { pageSize: 2 });
      assert.equal(steps.body.dataPoints?.length, 2);
      const token = await h.tm.getAccessToken();
      const text = log.text();
      assert.match(text, /health api request/);
      assert.match(text, /"path":"\/v4\/users\/me\/dataTypes\/steps\/dataPoints"/);
      for (const hay of [text, JSON.stringify(h.events), e.message, String(e.stack)]) assert.ok(!hay.includes(token), 'the access token leaked');
    } finally {
      await h.close();
    }
  });
});
