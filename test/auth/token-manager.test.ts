import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LockTimeoutError, withFileLock } from '../../src/auth/lock.js';
import { ReauthNeededError, tokenSetFromResponse, TokenManager } from '../../src/auth/oauth-client.js';
import { readTokenFile, TokenFileError, writeTokenFile, type TokenFile } from '../../src/auth/token-store.js';
import { startEmulator, type Emulator } from '../../src/emulator/server.js';
import { authorize, bufferLogger, CLIENT, rejection } from './helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let base: string;
let n = 0;
before(() => {
  base = mkdtempSync(join(tmpdir(), 'fb-auth-'));
});
after(() => {
  rmSync(base, { recursive: true, force: true });
});
const newDir = (): string => join(base, `d${++n}`);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const sampleFile = (account = 'alice'): TokenFile => ({
  version: 1,
  account,
  reauthNeeded: null,
  tokens: { accessToken: 'ya29.a', accessTokenExpiresAt: 2e12, refreshToken: '1//r', refreshTokenExpiresAt: null, scopes: ['s'], obtainedAt: 1e12 },
});

describe('token store', () => {
  test('mode 0600, atomic (no temp files left), round trip', async () => {
    const dir = newDir();
    await writeTokenFile(dir, sampleFile());
    await Promise.all(Array.from({ length: 20 }, (_, i) => writeTokenFile(dir, { ...sampleFile(), tokens: { ...sampleFile().tokens, obtainedAt: i } })));
    assert.deepEqual(readdirSync(dir), ['alice.json']);
    assert.equal(statSync(join(dir, 'alice.json')).mode & 0o777, 0o600);
    const back = await readTokenFile(dir, 'alice');
    assert.equal(back?.tokens.accessToken, 'ya29.a');
    assert.equal(await readTokenFile(dir, 'bob'), null);
  });

  test('damaged files and bad account names are refused', async () => {
    const dir = newDir();
    await writeTokenFile(dir, sampleFile());
    writeFileSync(join(dir, 'alice.json'), '{"version":1,"account":"alice","tokens":{"accessToken":"x"}}');
    await assert.rejects(readTokenFile(dir, 'alice'), TokenFileError);
    writeFileSync(join(dir, 'alice.json'), '{"version":1,');
    await assert.rejects(readTokenFile(dir, 'alice'), TokenFileError);
    await assert.rejects(readTokenFile(dir, '../etc'), RangeError);
  });
});

describe('file lock', () => {
  test('serialises holders in one process', async () => {
    const path = join(mkdtempSync(join(base, 'l')), 'x.lock');
    let inside = 0;
    let max = 0;
    await Promise.all(
      Array.from({ length: 5 }, () =>
        withFileLock(path, async () => {
          max = Math.max(max, ++inside);
          await sleep(15);
          inside--;
        }),
      ),
    );
    assert.equal(max, 1);
  });

  test('takes over a stale lock (old, or its pid is gone); times out on a live one', async () => {
    const dir = mkdtempSync(join(base, 'l'));
    const old = join(dir, 'old.lock');
    writeFileSync(old, JSON.stringify({ pid: process.pid, hostname: hostname(), createdAt: Date.now() - 120_000, id: 'x' }));
    assert.equal(await withFileLock(old, async () => 1, { timeoutMs: 1000 }), 1);
    const dead = join(dir, 'dead.lock');
    writeFileSync(dead, JSON.stringify({ pid: 2 ** 22 + 12345, hostname: hostname(), createdAt: Date.now(), id: 'y' }));
    assert.equal(await withFileLock(dead, async () => 2, { timeoutMs: 1000 }), 2);
    const live = join(dir, 'live.lock');
    writeFileSync(live, JSON.stringify({ pid: process.pid, hostname: hostname(), createdAt: Date.now(), id: 'z' }));
    await assert.rejects(
      withFileLock(live, async () => 3, { timeoutMs: 150 }),
      LockTimeoutError,
    );
    assert.deepEqual(readdirSync(dir), ['live.lock']);
  });
});

