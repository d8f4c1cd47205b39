/**
 * `fitbit-bridge doctor`: the local checks (config, store, disk, tokens and their files) with real
 * files and stores; time and free space injected. The network checks: network.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Command } from 'commander';
import { doctorCommand } from '../../src/cli/commands/doctor.js';
import { formatDoctor, runDoctor, type CheckResult, type DoctorReport } from '../../src/doctor/index.js';
import { startGoogleEmulator, type GoogleEmulator } from '../../src/emulator/index.js';
import { DropFolderWatcher } from '../../src/sources/takeout/drop-folder.js';
import { silentLogger } from '../../src/util/log.js';
import { openStore } from '../../src/store/store.js';
import { Tmp } from '../support/tmp.js';
import { DAY, deps, NOW, setup } from './helpers.js';

const tmp = new Tmp('fb-doctor-');
let emu: GoogleEmulator;

before(async () => {
  emu = await startGoogleEmulator({ days: 2 });
});

after(async () => {
  await emu.close();
  tmp.cleanup();
});

/** google: keys pointing at the emulator, so the reach checks pass without the internet. */
function emuGoogle(): Record<string, string> {
  return { token_endpoint: emu.tokenEndpoint, api_base_url: emu.apiBaseUrl, authorize_endpoint: emu.authorizeEndpoint };
}

function check(r: DoctorReport, id: string): CheckResult {
  const c = r.checks.find((x) => x.id === id);
  assert.ok(c, `no check ${id} in ${r.checks.map((x) => x.id).join(', ')}`);
  return c;
}

const statuses = (r: DoctorReport): Record<string, string> => Object.fromEntries(r.checks.map((c) => [c.id, c.status]));

