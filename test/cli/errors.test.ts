/**
 * describeError (src/cli/errors.ts) is the one mapping of errors to the CLI's message and exit
 * code: every BridgeError by its own exitCode and describe(), platform errors by their codes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { AddonError } from '../../src/addon/options.js';
import { MissingClientError } from '../../src/auth/flow.js';
import { RedirectError } from '../../src/auth/loopback.js';
import { OAuthError, ReauthNeededError } from '../../src/auth/oauth-client.js';
import { CliError, describeError, inputError, storeError, usageError } from '../../src/cli/errors.js';
import { ConfigError } from '../../src/config/load.js';
import { BridgeError, errText, InterruptedError, isAbortReason } from '../../src/errors.js';
import { EXIT } from '../../src/exit-codes.js';
import { NoTimezoneError } from '../../src/sources/google-health/account.js';
import {
  healthApiError,
  HealthApiError,
  HealthApiTransportError,
  reauthRequiredError,
  UnexpectedResponseError,
} from '../../src/sources/google-health/errors.js';
import { ArchiveError } from '../../src/sources/takeout/archive.js';
import { StoreFullError } from '../../src/store/types.js';

const status = (code: number, s: string, reason?: string): string =>
  JSON.stringify({
    error: { code, message: 'msg', status: s, details: reason ? [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason }] : [] },
  });

test('every BridgeError subclass maps to its exit code', () => {
  const cases: [BridgeError, number][] = [
    [new CliError('x', 'y', EXIT.PARTIAL), EXIT.PARTIAL],
    [usageError('bad flag'), EXIT.USAGE],
    [inputError('no such file', 'Check the path'), EXIT.INPUT],
    [storeError('cannot open', 'Check it'), EXIT.STORE],
    [new ConfigError(['a: bad']), EXIT.USAGE],
    [new StoreFullError('/x/store.db'), EXIT.STORE],
    [new ArchiveError('/x.zip', '/x.zip: truncated'), EXIT.INPUT],
    [new ArchiveError('/x.zip', '/x.zip: belongs to another account', undefined, 'other-profile'), EXIT.USAGE],
    [new ReauthNeededError('alice', 'invalid_grant'), EXIT.USAGE],
    [new MissingClientError(), EXIT.USAGE],
    [new NoTimezoneError('alice'), EXIT.USAGE],
    [new AddonError('options.json: bad'), EXIT.USAGE],
    [new OAuthError(400, 'invalid_client', ''), EXIT.PARTIAL],
    [new RedirectError('state mismatch'), EXIT.PARTIAL],
    [healthApiError(401, status(401, 'UNAUTHENTICATED')), EXIT.USAGE],
    [healthApiError(403, status(403, 'PERMISSION_DENIED', 'ACCOUNT_NOT_LINKED')), EXIT.USAGE],
    [healthApiError(500, status(500, 'INTERNAL')), EXIT.PARTIAL],
    [reauthRequiredError('GET /x'), EXIT.USAGE],
    [new UnexpectedResponseError(404, 'text/html', '<html>', 'an HTML page'), EXIT.PARTIAL],
    [new HealthApiTransportError('network', 'GET', '/x', 3, 'GET /x: could not reach the Google Health API'), EXIT.PARTIAL],
    [new InterruptedError(), EXIT.PARTIAL],
  ];
  for (const [e, code] of cases) {
    assert.ok(e instanceof BridgeError, e.name);
    const d = describeError(e);
    assert.equal(d.exitCode, code, `${e.name}: ${e.message}`);
    assert.equal(d.message, e.describe(), e.name);
    assert.doesNotMatch(d.message, /unexpected error/, e.name);
  }
});

test('an ArchiveError of another profile is a usage error by its property, never by its text', () => {
  // no "profile" in the text: still exit 2
  assert.equal(describeError(new ArchiveError('/a.zip', '/a.zip: of somebody else', undefined, 'other-profile')).exitCode, EXIT.USAGE);
  // "profile" in a path of an unreadable input: still exit 4
  const unreadable = new ArchiveError('/home/profile/a.zip', '/home/profile/a.zip: no such file or folder');
  assert.equal(unreadable.problem, 'unreadable');
  assert.deepEqual(describeError(unreadable), { message: '/home/profile/a.zip: no such file or folder.', exitCode: EXIT.INPUT });
});

test('the messages the CLI printed before the base existed are unchanged', () => {
  assert.deepEqual(describeError(usageError('bad flag')), { message: "bad flag. Run 'fitbit-bridge --help' for usage.", exitCode: EXIT.USAGE });
  assert.equal(new CliError('no such thing', 'Give another.', EXIT.USAGE).message, 'no such thing. Give another.');
  assert.equal(
    describeError(new ConfigError(['a.yaml:1:1: x: unknown key'])).message,
    'invalid configuration: a.yaml:1:1: x: unknown key. Fix the configuration (every key is described in config.example.yaml).',
  );
  assert.equal(
    describeError(new ConfigError(['one', 'two'])).message,
    'invalid configuration:\n  one\n  two\nFix the configuration (every key is described in config.example.yaml).',
  );
  assert.equal(new ConfigError(['one', 'two']).message, 'one\ntwo');
  const full = new StoreFullError('/x/store.db');
  assert.equal(
    full.message,
    'the disk holding /x/store.db is full: nothing of the current file was written and the store is intact. Free some space and run the command again.',
  );
  assert.equal(describeError(full).message, full.message);
  const reauth = new ReauthNeededError('alice', 'missing');
  assert.equal(reauth.message, 'account alice is not authorised yet; run: fitbit-bridge auth --account alice');
  assert.equal(describeError(reauth).message, 'account alice is not authorised yet. Run fitbit-bridge auth --account alice.');
  const api = healthApiError(500, status(500, 'INTERNAL')) as HealthApiError;
  assert.equal(api.message, 'Google Health API 500 INTERNAL: msg — Google had a temporary problem; the bridge backs off and tries again.');
  assert.equal(
    reauthRequiredError('GET /x').message,
    'GET /x: Google Health API 401 UNAUTHENTICATED again right after a token refresh — the authorisation is no longer valid: run `fitbit-bridge auth` again for this account.',
  );
  assert.equal(new MissingClientError().message, 'no Google OAuth client is configured (google.client_id)');
  assert.equal(new AddonError('options.json: bad').message, 'options.json: bad');
});

test('platform errors keep their mapping; anything else is unexpected', () => {
  const db = new Database(':memory:');
  let sqlite: unknown;
  try {
    db.exec('SELECT * FROM nope');
  } catch (e) {
    sqlite = e;
  }
  db.close();
  assert.equal(describeError(sqlite).exitCode, EXIT.STORE);
  assert.match(describeError(sqlite).message, /^store error: no such table: nope\. Check the store file/);
  const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: x`), { code, path: '/p' });
  assert.deepEqual(describeError(errno('ENOSPC')), {
    message: 'the disk is full (writing /p). Free some space and run the command again.',
    exitCode: EXIT.STORE,
  });
  assert.deepEqual(describeError(errno('ENOENT')), { message: 'not found: /p. Check the path.', exitCode: EXIT.INPUT });
  assert.deepEqual(describeError(errno('EACCES')), { message: 'permission denied: /p. Check the file permissions.', exitCode: EXIT.INPUT });
  assert.deepEqual(describeError(new Error('boom')), {
    message: 'unexpected error: boom. Run again with --log-level debug for details.',
    exitCode: EXIT.PARTIAL,
  });
  // an error that merely calls itself like one of ours is not one of ours
  const fake = Object.assign(new Error('/x.zip: bad profile'), { name: 'ArchiveError' });
  assert.equal(describeError(fake).exitCode, EXIT.PARTIAL);
});

test('errText and isAbortReason', () => {
  assert.equal(errText(new Error('boom')), 'boom');
  assert.equal(errText('plain'), 'plain');
  assert.equal(errText(42), '42');
  assert.ok(isAbortReason(new InterruptedError()));
  assert.ok(isAbortReason(new DOMException('aborted', 'AbortError')));
  assert.ok(isAbortReason(AbortSignal.abort().reason));
  assert.ok(isAbortReason(new DOMException('timed out', 'TimeoutError')));
  assert.ok(!isAbortReason(Object.assign(new Error('x'), { name: 'AbortError' })));
  assert.ok(!isAbortReason(new Error('bye')));
});