describe('TokenManager', () => {
  let emu: Emulator;
  let now = Date.now();
  const clock = (): number => now;
  before(async () => {
    emu = await startEmulator({ clock });
  });
  after(() => emu.close());

  async function setup(dir: string, logger?: ReturnType<typeof bufferLogger>['logger']): Promise<{ tm: TokenManager; first: string; refreshToken: string }> {
    const a = await authorize(emu);
    const tm = new TokenManager({ account: 'alice', dir, tokenEndpoint: emu.tokenEndpoint, ...CLIENT, clock, logger });
    await tm.save(tokenSetFromResponse(a.tokens, now));
    return { tm, first: a.tokens.access_token, refreshToken: a.tokens.refresh_token ?? '' };
  }

  test('missing account', async () => {
    const tm = new TokenManager({ account: 'nobody', dir: newDir(), tokenEndpoint: emu.tokenEndpoint, ...CLIENT, clock });
    assert.equal(tm.state(), 'missing');
    const e = await rejection(tm.getAccessToken());
    assert.ok(e instanceof ReauthNeededError && e.reason === 'missing');
    assert.match(e.message, /fitbit-bridge auth --account nobody/);
  });

  test('refreshes ahead of expiry (injected clock), once for concurrent callers', async () => {
    const dir = newDir();
    const { tm, first } = await setup(dir);
    const before0 = emu.stats.refreshes;
    assert.equal(await tm.getAccessToken(), first);
    now += (3599 - 6 * 60) * 1000; // 6 min left: still fine
    assert.equal(await tm.getAccessToken(), first);
    assert.equal(emu.stats.refreshes, before0);
    now += 2 * 60_000; // 4 min left: inside the 5 min refresh-ahead window
    const [t1, t2] = await Promise.all([tm.getAccessToken(), tm.getAccessToken()]);
    assert.equal(emu.stats.refreshes, before0 + 1);
    assert.equal(t1, t2);
    assert.notEqual(t1, first);
    assert.equal(await tm.getAccessToken(), t1);
    assert.equal(tm.state(), 'ok');
    assert.deepEqual(readdirSync(dir), ['alice.json']); // lock released, no temp files
  });

  test('invalid_grant marks the account reauth-needed, persisted; no more token requests', async () => {
    const dir = newDir();
    const { tm } = await setup(dir);
    emu.revokeAll();
    now += 3600_000;
    const e = await rejection(tm.getAccessToken());
    assert.ok(e instanceof ReauthNeededError && e.reason === 'invalid_grant');
    assert.match(e.message, /run: fitbit-bridge auth --account alice/);
    assert.equal(tm.state(), 'reauth-needed');
    const f = JSON.parse(readFileSync(join(dir, 'alice.json'), 'utf8')) as TokenFile;
    assert.match(f.reauthNeeded?.reason ?? '', /invalid_grant/);
    const other = new TokenManager({ account: 'alice', dir, tokenEndpoint: emu.tokenEndpoint, ...CLIENT, clock });
    assert.equal(other.state(), 'reauth-needed');
    const requests = emu.stats.tokenRequests;
    await assert.rejects(other.getAccessToken(), ReauthNeededError);
    assert.equal(emu.stats.tokenRequests, requests);
    // a new consent clears the mark
    const a = await authorize(emu);
    await tm.save(tokenSetFromResponse(a.tokens, now));
    assert.equal(tm.state(), 'ok');
    assert.equal(await tm.getAccessToken(), a.tokens.access_token);
  });

  test('expiring-soon a day ahead of the refresh-token lifetime, then reauth-needed', async () => {
    const dir = newDir();
    const { tm } = await setup(dir);
    const consent = now;
    now = consent + 5 * 86_400_000;
    assert.equal(tm.state(), 'ok');
    now = consent + 6 * 86_400_000 + 3600_000;
    assert.equal(tm.state(), 'expiring-soon');
    now = consent + 7 * 86_400_000;
    assert.equal(tm.state(), 'reauth-needed');
    const e = await rejection(tm.getAccessToken());
    assert.ok(e instanceof ReauthNeededError);
  });

  test('an emulator-side refresh expiry gives reauth-needed through invalid_grant', async () => {
    const dir = newDir();
    const { tm } = await setup(dir);
    emu.expireRefreshTokens();
    now += 3599_000;
    const e = await rejection(tm.getAccessToken());
    assert.ok(e instanceof ReauthNeededError && e.reason === 'invalid_grant');
  });

  test('tokens never reach the log', async () => {
    const dir = newDir();
    const cap = bufferLogger();
    const { tm, first, refreshToken } = await setup(dir, cap.logger);
    now += 3599_000;
    const second = await tm.getAccessToken();
    const secretValues = [
      first,
      refreshToken,
      second,
      ...((await readTokenFile(dir, 'alice')) ? [(await readTokenFile(dir, 'alice'))?.tokens.refreshToken ?? ''] : []),
    ];
    emu.revokeAll();
    now += 3599_000;
    await assert.rejects(tm.getAccessToken(), ReauthNeededError);
    const text = cap.text();
    assert.match(text, /refreshed access token/);
    assert.match(text, /authorisation lost/);
    for (const s of secretValues) {
      assert.ok(s.length > 20);
      assert.ok(!text.includes(s), 'a token value reached the log');
    }
    // and the redaction paths hold if someone logs a raw token response
    cap.logger.info({ body: { access_token: first, refresh_token: refreshToken } }, 'oops');
    assert.ok(!cap.text().includes(first));
  });
});

