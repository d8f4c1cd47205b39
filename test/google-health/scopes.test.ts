/**
 * The table of the methods the bridge calls and their scopes (src/sources/google-health/scopes.ts)
 * against the vendored discovery document: every method exists there and the scope the bridge
 * asks for is one of that method's `scopes`; the consent asks for exactly the table's scopes. The
 * messages about a missing scope name it, the call that needs it and the command. (That a sync
 * calls exactly the table's methods: test/sync/scopes.test.ts.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { DEFAULT_DISCOVERY_URL } from '../../scripts/gen-api-types.js';
import { READ_SCOPES } from '../../src/auth/oauth-client.js';
import { DATA_TYPES as EMULATOR_TYPES } from '../../src/emulator/health-api.js';
import { DATA_TYPES } from '../../src/sources/google-health/datatypes.js';
import { HealthApiError, healthApiError } from '../../src/sources/google-health/errors.js';
import { warnMissingScopes } from '../../src/sources/google-health/account.js';
import {
  CALLED_METHODS,
  CONSENT_SCOPES,
  GET_SETTINGS,
  methodOfRequest,
  missingConsentScopes,
  missingScopeMessage,
  readScope,
} from '../../src/sources/google-health/scopes.js';
import { bufferLogger } from '../auth/helpers.js';
import { SCOPE_INSUFFICIENT_BODY } from '../support/google-errors.js';

interface Method {
  id: string;
  scopes?: string[];
}
interface Resource {
  methods?: Record<string, Method>;
  resources?: Record<string, Resource>;
}
const discovery = JSON.parse(readFileSync(DEFAULT_DISCOVERY_URL, 'utf8')) as Resource & { auth: { oauth2: { scopes: Record<string, unknown> } } };

function methods(r: Resource, out = new Map<string, Method>()): Map<string, Method> {
  for (const m of Object.values(r.methods ?? {})) out.set(m.id, m);
  for (const sub of Object.values(r.resources ?? {})) methods(sub, out);
  return out;
}
const DISCOVERY_METHODS = methods(discovery);
const SETTINGS = readScope('settings');

describe('the methods the bridge calls and their scopes', () => {
  test("every method of the table exists in the discovery document, and its scope is one of the method's scopes", () => {
    assert.ok(CALLED_METHODS.length >= 3);
    for (const m of CALLED_METHODS) {
      const d = DISCOVERY_METHODS.get(m.method);
      assert.ok(d, `${m.method} is not a method of the discovery document`);
      assert.ok(d.scopes?.includes(m.scope), `${m.method}: ${m.scope} is not one of its scopes (${d.scopes?.join(' ')})`);
      assert.ok(READ_SCOPES.includes(m.scope), `${m.method}: the consent does not ask for ${m.scope}`);
    }
  });

  test('the consent asks for exactly the scopes of the table: settings.readonly yes, profile.readonly no', () => {
    assert.deepEqual([...READ_SCOPES], [...CONSENT_SCOPES]);
    assert.deepEqual(new Set(READ_SCOPES), new Set(CALLED_METHODS.map((m) => m.scope)));
    for (const s of READ_SCOPES) assert.ok(s in discovery.auth.oauth2.scopes, `${s} is not a scope of the discovery document`);
    assert.ok(READ_SCOPES.includes(SETTINGS));
    assert.ok(!READ_SCOPES.includes(readScope('profile')), 'no method the bridge calls needs profile.readonly');
    const settings = CALLED_METHODS.filter((m) => m.scope === SETTINGS).map((m) => m.method);
    assert.deepEqual(settings, [GET_SETTINGS]);
  });

  test('every data type the sync reads is in the table with its method, and the emulator asks for the same scope', () => {
    for (const d of DATA_TYPES) {
      const rows = CALLED_METHODS.filter((m) => m.dataTypes.includes(d.id));
      assert.equal(rows.length, 1, d.id);
      assert.equal(rows[0]?.method, `health.users.dataTypes.dataPoints.${d.method}`);
      assert.equal(rows[0]?.scope, readScope(d.scope));
      assert.equal(EMULATOR_TYPES.get(d.id)?.scope, d.scope, `the emulator's scope of ${d.id}`);
    }
  });

  test('request paths map onto discovery methods', () => {
    const cases: [string, string, string, string | null][] = [
      ['GET', '/v4/users/me/dataTypes/heart-rate/dataPoints', 'health.users.dataTypes.dataPoints.list', 'heart-rate'],
      ['GET', '/v4beta/users/me/dataTypes/steps/dataPoints:reconcile', 'health.users.dataTypes.dataPoints.reconcile', 'steps'],
      ['POST', '/v4/users/me/dataTypes/floors/dataPoints:rollUp', 'health.users.dataTypes.dataPoints.rollUp', 'floors'],
      ['POST', '/v4/users/me/dataTypes/steps/dataPoints:dailyRollUp', 'health.users.dataTypes.dataPoints.dailyRollUp', 'steps'],
      ['GET', '/v4/users/me/settings', 'health.users.getSettings', null],
      ['GET', '/v4/users/me/profile', 'health.users.getProfile', null],
      ['GET', '/v4/users/me/identity', 'health.users.getIdentity', null],
      ['GET', '/v4/users/me/pairedDevices', 'health.users.pairedDevices.list', null],
    ];
    for (const [verb, path, method, dataType] of cases) {
      assert.deepEqual(methodOfRequest(verb, path), { method, dataType }, path);
      assert.ok(DISCOVERY_METHODS.has(method), method);
    }
    assert.equal(methodOfRequest('GET', '/v4/users/me/nothing'), null);
  });
});

describe('a missing scope is named precisely', () => {
  const OLD_CONSENT = ['activity_and_fitness', 'health_metrics_and_measurements', 'sleep', 'profile'].map(readScope);

  test('an authorisation from before settings.readonly was asked for lacks exactly it', () => {
    assert.deepEqual(missingConsentScopes(OLD_CONSENT), [SETTINGS]);
    assert.deepEqual(missingConsentScopes(READ_SCOPES), []);
    // the older suffix-less names count
    assert.deepEqual(missingConsentScopes([...OLD_CONSENT, 'https://www.googleapis.com/auth/googlehealth.settings']), []);
  });

  test('the message: scope, the call that needs it and why, what goes on meanwhile, the command', () => {
    const withZone = missingScopeMessage('alice', SETTINGS, 'Europe/Berlin');
    assert.match(withZone, /account alice lacks googlehealth\.settings\.readonly, which users\.getSettings needs to read the account's time zone/);
    assert.match(withZone, /Meanwhile the sync goes on with the configured time zone Europe\/Berlin/);
    assert.match(withZone, /run: fitbit-bridge auth --account alice/);
    assert.match(missingScopeMessage('alice', SETTINGS, null), /Meanwhile no sync can start unless a time zone is known \(accounts\[\]\.timezone\)/);
    const sleep = missingScopeMessage('bob', readScope('sleep'), 'Europe/Berlin');
    assert.match(sleep, /lacks googlehealth\.sleep\.readonly, which dataPoints\.list needs to read sleep\b/);
    assert.match(sleep, /Meanwhile sleep is not synced, the other data types are/);
  });

  test('403 ACCESS_TOKEN_SCOPE_INSUFFICIENT of getSettings: the advice names settings.readonly, not "tick every requested permission"', () => {
    const body = JSON.stringify(SCOPE_INSUFFICIENT_BODY);
    const e = healthApiError(403, body, 'application/json', null, { method: 'GET', path: '/v4/users/me/settings' });
    assert.ok(e instanceof HealthApiError);
    assert.equal(e.kind, 'missing-scope');
    assert.equal(e.reason, 'ACCESS_TOKEN_SCOPE_INSUFFICIENT');
    assert.match(e.advice, /lacks googlehealth\.settings\.readonly, which users\.getSettings needs to read the account's time zone/);
    assert.match(e.advice, /authorisations made before fitbit-bridge asked for it lack it\); meanwhile no sync can start/);
    assert.match(e.advice, /Run `fitbit-bridge auth` again for this account and allow googlehealth\.settings\.readonly on Google's consent page/);
    assert.doesNotMatch(e.message, /tick every requested permission/);
    // a data type: its scope and the others go on
    const hr = healthApiError(403, body, 'application/json', null, { method: 'GET', path: '/v4/users/me/dataTypes/heart-rate/dataPoints' });
    assert.ok(hr instanceof HealthApiError);
    assert.match(hr.advice, /lacks googlehealth\.health_metrics_and_measurements\.readonly, which dataPoints\.list needs to read heart-rate/);
    assert.match(hr.advice, /its box was left unticked on Google's consent page\); meanwhile heart-rate, .* are not synced, the other data types are/);
    // a call the bridge does not make: the general advice
    const profile = healthApiError(403, body, 'application/json', null, { method: 'GET', path: '/v4/users/me/profile' });
    assert.ok(profile instanceof HealthApiError);
    assert.match(profile.advice, /^A permission this request needs is not in the authorisation of this account/);
  });

  test('the warning is given once per account and process', () => {
    const log = bufferLogger();
    const OLD = ['activity_and_fitness', 'health_metrics_and_measurements', 'sleep', 'profile'].map(readScope);
    for (let i = 0; i < 3; i++) assert.deepEqual(warnMissingScopes('scopes-test-a', OLD, 'Europe/Berlin', log.logger), [SETTINGS]);
    warnMissingScopes('scopes-test-b', READ_SCOPES, null, log.logger);
    const lines = log
      .text()
      .split('\n')
      .filter((l) => l.includes('settings.readonly'));
    assert.equal(lines.length, 1, log.text());
    assert.match(lines[0] ?? '', /"account":"scopes-test-a"/);
    assert.match(lines[0] ?? '', /"level":40/);
  });
});
