/**
 * Hostile input, files (issue 13): what the bridge creates is private (0600 files, 0700 folders,
 * whatever the umask; a stricter umask narrows it; an existing file keeps its mode), `X_file`
 * keys read only small regular files, the config file is read up to a limit, and a YAML alias
 * bomb is reported as such. Each case ends with a clear error (naming key and path, or file) and
 * leaves the store as it was (never created by a configuration that fails).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext } from '../../src/cli/context.js';
import { describeError } from '../../src/cli/errors.js';
import { ConfigError, loadConfig, MAX_SECRET_FILE_BYTES } from '../../src/config/load.js';
import { runDump } from '../../src/sinks/dump/index.js';
import { exportOpenMetrics } from '../../src/sinks/openmetrics/export.js';
import { openStore } from '../../src/store/store.js';
import type { SeriesKey, Store } from '../../src/store/types.js';
import { silentLogger } from '../../src/util/log.js';
import { ensurePrivateFile, mkdirPrivate } from '../../src/util/private-fs.js';
import { Tmp } from '../support/tmp.js';

const tmp = new Tmp('fb-hostile-files-');
after(() => tmp.cleanup());

const posix = process.platform !== 'win32';
const modeOf = (p: string): string => (statSync(p).mode & 0o777).toString(8).padStart(4, '0');

/** Runs `fn` with the process umask set to `mask` (restored after). */
async function withUmask<T>(mask: number, fn: () => T | Promise<T>): Promise<T> {
  const old = process.umask(mask);
  try {
    return await fn();
  } finally {
    process.umask(old);
  }
}

/** Every file and folder below `dir` (not following links) with its mode. */
function modesBelow(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    out.set(p, modeOf(p));
    if (statSync(p).isDirectory()) for (const [k, v] of modesBelow(p)) out.set(k, v);
  }
  return out;
}

const HR: SeriesKey = { account: 'me', metric: 'heart_rate', source: 'Inspire 3' };
const EXPORT = { exportMs: Date.UTC(2026, 4, 1) };

function seed(store: Store, value = 60): void {
  store.setAccount({ name: 'me', profileId: null, timezone: 'UTC' });
  store.writeSamples(
    HR,
    [
      { t: Date.UTC(2026, 3, 6, 12), offset: 0, v: value },
      { t: Date.UTC(2026, 3, 7, 12), offset: 0, v: 61 },
    ],
    EXPORT,
  );
}

describe('private files', { skip: !posix && 'no POSIX file modes' }, () => {
  test('the store, its -wal and -shm are 0600 and every folder created for it 0700, even with umask 000', async () => {
    const dir = tmp.mkdir('store');
    const path = join(dir, 'a', 'b', 'fitbit-bridge.db');
    await withUmask(0, () => {
      const store = openStore(path);
      try {
        seed(store);
        assert.equal(modeOf(path), '0600');
        assert.equal(modeOf(`${path}-wal`), '0600');
        assert.equal(modeOf(`${path}-shm`), '0600');
        assert.equal(modeOf(join(dir, 'a')), '0700');
        assert.equal(modeOf(join(dir, 'a', 'b')), '0700');
      } finally {
        store.close();
      }
    });
  });

  test('the default per-user store folder (the CLI path) is 0700, the store 0600', async () => {
    const xdg = join(tmp.mkdir('xdg'), 'share');
    const old = process.env.XDG_DATA_HOME;
    process.env.XDG_DATA_HOME = xdg;
    try {
      await withUmask(0o022, async () => {
        const cfg = join(tmp.mkdir('cfg-default'), 'config.yaml');
        writeFileSync(cfg, 'log:\n  level: warn\n'); // no store.path: the default one
        const ctx = createContext({ config: cfg }, {});
        assert.equal(ctx.storePath, join(xdg, 'fitbit-bridge', 'fitbit-bridge.db'));
        const store = await ctx.openStore();
        try {
          seed(store);
        } finally {
          store.close();
        }
        assert.equal(modeOf(join(xdg, 'fitbit-bridge')), '0700');
        assert.equal(modeOf(ctx.storePath), '0600');
      });
    } finally {
      if (old === undefined) delete process.env.XDG_DATA_HOME;
      else process.env.XDG_DATA_HOME = old;
    }
  });

  test('a stricter umask narrows the modes further (they are given at creation, never widened by a chmod)', async () => {
    const dir = tmp.mkdir('umask');
    await withUmask(0o377, () => {
      mkdirPrivate(join(dir, 'd'));
      ensurePrivateFile(join(dir, 'f'));
    });
    assert.equal(modeOf(join(dir, 'd')), '0400');
    assert.equal(modeOf(join(dir, 'f')), '0400');
  });

  test('an existing store keeps its mode (doctor reports it; nothing is chmod-ed silently)', async () => {
    const path = join(tmp.mkdir('old-store'), 'old.db');
    openStore(path).close();
    chmodSync(path, 0o644);
    const store = openStore(path);
    try {
      seed(store);
    } finally {
      store.close();
    }
    assert.equal(modeOf(path), '0644');
  });

  test('dump: new folders 0700 and files 0600 with umask 000; a file it replaces keeps its mode', async () => {
    const store = tmp.store();
    seed(store);
    const root = join(tmp.mkdir('dump'), 'nested', 'out');
    await withUmask(0, async () => {
      const r = await runDump({ store, dir: root, format: 'csv', logger: silentLogger() });
      assert.ok(r.filesWritten > 0);
      const modes = modesBelow(root);
      assert.ok(modes.size > 3, [...modes.keys()].join(', '));
      for (const [p, m] of modes) assert.equal(m, statSync(p).isDirectory() ? '0700' : '0600', p);
      assert.equal(modeOf(root), '0700');
      assert.equal(modeOf(join(root, '..')), '0700');

      // a day file made public by its owner stays so when the dump rewrites it
      const day = join(root, 'heart_rate', '2026-04-06.csv');
      chmodSync(day, 0o644);
      store.writeSamples(HR, [{ t: Date.UTC(2026, 3, 6, 13), offset: 0, v: 70 }], EXPORT);
      const again = await runDump({ store, dir: root, format: 'csv', logger: silentLogger() });
      assert.ok(again.filesWritten > 0);
      assert.equal(modeOf(day), '0644');
      assert.equal(modeOf(join(root, 'heart_rate', '2026-04-07.csv')), '0600');
    });
  });

  test('export-openmetrics: a new file is 0600, a replaced one keeps its mode', async () => {
    const store = tmp.store();
    seed(store);
    const file = join(tmp.mkdir('om'), 'fitbit.om');
    await withUmask(0, async () => {
      await exportOpenMetrics({ store, file });
      assert.equal(modeOf(file), '0600');
      chmodSync(file, 0o640);
      await exportOpenMetrics({ store, file });
      assert.equal(modeOf(file), '0640');
    });
  });
});