describe('cross-process refresh', () => {
  test('two processes due for a refresh at once: exactly one refresh, both valid, none reauth-needed', async () => {
    const emu = await startEmulator({
      tokenDelayMs: 300,
      healthApi: async (req, res) => {
        if (req.url !== '/v4/users/me/identity') return false;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"name":"users/me/identity"}');
        return true;
      },
    });
    try {
      const dir = newDir();
      const a = await authorize(emu);
      const tm = new TokenManager({ account: 'alice', dir, tokenEndpoint: emu.tokenEndpoint, ...CLIENT });
      const set = tokenSetFromResponse(a.tokens, Date.now());
      await tm.save({ ...set, accessTokenExpiresAt: Date.now() + 60_000 }); // due: inside the 5 min window
      const env = {
        ...process.env,
        FB_ACCOUNT: 'alice',
        FB_DIR: dir,
        FB_TOKEN_ENDPOINT: emu.tokenEndpoint,
        FB_CLIENT_ID: CLIENT.clientId,
        FB_CLIENT_SECRET: CLIENT.clientSecret,
      };
      const script = join(root, 'test/auth/child-get-token.ts');
      const children = [0, 1].map(() => spawn(process.execPath, ['--import', 'tsx', script], { cwd: root, env, stdio: ['pipe', 'pipe', 'inherit'] }));
      // listen for the exits now: a child may be gone before its last line has been read
      const exited = children.map((c) => new Promise((r) => c.once('exit', r)));
      const lines = children.map((c) => {
        let buf = '';
        const waiters: Array<(line: string) => void> = [];
        const got: string[] = [];
        c.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            const w = waiters.shift();
            if (w) w(line);
            else got.push(line);
          }
        });
        return (): Promise<string> =>
          new Promise((res) => {
            const l = got.shift();
            if (l !== undefined) res(l);
            else waiters.push(res);
          });
      });
      assert.deepEqual(await Promise.all(lines.map((next) => next())), ['ready', 'ready']);
      for (const c of children) c.stdin.end('go\n');
      const results = (await Promise.all(lines.map((next) => next()))).map(
        (l) => JSON.parse(l) as { token?: string; error?: string; startedAt: number; endedAt: number; state: string },
      );
      await Promise.all(exited);

      for (const r of results) {
        assert.equal(r.error, undefined);
        assert.equal(r.state, 'ok');
      }
      // they really overlapped (the refresh takes >= 300 ms at the emulator)
      assert.ok(Math.max(...results.map((r) => r.startedAt)) < Math.min(...results.map((r) => r.endedAt)), 'the two calls did not overlap');
      assert.equal(emu.stats.refreshes, 1);
      assert.equal(results[0]?.token, results[1]?.token);
      for (const r of results) {
        const res = await fetch(`${emu.url}/v4/users/me/identity`, { headers: { authorization: `Bearer ${r.token ?? ''}` } });
        assert.equal(res.status, 200);
        await res.text();
      }
      assert.equal(tm.state(), 'ok');
      assert.deepEqual(readdirSync(dir), ['alice.json']);
    } finally {
      await emu.close();
    }
  });
});
