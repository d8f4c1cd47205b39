import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { captureRedirect, parsePastedRedirect, RedirectError } from '../../src/auth/loopback.js';
import { buildAuthorizeUrl, exchangeCode, hasScope, OAuthError, READ_SCOPES, refresh } from '../../src/auth/oauth-client.js';
import { codeChallengeS256, createCodeVerifier, createPkcePair, createState, isValidCodeVerifier } from '../../src/auth/pkce.js';
import { startEmulator, UNAUTHENTICATED_BODY, type Emulator } from '../../src/emulator/server.js';
import { authorize, browse, CLIENT, rejection } from './helpers.js';

let emu: Emulator;
let now = Date.now();
before(async () => {
  emu = await startEmulator({
    clock: () => now,
    healthApi: async (req, res, auth) => {
      if (req.url !== '/v4/users/me/identity') return false;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ name: 'users/me/identity', healthUserId: 'u1', scopes: auth.scopes }));
      return true;
    },
  });
});
after(() => emu.close());

function authorizeUrl(over: Record<string, string | null> = {}): string {
  const u = new URL(
    buildAuthorizeUrl({
      authorizeEndpoint: emu.authorizeEndpoint,
      clientId: CLIENT.clientId,
      redirectUri: 'http://127.0.0.1:9/',
      scopes: READ_SCOPES,
      state: 'st',
      codeChallenge: createPkcePair().challenge,
    }),
  );
  for (const [k, v] of Object.entries(over)) {
    if (v === null) u.searchParams.delete(k);
    else u.searchParams.set(k, v);
  }
  return u.toString();
}

const tokenPost = (form: Record<string, string>): Promise<Response> =>
  fetch(emu.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });

