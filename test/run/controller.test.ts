/**
 * The run controller with the real live source (HealthClient + syncAccount) against the
 * emulator over HTTP: two accounts sync on start; /metrics shows the runs and the API requests;
 * when one account's grant is revoked it is marked re-authorisation needed and stops while the
 * other keeps syncing; stop() is graceful (no job runs after it, the store stays usable).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tokenSetFromResponse, TokenManager } from '../../src/auth/oauth-client.js';
import { loadConfig, type LoadedConfig } from '../../src/config/load.js';
import { startGoogleEmulator, type GoogleEmulator } from '../../src/emulator/index.js';
import { Controller } from '../../src/run/controller.js';
import { prometheusExtension } from '../../src/sinks/prometheus/extension.js';
import { openStore } from '../../src/store/store.js';
import type { Store } from '../../src/store/types.js';
import { silentLogger } from '../../src/util/log.js';
import { QUIET_SCHEDULE_ENV } from '../support/schedule.js';
import { Tmp } from '../support/tmp.js';

const tmp = new Tmp('fb-ctrl-');
after(() => tmp.cleanup());
const TZ = 'America/New_York';

function config(emu: GoogleEmulator, tokenDir: string): LoadedConfig {
  const file = join(tmp.dir, 'empty.yaml');
  writeFileSync(file, '');
  return loadConfig({
    file,
    overrides: { 'store.path': tmp.dbPath() },
    env: {
      ...QUIET_SCHEDULE_ENV,
      FITBIT_BRIDGE_ACCOUNTS__0__NAME: 'alice',
      FITBIT_BRIDGE_ACCOUNTS__0__TIMEZONE: TZ,
      FITBIT_BRIDGE_ACCOUNTS__1__NAME: 'bob',
      FITBIT_BRIDGE_HTTP__PORT: '0',
      FITBIT_BRIDGE_GOOGLE__TOKEN_DIR: tokenDir,
      FITBIT_BRIDGE_GOOGLE__CLIENT_ID: emu.clientId,
      FITBIT_BRIDGE_GOOGLE__CLIENT_SECRET: emu.clientSecret,
      FITBIT_BRIDGE_GOOGLE__AUTHORIZE_ENDPOINT: emu.authorizeEndpoint,
      FITBIT_BRIDGE_GOOGLE__TOKEN_ENDPOINT: emu.tokenEndpoint,
      FITBIT_BRIDGE_GOOGLE__API_BASE_URL: emu.url,
      FITBIT_BRIDGE_SYNC__BACKFILL_DAYS: '4',
    },
  });
}

async function authorise(emu: GoogleEmulator, cfg: LoadedConfig, account: string): Promise<void> {
  const tm = new TokenManager({ account, dir: cfg.google.token_dir, tokenEndpoint: emu.tokenEndpoint, clientId: emu.clientId, clientSecret: emu.clientSecret });
  await tm.save(tokenSetFromResponse(emu.issueTokens(), Date.now()));
}

describe('run controller with the live source', () => {
  let emu: GoogleEmulator;
  let store: Store;
  let cfg: LoadedConfig;
  let controller: Controller;

  before(async () => {
    emu = await startGoogleEmulator({ seed: 7, timezone: TZ, days: 3 });
    cfg = config(emu, tmp.mkdir('tokens'));
    await authorise(emu, cfg, 'alice');
    await authorise(emu, cfg, 'bob');
    store = openStore(cfg.store.path);
    controller = new Controller({ config: cfg, store, logger: silentLogger(), version: 'test', parts: [prometheusExtension()] });
    await controller.start();
  });

  after(async () => {
    await controller.stop();
    store.close();
    await emu.close();
  });

  test('both accounts sync on start; the zone of an account without one comes from its Google settings', async () => {
    await controller.idle();
    const st = controller.accountStatuses();
    for (const a of st) {
      assert.equal(a.lastError, null, `${a.name}: ${a.lastError ?? ''}`);
      assert.ok(a.lastSuccessAt !== null, `${a.name} synced`);
      assert.equal(a.auth, 'ok');
    }
    for (const name of ['alice', 'bob']) {
      const hr = store.listSeries({ account: name, metric: 'heart_rate' });
      assert.ok(hr.length >= 1 && (hr[0]?.count ?? 0) > 12_000, `${name}: heart rate synced (${hr[0]?.count ?? 0})`);
    }
    assert.equal(store.getAccount('bob')?.timezone, TZ);
  });

  test('/metrics shows sync runs and API requests per account', async () => {
    const text = await (await fetch(`${controller.http?.url() ?? ''}/metrics`)).text();
    assert.match(text, /fitbit_bridge_sync_runs_total\{account="alice",mode="recent",result="ok"\} 1/);
    assert.match(text, /fitbit_bridge_api_requests_total\{account="bob",outcome="ok"\} \d+/);
    assert.match(text, /fitbit_bridge_account_reauth_needed\{account="alice"\} 0/);
  });

  test('a revoked grant stops only that account; the other keeps syncing', async () => {
    // revoke every grant, then give alice a new consent: bob is the one left without
    emu.revokeAll();
    await authorise(emu, cfg, 'alice');
    const tmBob = new TokenManager({
      account: 'bob',
      dir: cfg.google.token_dir,
      tokenEndpoint: emu.tokenEndpoint,
      clientId: emu.clientId,
      clientSecret: emu.clientSecret,
    });
    controller.enqueueAll('recent');
    await controller.idle();
    const st = new Map(controller.accountStatuses().map((a) => [a.name, a]));
    assert.equal(st.get('bob')?.auth, 'reauth-needed');
    assert.equal(tmBob.state(), 'reauth-needed', 'persisted in the token file');
    assert.equal(st.get('alice')?.auth, 'ok');
    assert.equal(st.get('alice')?.lastError, null);
    // bob is no longer queued by the scheduler until authorised again
    const before = emu.requests.count();
    controller.enqueue('bob', 'recent');
    await controller.idle();
    assert.equal(emu.requests.count(), before, 'no request for a reauth-needed account');
    const text = await (await fetch(`${controller.http?.url() ?? ''}/metrics`)).text();
    assert.match(text, /fitbit_bridge_account_reauth_needed\{account="bob"\} 1/);
  });
});

describe('run controller: a stop does not wait for a hanging API', () => {
  test('SIGTERM-style stop() while every request hangs: the sync is cut short, no job runs after it', async () => {
    const emu = await startGoogleEmulator({ seed: 7, timezone: TZ, days: 2 });
    const cfg = config(emu, tmp.mkdir('tokens'));
    await authorise(emu, cfg, 'alice');
    await authorise(emu, cfg, 'bob');
    emu.faults.add({ kind: 'timeout', times: Infinity }); // Google never answers
    const store = openStore(cfg.store.path);
    const controller = new Controller({ config: cfg, store, logger: silentLogger(), version: 'test' });
    try {
      await controller.start();
      await new Promise((r) => setTimeout(r, 500));
      assert.ok(emu.faults.fired.timeout >= 1, 'a request is hanging');
      // without the shutdown signal reaching the client this waits for its 60 s timeout, six times
      const stopped = await Promise.race([controller.stop().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 15_000))]);
      assert.equal(stopped, true, 'stop() finished while the API hung');
      const n = emu.faults.fired.timeout;
      controller.enqueueAll('recent');
      await controller.idle();
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(emu.faults.fired.timeout, n, 'nothing runs after stop()');
    } finally {
      store.close();
      await emu.close();
    }
  });
});

describe('run controller: the schedule', () => {
  test('a cron job queues its sync for every live account; the other jobs stay quiet until their time', async () => {
    const emu = await startGoogleEmulator({ seed: 7, timezone: TZ, days: 1 });
    const base = config(emu, tmp.mkdir('tokens'));
    // every second (6-field cron) for the recent pass; daily and backfill keep the quiet test schedule
    const cfg: LoadedConfig = { ...base, schedule: { ...base.schedule, recent: '* * * * * *' } };
    await authorise(emu, cfg, 'alice');
    await authorise(emu, cfg, 'bob');
    const store = openStore(cfg.store.path);
    const controller = new Controller({ config: cfg, store, logger: silentLogger(), version: 'test', syncOnStart: false });
    const finished: { account: string; job: string; ok: boolean }[] = [];
    controller.events.on('sync:finished', (e: { account: string; job: string; ok: boolean }) => finished.push(e));
    try {
      await controller.start();
      const deadline = Date.now() + 20_000;
      const runsOf = (name: string): number => finished.filter((e) => e.account === name && e.job === 'recent').length;
      while ((runsOf('alice') < 2 || runsOf('bob') < 2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.ok(runsOf('alice') >= 2 && runsOf('bob') >= 2, `scheduled recent passes: ${JSON.stringify(finished)}`);
      assert.ok(
        finished.every((e) => e.ok),
        JSON.stringify(finished),
      );
      assert.deepEqual([...new Set(finished.map((e) => e.job))], ['recent'], 'no daily or backfill pass before its time');
    } finally {
      await controller.stop();
      store.close();
      await emu.close();
    }
  });
});
