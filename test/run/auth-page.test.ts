/**
 * The bridge's HTTP server: /healthz, and the /auth page against the emulator's real OAuth
 * endpoints — both ways a person finishes it: the browser on the bridge's machine (redirect
 * lands on /auth/callback) and a browser elsewhere (the failed page's address pasted into the
 * box). Tokens end up in a 0600 token file; a wrong or foreign state is refused.
 */
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig, type LoadedConfig } from '../../src/config/load.js';
import { EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET, startEmulator, type Emulator } from '../../src/emulator/server.js';
import { Controller } from '../../src/run/controller.js';
import { openStore } from '../../src/store/store.js';
import type { Store } from '../../src/store/types.js';
import { silentLogger } from '../../src/util/log.js';
import { TokenManager } from '../../src/auth/oauth-client.js';
import { Tmp } from '../support/tmp.js';

const tmp = new Tmp('fb-run-');
after(() => tmp.cleanup());

function configFor(emu: Emulator | null, tokenDir: string): LoadedConfig {
  const env: Record<string, string> = {
    FITBIT_BRIDGE_ACCOUNTS__0__NAME: 'alice',
    FITBIT_BRIDGE_ACCOUNTS__1__NAME: 'bob',
    FITBIT_BRIDGE_HTTP__PORT: '0',
    FITBIT_BRIDGE_GOOGLE__TOKEN_DIR: tokenDir,
  };
  if (emu) {
    Object.assign(env, {
      FITBIT_BRIDGE_GOOGLE__CLIENT_ID: EMULATOR_CLIENT_ID,
      FITBIT_BRIDGE_GOOGLE__CLIENT_SECRET: EMULATOR_CLIENT_SECRET,
      FITBIT_BRIDGE_GOOGLE__AUTHORIZE_ENDPOINT: emu.authorizeEndpoint,
      FITBIT_BRIDGE_GOOGLE__TOKEN_ENDPOINT: emu.tokenEndpoint,
      FITBIT_BRIDGE_GOOGLE__API_BASE_URL: emu.url,
    });
  }
  const file = join(tmp.dir, 'empty.yaml');
  writeFileSync(file, '');
  return loadConfig({ env, file, overrides: { 'store.path': tmp.dbPath() } });
}

/** The consent link on the /auth/start page. */
function consentLink(html: string): string {
  const m = /<a href="([^"]+)" target="_blank"/.exec(html);
  assert.ok(m, 'no consent link on the page');
  return (m[1] as string).replace(/&#38;/g, '&');
}

function csrfField(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  assert.ok(m, 'no csrf field on the page');
  return m[1] as string;
}

/** What the "Authorise" button of /auth does: POST /auth/start from the page (its Origin, its CSRF token). */
async function startAuth(base: string, account: string): Promise<Response> {
  const csrf = csrfField(await (await fetch(`${base}/auth`)).text());
  return fetch(`${base}/auth/start`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base },
    body: new URLSearchParams({ account, csrf }).toString(),
  });
}

function stateField(html: string): string {
  const m = /name="state" value="([^"]+)"/.exec(html);
  assert.ok(m, 'no state field on the page');
  return m[1] as string;
}

