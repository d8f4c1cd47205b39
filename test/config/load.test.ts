import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError, configFilePath, loadConfig, loadConfigWith, resolveSecretFiles } from '../../src/config/load.js';
import { configSchema, defaultStorePath, userPaths } from '../../src/config/schema.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'fb-config-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** The ConfigError thrown by fn (fails the test when nothing or something else is thrown). */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a ConfigError, nothing was thrown');
}

describe('defaults', () => {
  test('every key has its default when nothing is configured', () => {
    const cfg = loadConfig({ env: {}, file: file('empty.yaml', '') });
    assert.deepEqual(cfg, {
      store: { path: join(userPaths().data, 'fitbit-bridge.db') },
      log: { level: 'info' },
      accounts: [{ name: 'default' }],
      takeout: { drop_poll_seconds: 60, drop_settle_seconds: 120, sleep_version: 'newest' },
      dump: { format: 'csv', sleep_alternatives: false },
      google: {
        authorize_endpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
        token_endpoint: 'https://oauth2.googleapis.com/token',
        api_base_url: 'https://health.googleapis.com',
        quota_per_minute: 300,
        token_dir: join(userPaths().data, 'tokens'),
      },
      sync: {
        overlap_hours: 48,
        overlap_every_hours: 6,
        recent_overlap_minutes: 10,
        recent_types: ['heart-rate'],
        recheck_days: 3,
        backfill_days: 3650,
        keep_raw_pages: true,
      },
      schedule: { recent: '*/5 * * * *', daily: '7 */3 * * *', backfill: '*/10 * * * *' },
      http: { enabled: true, bind: '127.0.0.1', port: 8787, allowed_hosts: [], allowed_clients: [] },
      remote_write: { headers: {}, batch_samples: 10000, timeout_seconds: 30, max_backoff_seconds: 60, daily_settle_hours: 12 },
      mqtt: {
        base_topic: 'fitbit-bridge',
        discovery: true,
        discovery_prefix: 'homeassistant',
        keepalive: 60,
        reject_unauthorized: true,
        expire_after_seconds: 3600,
      },
    });
    assert.equal(cfg.store.path, defaultStorePath());
    assert.match(cfg.store.path, /fitbit-bridge[/\\]fitbit-bridge\.db$/);
  });

  test('the schema alone fills defaults for an empty object', () => {
    assert.deepEqual(configSchema.parse({}), {
      store: {},
      log: { level: 'info' },
      accounts: [{ name: 'default' }],
      takeout: { drop_poll_seconds: 60, drop_settle_seconds: 120, sleep_version: 'newest' },
      dump: { format: 'csv', sleep_alternatives: false },
      google: {
        authorize_endpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
        token_endpoint: 'https://oauth2.googleapis.com/token',
        api_base_url: 'https://health.googleapis.com',
        quota_per_minute: 300,
      },
      sync: {
        overlap_hours: 48,
        overlap_every_hours: 6,
        recent_overlap_minutes: 10,
        recent_types: ['heart-rate'],
        recheck_days: 3,
        backfill_days: 3650,
        keep_raw_pages: true,
      },
      schedule: { recent: '*/5 * * * *', daily: '7 */3 * * *', backfill: '*/10 * * * *' },
      http: { enabled: true, bind: '127.0.0.1', port: 8787, allowed_hosts: [], allowed_clients: [] },
      remote_write: { headers: {}, batch_samples: 10000, timeout_seconds: 30, max_backoff_seconds: 60, daily_settle_hours: 12 },
      mqtt: {
        base_topic: 'fitbit-bridge',
        discovery: true,
        discovery_prefix: 'homeassistant',
        keepalive: 60,
        reject_unauthorized: true,
        expire_after_seconds: 3600,
      },
    });
  });

  test('no file given and none at the default location: defaults only', () => {
    const env = { FITBIT_BRIDGE_CONFIG: undefined };
    // configFilePath only returns the default path when that file exists
    const p = configFilePath({ env });
    if (p !== null) assert.ok(p.endsWith('config.yaml'));
    assert.equal(configFilePath({ env, file: '/x/y.yaml' }), '/x/y.yaml');
    assert.equal(configFilePath({ env: { FITBIT_BRIDGE_CONFIG: '/e/c.yaml' } }), '/e/c.yaml');
  });

  test('FITBIT_BRIDGE_CONFIG names the file', () => {
    const p = file('via-env.yaml', 'log:\n  level: warn\n');
    assert.equal(loadConfig({ env: { FITBIT_BRIDGE_CONFIG: p } }).log.level, 'warn');
  });

  test('an explicit file that does not exist is an error', () => {
    const err = configError(() => loadConfig({ env: {}, file: join(dir, 'missing.yaml') }));
    assert.match(err.message, /missing\.yaml: cannot read the configuration file \(no such file\)/);
  });

  test('empty sections (only comments below the key) mean "not set"', () => {
    const cfg = loadConfig({ env: {}, file: file('nulls.yaml', 'store:\n  # path: x\ntakeout:\naccounts:\n  - name: bob\n    timezone:\n') });
    assert.deepEqual(cfg.takeout, { drop_poll_seconds: 60, drop_settle_seconds: 120, sleep_version: 'newest' });
    assert.deepEqual(cfg.accounts, [{ name: 'bob' }]);
  });
});