describe('a healthy setup', () => {
  test('every check is ok and the exit code is 0', async () => {
    const s = await setup(tmp, { accounts: ['alice', 'bob'], google: emuGoogle() });
    const r = await runDoctor({ file: s.config, env: { FITBIT_BRIDGE_LOG__LEVEL: 'warn' }, deps: deps() });
    assert.deepEqual(
      statuses(r),
      {
        config: 'ok',
        store: 'ok',
        disk: 'ok',
        'auth:alice': 'ok',
        'auth:bob': 'ok',
        'token-files': 'ok',
        'private-files': 'ok',
        'reach:token-endpoint': 'ok',
        'reach:api': 'ok',
        mqtt: 'ok',
        'remote-write': 'ok',
      },
      formatDoctor(r),
    );
    assert.equal(r.exitCode, 0);
    assert.equal(r.ok, true);
    // the config check says where the configuration came from
    assert.match(check(r, 'config').detail, new RegExp(`file ${s.config.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    assert.match(check(r, 'config').detail, /env FITBIT_BRIDGE_LOG__LEVEL/);
    assert.match(check(r, 'auth:alice').detail, /valid until 2026-05-16T12:00:00Z \(6 days\)/);
    assert.match(check(r, 'store').detail, /quick_check ok, schema \d+/);
    assert.match(check(r, 'reach:token-endpoint').detail, /reachable \(HTTP \d{3}/);
    assert.match(check(r, 'mqtt').detail, /not checked: MQTT is off/);
    const text = formatDoctor(r);
    assert.match(text, /^ {2}status +check +detail$/m);
    assert.match(text, /doctor: no problems \(0 warnings, 11 ok\)/);
    // no secret in the output
    assert.doesNotMatch(JSON.stringify(r), /test-secret|rt-alice|at-alice/);
  });

  test('the real statfs of the store folder gives numbers', async () => {
    const s = await setup(tmp, { google: emuGoogle() });
    const r = await runDoctor({ file: s.config, env: {}, deps: deps({ statfs: undefined as never }) });
    const d = check(r, 'disk');
    const real = statfsSync(join(s.dir, 'data'));
    assert.equal(d.data?.totalBytes, real.blocks * real.bsize);
    assert.ok(typeof d.data?.freeBytes === 'number');
  });

  test('a Takeout-only setup (no Google client) has nothing to authorise or reach', async () => {
    const dir = tmp.mkdir('takeout-only');
    const cfg = join(dir, 'config.yaml');
    writeFileSync(cfg, `store:\n  path: ${join(dir, 'x.db')}\n`);
    const r = await runDoctor({ file: cfg, env: {}, deps: deps() });
    assert.equal(check(r, 'auth').status, 'ok');
    assert.match(check(r, 'auth').detail, /live source is off/);
    assert.match(check(r, 'reach:google').detail, /not checked/);
    assert.equal(check(r, 'store').status, 'warn', 'no store yet is a warning');
    assert.match(check(r, 'store').fix ?? '', /import-takeout/);
    assert.equal(r.exitCode, 0, 'warnings alone exit 0');
  });
});

describe('authorisation', () => {
  test('an expired refresh token is a problem that says to run auth', async () => {
    const s = await setup(tmp, {
      accounts: ['alice', 'bob'],
      google: emuGoogle(),
      tokens: { alice: { refreshTokenExpiresAt: NOW - 2 * 3600_000, accessTokenExpiresAt: NOW - 3 * 3600_000 } },
    });
    const r = await runDoctor({ file: s.config, env: {}, deps: deps() });
    const a = check(r, 'auth:alice');
    assert.equal(a.status, 'problem');
    assert.match(a.detail, /expired at 2026-05-10T10:00:00Z \(2 h ago/);
    assert.match(a.fix ?? '', /fitbit-bridge auth --account alice/);
    assert.equal(check(r, 'auth:bob').status, 'ok');
    assert.equal(r.exitCode, 1);
    const text = formatDoctor(r);
    assert.match(text, /PROBLEM +auth alice +the authorisation expired/);
    assert.match(text, /fix: Run: fitbit-bridge auth --account alice/);
    assert.match(text, /doctor: 1 problem, 0 warnings, 10 ok/);
  });

  test('ending within a day, refused by Google, missing, unreadable: problems; missing scopes: a warning', async () => {
    const s = await setup(tmp, {
      accounts: ['soon', 'refused', 'none', 'damaged', 'partial', 'old', 'forever'],
      google: emuGoogle(),
      tokens: {
        soon: { refreshTokenExpiresAt: NOW + 5 * 3600_000 },
        none: null,
        partial: { scopes: ['https://www.googleapis.com/auth/googlehealth.sleep.readonly'] },
        // authorised before fitbit-bridge asked for settings.readonly
        old: {
          scopes: ['activity_and_fitness', 'health_metrics_and_measurements', 'sleep', 'profile'].map(
            (a) => `https://www.googleapis.com/auth/googlehealth.${a}.readonly`,
          ),
        },
        forever: { refreshTokenExpiresAt: null },
      },
      reauth: { refused: 'invalid_grant: Token has been expired or revoked.' },
    });
    writeFileSync(join(s.tokenDir, 'damaged.json'), '{"version": 1, "account": "damaged", "tok', { mode: 0o600 });
    const r = await runDoctor({ file: s.config, env: {}, deps: deps() });
    assert.equal(check(r, 'auth:soon').status, 'problem');
    assert.match(check(r, 'auth:soon').detail, /ends at 2026-05-10T17:00:00Z \(in 5 h\)/);
    assert.equal(check(r, 'auth:refused').status, 'problem');
    assert.match(check(r, 'auth:refused').detail, /Google refused the authorisation .*invalid_grant/);
    assert.equal(check(r, 'auth:none').status, 'problem');
    assert.match(check(r, 'auth:none').detail, /not authorised yet/);
    assert.equal(check(r, 'auth:damaged').status, 'problem');
    assert.match(check(r, 'auth:damaged').detail, /not valid JSON/);
    assert.equal(check(r, 'auth:partial').status, 'warn');
    assert.match(check(r, 'auth:partial').detail, /without googlehealth\.activity_and_fitness\.readonly/);
    assert.match(check(r, 'auth:partial').fix ?? '', /tick every box/);
    assert.equal(check(r, 'auth:old').status, 'warn');
    assert.match(
      check(r, 'auth:old').detail,
      /but without googlehealth\.settings\.readonly \(users\.getSettings needs to read the account's time zone when none is configured; authorisations made before fitbit-bridge asked for it lack it; meanwhile no sync can start unless a time zone is known \(accounts\[\]\.timezone\)/,
    );
    assert.match(check(r, 'auth:old').fix ?? '', /fitbit-bridge auth --account old /);
    assert.equal(check(r, 'auth:forever').status, 'ok');
    assert.match(check(r, 'auth:forever').detail, /no end date/);
    for (const a of ['soon', 'refused', 'none', 'damaged']) assert.match(check(r, `auth:${a}`).fix ?? '', new RegExp(`fitbit-bridge auth --account ${a}`));
    assert.equal(r.exitCode, 1);
  });

  test('the injected clock decides: the same token file is ok today and a problem in a week', async () => {
    const s = await setup(tmp, { google: emuGoogle() });
    const today = await runDoctor({ file: s.config, env: {}, deps: deps() });
    assert.equal(check(today, 'auth:default').status, 'ok');
    const later = await runDoctor({ file: s.config, env: {}, deps: deps({ now: () => NOW + 7 * DAY }) });
    assert.equal(check(later, 'auth:default').status, 'problem');
    assert.equal(later.exitCode, 1);
  });
});

