// Faults the emulator does not inject: a real HTTP proxy in front of it plays Google's answers
// (verbatim from the reference) or breaks the connection. Every transient fault is survived with
// nothing lost or doubled; the permanent ones are typed errors, never retried.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DataPoint } from '../../src/sources/google-health/api-types.js';
import { HealthApiError, HealthApiTransportError, UnexpectedResponseError } from '../../src/sources/google-health/errors.js';
import { bufferLogger, rejection } from '../auth/helpers.js';
import { MAX_EMPTY_PAGES_IN_A_ROW } from '../../src/sources/google-health/paging.js';
import { collect, exactWindow, startFaultProxy, startHarness, type Fault, type Harness } from './client-harness.js';

let h: Harness;
let filter: string;
let truth: DataPoint[];
before(async () => {
  h = await startHarness();
  const w = await exactWindow(h.client(), 200);
  filter = w.filter;
  truth = w.points;
});
after(() => h.close());

const PATH = '/v4/users/me/dataTypes/heart-rate/dataPoints';

const transient: { fault: Fault; outcome: string }[] = [
  { fault: 'internal', outcome: 'server_error' },
  { fault: 'unavailable', outcome: 'server_error' },
  { fault: 'quota-no-header', outcome: 'rate_limited' },
  { fault: 'quota-retry-after', outcome: 'rate_limited' },
  { fault: 'hang', outcome: 'timeout' },
  { fault: 'hang-body', outcome: 'timeout' },
  { fault: 'truncate-length', outcome: 'truncated' },
  { fault: 'truncate-json', outcome: 'truncated' },
  { fault: 'html-200', outcome: 'truncated' },
  { fault: 'reset', outcome: 'network_error' },
];

describe('transient faults while paging (4 pages of 50 and a bare {})', () => {
  for (const { fault, outcome } of transient) {
    test(`${fault} on the 2nd and twice on the 4th request: same points as a clean run`, async () => {
      const proxy = await startFaultProxy({ upstream: h.emu.url, plan: (n) => (n === 2 || n === 4 || n === 5 ? fault : null) });
      try {
        const log = bufferLogger();
        // long enough that a loaded machine (files run in parallel) does not time out a good answer
        const c = h.client({ timeoutMs: 1000, logger: log.logger }, proxy.url);
        const start = h.events.length;
        const got = await collect(c.listAll('heart-rate', { filter, pageSize: 50 }));
        assert.deepEqual(got.points, truth);
        assert.equal(got.raws.length, 5);
        assert.deepEqual(JSON.parse(got.raws.at(-1) as string), {});
        assert.equal(proxy.seen.length, 8);
        assert.equal(c.stats.requests[outcome as keyof typeof c.stats.requests], 3, JSON.stringify(c.stats.requests));
        assert.equal(c.stats.requests.ok, 5);
        assert.equal(c.stats.retries, 3);
        // the page tokens asked for: each page once, the failed ones again
        const tokens = proxy.seen.map((s) => new URL(s.url, 'http://x').searchParams.get('pageToken'));
        assert.equal(tokens[1], tokens[2]);
        assert.equal(tokens[3], tokens[4]);
        assert.equal(tokens[4], tokens[5]);
        assert.equal(new Set(tokens).size, 5);
        const mine = h.events.slice(start);
        assert.deepEqual(
          mine.map((e) => e.attempt),
          [1, 1, 2, 1, 2, 3, 1, 1],
        );
        if (outcome === 'timeout' || outcome === 'network_error') assert.equal(mine[1]?.status, null);
        assert.match(log.text(), /"level":40.*retrying/);
      } finally {
        await proxy.close();
      }
    });
  }

  test('429 with Retry-After: 7 → the retry comes at least 7 s later (virtual clock)', async () => {
    const proxy = await startFaultProxy({ upstream: h.emu.url, retryAfter: '7', plan: (n) => (n === 1 ? 'quota-retry-after' : null) });
    try {
      const c = h.client({}, proxy.url);
      const start = h.events.length;
      await c.listPage('heart-rate', { filter, pageSize: 5 });
      const [refused, ok] = h.events.slice(start);
      assert.equal(refused?.outcome, 'rate_limited');
      assert.ok((ok?.at ?? 0) - (refused?.at ?? 0) >= 7000);
      assert.ok((ok?.at ?? 0) - (refused?.at ?? 0) <= 8000);
    } finally {
      await proxy.close();
    }
  });

  test('429 without Retry-After → a back-off of at least 10 s', async () => {
    const proxy = await startFaultProxy({ upstream: h.emu.url, plan: (n) => (n === 1 ? 'quota-no-header' : null) });
    try {
      const c = h.client({}, proxy.url);
      const start = h.events.length;
      await c.listPage('heart-rate', { filter, pageSize: 5 });
      const [refused, ok] = h.events.slice(start);
      assert.ok((ok?.at ?? 0) - (refused?.at ?? 0) >= 10_000);
    } finally {
      await proxy.close();
    }
  });

  test('a 429 holds every request, not only the refused one', async () => {
    const proxy = await startFaultProxy({ upstream: h.emu.url, retryAfter: '20', plan: (n) => (n === 1 ? 'quota-retry-after' : null) });
    try {
      const c = h.client({}, proxy.url);
      const start = h.events.length;
      const t0 = h.vc.now;
      const first = c.listPage('heart-rate', { filter, pageSize: 1 }); // the 429, then the retry
      while (!h.events.slice(start).some((e) => e.outcome === 'rate_limited')) await new Promise((r) => setTimeout(r, 2));
      const second = c.listPage('heart-rate', { filter, pageSize: 2 }); // issued during the pause
      await Promise.all([first, second]);
      const mine = h.events.slice(start);
      assert.deepEqual(mine.map((e) => e.outcome).sort(), ['ok', 'ok', 'rate_limited']);
      for (const e of mine.filter((x) => x.outcome === 'ok')) assert.ok(e.at - t0 >= 20_000, `sent ${e.at - t0} ms after the 429`);
      assert.equal(proxy.seen.length, 3);
    } finally {
      await proxy.close();
    }
  });
});

