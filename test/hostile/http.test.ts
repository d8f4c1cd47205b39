/**
 * Hostile web pages against the HTTP server of `fitbit-bridge run` (issue 13): DNS rebinding (a
 * foreign Host), cross-site POSTs, missing or wrong CSRF tokens, unknown methods, the security
 * headers of every response, the cap on pending sign-ins, and the add-on's ingress-only check (a
 * peer that is not the ingress proxy is refused; the test uses 127.0.0.2 as "the proxy" and
 * 127.0.0.1 as another container). Each attack ends with a clear refusal and the account's token
 * file unchanged.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { buildAddonConfig } from '../../src/addon/config.js';
import { parseAddonOptions } from '../../src/addon/options.js';
import { loadConfig, type LoadedConfig } from '../../src/config/load.js';
import { EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET, startEmulator, type Emulator } from '../../src/emulator/server.js';
import { PENDING_PER_ACCOUNT, PENDING_TOTAL } from '../../src/run/auth-page.js';
import { Controller } from '../../src/run/controller.js';
import { BridgeHttpServer, hostAllowed } from '../../src/run/http.js';
import { openStore } from '../../src/store/store.js';
import type { Store } from '../../src/store/types.js';
import { silentLogger } from '../../src/util/log.js';
import { Tmp } from '../support/tmp.js';

const tmp = new Tmp('fb-hostile-http-');
after(() => tmp.cleanup());

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with any headers (Host too), optionally from another local address. */
function raw(
  base: string,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string; localAddress?: string } = {},
): Promise<Reply> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        method,
        path,
        headers: { ...(opts.body !== undefined ? { 'content-length': String(Buffer.byteLength(opts.body)) } : {}), ...opts.headers },
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const FORM = 'application/x-www-form-urlencoded';
const form = (o: Record<string, string>): string => new URLSearchParams(o).toString();
const field = (html: string, name: string): string => {
  const m = new RegExp(`name="${name}" value="([^"]+)"`).exec(html);
  assert.ok(m, `no ${name} field on the page`);
  return m[1] as string;
};

function assertSecurityHeaders(r: Reply, what: string): void {
  const csp = String(r.headers['content-security-policy'] ?? '');
  assert.match(csp, /default-src 'none'/, `${what}: CSP`);
  assert.match(csp, /frame-ancestors 'self'/, `${what}: frame-ancestors`);
  // the web UI's page (`/`) runs its own script files ('self'); everything else allows no script at all
  if (what === '/') assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|script-src (?!'self'(;|$))/, `${what}: only the bridge's own script files`);
  else assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|script-src/, `${what}: no script allowed`);
  assert.equal(r.headers['x-frame-options'], 'SAMEORIGIN', `${what}: X-Frame-Options`);
  assert.equal(r.headers['x-content-type-options'], 'nosniff', `${what}: nosniff`);
  assert.equal(r.headers['referrer-policy'], 'same-origin', `${what}: Referrer-Policy`);
}