describe('disk space', () => {
  test('a full disk (injected statfs) is a problem, a low one a warning', async () => {
    const s = await setup(tmp, { google: emuGoogle() });
    const seen: string[] = [];
    const full = await runDoctor({
      file: s.config,
      env: {},
      deps: deps({
        statfs: async (p) => {
          seen.push(p);
          return { bsize: 4096, blocks: 25_000_000, bavail: 12_000 };
        },
      }),
    });
    const d = check(full, 'disk');
    assert.equal(d.status, 'problem');
    assert.match(d.detail, /46\.9 MiB free of 95\.4 GiB \(0\.0 %\)/);
    assert.match(d.fix ?? '', /Free some space/);
    assert.deepEqual(seen, [join(s.dir, 'data')], "statfs of the store's folder");
    assert.equal(full.exitCode, 1);

    // 8 % of a small disk: above 200 MiB and 5 %, below 10 %
    const low = await runDoctor({ file: s.config, env: {}, deps: deps({ statfs: async () => ({ bsize: 1024, blocks: 10_000_000, bavail: 800_000 }) }) });
    assert.equal(check(low, 'disk').status, 'warn');
    assert.equal(low.exitCode, 0);
    // 4 % of a huge disk is still a problem (the percentage rule)
    const pct = await runDoctor({ file: s.config, env: {}, deps: deps({ statfs: async () => ({ bsize: 4096, blocks: 1_000_000_000, bavail: 40_000_000 }) }) });
    assert.equal(check(pct, 'disk').status, 'problem');
  });

  test('a store folder that does not exist yet: the nearest existing parent is measured', async () => {
    const dir = tmp.mkdir('nofolder');
    const cfg = join(dir, 'config.yaml');
    writeFileSync(cfg, `store:\n  path: ${join(dir, 'a', 'b', 'x.db')}\n`);
    const seen: string[] = [];
    await runDoctor({
      file: cfg,
      env: {},
      deps: deps({
        statfs: async (p) => {
          seen.push(p);
          return { bsize: 4096, blocks: 1e7, bavail: 5e6 };
        },
      }),
    });
    assert.deepEqual(seen, [dir]);
  });
});

