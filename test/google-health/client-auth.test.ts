// 401 handling: one forced refresh (TokenManager, under the lock, re-reading the file) and one
// retry; a second 401 or a refused refresh means a new consent.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReauthNeededError, TokenManager } from '../../src/auth/oauth-client.js';
import { HealthClient } from '../../src/sources/google-health/client.js';
import { HealthApiError } from '../../src/sources/google-health/errors.js';
import { bufferLogger, CLIENT, rejection } from '../auth/helpers.js';
import { startFaultProxy, startHarness } from './client-harness.js';

describe('401 → one forced refresh, one retry', () => {
  test('an access token the API no longer accepts: one refresh, the request goes through', async () => {
    const h = await startHarness();
    try {
      const log = bufferLogger();
      const c = h.client({ logger: log.logger });
      const first = await h.tm.getAccessToken();
      assert.equal((await c.listPage('heart-rate', { pageSize: 2 })).body.dataPoints?.length, 2);
      const refreshes = h.emu.stats.refreshes;
      h.emuAhead.ms = 2 * 3600_000; // Google's clock: the token expired (ours still thinks it is good)
      const page = await c.listPage('heart-rate', { pageSize: 3 });
      assert.equal(page.body.dataPoints?.length, 3);
      assert.equal(h.emu.stats.refreshes, refreshes + 1);
      assert.equal(c.stats.requests.unauthenticated, 1);
      assert.equal(c.stats.tokenRefreshes, 1);
      const second = await h.tm.getAccessToken();
      assert.notEqual(second, first);
      // neither token reaches the log or the events
      for (const t of [first, second]) {
        assert.ok(!log.text().includes(t));
        assert.ok(!JSON.stringify(h.events).includes(t));
      }
      assert.match(log.text(), /refreshing it once/);
    } finally {
      await h.close();
    }
  });

  test('concurrent requests refused at once share a single refresh', async () => {
    const h = await startHarness();
    try {
      const c = h.client();
      await c.listPage('heart-rate', { pageSize: 1 });
      const refreshes = h.emu.stats.refreshes;
      h.emuAhead.ms = 2 * 3600_000;
      const pages = await Promise.all(Array.from({ length: 8 }, () => c.listPage('heart-rate', { pageSize: 1 })));
      assert.equal(pages.length, 8);
      assert.equal(h.emu.stats.refreshes, refreshes + 1);
      assert.equal(c.stats.requests.ok, 9);
    } finally {
      await h.close();
    }
  });

  test('a revoked grant: the forced refresh fails with invalid_grant and ReauthNeededError propagates as is', async () => {
    const h = await startHarness();
    try {
      const c = h.client();
      await c.listPage('heart-rate', { pageSize: 1 });
      h.emu.revokeAll();
      const e = await rejection(c.listPage('heart-rate', { pageSize: 1 }));
      assert.ok(e instanceof ReauthNeededError, String(e));
      assert.equal(e.reason, 'invalid_grant');
      assert.equal(h.tm.state(), 'reauth-needed');
      assert.equal(c.stats.requests.unauthenticated, 1);
      // later calls fail fast, without a request
      const n = h.api.requests;
      await assert.rejects(c.listPage('heart-rate', { pageSize: 1 }), ReauthNeededError);
      assert.equal(h.api.requests, n);
    } finally {
      await h.close();
    }
  });

  test('401 again after the refresh: a typed error asking for a new consent; exactly one refresh', async () => {
    const proxy = await startFaultProxy({ plan: () => 'unauthenticated', respond: () => ({ status: 500, body: '' }) });
    try {
      const calls: (boolean | undefined)[] = [];
      let n = 0;
      const c = new HealthClient({
        baseUrl: proxy.url,
        getAccessToken: async (o) => {
          calls.push(o?.forceRefresh);
          if (o?.forceRefresh) n++;
          return `ya29.token-${n}-${'x'.repeat(30)}`;
        },
      });
      try {
        const e = await rejection(c.listPage('heart-rate', {}));
        assert.ok(e instanceof HealthApiError, String(e));
        assert.equal(e.kind, 'unauthenticated');
        assert.match(e.message, /fitbit-bridge auth/);
        assert.ok(!e.message.includes('ya29.'));
        assert.equal(proxy.seen.length, 2);
        assert.deepEqual(calls.filter((x) => x === true).length, 1);
        assert.deepEqual(
          proxy.seen.map((s) => s.authorization),
          [`Bearer ya29.token-0-${'x'.repeat(30)}`, `Bearer ya29.token-1-${'x'.repeat(30)}`],
        );
        assert.equal(c.stats.requests.unauthenticated, 2);
      } finally {
        await c.close();
      }
    } finally {
      await proxy.close();
    }
  });
});

describe('TokenManager.getAccessToken({ forceRefresh: true })', () => {
  test('another process refreshed after our token was issued: its token is used, no second refresh', async () => {
    const h = await startHarness();
    try {
      // a second manager on the same token file stands in for another process
      const other = new TokenManager({ account: 'alice', dir: h.dir, tokenEndpoint: h.emu.tokenEndpoint, ...CLIENT, clock: h.vc.clock });
      const t1 = await h.tm.getAccessToken();
      assert.equal(await other.getAccessToken(), t1);
      const refreshes = h.emu.stats.refreshes;
      const t2 = await other.getAccessToken({ forceRefresh: true });
      assert.notEqual(t2, t1);
      assert.equal(h.emu.stats.refreshes, refreshes + 1);
      // ours was refused too: the file already holds a newer token than the one we handed out
      assert.equal(await h.tm.getAccessToken({ forceRefresh: true }), t2);
      assert.equal(h.emu.stats.refreshes, refreshes + 1);
      // refused again (t2 is what we handed out now): a real refresh
      const t3 = await h.tm.getAccessToken({ forceRefresh: true });
      assert.notEqual(t3, t2);
      assert.equal(h.emu.stats.refreshes, refreshes + 2);
      assert.equal(await other.getAccessToken(), t3);
    } finally {
      await h.close();
    }
  });

  test('concurrent forced refreshes in one manager: one refresh; plain calls meanwhile wait for it', async () => {
    const h = await startHarness();
    try {
      const t1 = await h.tm.getAccessToken();
      const refreshes = h.emu.stats.refreshes;
      const got = await Promise.all([h.tm.getAccessToken({ forceRefresh: true }), h.tm.getAccessToken({ forceRefresh: true }), h.tm.getAccessToken()]);
      assert.equal(new Set(got).size, 1);
      assert.notEqual(got[0], t1);
      assert.equal(h.emu.stats.refreshes, refreshes + 1);
    } finally {
      await h.close();
    }
  });
});