describe('validation errors', () => {
  test('unknown key: file:line:col and the key path', () => {
    const p = file('unknown.yaml', 'log:\n  level: info\n  colour: true\nstore:\n  path: /x.db\n');
    const err = configError(() => loadConfig({ env: {}, file: p }));
    assert.equal(err.issues.length, 1);
    assert.equal(err.issues[0], `${p}:3:3: log.colour: unknown key; known keys here: level`);
  });

  test('unknown top-level key', () => {
    const p = file('unknown-top.yaml', 'influxdb:\n  host: x\n');
    const err = configError(() => loadConfig({ env: {}, file: p }));
    assert.match(
      err.message,
      new RegExp(
        `^${p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:1:1: influxdb: unknown key; known keys here: store, log, accounts, takeout, dump, google, sync, schedule, http, remote_write, mqtt$`,
      ),
    );
  });

  test('wrong type: expected …, got …', () => {
    const p = file('types.yaml', 'store:\n  path: 12\nlog:\n  level: loud\naccounts:\n  - name: "a b"\n  - timezone: Mars/Olympus\n');
    const err = configError(() => loadConfig({ env: {}, file: p }));
    assert.deepEqual(err.issues, [
      `${p}:2:9: store.path: expected a string, got number 12`,
      `${p}:4:10: log.level: expected one of fatal, error, warn, info, debug, trace, got "loud"`,
      `${p}:6:11: accounts.0.name: expected letters, digits, "_", "." and "-", starting with a letter or digit, got "a b"`,
      `${p}:7:5: accounts.1.name: expected a string, got nothing`,
      `${p}:7:15: accounts.1.timezone: expected an IANA time zone name such as Europe/Berlin or America/New_York, got "Mars/Olympus"`,
    ]);
  });

  test('duplicate account names and an empty account list are rejected', () => {
    const dup = configError(() => loadConfig({ env: {}, file: file('dup.yaml', 'accounts:\n  - name: a\n  - name: a\n') }));
    assert.match(dup.message, /:2:3: accounts: expected account names that are all different/);
    const empty = configError(() => loadConfig({ env: {}, file: file('none.yaml', 'accounts: []\n') }));
    assert.match(empty.message, /:1:11: accounts: expected at least 1 item, got a list of 0 items/);
  });

  test('YAML syntax errors carry line and column', () => {
    const p = file('bad.yaml', 'log:\n  level: info\n   store: x\n');
    const err = configError(() => loadConfig({ env: {}, file: p }));
    assert.match(err.message, new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:2:10: invalid YAML: `));
  });

  test('a top level that is not a mapping', () => {
    const err = configError(() => loadConfig({ env: {}, file: file('list.yaml', '- a\n- b\n') }));
    assert.match(err.message, /list\.yaml:1:1: \(top level\): expected a mapping of keys, got a list of 2 items/);
  });
});

describe('environment', () => {
  test('nested key', () => {
    assert.equal(loadConfig({ env: { FITBIT_BRIDGE_LOG__LEVEL: 'debug' } }).log.level, 'debug');
    assert.equal(loadConfig({ env: { FITBIT_BRIDGE_STORE__PATH: '/data/x.db' } }).store.path, '/data/x.db');
  });

  test("array keys, merged into the file's list item", () => {
    const p = file('acc.yaml', 'accounts:\n  - name: bob\n    timezone: Europe/Berlin\n');
    const cfg = loadConfig({
      file: p,
      env: { FITBIT_BRIDGE_ACCOUNTS__0__NAME: 'alice', FITBIT_BRIDGE_ACCOUNTS__1__NAME: '007', FITBIT_BRIDGE_ACCOUNTS__1__TIMEZONE: 'UTC' },
    });
    assert.deepEqual(cfg.accounts, [
      { name: 'alice', timezone: 'Europe/Berlin' },
      { name: '007', timezone: 'UTC' },
    ]);
  });

  test('a whole list as a YAML flow value', () => {
    const cfg = loadConfig({ env: { FITBIT_BRIDGE_ACCOUNTS: '[{name: a}, {name: b, timezone: Asia/Tokyo}]' } });
    assert.deepEqual(cfg.accounts, [{ name: 'a' }, { name: 'b', timezone: 'Asia/Tokyo' }]);
  });

  test('a gap in list indexes is an error naming the variable', () => {
    const err = configError(() => loadConfig({ env: { FITBIT_BRIDGE_ACCOUNTS__1__NAME: 'b' } }));
    assert.match(err.message, /accounts\.0: missing; list items must be numbered from 0/);
  });

  test('values are validated; the message names the variable', () => {
    const err = configError(() => loadConfig({ env: { FITBIT_BRIDGE_LOG__LEVEL: 'loud' } }));
    assert.equal(err.message, 'env FITBIT_BRIDGE_LOG__LEVEL: log.level: expected one of fatal, error, warn, info, debug, trace, got "loud"');
    const num = configError(() => loadConfig({ env: { FITBIT_BRIDGE_ACCOUNTS: '5' } }));
    assert.equal(num.message, 'env FITBIT_BRIDGE_ACCOUNTS: accounts: expected a list, got number 5');
  });

  test('an unknown variable is an error naming it', () => {
    const err = configError(() => loadConfig({ env: { FITBIT_BRIDGE_LOG__COLOUR: 'red' } }));
    assert.match(err.message, /^env FITBIT_BRIDGE_LOG__COLOUR: no configuration key FITBIT_BRIDGE_LOG__COLOUR; keys there: LEVEL/);
    const top = configError(() => loadConfig({ env: { FITBIT_BRIDGE_INFLUXDB__HOST: 'x' } }));
    assert.match(top.message, /^env FITBIT_BRIDGE_INFLUXDB__HOST: no configuration key FITBIT_BRIDGE_INFLUXDB;/);
  });

  test('reserved variables and unrelated variables are left alone', () => {
    const cfg = loadConfig({ env: { FITBIT_BRIDGE_LOG_LEVEL: 'silent', FITBIT_BRIDGE_CONFIG: '', HOME: '/root', FITBIT: 'x' } });
    assert.equal(cfg.log.level, 'info');
  });

  test('FITBIT_BRIDGE_DB sets store.path and beats FITBIT_BRIDGE_STORE__PATH', () => {
    assert.equal(loadConfig({ env: { FITBIT_BRIDGE_DB: '/a.db' } }).store.path, '/a.db');
    assert.equal(loadConfig({ env: { FITBIT_BRIDGE_DB: '/a.db', FITBIT_BRIDGE_STORE__PATH: '/b.db' } }).store.path, '/a.db');
  });
});

describe('precedence flag > env > file > default', () => {
  test('each layer beats the ones below', () => {
    const p = file('prec.yaml', 'log:\n  level: warn\ndump:\n  format: jsonl\nstore:\n  path: /file.db\n');
    // file beats default
    assert.equal(loadConfig({ file: p, env: {} }).log.level, 'warn');
    assert.equal(loadConfig({ file: p, env: {} }).dump.format, 'jsonl');
    // env beats file
    const env = { FITBIT_BRIDGE_LOG__LEVEL: 'error', FITBIT_BRIDGE_DB: '/env.db' };
    assert.equal(loadConfig({ file: p, env }).log.level, 'error');
    assert.equal(loadConfig({ file: p, env }).store.path, '/env.db');
    // flag beats env
    const cfg = loadConfig({ file: p, env, overrides: { 'log.level': 'trace', 'store.path': '/flag.db', 'dump.dir': undefined } });
    assert.equal(cfg.log.level, 'trace');
    assert.equal(cfg.store.path, '/flag.db');
    assert.equal(cfg.dump.format, 'jsonl');
    assert.equal(cfg.dump.dir, undefined);
  });

  test('errors point at the layer the value came from', () => {
    const p = file('prec-err.yaml', 'log:\n  level: loud\n');
    const err = configError(() => loadConfig({ file: p, env: {}, overrides: { 'log.level': 'loud2' }, overrideNames: { 'log.level': '--log-level' } }));
    assert.equal(err.message, 'flag --log-level: log.level: expected one of fatal, error, warn, info, debug, trace, got "loud2"');
  });

  test('an unknown override key is an error', () => {
    const err = configError(() => loadConfig({ env: {}, overrides: { 'store.size': 1 } }));
    assert.equal(err.message, 'flag --store.size: no configuration key store.size');
  });
});

describe('secrets from files (*_file), with a test-only schema', () => {
  const schema = z.strictObject({
    mqtt: z
      .strictObject({
        user: z.string().optional(),
        password: z.string().min(12).optional(),
        port: z.number().int().default(1883),
      })
      .prefault({}),
    clients: z.array(z.strictObject({ id: z.string(), client_secret: z.string() })).default([]),
  });

  test('X_file in the YAML file: content (trailing newline trimmed) becomes X; relative to the file', () => {
    file('pw.txt', 'correct horse battery\n');
    file('cs.txt', 's3cr3t-value\r\n');
    const p = file('secrets.yaml', 'mqtt:\n  user: u\n  password_file: pw.txt\nclients:\n  - id: a\n    client_secret_file: cs.txt\n');
    const cfg = loadConfigWith(schema, { file: p, env: {} });
    assert.deepEqual(cfg, { mqtt: { user: 'u', password: 'correct horse battery', port: 1883 }, clients: [{ id: 'a', client_secret: 's3cr3t-value' }] });
  });

  test('X_file from env (FITBIT_BRIDGE_…_X_FILE) and from an override', () => {
    const pw = file('pw2.txt', 'another long password\n');
    const env = { FITBIT_BRIDGE_MQTT__PASSWORD_FILE: pw, FITBIT_BRIDGE_MQTT__PORT: '8883' };
    const cfg = loadConfigWith(schema, { env });
    assert.equal(cfg.mqtt.password, 'another long password');
    assert.equal(cfg.mqtt.port, 8883);
    const cfg2 = loadConfigWith(schema, { env: {}, overrides: { 'clients.0.id': 'x', 'clients.0.client_secret_file': pw } });
    assert.deepEqual(cfg2.clients, [{ id: 'x', client_secret: 'another long password' }]);
  });

  test('a missing file: error names the key and the path', () => {
    const p = file('secrets-missing.yaml', 'mqtt:\n  password_file: nope.txt\n');
    const err = configError(() => loadConfigWith(schema, { file: p, env: {} }));
    assert.equal(err.message, `${p}:2:18: mqtt.password_file: cannot read ${join(dir, 'nope.txt')} (no such file)`);
    const envErr = configError(() => loadConfigWith(schema, { env: { FITBIT_BRIDGE_MQTT__PASSWORD_FILE: '/nonexistent/pw' } }));
    assert.equal(envErr.message, 'env FITBIT_BRIDGE_MQTT__PASSWORD_FILE: mqtt.password_file: cannot read /nonexistent/pw (no such file)');
  });

  test('the content never appears in error messages', () => {
    const pw = file('short.txt', 'hunter2\n');
    const p = file('secrets-short.yaml', `mqtt:\n  password_file: ${pw}\nclients:\n  - id: a\n    client_secret_file: ${pw}\n    extra: 1\n`);
    const err = configError(() => loadConfigWith(schema, { file: p, env: {} }));
    assert.ok(!err.message.includes('hunter2'), err.message);
    assert.match(err.message, /mqtt\.password: expected at least 12 characters, got a value that is not shown \(secret\)/);
    assert.match(err.message, /clients\.0\.extra: unknown key/);
  });

  test('X and X_file together is an error; X_file for an unknown X is an unknown key', () => {
    const pw = file('pw3.txt', 'a long enough password\n');
    const both = configError(() => loadConfigWith(schema, { env: {}, file: file('both.yaml', `mqtt:\n  password: abcdefghijklmn\n  password_file: ${pw}\n`) }));
    assert.match(both.message, /mqtt\.password_file: password is set as well; set either password or password_file, not both/);
    const unknown = configError(() => loadConfigWith(schema, { env: {}, file: file('unk.yaml', `mqtt:\n  token_file: ${pw}\n`) }));
    assert.match(unknown.message, /mqtt\.token_file: unknown key/);
    const unknownEnv = configError(() => loadConfigWith(schema, { env: { FITBIT_BRIDGE_MQTT__TOKEN_FILE: pw } }));
    assert.match(unknownEnv.message, /^env FITBIT_BRIDGE_MQTT__TOKEN_FILE: no configuration key/);
  });

  test('resolveSecretFiles works on plain data with any schema', () => {
    const pw = file('pw4.txt', 'xyz\n');
    const data: Record<string, unknown> = { mqtt: { password_file: pw } };
    const secrets = resolveSecretFiles(schema, data);
    assert.deepEqual(data, { mqtt: { password: 'xyz' } });
    assert.deepEqual(secrets, [['mqtt', 'password']]);
  });
});

test('config.example.yaml validates and equals the defaults', () => {
  const example = fileURLToPath(new URL('../../config.example.yaml', import.meta.url));
  const cfg = loadConfig({ file: example, env: {} });
  assert.deepEqual(cfg, loadConfig({ env: {}, file: file('empty2.yaml', '') }));
});
