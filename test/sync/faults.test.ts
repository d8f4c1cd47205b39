/**
 * The sync survives the API's faults with nothing lost or doubled: a synthetic week synced while
 * the emulator injects seeded random 429s, 500s, 503s, truncated bodies and timeouts, or revokes
 * the tokens mid-sync (then a new consent and a rerun), ends with the same store (storeDigest) as
 * a clean run. The clean run itself sees no 429: the client stays under the quota by itself.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ReauthNeededError } from '../../src/auth/oauth-client.js';
import { HealthClient } from '../../src/sources/google-health/client.js';
import { syncAccount } from '../../src/sources/google-health/sync.js';
import { storeDigest } from '../../src/store/digest.js';
import type { TokenManager } from '../../src/auth/oauth-client.js';
import type { GoogleEmulator } from '../../src/emulator/index.js';
import { ACCOUNT, NOW, TZ, Tmp, authorizeAccount, emulator, syncConfig } from './helpers.js';

const tmp = new Tmp();
after(() => tmp.cleanup());

/** A client whose waits take no real time (back-off after faults), with a short timeout for the hanging ones. */
function fastClient(emu: GoogleEmulator, tm: TokenManager, quota = 100_000): HealthClient {
  return new HealthClient({
    baseUrl: emu.apiBaseUrl,
    getAccessToken: (o) => tm.getAccessToken(o),
    quotaPerMinute: quota,
    timeoutMs: 1500,
    maxAttempts: 12,
    sleep: async () => undefined,
  });
}

async function syncWeek(emu: GoogleEmulator, client: HealthClient, store: ReturnType<Tmp['store']>): Promise<void> {
  await syncAccount({ store, client, account: ACCOUNT, timezone: TZ, mode: 'all', config: syncConfig(), now: () => NOW });
}

describe('sync under faults', () => {
  let cleanDigest = '';

  before(async () => {
    // A tight quota (40/min) on a virtual clock shared by the emulator and the client: the
    // client's own waits move the clock, so minutes of throttling take no real time.
    let now = NOW;
    const emu = await emulator({ quotaPerMinute: 40, clock: () => now });
    try {
      const tm = await authorizeAccount(emu, tmp.mkdir('tokens'));
      const store = tmp.store();
      const client = new HealthClient({
        baseUrl: emu.apiBaseUrl,
        getAccessToken: (o) => tm.getAccessToken(o),
        quotaPerMinute: 40,
        clock: () => now,
        sleep: async (ms) => {
          now += ms;
        },
      });
      await syncAccount({ store, client, account: ACCOUNT, timezone: TZ, mode: 'all', config: syncConfig(), now: () => NOW });
      await client.close();
      cleanDigest = storeDigest(store);
      const total = emu.requests.count();
      assert.ok(total > 80, `the week took more than two quota windows (${total} requests)`);
      assert.ok(now - NOW >= 60_000, 'the client waited for the quota');
      assert.equal(emu.requests.count('429'), 0, 'a clean run sees no 429: the client stays under the quota by itself');
      assert.ok(
        store.listSeries({ metric: 'heart_rate' }).some((s) => s.count > 50_000),
        'the week was synced',
      );
    } finally {
      await emu.close();
    }
  });

  it('seeded random 429 / 500 / 503 / truncated / timeout faults: same store as a clean run', async () => {
    const emu = await emulator();
    try {
      emu.faults.random({ rate: 0.2, seed: 7, kinds: ['429', '500', '503', 'truncated', 'timeout'] });
      const tm = await authorizeAccount(emu, tmp.mkdir('tokens'));
      const store = tmp.store();
      const client = fastClient(emu, tm);
      await syncWeek(emu, client, store);
      await client.close();
      const fired = Object.values(emu.faults.fired as Record<string, number>).reduce((a, b) => a + b, 0);
      assert.ok(fired >= 10, `faults were injected (${fired})`);
      assert.equal(storeDigest(store), cleanDigest);
    } finally {
      await emu.close();
    }
  });

  it('tokens revoked mid-sync: the account stops (re-authorisation needed); after a new consent a rerun completes the same store', async () => {
    const emu = await emulator();
    try {
      emu.faults.add({ kind: 'revoke', after: 20 });
      const dir = tmp.mkdir('tokens');
      const tm = await authorizeAccount(emu, dir);
      const store = tmp.store();
      const client = fastClient(emu, tm);
      await assert.rejects(syncWeek(emu, client, store), (e: unknown) => e instanceof ReauthNeededError);
      assert.equal(tm.state(), 'reauth-needed');
      assert.notEqual(storeDigest(store), cleanDigest, 'the sync really stopped part-way');
      const tm2 = await authorizeAccount(emu, dir);
      assert.equal(tm2.state(), 'ok');
      const client2 = fastClient(emu, tm2);
      await syncWeek(emu, client2, store);
      await Promise.all([client.close(), client2.close()]);
      assert.equal(storeDigest(store), cleanDigest);
    } finally {
      await emu.close();
    }
  });
});
