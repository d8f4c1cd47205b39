/** Fault injection: every kind, matching, counting, seeded random faults, counters and the HTTP control surface. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ACCOUNT_NOT_LINKED_BODY } from '../../src/emulator/health-api.js';
import { dp, startClient } from './helpers.js';

const STEPS = dp('steps');

async function refresh(url: string, refreshToken: string, clientId: string, secret: string): Promise<{ status: number; body: unknown }> {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId, client_secret: secret }).toString(),
  });
  return { status: r.status, body: await r.json() };
}

test('each kind answers once, then the API answers again', async () => {
  const c = await startClient();
  try {
    const table: { spec: Parameters<typeof c.emu.faults.add>[0]; status: number; check?: (a: Awaited<ReturnType<typeof c.get>>) => void }[] = [
      {
        spec: { kind: '429' },
        status: 429,
        check: (a) => {
          assert.equal(a.headers.get('retry-after'), '1');
          assert.equal((a.body as { error: { status: string } }).error.status, 'RESOURCE_EXHAUSTED');
        },
      },
      { spec: { kind: '429', retryAfterSec: 7 }, status: 429, check: (a) => assert.equal(a.headers.get('retry-after'), '7') },
      { spec: { kind: '429', retryAfterSec: null }, status: 429, check: (a) => assert.equal(a.headers.get('retry-after'), null) },
      {
        spec: { kind: '500' },
        status: 500,
        check: (a) => assert.deepEqual(a.body, { error: { code: 500, message: 'Internal error encountered.', status: 'INTERNAL' } }),
      },
      { spec: { kind: '503' }, status: 503, check: (a) => assert.equal((a.body as { error: { status: string } }).error.status, 'UNAVAILABLE') },
      { spec: { kind: 'account-not-linked' }, status: 400, check: (a) => assert.deepEqual(a.body, ACCOUNT_NOT_LINKED_BODY) },
      {
        spec: { kind: 'html-404' },
        status: 404,
        check: (a) => {
          assert.match(a.headers.get('content-type') ?? '', /^text\/html/);
          assert.match(a.text, /Error 404 \(Not Found\)!!1/);
        },
      },
    ];
    for (const { spec, status, check } of table) {
      c.emu.faults.add(spec);
      const a = await c.get(STEPS, { pageSize: 1 });
      assert.equal(a.status, status, JSON.stringify(spec));
      check?.(a);
      assert.equal((await c.get(STEPS, { pageSize: 1 })).status, 200, `${spec.kind}: times defaults to 1`);
    }
    assert.deepEqual(ACCOUNT_NOT_LINKED_BODY.error.details?.[0]?.metadata, { redirect_uri: 'https://fitbit.google.com/auth/signup' });
    assert.equal(c.emu.api.quota.used(), table.length, 'faulted requests consume no quota');
    const counts = c.emu.requests.snapshot().requests[`GET ${STEPS}`];
    assert.deepEqual(counts, { 200: 7, 429: 3, 500: 1, 503: 1, 400: 1, 404: 1 });
    assert.equal(c.emu.faults.fired['429'], 3);
  } finally {
    await c.close();
  }
});

test('match, after and times', async () => {
  const c = await startClient();
  try {
    c.emu.faults.add({ kind: '503', after: 2, times: 2, match: { path: '/dataTypes/heart-rate/' } });
    c.emu.faults.add({ kind: '500', times: Infinity, match: { path: /:rollUp$/, method: 'POST' } });
    const hr = dp('heart-rate');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await c.get(hr, { pageSize: 1 })).status);
    assert.deepEqual(statuses, [200, 200, 503, 503, 200, 200]);
    assert.equal((await c.get(STEPS, { pageSize: 1 })).status, 200, 'another path is not matched');
    for (let i = 0; i < 3; i++) assert.equal((await c.post(dp('steps', ':rollUp'), {})).status, 500);
    assert.equal((await c.get(dp('steps', ':reconcile'), { pageSize: 1 })).status, 200);
    const listed = c.emu.faults.list();
    assert.equal(listed[0]?.fired, 2);
    assert.equal(listed[1]?.fired, 3);
    c.emu.faults.clear();
    assert.equal((await c.post(dp('steps', ':rollUp'), {})).status, 400, 'cleared: the real answer (bad request body)');
  } finally {
    await c.close();
  }
});

test('timeout hangs until the client gives up; truncated cuts the body', async () => {
  const c = await startClient();
  try {
    c.emu.faults.add({ kind: 'timeout' });
    const started = Date.now();
    await assert.rejects(fetch(c.emu.url + STEPS, { headers: { authorization: `Bearer ${c.token}` }, signal: AbortSignal.timeout(300) }), /abort|timeout/i);
    assert.ok(Date.now() - started >= 250);
    c.emu.faults.add({ kind: 'truncated' });
    const r = await fetch(`${c.emu.url}${STEPS}?pageSize=50`, { headers: { authorization: `Bearer ${c.token}` } });
    assert.equal(r.status, 200, 'the real status and headers');
    assert.ok(Number(r.headers.get('content-length')) > 1000);
    await assert.rejects(r.text(), 'the body ends early');
    assert.equal((await c.get(STEPS, { pageSize: 1 })).status, 200);
    await new Promise((res) => setTimeout(res, 50));
    const counts = c.emu.requests.snapshot().requests[`GET ${STEPS}`];
    assert.equal(counts?.timeout, 1);
    assert.equal(counts?.truncated, 1);
  } finally {
    await c.close();
  }
});

test('revoke mid-sync: this and the next calls 401, refresh → invalid_grant', async () => {
  const c = await startClient();
  try {
    const tokens = c.emu.issueTokens();
    const auth = { authorization: `Bearer ${tokens.access_token}` };
    assert.equal((await fetch(c.emu.url + STEPS, { headers: auth })).status, 200);
    c.emu.faults.add({ kind: 'revoke', after: 1 });
    assert.equal((await fetch(c.emu.url + STEPS, { headers: auth })).status, 200);
    assert.equal((await fetch(c.emu.url + STEPS, { headers: auth })).status, 401);
    assert.equal((await fetch(c.emu.url + STEPS, { headers: auth })).status, 401);
    const r = await refresh(c.emu.tokenEndpoint, tokens.refresh_token, c.emu.clientId, c.emu.clientSecret);
    assert.deepEqual(r, { status: 400, body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' } });
  } finally {
    await c.close();
  }
});

test('seeded random faults: the same seed gives the same faults, about the rate', async () => {
  const run = async (seed: number): Promise<number[]> => {
    const c = await startClient({ quotaPerMinute: 10_000 });
    try {
      c.emu.faults.random({ rate: 0.3, seed, kinds: ['500', '503', '429'] });
      const out: number[] = [];
      for (let i = 0; i < 120; i++) out.push((await c.get(STEPS, { pageSize: 1, prettyPrint: 'false' })).status);
      return out;
    } finally {
      await c.close();
    }
  };
  const a = await run(11),
    b = await run(11),
    other = await run(12);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, other);
  const faulted = a.filter((s) => s !== 200).length;
  assert.ok(faulted > 15 && faulted < 60, `${faulted} of 120 at rate 0.3`);
  assert.ok(new Set(a.filter((s) => s !== 200)).size === 3, 'every kind occurs');
});

test('the HTTP control surface drives an emulator in another process', async () => {
  const c = await startClient();
  try {
    const ctl = (path: string, method = 'GET', body?: unknown) =>
      fetch(`${c.emu.url}/__emulator/${path}`, {
        method,
        ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
    const added = await ctl('faults', 'POST', { kind: '503', times: 2, match: { pathRegex: 'dataTypes/steps/dataPoints$' } });
    assert.equal(added.status, 200);
    assert.equal(added.body.kind, '503');
    assert.equal((await c.get(STEPS)).status, 503);
    assert.equal((await c.get(STEPS)).status, 503);
    assert.equal((await c.get(STEPS, { pageSize: 1 })).status, 200);
    const stats = await ctl('stats');
    assert.deepEqual((stats.body.requests as Record<string, unknown>)[`GET ${STEPS}`], { 200: 1, 503: 2 });
    assert.deepEqual(stats.body.quota, { used: 1, limit: 300 });
    assert.equal((await ctl('faults', 'POST', { kind: 'nope' })).status, 400);
    assert.equal((await ctl('faults')).body.faults instanceof Array, true);
    assert.equal((await ctl('faults', 'DELETE')).status, 200);
    assert.deepEqual((await ctl('faults')).body, { faults: [] });
    const tok = await ctl('tokens', 'POST', { scopes: ['https://www.googleapis.com/auth/googlehealth.sleep.readonly'] });
    const sleepOnly = { authorization: `Bearer ${String(tok.body.access_token)}` };
    assert.equal((await fetch(c.emu.url + dp('sleep'), { headers: sleepOnly })).status, 200);
    assert.equal((await fetch(c.emu.url + STEPS, { headers: sleepOnly })).status, 403);
    const before = c.emu.now();
    const moved = await ctl('clock', 'POST', { advanceMs: 90_000 });
    assert.equal(moved.body.nowMs, before + 90_000);
    assert.equal(c.emu.api.quota.used(), 0, 'the quota window moved with the clock');
    const cfg = await ctl('config');
    assert.deepEqual(cfg.body.google, c.emu.config);
    assert.equal((await ctl('revoke', 'POST')).status, 200);
    assert.equal((await c.get(STEPS)).status, 401);
    const nf = await fetch(`${c.emu.url}/__emulator/nothing`);
    assert.equal(nf.status, 404);
    assert.match(nf.headers.get('content-type') ?? '', /^text\/html/);
    await nf.text();
  } finally {
    await c.close();
  }
});