describe('bridge HTTP: /healthz and /auth', () => {
  let emu: Emulator;
  let store: Store;
  let controller: Controller;
  let base: string;
  let tokenDir: string;

  before(async () => {
    emu = await startEmulator();
    tokenDir = tmp.mkdir('tokens');
    const config = configFor(emu, tokenDir);
    store = openStore(config.store.path);
    controller = new Controller({ config, store, logger: silentLogger(), version: 'test', sync: null });
    await controller.start();
    base = controller.http?.url() ?? '';
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  after(async () => {
    await controller.stop();
    store.close();
    await emu.close();
  });

  test('/healthz answers 200 with the accounts; unknown paths 404', async () => {
    const r = await fetch(`${base}/healthz`);
    assert.equal(r.status, 200);
    const body = (await r.json()) as { status: string; accounts: { name: string }[] };
    assert.equal(body.status, 'ok');
    assert.deepEqual(
      body.accounts.map((a) => a.name),
      ['alice', 'bob'],
    );
    const nf = await fetch(`${base}/nope`);
    assert.equal(nf.status, 404);
    await nf.text();
    const post = await fetch(`${base}/healthz`, { method: 'POST' });
    assert.equal(post.status, 405);
    await post.text();
  });

  test('/auth lists the accounts; an unknown account is refused', async () => {
    const page = await (await fetch(`${base}/auth`)).text();
    assert.match(page, /alice/);
    assert.match(page, /bob/);
    assert.match(page, /not authorised/);
    const r = await startAuth(base, 'mallory');
    assert.equal(r.status, 404);
    await r.text();
    // a link to /auth/start only shows the button: nothing starts on a GET
    const get = await (await fetch(`${base}/auth/start?account=alice`)).text();
    assert.match(get, /<form method="post" action="start">/);
    assert.doesNotMatch(get, /consent page/);
  });

  test('browser on the same machine: consent → /auth/callback → tokens stored (0600)', async () => {
    const start = await (await startAuth(base, 'alice')).text();
    const link = consentLink(start);
    const u = new URL(link);
    assert.equal(u.searchParams.get('redirect_uri'), `${base}/auth/callback`);
    assert.equal(u.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(u.searchParams.get('access_type'), 'offline');
    // the emulator consents by itself and redirects to the bridge, which trades the code
    const done = await fetch(link, { redirect: 'follow' });
    assert.equal(done.status, 200);
    assert.match(await done.text(), /Account alice is authorised/);
    const tm = new TokenManager({
      account: 'alice',
      dir: tokenDir,
      tokenEndpoint: emu.tokenEndpoint,
      clientId: EMULATOR_CLIENT_ID,
      clientSecret: EMULATOR_CLIENT_SECRET,
    });
    assert.equal(tm.state(), 'ok');
    assert.equal(statSync(join(tokenDir, 'alice.json')).mode & 0o777, 0o600);
    assert.equal(controller.accountStatuses().find((a) => a.name === 'alice')?.auth, 'missing', 'sync: null → not live, state is not tracked');
  });

  test("browser elsewhere: the failed page's address pasted into the box", async () => {
    const start = await (await startAuth(base, 'bob')).text();
    const state = stateField(start);
    const csrf = csrfField(start);
    const consent = await fetch(consentLink(start), { redirect: 'manual' });
    assert.equal(consent.status, 302);
    const location = consent.headers.get('location') ?? '';
    await consent.text();
    assert.ok(location.startsWith(`${base}/auth/callback?`));
    // a wrong paste keeps the authorisation usable
    const wrong = await fetch(`${base}/auth/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base },
      body: new URLSearchParams({ state, csrf, redirect_url: 'http://127.0.0.1/auth/callback?state=other&code=x' }).toString(),
    });
    assert.equal(wrong.status, 400);
    assert.match(await wrong.text(), /state mismatch/);
    const ok = await fetch(`${base}/auth/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base },
      body: new URLSearchParams({ state, csrf, redirect_url: location }).toString(),
    });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /Account bob is authorised/);
    // the same code again: the authorisation is gone
    const again = await fetch(`${base}/auth/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base },
      body: new URLSearchParams({ state, csrf, redirect_url: location }).toString(),
    });
    assert.equal(again.status, 400);
    await again.text();
  });

  test('a callback with an unknown state is refused', async () => {
    const r = await fetch(`${base}/auth/callback?state=forged&code=abc`);
    assert.equal(r.status, 400);
    assert.match(await r.text(), /wrong or expired state/);
  });
});

describe('bridge HTTP without a Google client (Takeout-only)', () => {
  test('/auth explains that the live source is off; /healthz still answers', async () => {
    const config = configFor(null, tmp.mkdir('tokens'));
    const store = openStore(config.store.path);
    const controller = new Controller({ config, store, logger: silentLogger(), version: 'test', sync: null });
    await controller.start();
    try {
      const base = controller.http?.url() ?? '';
      const page = await (await fetch(`${base}/auth`)).text();
      assert.match(page, /live source is not set up/);
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
    } finally {
      await controller.stop();
      store.close();
    }
  });
});
