// The emulator's own fault injection (src/emulator/faults.ts via startGoogleEmulator): each fault
// is survived (or typed) by the HealthClient, with the same points as a clean run.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ReauthNeededError, TokenManager, tokenSetFromResponse } from '../../src/auth/oauth-client.js';
import { startGoogleEmulator, type FaultKind, type GoogleEmulator } from '../../src/emulator/index.js';
import type { DataPoint } from '../../src/sources/google-health/api-types.js';
import { HealthClient, type RequestEvent } from '../../src/sources/google-health/client.js';
import { HealthApiError, UnexpectedResponseError } from '../../src/sources/google-health/errors.js';
import { rejection } from '../auth/helpers.js';
import { collect, FIRST, LAST, SEED, TZ, VirtualClock } from './client-harness.js';

const FILTER = 'heart_rate.sample_time.physical_time >= "2024-03-09T12:00:00Z" AND heart_rate.sample_time.physical_time < "2024-03-09T12:05:00Z"';

let g: GoogleEmulator;
let vc: VirtualClock;
let dir: string;
let tm: TokenManager;
let truth: DataPoint[];
const clients: HealthClient[] = [];
const events: RequestEvent[] = [];

function client(extra: Partial<ConstructorParameters<typeof HealthClient>[0]> = {}): HealthClient {
  const c = new HealthClient({
    baseUrl: g.apiBaseUrl,
    getAccessToken: (o) => tm.getAccessToken(o),
    clock: vc.clock,
    sleep: vc.sleep,
    timeoutMs: 300,
    onRequest: (e) => events.push(e),
    ...extra,
  });
  clients.push(c);
  return c;
}

before(async () => {
  vc = new VirtualClock();
  vc.busy = () => clients.reduce((n, c) => n + c.stats.inFlight(), 0);
  g = await startGoogleEmulator({ seed: SEED, timezone: TZ, firstDay: FIRST, lastDay: LAST, clock: vc.clock, variant: { emptyPages: 'none' } });
  dir = mkdtempSync(join(tmpdir(), 'fb-client-emu-'));
  tm = new TokenManager({ account: 'alice', dir, tokenEndpoint: g.tokenEndpoint, clientId: g.clientId, clientSecret: g.clientSecret, clock: vc.clock });
  await tm.save(tokenSetFromResponse(g.issueTokens(), vc.now));
  truth = (await collect(client().listAll('heart-rate', { filter: FILTER, pageSize: 10_000 }))).points;
  assert.ok(truth.length >= 40, `${truth.length} points`);
});
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await g.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the emulator's injected faults", () => {
  const transient: { kind: FaultKind; outcome: keyof HealthClient['stats']['requests'] }[] = [
    { kind: '429', outcome: 'rate_limited' },
    { kind: '500', outcome: 'server_error' },
    { kind: '503', outcome: 'server_error' },
    { kind: 'timeout', outcome: 'timeout' },
    { kind: 'truncated', outcome: 'truncated' },
  ];
  for (const { kind, outcome } of transient) {
    test(`${kind} twice in the middle of paging: same points as a clean run`, async () => {
      g.faults.clear();
      g.faults.add({ kind, after: 1, times: 2, match: { path: '/dataTypes/heart-rate/' }, ...(kind === '429' ? { retryAfterSec: 5 } : {}) });
      const c = client();
      const got = await collect(c.listAll('heart-rate', { filter: FILTER, pageSize: 10 }));
      assert.deepEqual(got.points, truth);
      assert.equal(c.stats.requests[outcome], 2, JSON.stringify(c.stats.requests));
      assert.equal(g.faults.list()[0]?.fired, 2);
    });
  }

  test('account-not-linked and html-404: typed, not retried', async () => {
    g.faults.clear();
    g.faults.add({ kind: 'account-not-linked', match: { path: '/dataTypes/heart-rate/' } });
    const c = client();
    const e = await rejection(c.listPage('heart-rate', { filter: FILTER }));
    assert.ok(e instanceof HealthApiError && e.kind === 'account-not-linked', String(e));
    g.faults.add({ kind: 'html-404', match: { path: '/dataTypes/heart-rate/' } });
    const e2 = await rejection(c.listPage('heart-rate', { filter: FILTER }));
    assert.ok(e2 instanceof UnexpectedResponseError && e2.httpStatus === 404, String(e2));
    assert.equal(c.stats.retries, 0);
  });

  test('revoke: 401, the forced refresh gets invalid_grant, ReauthNeededError', async () => {
    g.faults.clear();
    g.faults.add({ kind: 'revoke', match: { path: '/dataTypes/heart-rate/' } });
    const c = client();
    const e = await rejection(c.listPage('heart-rate', { filter: FILTER }));
    assert.ok(e instanceof ReauthNeededError, String(e));
    assert.equal(c.stats.requests.unauthenticated, 1);
  });
});