describe('pkce and scopes', () => {
  test('verifier length and alphabet, S256 challenge', () => {
    for (const n of [43, 64, 128]) {
      const v = createCodeVerifier(n);
      assert.equal(v.length, n);
      assert.ok(isValidCodeVerifier(v));
    }
    assert.throws(() => createCodeVerifier(42), RangeError);
    assert.throws(() => createCodeVerifier(129), RangeError);
    // sha256("a"*43) in base64url, computed independently
    assert.equal(codeChallengeS256('a'.repeat(43)), 'ZtNPunH49FD35FWYhT5Tv8I7vRKQJ8uxMaL0_9eHjNA');
    assert.match(createPkcePair().challenge, /^[A-Za-z0-9_-]{43}$/);
  });

  test('READ_SCOPES and hasScope with the older suffix-less names', () => {
    assert.equal(READ_SCOPES.length, 4);
    const sleepRo = 'https://www.googleapis.com/auth/googlehealth.sleep.readonly';
    assert.ok(READ_SCOPES.includes(sleepRo));
    // users.getSettings (the account's time zone) needs settings.readonly; nothing the bridge calls needs profile.readonly
    assert.ok(READ_SCOPES.includes('https://www.googleapis.com/auth/googlehealth.settings.readonly'));
    assert.ok(!READ_SCOPES.includes('https://www.googleapis.com/auth/googlehealth.profile.readonly'));
    assert.ok(hasScope([sleepRo], sleepRo));
    assert.ok(hasScope(['https://www.googleapis.com/auth/googlehealth.sleep'], sleepRo));
    assert.ok(!hasScope([sleepRo], 'https://www.googleapis.com/auth/googlehealth.sleep'));
    assert.ok(!hasScope(['https://www.googleapis.com/auth/googlehealth.profile.readonly'], sleepRo));
  });

  test('buildAuthorizeUrl carries offline access, consent prompt and S256', () => {
    const u = new URL(buildAuthorizeUrl({ clientId: 'c', redirectUri: 'http://127.0.0.1:1/', scopes: READ_SCOPES, state: 's', codeChallenge: 'x' }));
    assert.equal(u.origin + u.pathname, 'https://accounts.google.com/o/oauth2/v2/auth');
    assert.equal(u.searchParams.get('access_type'), 'offline');
    assert.equal(u.searchParams.get('prompt'), 'consent');
    assert.equal(u.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(u.searchParams.get('scope'), READ_SCOPES.join(' '));
  });
});

describe('authorize endpoint', () => {
  test('consents and redirects with code, state and scope', async () => {
    const r = await fetch(authorizeUrl(), { redirect: 'manual' });
    assert.equal(r.status, 302);
    const loc = new URL(r.headers.get('location') ?? '');
    assert.equal(loc.origin, 'http://127.0.0.1:9');
    assert.equal(loc.searchParams.get('state'), 'st');
    assert.ok(loc.searchParams.get('code'));
    assert.equal(loc.searchParams.get('scope'), READ_SCOPES.join(' '));
  });

  for (const [name, over, error] of [
    ['missing client_id', { client_id: null }, 'invalid_request'],
    ['unknown client', { client_id: 'nope.apps.googleusercontent.com' }, 'invalid_client'],
    ['non-loopback redirect', { redirect_uri: 'https://example.com/cb' }, 'invalid_request'],
    ['missing redirect', { redirect_uri: null }, 'invalid_request'],
    ['response_type token', { response_type: 'token' }, 'invalid_request'],
    ['missing scope', { scope: null }, 'invalid_request'],
    ['unknown scope', { scope: 'https://www.googleapis.com/auth/drive' }, 'invalid_scope'],
    ['missing state', { state: null }, 'invalid_request'],
    ['missing challenge', { code_challenge: null }, 'invalid_request'],
    ['plain method', { code_challenge_method: 'plain' }, 'invalid_request'],
    ['online access', { access_type: 'online' }, 'invalid_request'],
  ] as const) {
    test(`rejects ${name}`, async () => {
      const r = await fetch(authorizeUrl(over), { redirect: 'manual' });
      assert.equal(r.status, error === 'invalid_client' ? 401 : 400);
      assert.match(r.headers.get('content-type') ?? '', /text\/html/);
      assert.match(await r.text(), new RegExp(`Error 40[01]: ${error}`));
    });
  }
});

describe('token endpoint', () => {
  test('full flow without a browser; token response shape', async () => {
    const a = await authorize(emu);
    assert.equal(a.tokens.expires_in, 3599);
    assert.equal(a.tokens.refresh_token_expires_in, 604799);
    assert.equal(a.tokens.token_type, 'Bearer');
    assert.equal(a.tokens.scope, READ_SCOPES.join(' '));
    assert.ok(a.tokens.refresh_token);
    const r = await fetch(`${emu.url}/v4/users/me/identity`, { headers: { authorization: `Bearer ${a.tokens.access_token}` } });
    assert.equal(r.status, 200);
    assert.equal(((await r.json()) as { healthUserId: string }).healthUserId, 'u1');
  });

  test('code reuse is rejected', async () => {
    const a = await authorize(emu);
    const e = await rejection(
      exchangeCode({ tokenEndpoint: emu.tokenEndpoint, ...CLIENT, code: a.code, codeVerifier: a.codeVerifier, redirectUri: a.redirectUri }),
    );
    assert.ok(e instanceof OAuthError);
    assert.equal(e.status, 400);
    assert.equal(e.error, 'invalid_grant');
  });

  async function freshCode(): Promise<{ code: string; verifier: string; redirectUri: string }> {
    const state = createState();
    const pkce = createPkcePair();
    const cap = await captureRedirect({ state, timeoutMs: 5000 });
    await browse(
      buildAuthorizeUrl({
        authorizeEndpoint: emu.authorizeEndpoint,
        clientId: CLIENT.clientId,
        redirectUri: cap.redirectUri,
        scopes: READ_SCOPES,
        state,
        codeChallenge: pkce.challenge,
      }),
    );
    return { code: await cap.code, verifier: pkce.verifier, redirectUri: cap.redirectUri };
  }

  test('PKCE mismatch is rejected and burns the code', async () => {
    const c = await freshCode();
    const e = await rejection(
      exchangeCode({ tokenEndpoint: emu.tokenEndpoint, ...CLIENT, code: c.code, codeVerifier: createCodeVerifier(), redirectUri: c.redirectUri }),
    );
    assert.ok(e instanceof OAuthError && e.error === 'invalid_grant');
    const again = await rejection(
      exchangeCode({ tokenEndpoint: emu.tokenEndpoint, ...CLIENT, code: c.code, codeVerifier: c.verifier, redirectUri: c.redirectUri }),
    );
    assert.ok(again instanceof OAuthError && again.error === 'invalid_grant');
  });

  test('redirect_uri must match; missing verifier is invalid_request', async () => {
    const c = await freshCode();
    const e = await rejection(
      exchangeCode({ tokenEndpoint: emu.tokenEndpoint, ...CLIENT, code: c.code, codeVerifier: c.verifier, redirectUri: 'http://127.0.0.1:1/' }),
    );
    assert.ok(e instanceof OAuthError && e.error === 'redirect_uri_mismatch');
    const c2 = await freshCode();
    const r = await tokenPost({
      grant_type: 'authorization_code',
      ...{ client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret },
      code: c2.code,
      redirect_uri: c2.redirectUri,
    });
    assert.equal(r.status, 400);
    assert.equal(((await r.json()) as { error: string }).error, 'invalid_request');
  });

  test('bad client secret and unknown client give 401 invalid_client', async () => {
    const forms: Record<string, string>[] = [{ client_id: CLIENT.clientId, client_secret: 'wrong' }, { client_id: 'x.apps.googleusercontent.com' }];
    for (const form of forms) {
      const r = await tokenPost({ grant_type: 'refresh_token', refresh_token: 'x', ...form });
      assert.equal(r.status, 401);
      assert.equal(((await r.json()) as { error: string }).error, 'invalid_client');
    }
  });

  test('refresh rotates the refresh token; the old one then gives invalid_grant; lifetime counts from consent', async () => {
    const a = await authorize(emu);
    now += 86_400_000;
    const r1 = await refresh({ tokenEndpoint: emu.tokenEndpoint, ...CLIENT, refreshToken: a.tokens.refresh_token ?? '' });
    assert.ok(r1.refresh_token && r1.refresh_token !== a.tokens.refresh_token);
    assert.notEqual(r1.access_token, a.tokens.access_token);
    assert.equal(r1.refresh_token_expires_in, 604799 - 86_400);
    const raw = await tokenPost({
      grant_type: 'refresh_token',
      refresh_token: a.tokens.refresh_token ?? '',
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    });
    assert.equal(raw.status, 400);
    assert.deepEqual(await raw.json(), { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
    // the rotated one works
    const r2 = await refresh({ tokenEndpoint: emu.tokenEndpoint, ...CLIENT, refreshToken: r1.refresh_token });
    assert.ok(r2.access_token);
  });

  test('refresh after the consent lifetime gives invalid_grant', async () => {
    const a = await authorize(emu);
    now += 604_800_000;
    const e = await rejection(refresh({ tokenEndpoint: emu.tokenEndpoint, ...CLIENT, refreshToken: a.tokens.refresh_token ?? '' }));
    assert.ok(e instanceof OAuthError && e.error === 'invalid_grant' && e.errorDescription === 'Token has been expired or revoked.');
  });
});

describe('health api front', () => {
  test('missing, invalid and expired bearer tokens give the google.rpc.Status 401', async () => {
    const a = await authorize(emu);
    const cases: Array<Record<string, string>> = [{}, { authorization: 'Bearer nope' }, { authorization: `Basic ${a.tokens.access_token}` }];
    for (const headers of cases) {
      const r = await fetch(`${emu.url}/v4/users/me/identity`, { headers });
      assert.equal(r.status, 401);
      assert.deepEqual(await r.json(), UNAUTHENTICATED_BODY);
    }
    now += 3600_000;
    const r = await fetch(`${emu.url}/v4/users/me/identity`, { headers: { authorization: `Bearer ${a.tokens.access_token}` } });
    assert.equal(r.status, 401);
    assert.equal(((await r.json()) as typeof UNAUTHENTICATED_BODY).error.status, 'UNAUTHENTICATED');
  });

  test('unknown paths give the HTML 404 page', async () => {
    const a = await authorize(emu);
    for (const path of ['/v4/users/me/nothing', '/v5/x', '/']) {
      const r = await fetch(`${emu.url}${path}`, { headers: { authorization: `Bearer ${a.tokens.access_token}` } });
      assert.equal(r.status, 404);
      assert.match(r.headers.get('content-type') ?? '', /text\/html/);
      const body = await r.text();
      assert.match(body, /^<!DOCTYPE html>/);
      assert.match(body, /Error 404 \(Not Found\)!!1/);
    }
  });

  test('revokeAll kills access and refresh tokens', async () => {
    const emu2 = await startEmulator();
    try {
      const a = await authorize(emu2);
      emu2.revokeAll();
      const r = await fetch(`${emu2.url}/v4/users/me/identity`, { headers: { authorization: `Bearer ${a.tokens.access_token}` } });
      assert.equal(r.status, 401);
      const e = await rejection(refresh({ tokenEndpoint: emu2.tokenEndpoint, ...CLIENT, refreshToken: a.tokens.refresh_token ?? '' }));
      assert.ok(e instanceof OAuthError && e.error === 'invalid_grant');
    } finally {
      await emu2.close();
    }
  });
});

describe('loopback', () => {
  test('a wrong state gets a 400 page and the listener keeps waiting', async () => {
    const cap = await captureRedirect({ state: 'right', timeoutMs: 5000 });
    const bad = await fetch(`${cap.redirectUri}?code=evil&state=wrong`);
    assert.equal(bad.status, 400);
    await bad.text();
    const fav = await fetch(`${cap.redirectUri}favicon.ico`);
    assert.equal(fav.status, 404);
    await fav.text();
    const good = await fetch(`${cap.redirectUri}?code=good&state=right`);
    assert.equal(good.status, 200);
    await good.text();
    assert.equal(await cap.code, 'good');
  });

  test('bad state through the emulator is rejected, error=access_denied rejects, timeout rejects', async () => {
    const cap = await captureRedirect({ state: 'mine', timeoutMs: 5000 });
    const url = buildAuthorizeUrl({
      authorizeEndpoint: emu.authorizeEndpoint,
      clientId: CLIENT.clientId,
      redirectUri: cap.redirectUri,
      scopes: READ_SCOPES,
      state: 'forged',
      codeChallenge: createPkcePair().challenge,
    });
    const landing = await browse(url);
    assert.equal(landing.status, 400);
    await landing.text();
    const denied = await fetch(`${cap.redirectUri}?error=access_denied&state=mine`);
    assert.equal(denied.status, 400);
    await denied.text();
    const e = await rejection(cap.code);
    assert.ok(e instanceof OAuthError && e.error === 'access_denied');

    const cap2 = await captureRedirect({ state: 's', timeoutMs: 50 });
    assert.ok((await rejection(cap2.code)) instanceof RedirectError);
  });

  test('parsePastedRedirect', () => {
    assert.equal(parsePastedRedirect(' http://127.0.0.1:5555/?state=s&code=4%2F0Aabc&scope=x \n', 's'), '4/0Aabc');
    assert.equal(parsePastedRedirect('?code=c1&state=s', 's'), 'c1');
    assert.throws(() => parsePastedRedirect('http://127.0.0.1:5555/?state=t&code=c', 's'), RedirectError);
    assert.throws(() => parsePastedRedirect('http://127.0.0.1:5555/?state=s', 's'), RedirectError);
    assert.throws(() => parsePastedRedirect('http://127.0.0.1:5555/?state=s&error=access_denied', 's'), OAuthError);
  });
});