describe('faults that do not pass', () => {
  test('503 on every attempt: maxAttempts, then the typed server error', async () => {
    const proxy = await startFaultProxy({ upstream: h.emu.url, plan: () => 'unavailable' });
    try {
      const c = h.client({ maxAttempts: 4 }, proxy.url);
      const sleeps0 = h.vc.sleeps.length;
      const e = await rejection(c.listPage('heart-rate', { filter }));
      assert.ok(e instanceof HealthApiError, String(e));
      assert.equal(e.kind, 'server');
      assert.equal(e.httpStatus, 503);
      assert.match(e.message, /gave up after 4 attempts/);
      assert.match(e.message, new RegExp(`GET ${PATH}`));
      assert.equal(proxy.seen.length, 4);
      // exponential back-off with jitter: 0.5–1 s, 1–2 s, 2–4 s
      const waits = h.vc.sleeps.slice(sleeps0);
      assert.equal(waits.length, 3);
      waits.forEach((w, i) => assert.ok(w >= 500 * 2 ** i && w <= 1000 * 2 ** i, `wait ${i + 1}: ${w} ms`));
    } finally {
      await proxy.close();
    }
  });

  test('no answer on every attempt: a HealthApiTransportError (timeout)', async () => {
    const proxy = await startFaultProxy({ upstream: h.emu.url, plan: () => 'hang' });
    try {
      const c = h.client({ maxAttempts: 2, timeoutMs: 150 }, proxy.url);
      const e = await rejection(c.listPage('heart-rate', { filter }));
      assert.ok(e instanceof HealthApiTransportError, String(e));
      assert.equal(e.failure, 'timeout');
      assert.equal(e.path, PATH);
      assert.equal(c.stats.requests.timeout, 2);
    } finally {
      await proxy.close();
    }
  });

  test('connection refused: a HealthApiTransportError (network)', async () => {
    const proxy = await startFaultProxy({ upstream: h.emu.url, plan: () => null });
    const url = proxy.url;
    await proxy.close();
    const c = h.client({ maxAttempts: 2 }, url);
    const e = await rejection(c.listPage('heart-rate', { filter }));
    assert.ok(e instanceof HealthApiTransportError, String(e));
    assert.equal(e.failure, 'network');
    assert.equal(c.stats.requests.network_error, 2);
  });

  const permanent: { fault: Fault; check: (e: unknown) => void }[] = [
    {
      fault: 'not-linked',
      check: (e) => {
        assert.ok(e instanceof HealthApiError, String(e));
        assert.equal(e.kind, 'account-not-linked');
        assert.equal(e.reason, 'ACCOUNT_NOT_LINKED');
        assert.match(e.message, /Fitbit app/);
      },
    },
    {
      fault: 'html-404',
      check: (e) => {
        assert.ok(e instanceof UnexpectedResponseError, String(e));
        assert.equal(e.httpStatus, 404);
        assert.match(e.message, /HTML page.*unknown URL/);
      },
    },
    {
      fault: 'bad-shape',
      check: (e) => {
        assert.ok(e instanceof UnexpectedResponseError, String(e));
        assert.equal(e.httpStatus, 200);
        assert.match(e.message, new RegExp(`GET ${PATH}.*unexpected shape.*dataPoints`));
      },
    },
  ];
  for (const { fault, check } of permanent) {
    test(`${fault}: a typed error after exactly one request`, async () => {
      const proxy = await startFaultProxy({ upstream: h.emu.url, plan: () => fault });
      try {
        const c = h.client({}, proxy.url);
        check(await rejection(c.listPage('heart-rate', { filter })));
        assert.equal(proxy.seen.length, 1);
        assert.equal(c.stats.retries, 0);
      } finally {
        await proxy.close();
      }
    });
  }

  test('an aborted signal stops a back-off wait and a request on the way', async () => {
    const proxy = await startFaultProxy({ upstream: h.emu.url, plan: (n) => (n === 1 ? 'unavailable' : 'hang') });
    try {
      const ctl = new AbortController();
      let sleeping = false;
      const c = h.client(
        {
          signal: ctl.signal,
          sleep: () => {
            sleeping = true;
            return new Promise<void>(() => undefined);
          },
        },
        proxy.url,
      );
      const p = c.listPage('heart-rate', { filter });
      while (!sleeping) await new Promise((r) => setTimeout(r, 5));
      ctl.abort(new Error('shutting down'));
      const e = await rejection(p);
      assert.equal((e as Error).message, 'shutting down');
      assert.equal(proxy.seen.length, 1);

      const ctl2 = new AbortController();
      const c2 = h.client({ signal: ctl2.signal, timeoutMs: 30_000 }, proxy.url);
      const p2 = c2.listPage('heart-rate', { filter });
      while (proxy.seen.length < 2) await new Promise((r) => setTimeout(r, 5));
      const t = Date.now();
      ctl2.abort(new Error('stop now'));
      assert.equal(((await rejection(p2)) as Error).message, 'stop now');
      assert.ok(Date.now() - t < 5000);
      assert.equal(c2.stats.requests.timeout, 0);
    } finally {
      await proxy.close();
    }
  });
});