describe('the store', () => {
  test('damaged, not a store, newer schema: problems', async () => {
    const s = await setup(tmp, { google: emuGoogle(), createStore: false });
    writeFileSync(s.store, Buffer.alloc(8192, 0x41));
    let r = await runDoctor({ file: s.config, env: {}, deps: deps() });
    assert.equal(check(r, 'store').status, 'problem');
    assert.match(check(r, 'store').detail, /cannot open .* read-only|not a database/);

    const db = new Database(s.store.replace(/\.db$/, '-other.db'));
    db.exec('CREATE TABLE t (x)');
    db.close();
    r = await runDoctor({ file: s.config, env: {}, db: s.store.replace(/\.db$/, '-other.db'), deps: deps() });
    assert.equal(check(r, 'store').status, 'problem');
    assert.match(check(r, 'store').detail, /not a fitbit-bridge store/);
    assert.match(check(r, 'config').detail, /flags --db/);

    const s2 = await setup(tmp, { google: emuGoogle() });
    const db2 = new Database(s2.store);
    db2.pragma('user_version = 999');
    db2.close();
    r = await runDoctor({ file: s2.config, env: {}, deps: deps() });
    assert.equal(check(r, 'store').status, 'problem');
    assert.match(check(r, 'store').detail, /schema version 999 is newer/);
    assert.match(check(r, 'store').fix ?? '', /Update fitbit-bridge/);
  });

  test('the size and the WAL are reported; the check works beside an open writer', async () => {
    const s = await setup(tmp, { google: emuGoogle() });
    const store = tmp.store(s.store); // a "run" holding the store open, with a WAL
    store.setState('x', 'y'.repeat(100_000));
    const r = await runDoctor({ file: s.config, env: {}, deps: deps() });
    const c = check(r, 'store');
    assert.equal(c.status, 'ok', c.detail);
    assert.ok(Number(c.data?.walBytes) > 0, `WAL bytes: ${String(c.data?.walBytes)}`);
    assert.match(c.detail, /KiB \+ WAL \d/);
  });
});

describe('token file modes', () => {
  test('a token file open to others is a problem, a readable folder a warning; Windows is not checked', async () => {
    const s = await setup(tmp, { accounts: ['alice', 'bob'], google: emuGoogle() });
    chmodSync(join(s.tokenDir, 'alice.json'), 0o644);
    chmodSync(s.tokenDir, 0o755);
    let r = await runDoctor({ file: s.config, env: {}, deps: deps() });
    let t = check(r, 'token-files');
    assert.equal(t.status, 'problem');
    assert.match(t.detail, /alice\.json is readable or writable by others \(mode 0644\)/);
    assert.match(t.detail, /readable by others \(mode 0755\)/);
    assert.match(t.fix ?? '', new RegExp(`chmod 600 '${join(s.tokenDir, 'alice.json').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}' && chmod 700`));
    assert.equal(r.exitCode, 1);

    chmodSync(join(s.tokenDir, 'alice.json'), 0o600);
    r = await runDoctor({ file: s.config, env: {}, deps: deps() });
    t = check(r, 'token-files');
    assert.equal(t.status, 'warn');
    assert.equal(r.exitCode, 0);

    chmodSync(s.tokenDir, 0o777);
    r = await runDoctor({ file: s.config, env: {}, deps: deps() });
    assert.equal(check(r, 'token-files').status, 'problem');
    assert.match(check(r, 'token-files').detail, /writable by others \(mode 0777\)/);

    r = await runDoctor({ file: s.config, env: {}, deps: deps({ platform: 'win32' }) });
    assert.equal(check(r, 'token-files').status, 'ok');
    chmodSync(s.tokenDir, 0o700);
  });
});

