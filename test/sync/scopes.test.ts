/**
 * Scopes end to end, as real processes against the real emulator over HTTP (`fitbit-bridge auth`
 * with the test as the browser, then `fitbit-bridge sync`):
 * - an account without a configured time zone, authorised through `auth`, reads its zone from the
 *   settings endpoint (users.getSettings needs settings.readonly, which the consent now asks for)
 *   and syncs; the sync calls exactly the methods of the table in scopes.ts;
 * - an authorisation from before settings.readonly was asked for (its token file lists the
 *   granted scopes): one precise warning, and the sync completes with the configured zone; without
 *   a configured zone it stops with the precise advice instead of "tick every permission".
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GoogleEmulator } from '../../src/emulator/index.js';
import { CALLED_METHODS, methodOfRequest, readScope } from '../../src/sources/google-health/scopes.js';
import { openStore } from '../../src/store/store.js';
import { ROOT_DIR } from '../integration/helpers.js';
import { ACCOUNT, Tmp, authorizeAccount, emulator, runNode, syncEnv, type ChildRun } from './helpers.js';

const tmp = new Tmp();
after(() => tmp.cleanup());

/** A zone no default of the bridge or the test set-up names: found only in the account settings. */
const ZONE = 'Asia/Kolkata';
const MAIN = join(ROOT_DIR, 'src/cli/main.ts');
/** What the consent asked for before settings.readonly was added. */
const OLD_CONSENT = ['activity_and_fitness', 'health_metrics_and_measurements', 'sleep', 'profile'].map(readScope);

describe('scopes of a real authorisation', () => {
  let emu: GoogleEmulator;
  let home = '';

  /** The bridge's configuration through the environment; no time zone anywhere unless `extra` sets one. */
  function env(tokenDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return syncEnv(home, emu, tokenDir, { FITBIT_BRIDGE_LOG_LEVEL: 'warn', ...extra }, null);
  }

  /** `fitbit-bridge auth` as a process; the test is the browser (the emulator consents and redirects to the CLI's listener). */
  function auth(e: NodeJS.ProcessEnv): Promise<ChildRun> {
    return new Promise((resolve, reject) => {
      const c = spawn(process.execPath, ['--import', 'tsx', MAIN, 'auth', '--timeout', '30'], { cwd: ROOT_DIR, env: e, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let browsed = false;
      c.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        const m = /^\s+(http:\/\/\S+)$/m.exec(stdout);
        if (m && !browsed) {
          browsed = true;
          void fetch(m[1] as string, { redirect: 'follow' }).then((x) => x.text());
        }
      });
      c.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
      });
      c.on('error', reject);
      c.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
  }

  const sync = (db: string, e: NodeJS.ProcessEnv): Promise<ChildRun> => runNode([MAIN, '--db', db, 'sync', '--no-progress'], e);

  function storedZone(db: string): string | null {
    const s = openStore(db);
    try {
      return s.getAccount(ACCOUNT)?.timezone ?? null;
    } finally {
      s.close();
    }
  }

  const settingsCalls = (): number => emu.requests.count(undefined, '/users/me/settings');

  before(async () => {
    // the current day is served up to now: a real-time sync of the last 3 days
    emu = await emulator({ timezone: ZONE, firstDay: undefined, lastDay: undefined, days: 3 });
    home = tmp.mkdir('home');
  });
  after(async () => {
    await emu.close();
  });

  it('no configured time zone, authorised with `fitbit-bridge auth`: the zone comes from the settings, the sync completes and calls exactly the methods of the table', async () => {
    const tokens = tmp.mkdir('tokens-new');
    const e = env(tokens);
    const a = await auth(e);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /Account default is authorised\. Granted: .*googlehealth\.settings\.readonly/);
    assert.doesNotMatch(a.stdout, /Not granted/);

    emu.requests.reset();
    const db = tmp.dbPath();
    const r = await sync(db, e);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^synced default \(mode all\): \d+ requests, \d+ pages, [1-9]\d* samples added/);
    assert.doesNotMatch(r.stderr, /lacks|"level":(?:40|50)/, 'no warning');
    assert.equal(storedZone(db), ZONE);
    assert.equal(settingsCalls(), 1);

    // every request of the sync is a method of the table, and every method of the table was called
    const called = new Set<string>();
    for (const key of Object.keys(emu.requests.snapshot().requests)) {
      const [verb, path] = key.split(' ') as [string, string];
      if (!path.startsWith('/v4')) continue;
      const m = methodOfRequest(verb, path);
      assert.ok(m, `a request the table cannot name: ${key}`);
      called.add(`${m.method} ${m.dataType ?? ''}`);
    }
    const table = new Set(CALLED_METHODS.flatMap((m) => (m.dataTypes.length ? m.dataTypes.map((t) => `${m.method} ${t}`) : [`${m.method} `])));
    assert.deepEqual([...called].sort(), [...table].sort());
  });

  it('an authorisation from before settings.readonly, a configured zone: one precise warning, the sync completes without the settings call', async () => {
    const tokens = tmp.mkdir('tokens-old');
    await authorizeAccount(emu, tokens, ACCOUNT, OLD_CONSENT);
    const before = settingsCalls();
    const db = tmp.dbPath();
    const r = await sync(db, env(tokens, { FITBIT_BRIDGE_ACCOUNTS__0__TIMEZONE: ZONE }));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^synced default \(mode all\): \d+ requests, \d+ pages, [1-9]\d* samples added/);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('lacks'));
    assert.equal(warnings.length, 1, r.stderr);
    const w = warnings[0] as string;
    assert.match(w, /"level":40/);
    assert.match(
      w,
      /the authorisation of account default lacks googlehealth\.settings\.readonly, which users\.getSettings needs to read the account's time zone/,
    );
    assert.match(w, /authorisations made before fitbit-bridge asked for it lack it/);
    assert.match(w, /Meanwhile the sync goes on with the configured time zone Asia\/Kolkata/);
    assert.match(w, /run: fitbit-bridge auth --account default/);
    assert.equal(settingsCalls(), before, 'a configured zone needs no settings call');
    assert.equal(storedZone(db), ZONE);
  });

  it('an authorisation from before settings.readonly and no zone anywhere: exit 2 with the advice to grant settings.readonly', async () => {
    const tokens = tmp.mkdir('tokens-old-nozone');
    await authorizeAccount(emu, tokens, ACCOUNT, OLD_CONSENT);
    const r = await sync(tmp.dbPath(), env(tokens));
    assert.equal(r.code, 2, r.stderr);
    const last = r.stderr.trim().split('\n').pop() ?? '';
    assert.match(
      last,
      /^fitbit-bridge: the time zone of account default is not configured, and reading it from the Google account settings \(users\.getSettings\) needs googlehealth\.settings\.readonly/,
    );
    assert.match(
      last,
      /Run fitbit-bridge auth --account default and allow googlehealth\.settings\.readonly on Google's consent page, or set accounts\[\]\.timezone/,
    );
    assert.doesNotMatch(r.stderr, /tick every requested permission/);
  });
});