describe('rollUp, dailyRollUp and the user endpoints (canned Google answers)', () => {
  test('rollUpAll posts the body with each page token; dailyRollUp; identity, profile, settings, pairedDevices', async () => {
    const rollPages = [
      '{"rollupDataPoints":[{"startTime":"2026-03-04T00:00:00Z","endTime":"2026-03-04T00:01:00Z","steps":{"countSum":"123"}}],"nextPageToken":"p2"}',
      '{"rollupDataPoints":[{"startTime":"2026-03-04T00:02:00Z","endTime":"2026-03-04T00:03:00Z","steps":{"countSum":"7"}}],"nextPageToken":""}',
    ];
    const proxy = await startFaultProxy({
      plan: (n) => (n === 2 ? 'unavailable' : null),
      respond: (req, body) => {
        const path = (req.url ?? '').split('?')[0];
        if (path === '/v4/users/me/dataTypes/steps/dataPoints:rollUp') {
          const b = JSON.parse(body) as { pageToken?: string };
          return { status: 200, body: rollPages[b.pageToken === 'p2' ? 1 : 0] as string };
        }
        if (path === '/v4/users/me/dataTypes/steps/dataPoints:dailyRollUp') {
          return {
            status: 200,
            body: '{"rollupDataPoints":[{"civilStartTime":{"date":{"year":2026,"month":3,"day":4},"time":{}},"civilEndTime":{"date":{"year":2026,"month":3,"day":5},"time":{}},"steps":{"countSum":"9525"}}]}',
          };
        }
        if (path === '/v4/users/me/identity') return { status: 200, body: '{"name":"users/me/identity","healthUserId":"abc-123","legacyUserId":"7XYZ"}' };
        if (path === '/v4/users/me/profile') return { status: 200, body: '{"name":"users/me/profile","age":41,"newField":{"x":1}}' };
        if (path === '/v4/users/me/settings') return { status: 200, body: '{"name":"users/me/settings","distanceUnit":"DISTANCE_UNIT_KILOMETERS"}' };
        if (path === '/v4/users/me/pairedDevices') {
          const token = new URL(req.url ?? '', 'http://x').searchParams.get('pageToken');
          return {
            status: 200,
            body: token ? '{"pairedDevices":[{"deviceVersion":"Aria"}]}' : '{"pairedDevices":[{"deviceVersion":"Inspire 3"}],"nextPageToken":"d2"}',
          };
        }
        return { status: 404, body: '<!DOCTYPE html><html><title>Error 404 (Not Found)!!1</title></html>' };
      },
    });
    try {
      const c = h.client({}, proxy.url);
      const range = { startTime: '2026-03-04T00:00:00Z', endTime: '2026-03-05T00:00:00Z' };
      const pages = [];
      for await (const p of c.rollUpAll('steps', { range, windowSize: '60s' })) pages.push(p);
      assert.deepEqual(
        pages.map((p) => p.body.rollupDataPoints?.[0]?.steps?.countSum),
        ['123', '7'],
      );
      assert.deepEqual(
        pages.map((p) => p.raw),
        rollPages,
      );
      const posts = proxy.seen.filter((s) => s.method === 'POST').map((s) => JSON.parse(s.body) as Record<string, unknown>);
      assert.deepEqual(posts[0], { range, windowSize: '60s' });
      assert.deepEqual(posts[1], { range, windowSize: '60s', pageToken: 'p2' }); // the 503
      assert.deepEqual(posts[2], posts[1]);
      const daily = await c.dailyRollUpPage('steps', {
        range: { start: { date: { year: 2026, month: 3, day: 4 } }, end: { date: { year: 2026, month: 3, day: 5 } } },
        windowSizeDays: 1,
      });
      assert.equal(daily.body.rollupDataPoints?.[0]?.steps?.countSum, '9525');
      assert.equal((await c.identity()).healthUserId, 'abc-123');
      assert.equal((await c.profile()).age, 41);
      assert.equal((await c.settings()).distanceUnit, 'DISTANCE_UNIT_KILOMETERS');
      assert.deepEqual(
        (await c.pairedDevices()).map((d) => d.deviceVersion),
        ['Inspire 3', 'Aria'],
      );
      assert.ok(proxy.seen.every((s) => s.authorization?.startsWith('Bearer ')));
    } finally {
      await proxy.close();
    }
  });

  test('a server that repeats a page token is stopped, not followed forever', async () => {
    const proxy = await startFaultProxy({ plan: () => null, respond: () => ({ status: 200, body: '{"dataPoints":[],"nextPageToken":"same"}' }) });
    try {
      const c = h.client({}, proxy.url);
      const e = await rejection(collect(c.listAll('heart-rate', { filter })));
      assert.ok(e instanceof UnexpectedResponseError, String(e));
      assert.equal(proxy.seen.length, 2);
    } finally {
      await proxy.close();
    }
  });

  test('a server that sends empty pages with ever new tokens is stopped after MAX_EMPTY_PAGES_IN_A_ROW pages', async () => {
    let n = 0;
    const proxy = await startFaultProxy({ plan: () => null, respond: () => ({ status: 200, body: JSON.stringify({ nextPageToken: `t${++n}` }) }) });
    try {
      const c = h.client({}, proxy.url);
      const e = await rejection(collect(c.listAll('heart-rate', { filter })));
      assert.ok(e instanceof UnexpectedResponseError, String(e));
      assert.match(e.message, /pages in a row without data points.*stopping instead of looping/);
      assert.equal(proxy.seen.length, MAX_EMPTY_PAGES_IN_A_ROW);
    } finally {
      await proxy.close();
    }
  });
});