describe('private files (store, -wal, -shm, dump)', () => {
  const esc = (p: string): string => p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

  test('a new store is private (ok); an old 0644 store is a problem with the chmod that fixes it; group-only a warning', async () => {
    const s = await setup(tmp, { google: emuGoogle() });
    const st = openStore(s.store); // open: -wal and -shm exist
    try {
      let r = await runDoctor({ file: s.config, env: {}, deps: deps() });
      let c = check(r, 'private-files');
      assert.equal(c.status, 'ok', c.detail);
      assert.match(c.detail, new RegExp(`${esc(s.store)} 0600, ${esc(s.store)}-wal 0600, ${esc(s.store)}-shm 0600: none open to group or others`));

      for (const f of [s.store, `${s.store}-wal`, `${s.store}-shm`]) chmodSync(f, 0o644);
      r = await runDoctor({ file: s.config, env: {}, deps: deps() });
      c = check(r, 'private-files');
      assert.equal(c.status, 'problem');
      assert.equal(r.exitCode, 1);
      assert.match(c.detail, new RegExp(`${esc(s.store)} is readable or writable by every local user \\(mode 0644\\)`));
      assert.equal(c.fix, `Run: chmod 600 '${s.store}' '${s.store}-wal' '${s.store}-shm'`);
      // the printed fix works
      execFileSync('sh', ['-c', (c.fix ?? '').replace(/^Run: /, '')]);
      c = check(await runDoctor({ file: s.config, env: {}, deps: deps() }), 'private-files');
      assert.equal(c.status, 'ok', c.detail);

      // (SQLite gives a -wal it re-creates the store's mode, so it may be listed too)
      chmodSync(s.store, 0o640);
      c = check(await runDoctor({ file: s.config, env: {}, deps: deps() }), 'private-files');
      assert.equal(c.status, 'warn');
      assert.match(c.detail, /readable or writable by its group \(mode 0640\)/);
      assert.match(c.fix ?? '', new RegExp(`^Run: chmod 600 '${esc(s.store)}'`));

      c = check(await runDoctor({ file: s.config, env: {}, deps: deps({ platform: 'win32' }) }), 'private-files');
      assert.equal(c.status, 'ok');
      chmodSync(s.store, 0o600);
    } finally {
      st.close();
    }
  });

  test('the dump folder: files open to others are a problem, a listable folder a warning; chmod -R go-rwx fixes both', async () => {
    const s = await setup(tmp, { google: emuGoogle() });
    const dump = join(s.dir, 'dump out'); // a space: the fix quotes the path
    writeFileSync(s.config, `${readFileSync(s.config, 'utf8')}dump:\n  dir: ${dump}\n`);
    // not there yet: nothing to say
    let c = check(await runDoctor({ file: s.config, env: {}, deps: deps() }), 'private-files');
    assert.equal(c.status, 'ok', c.detail);

    // as an older version wrote it: 0755 folders, 0644 files
    mkdirSync(join(dump, 'heart_rate'), { recursive: true });
    writeFileSync(join(dump, 'heart_rate', '2026-05-01.csv'), 'timestamp,value,source\n');
    writeFileSync(join(dump, 'manifest.json'), '{}\n');
    chmodSync(dump, 0o755);
    chmodSync(join(dump, 'heart_rate'), 0o755);
    chmodSync(join(dump, 'heart_rate', '2026-05-01.csv'), 0o644);
    chmodSync(join(dump, 'manifest.json'), 0o600);
    let r = await runDoctor({ file: s.config, env: {}, deps: deps() });
    c = check(r, 'private-files');
    assert.equal(c.status, 'problem');
    assert.match(c.detail, new RegExp(`1 dump file\\(s\\) of 3 entries in ${esc(dump)} are readable by every local user`));
    assert.equal(c.fix, `Run: chmod -R go-rwx '${dump}'`);
    assert.equal(r.exitCode, 1);

    chmodSync(join(dump, 'heart_rate', '2026-05-01.csv'), 0o600);
    c = check(await runDoctor({ file: s.config, env: {}, deps: deps() }), 'private-files');
    assert.equal(c.status, 'warn');
    assert.match(c.detail, /can be listed by other users \(mode 0755\); the files themselves are private/);

    execFileSync('sh', ['-c', (c.fix ?? '').replace(/^Run: /, '')]);
    r = await runDoctor({ file: s.config, env: {}, deps: deps() });
    c = check(r, 'private-files');
    assert.equal(c.status, 'ok', c.detail);
    assert.match(c.detail, new RegExp(`dump folder ${esc(dump)} mode 0700, 3 entries: none open to group or others`));
  });
});

describe('the configuration', () => {
  test('an invalid configuration is one problem naming the file and the key; nothing else is checked', async () => {
    const dir = tmp.mkdir('badcfg');
    const cfg = join(dir, 'config.yaml');
    writeFileSync(cfg, 'log:\n  level: loud\n');
    const r = await runDoctor({ file: cfg, env: { FITBIT_BRIDGE_HTTP__PORT: '8788' }, deps: deps() });
    assert.equal(r.checks.length, 1);
    const c = check(r, 'config');
    assert.equal(c.status, 'problem');
    assert.match(c.detail, /config\.yaml:2:10: log\.level: expected one of/);
    assert.match(c.detail, /env FITBIT_BRIDGE_HTTP__PORT/);
    assert.equal(r.exitCode, 1);
  });

  test('an unknown FITBIT_BRIDGE_ variable is reported', async () => {
    const s = await setup(tmp, { google: emuGoogle() });
    const r = await runDoctor({ file: s.config, env: { FITBIT_BRIDGE_NOPE: '1' }, deps: deps() });
    assert.equal(check(r, 'config').status, 'problem');
    assert.match(check(r, 'config').detail, /env FITBIT_BRIDGE_NOPE: no configuration key/);
  });
});