// ---- configuration files --------------------------------------------------------------------

let cfgN = 0;
/** A config file whose store lives in its own (not yet existing) folder, plus `yaml`. */
function writeConfig(yaml: string): string {
  const dir = tmp.mkdir('cfg');
  const file = join(dir, `config-${++cfgN}.yaml`);
  writeFileSync(file, `store:\n  path: ${join(dir, 'data', 'store.db')}\n${yaml}`);
  return file;
}

/** Loads `file` through the CLI path; it must fail with a ConfigError, and create no store. */
function configFails(file: string): { message: string; exitCode: number } {
  const started = Date.now();
  let caught: unknown;
  try {
    createContext({ config: file }, {});
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  assert.ok(Date.now() - started < 5000, 'refused at once, not after reading');
  assert.equal(existsSync(join(file, '..', 'data')), false, 'no store folder was created');
  const d = describeError(caught);
  assert.doesNotMatch(d.message, /unexpected error/);
  return d;
}

describe('*_file keys read only small regular files', () => {
  test('/dev/zero, a FIFO, a folder and a file over the limit: a config error naming key and path, never read', { skip: !posix, timeout: 20_000 }, () => {
    const dir = tmp.mkdir('secrets');
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]); // no writer: opening it for reading would block for ever
    const huge = join(dir, 'huge.pem');
    writeFileSync(huge, Buffer.alloc(MAX_SECRET_FILE_BYTES + 1, 0x41));
    const cases: [string, string, RegExp][] = [
      ['/dev/zero', 'mqtt:\n  password_file: /dev/zero\n', /mqtt\.password_file: cannot read \/dev\/zero \(it is a character device, not a regular file\)/],
      [fifo, `google:\n  client_secret_file: ${fifo}\n`, /google\.client_secret_file: cannot read \S+fifo \(it is a named pipe, not a regular file\)/],
      [dir, `remote_write:\n  password_file: ${dir}\n`, /remote_write\.password_file: cannot read \S+ \(it is a directory\)/],
      [huge, `mqtt:\n  ca_file: ${huge}\n`, /mqtt\.ca_file: cannot read \S+huge\.pem \(it is larger than 1 MiB: 1048577 bytes\)/],
    ];
    for (const [what, yaml, re] of cases) {
      const d = configFails(writeConfig(yaml));
      assert.match(d.message, re, what);
      assert.equal(d.exitCode, 2, what);
    }
  });

  test('a regular file up to the limit, also through a symbolic link (Docker / Kubernetes secrets), is read', { skip: !posix }, () => {
    const dir = tmp.mkdir('secrets-ok');
    const pem = join(dir, 'ca.pem');
    const body = 'A'.repeat(MAX_SECRET_FILE_BYTES - 1);
    writeFileSync(pem, `${body}\n`); // exactly the limit
    mkdirSync(join(dir, '..data'));
    writeFileSync(join(dir, '..data', 'pw'), 'hunter2\n');
    symlinkSync(join(dir, '..data', 'pw'), join(dir, 'pw'));
    const cfg = loadConfig({ file: writeConfig(`mqtt:\n  ca_file: ${pem}\n  password_file: ${join(dir, 'pw')}\n`), env: {} });
    assert.equal(cfg.mqtt.ca, body);
    assert.equal(cfg.mqtt.password, 'hunter2');
  });
});

describe('the configuration file', () => {
  test('/dev/zero or a huge file as the config file: refused by size', { skip: !posix, timeout: 20_000 }, () => {
    const d = configFails('/dev/zero');
    assert.match(d.message, /\/dev\/zero: cannot read the configuration file \(it is larger than 1 MiB\)/);
    const big = join(tmp.mkdir('bigcfg'), 'config.yaml');
    writeFileSync(big, `# ${'x'.repeat(2 * 1024 * 1024)}\n`);
    assert.match(configFails(big).message, /config\.yaml: cannot read the configuration file \(it is larger than 1 MiB: 2097155 bytes\)/);
  });

  test('a YAML alias bomb ("billion laughs") is reported as such, with the file name', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const file = writeConfig(`${levels.join('\n')}\n`);
    const d = configFails(file);
    assert.match(d.message, /YAML aliases expand too much \(an alias bomb, "billion laughs": over 100 alias expansions\); refusing to load it/);
    assert.ok(d.message.includes(file), d.message);
    assert.equal(d.exitCode, 2);
  });
});