describe('hostile web pages against run', () => {
  let emu: Emulator;
  let store: Store;
  let controller: Controller;
  let base: string;
  let tokenDir: string;
  const accounts = ['alice', 'bob', 'carol', 'dave', 'erin'];

  function config(): LoadedConfig {
    const env: Record<string, string> = {
      FITBIT_BRIDGE_HTTP__PORT: '0',
      FITBIT_BRIDGE_GOOGLE__TOKEN_DIR: tokenDir,
      FITBIT_BRIDGE_GOOGLE__CLIENT_ID: EMULATOR_CLIENT_ID,
      FITBIT_BRIDGE_GOOGLE__CLIENT_SECRET: EMULATOR_CLIENT_SECRET,
      FITBIT_BRIDGE_GOOGLE__AUTHORIZE_ENDPOINT: emu.authorizeEndpoint,
      FITBIT_BRIDGE_GOOGLE__TOKEN_ENDPOINT: emu.tokenEndpoint,
      FITBIT_BRIDGE_GOOGLE__API_BASE_URL: emu.url,
    };
    accounts.forEach((a, i) => (env[`FITBIT_BRIDGE_ACCOUNTS__${i}__NAME`] = a));
    const file = join(tmp.dir, 'empty.yaml');
    writeFileSync(file, '');
    return loadConfig({ env, file, overrides: { 'store.path': tmp.dbPath(), 'http.allowed_hosts': ['bridge.lan'] } });
  }

  /** The /auth page's CSRF token. */
  const csrf = async (): Promise<string> => field((await raw(base, 'GET', '/auth')).body, 'csrf');
  const startAuth = (account: string, token: string, headers: Record<string, string> = { origin: base }): Promise<Reply> =>
    raw(base, 'POST', '/auth/start', { headers: { 'content-type': FORM, ...headers }, body: form({ account, csrf: token }) });

  before(async () => {
    emu = await startEmulator();
    tokenDir = tmp.mkdir('tokens');
    const cfg = config();
    store = openStore(cfg.store.path);
    controller = new Controller({ config: cfg, store, logger: silentLogger(), version: 'test', sync: null });
    await controller.start();
    base = controller.http?.url() ?? '';
    // alice is authorised the normal way: her token file is what an attacker wants to replace
    const start = await startAuth('alice', await csrf());
    assert.equal(start.status, 200);
    const link = /<a href="([^"]+)" target="_blank"/.exec(start.body)![1]!.replace(/&#38;/g, '&');
    const done = await fetch(link, { redirect: 'follow' });
    assert.match(await done.text(), /Account alice is authorised/);
  });

  after(async () => {
    await controller.stop();
    store.close();
    await emu.close();
  });

  const aliceTokens = (): string => readFileSync(join(tokenDir, 'alice.json'), 'utf8');

  test('DNS rebinding: a foreign Host gets 421 on every path; loopback, IP addresses and allowed_hosts are served', async () => {
    const port = new URL(base).port;
    for (const path of ['/metrics', '/auth', '/healthz', '/auth/start?account=alice', '/nope']) {
      const r = await raw(base, 'GET', path, { headers: { host: `attacker.example:${port}` } });
      assert.equal(r.status, 421, path);
      assert.match(r.body, /does not answer for host "attacker\.example:\d+".*http\.allowed_hosts/);
      assert.doesNotMatch(r.body, /fitbit_|alice/, 'nothing of the data in the refusal');
      assertSecurityHeaders(r, `421 ${path}`);
    }
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `LOCALHOST.:${port}`,
      `[::1]:${port}`,
      `192.168.7.7:${port}`,
      `bridge.lan:${port}`,
      'bridge.lan',
    ]) {
      assert.equal((await raw(base, 'GET', '/healthz', { headers: { host } })).status, 200, host);
    }
    // a very long Host is quoted clipped
    const long = await raw(base, 'GET', '/healthz', { headers: { host: `${'a'.repeat(5000)}.example` } });
    assert.equal(long.status, 421);
    assert.ok(long.body.length < 600, `refusal of ${long.body.length} chars`);
  });

  test('the rebinding attack on /auth: nothing starts, nothing completes, the token file stays', async () => {
    const before = aliceTokens();
    const port = new URL(base).port;
    const evil = `attacker.example:${port}`;
    // 1. read a state from /auth/start under the attacker's name: refused before any handler runs
    assert.equal((await raw(base, 'GET', '/auth/start?account=alice', { headers: { host: evil } })).status, 421);
    assert.equal(
      (await raw(base, 'POST', '/auth/start', { headers: { host: evil, origin: `http://${evil}`, 'content-type': FORM }, body: form({ account: 'alice' }) }))
        .status,
      421,
    );
    // 2. complete with the attacker's own code
    const complete = await raw(base, 'POST', '/auth/complete', {
      headers: { host: evil, origin: `http://${evil}`, 'content-type': FORM },
      body: form({ state: 'x', redirect_url: `http://127.0.0.1:${port}/auth/callback?state=x&code=attacker` }),
    });
    assert.equal(complete.status, 421);
    assert.equal(aliceTokens(), before);
  });

  test('cross-site POSTs are refused (foreign Origin, Origin null, no Origin nor Referer, foreign Referer); same-origin Referer passes', async () => {
    const token = await csrf();
    for (const [headers, why] of [
      [{ origin: 'http://attacker.example' }, /Origin "http:\/\/attacker\.example" is not this server/],
      [{ origin: 'null' }, /Origin "null" is not this server/],
      [{}, /no Origin or Referer/],
      [{ referer: 'http://attacker.example/page' }, /Referer "http:\/\/attacker\.example\/page" is not this server/],
      [{ origin: 'http://attacker.example', 'x-forwarded-host': new URL(base).host }, /is not this server/],
    ] as const) {
      const r = await startAuth('bob', token, headers);
      assert.equal(r.status, 403, JSON.stringify(headers));
      assert.match(r.body, why);
      assert.doesNotMatch(r.body, /consent page/);
    }
    const ok = await startAuth('bob', token, { referer: `${base}/auth` });
    assert.equal(ok.status, 200);
    assert.match(ok.body, /consent page/);
  });

  test('a missing or wrong CSRF token is refused (form field or header)', async () => {
    const before = aliceTokens();
    const noToken = await raw(base, 'POST', '/auth/start', { headers: { origin: base, 'content-type': FORM }, body: form({ account: 'alice' }) });
    assert.equal(noToken.status, 403);
    assert.match(noToken.body, /missing or wrong CSRF token/);
    const wrong = await startAuth('alice', 'A'.repeat(43));
    assert.equal(wrong.status, 403);
    const json = await raw(base, 'POST', '/auth/complete', { headers: { origin: base, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(json.status, 403, 'no form, no header');
    const header = await raw(base, 'POST', '/auth/complete', {
      headers: { origin: base, 'content-type': FORM, 'x-csrf-token': await csrf() },
      body: form({ state: 'forged' }),
    });
    assert.equal(header.status, 400, 'the token in X-CSRF-Token passes; the forged state does not');
    assert.match(header.body, /Unknown or expired sign-in/);
    // a body beyond the form limit
    const big = await raw(base, 'POST', '/auth/complete', { headers: { origin: base, 'content-type': FORM }, body: `state=${'x'.repeat(100_000)}` });
    assert.equal(big.status, 413);
    assert.equal(aliceTokens(), before);
  });

  test('methods a route does not take get 405 with Allow; GET changes nothing', async () => {
    const cases: Array<[string, string, string]> = [
      ['DELETE', '/healthz', 'GET, HEAD'],
      ['TRACE', '/metrics', 'GET, HEAD'],
      ['POST', '/metrics', 'GET, HEAD'],
      ['PUT', '/auth', 'GET, HEAD'],
      ['OPTIONS', '/auth/start', 'GET, POST, HEAD'],
      ['GET', '/auth/complete', 'POST'],
      ['DELETE', '/auth/complete', 'POST'],
    ];
    for (const [method, path, allow] of cases) {
      const r = await raw(base, method, path, { headers: { origin: base } });
      assert.equal(r.status, 405, `${method} ${path}`);
      assert.equal(r.headers.allow, allow, `${method} ${path}`);
      assertSecurityHeaders(r, `405 ${method} ${path}`);
    }
    assert.equal((await raw(base, 'HEAD', '/metrics')).status, 200);
  });

  test('security headers on every response; the /auth pages carry no script and their one stylesheet is allowed by hash, the UI nothing inline', async () => {
    const token = await csrf();
    const replies: Array<[string, Reply]> = [
      ['/auth', await raw(base, 'GET', '/auth')],
      ['/', await raw(base, 'GET', '/')],
      ['/healthz', await raw(base, 'GET', '/healthz')],
      ['/metrics', await raw(base, 'GET', '/metrics')],
      ['/nope', await raw(base, 'GET', '/nope')],
      ['POST /auth/start', await startAuth('carol', token)],
    ];
    for (const [what, r] of replies) assertSecurityHeaders(r, what);
    for (const [what, r] of replies.filter(([w]) => w.startsWith('/auth') || w.startsWith('POST'))) {
      assert.doesNotMatch(r.body, /<script|javascript:|\son[a-z]+=/i, `${what}: no script`);
      const style = /<style>(.*?)<\/style>/.exec(r.body)![1]!;
      const hash = createHash('sha256').update(style).digest('base64');
      assert.ok(String(r.headers['content-security-policy']).includes(`style-src 'sha256-${hash}'`), `${what}: style hash`);
      assert.ok(!/\sstyle=/.test(r.body), `${what}: no inline style attribute`);
    }
    // the web UI's page (src/web/ui): scripts and styles from its own files only, none inline
    const ui = replies.find(([w]) => w === '/')![1];
    const uiCsp = String(ui.headers['content-security-policy']);
    assert.match(uiCsp, /script-src 'self'(;|$)/, '/: scripts from the bridge only');
    assert.match(uiCsp, /style-src 'self'(;|$)/, '/: styles from the bridge only');
    assert.doesNotMatch(uiCsp, /unsafe-inline|unsafe-eval|https?:/, '/: nothing inline, no other origin');
    assert.doesNotMatch(ui.body, /<script(?![^>]*\ssrc=)|javascript:|\son[a-z]+=|<style|\sstyle=/i, '/: no inline script or style');
  });

  test(`pending sign-ins are capped: ${PENDING_PER_ACCOUNT} per account, ${PENDING_TOTAL} in all, the oldest dropped`, async () => {
    const token = await csrf();
    const states = new Map<string, string[]>();
    const start = async (account: string): Promise<void> => {
      const r = await startAuth(account, token);
      assert.equal(r.status, 200);
      states.set(account, [...(states.get(account) ?? []), field(r.body, 'state')]);
    };
    /** Whether the bridge still knows the sign-in (a wrong paste keeps a known one; an unknown one is "expired"). */
    const known = async (state: string): Promise<boolean> => {
      const r = await raw(base, 'POST', '/auth/complete', {
        headers: { origin: base, 'content-type': FORM },
        body: form({ state, csrf: token, redirect_url: 'http://127.0.0.1/auth/callback?state=other&code=x' }),
      });
      assert.equal(r.status, 400);
      return !/Unknown or expired/.test(r.body);
    };
    for (let i = 0; i < PENDING_PER_ACCOUNT + 4; i++) await start('dave');
    const dave = states.get('dave')!;
    for (const s of dave.slice(0, 4)) assert.equal(await known(s), false, 'the oldest 4 of dave are gone');
    for (const s of dave.slice(4)) assert.equal(await known(s), true);
    // every account at its cap: 5 × 16 = 80 > 64 in all
    for (const a of ['alice', 'bob', 'carol', 'erin']) for (let i = 0; i < PENDING_PER_ACCOUNT; i++) await start(a);
    let alive = 0;
    for (const list of states.values()) for (const s of list) if (await known(s)) alive++;
    assert.equal(alive, PENDING_TOTAL);
    assert.equal(await known(states.get('erin')!.at(-1)!), true, 'the newest is kept');
    // the server still answers at once
    assert.equal((await raw(base, 'GET', '/healthz')).status, 200);
  });
});

test('/metrics under 50 concurrent scrapes: every one answered from a shared rendering; a store write shows at once', async () => {
  const store = tmp.store();
  const file = join(tmp.dir, 'metrics.yaml');
  writeFileSync(file, '');
  const config = loadConfig({ file, overrides: { 'store.path': store.path }, env: { FITBIT_BRIDGE_HTTP__PORT: '0' } });
  const controller = new Controller({ config, store, logger: silentLogger(), version: 'test', sync: null });
  await controller.start();
  try {
    const url = `${controller.http!.url()!}/metrics`;
    const seq = (text: string): number => Number(/^fitbit_bridge_store_change_sequence (\d+)$/m.exec(text)?.[1]);
    const first = await Promise.all(Array.from({ length: 50 }, async () => (await fetch(url)).text()));
    assert.ok(first.every((t) => t.includes('fitbit_bridge_info')));
    assert.ok(new Set(first).size <= 2, `${new Set(first).size} different renderings for 50 concurrent scrapes`);
    const before = seq(first[0]!);
    store.writeSamples({ account: 'default', metric: 'heart_rate', source: 'Inspire 3' }, [{ t: Date.now() - 60_000, offset: 0, v: 61 }], {
      exportMs: Date.now(),
    });
    const after = await (await fetch(url)).text();
    assert.ok(seq(after) > before, 'the write is in the next scrape, not a second later');
    assert.match(after, /fitbit_bridge_store_samples\{account="default"\} 1/);
  } finally {
    await controller.stop();
    store.close();
  }
});

describe('the add-on: only the ingress proxy is served', () => {
  test("the add-on's configuration: ingress proxy + own health check as clients, any Host, no published port", () => {
    const ac = buildAddonConfig({
      options: parseAddonOptions({
        accounts: [{ name: 'me' }],
        log_level: 'info',
        google: {},
        mqtt: { enabled: false },
        remote_write: {},
        takeout: {},
        sync: {},
      }),
      mqttService: null,
      timezone: null,
    });
    assert.deepEqual(ac.config.http, { enabled: true, bind: '0.0.0.0', port: 8099, allowed_clients: ['172.30.32.2', '127.0.0.1'], allowed_hosts: ['*'] });
    const addonYaml = parse(readFileSync(join(import.meta.dirname, '../../homeassistant-addon/fitbit-bridge/config.yaml'), 'utf8')) as Record<string, unknown>;
    assert.equal(addonYaml.ports, undefined, 'config.yaml publishes no port');
    assert.equal(addonYaml.ingress, true);
    assert.equal(addonYaml.ingress_port, 8099);
  });

  test('a peer that is not the listed client gets 403 whatever it asks; the proxy is served under any Host, its X-Forwarded-Host counts as same origin', async () => {
    // the add-on's HTTP settings, with 127.0.0.2 standing in for the ingress proxy
    const server = new BridgeHttpServer({ bind: '0.0.0.0', port: 0, logger: silentLogger(), allowedClients: ['127.0.0.2'], allowedHosts: ['*'] });
    let posted = 0;
    server.route(
      '/act',
      (_req, res) => {
        posted++;
        res.end('done\n');
      },
      { methods: ['POST'] },
    );
    await server.listen();
    try {
      const base = `http://127.0.0.1:${server.port()}`;
      const other = await raw(base, 'GET', '/healthz', { localAddress: '127.0.0.1' });
      assert.equal(other.status, 403);
      assert.match(other.body, /http\.allowed_clients/);
      assertSecurityHeaders(other, 'peer 403');
      const otherPost = await raw(base, 'POST', '/act', {
        localAddress: '127.0.0.1',
        headers: { origin: 'https://ha.example:8123', 'x-forwarded-host': 'ha.example:8123', 'content-type': FORM, 'x-csrf-token': server.csrfToken() },
        body: '',
      });
      assert.equal(otherPost.status, 403);
      assert.equal(posted, 0);
      const proxy = await raw(base, 'GET', '/healthz', { localAddress: '127.0.0.2', headers: { host: 'homeassistant.local:8123' } });
      assert.equal(proxy.status, 200);
      // through ingress the browser's Origin is Home Assistant's; the proxy names it in X-Forwarded-Host
      const post = await raw(base, 'POST', '/act', {
        localAddress: '127.0.0.2',
        headers: { host: '172.30.33.4:8099', origin: 'https://ha.example:8123', 'x-forwarded-host': 'ha.example:8123', 'content-type': FORM },
        body: form({ csrf: server.csrfToken() }),
      });
      assert.equal(post.status, 200);
      assert.equal(posted, 1);
      const cross = await raw(base, 'POST', '/act', {
        localAddress: '127.0.0.2',
        headers: { host: '172.30.33.4:8099', origin: 'https://attacker.example', 'x-forwarded-host': 'ha.example:8123', 'content-type': FORM },
        body: form({ csrf: server.csrfToken() }),
      });
      assert.equal(cross.status, 403);
      assert.equal(posted, 1);
    } finally {
      await server.close();
    }
  });
});

test('hostAllowed: names, ports, IP literals, trailing dots, *', () => {
  assert.equal(hostAllowed('localhost:8787', []), true);
  assert.equal(hostAllowed('127.0.0.1', []), true);
  assert.equal(hostAllowed('[::1]:8787', []), true);
  assert.equal(hostAllowed('10.0.0.5:8787', []), true);
  assert.equal(hostAllowed('localhost.evil.example', []), false);
  assert.equal(hostAllowed('127.0.0.1.nip.io:8787', []), false);
  assert.equal(hostAllowed('bridge.lan:8787', ['bridge.lan']), true);
  assert.equal(hostAllowed('bridge.lan:8787', ['bridge.lan:443']), false);
  assert.equal(hostAllowed('bridge.lan:443', ['bridge.lan:443']), true);
  assert.equal(hostAllowed('Bridge.LAN.', ['bridge.lan']), true);
  assert.equal(hostAllowed('anything.example', ['*']), true);
  assert.equal(hostAllowed('', []), false);
});