describe('the takeout drop folder', () => {
  test('missing: a problem; an export that failed to import and is still there: a warning', async () => {
    const dropDir = join(tmp.mkdir('drop-parent'), 'drop');
    const s = await setup(tmp, { google: emuGoogle(), yaml: `takeout:\n  drop_folder: ${dropDir}\n` });
    let r = await runDoctor({ file: s.config, env: {}, deps: deps() });
    assert.equal(check(r, 'drop-folder').status, 'problem');
    assert.match(check(r, 'drop-folder').detail, /cannot read .*drop: .*ENOENT/);

    mkdirSync(dropDir);
    r = await runDoctor({ file: s.config, env: {}, deps: deps() });
    assert.equal(check(r, 'drop-folder').status, 'ok');

    // the watcher of `run` records a broken archive
    writeFileSync(join(dropDir, 'takeout-20260601T120000Z-001.zip'), Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(3000, 9)]));
    const store = tmp.store(s.store);
    let t = 0;
    const w = new DropFolderWatcher({ dir: dropDir, account: 'default', store, logger: silentLogger(), settleMs: 1000, clock: () => t });
    await w.scan();
    t += 1000;
    assert.equal((await w.scan())[0]?.kind, 'failed');
    store.close();
    r = await runDoctor({ file: s.config, env: {}, deps: deps() });
    const c = check(r, 'drop-folder');
    assert.equal(c.status, 'warn');
    assert.match(c.detail, /1 export in .* could not be imported: takeout-20260601T120000Z\.zip: .*truncated/);
    assert.equal(r.exitCode, 0);
  });
});

describe('the command', () => {
  async function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ stdout: string; exitCode: number | undefined }> {
    const program = new Command('fitbit-bridge').option('--db <file>').option('--config <file>').option('--log-level <level>').exitOverride();
    const cmd = doctorCommand();
    cmd.copyInheritedSettings(program);
    program.addCommand(cmd);
    const chunks: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const saved = { ...process.env };
    const savedExit = process.exitCode;
    process.exitCode = undefined;
    for (const k of Object.keys(process.env)) if (k.startsWith('FITBIT_BRIDGE_')) delete process.env[k];
    Object.assign(process.env, env);
    (process.stdout as { write: unknown }).write = (c: string | Uint8Array): boolean => {
      chunks.push(String(c));
      return true;
    };
    try {
      await program.parseAsync(['node', 'fitbit-bridge', ...args]);
      const exitCode = typeof process.exitCode === 'number' ? process.exitCode : undefined;
      return { stdout: chunks.join(''), exitCode };
    } finally {
      (process.stdout as { write: unknown }).write = write;
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
      process.exitCode = savedExit;
    }
  }

  test('--json on a broken setup exits 1; the table on a healthy one exits 0', async () => {
    const bad = await setup(tmp, { google: emuGoogle(), tokens: { default: { refreshTokenExpiresAt: Date.now() - 60_000 } } });
    const j = await runCli(['--config', bad.config, 'doctor', '--json', '--timeout', '2'], {});
    assert.equal(j.exitCode, 1);
    const report = JSON.parse(j.stdout) as DoctorReport;
    assert.equal(report.ok, false);
    assert.equal(report.checks.find((c) => c.id === 'auth:default')?.status, 'problem');

    const good = await setup(tmp, { google: emuGoogle(), tokens: { default: { refreshTokenExpiresAt: Date.now() + 6 * DAY } } });
    const t = await runCli(['--config', good.config, 'doctor'], {});
    assert.equal(t.exitCode, 0, t.stdout);
    assert.match(t.stdout, /doctor: no problems/);
  });
});
