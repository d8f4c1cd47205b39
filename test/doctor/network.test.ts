/**
 * The network checks of `fitbit-bridge doctor` against real servers: a mosquitto with users, a
 * VictoriaMetrics, the Google emulator, and small HTTP servers that answer 401 / 404 / 503 or
 * never answer.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import mqtt from 'mqtt';
import { runDoctor, type CheckResult, type DoctorReport } from '../../src/doctor/index.js';
import { startGoogleEmulator, type GoogleEmulator } from '../../src/emulator/index.js';
import { decodeWriteRequest } from '../../src/sinks/remote-write/protobuf.js';
import { snappyUncompress } from '../../src/sinks/remote-write/snappy.js';
import { freePort, Mosquitto } from '../support/mosquitto.js';
import { Tmp } from '../support/tmp.js';
import { VictoriaMetrics } from '../support/victoria-metrics.js';
import { deps, setup } from './helpers.js';

const tmp = new Tmp('fb-doctor-net-');
let emu: GoogleEmulator;
let broker: Mosquitto;

before(async () => {
  [emu, broker] = await Promise.all([startGoogleEmulator({ days: 2 }), Mosquitto.start({ users: { fitbit: 's3cret' } })]);
});

after(async () => {
  await Promise.all([emu.close(), broker.cleanup()]);
  tmp.cleanup();
});

function emuGoogle(): Record<string, string> {
  return { token_endpoint: emu.tokenEndpoint, api_base_url: emu.apiBaseUrl, authorize_endpoint: emu.authorizeEndpoint };
}

function check(r: DoctorReport, id: string): CheckResult {
  const c = r.checks.find((x) => x.id === id);
  assert.ok(c, `no check ${id}`);
  return c;
}

interface Seen {
  method: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** An HTTP server answering every request with `status` (or never, for null); records the requests. */
async function httpServer(status: number | null, body = ''): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      if (status === null) return; // hang
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('mqtt', () => {
  test('a real connect with the configured credentials: ok; a wrong password or no broker: problem', async () => {
    const good = await setup(tmp, { google: emuGoogle(), yaml: `mqtt:\n  server: ${broker.url}\n  username: fitbit\n  password: s3cret\n` });
    let r = await runDoctor({ file: good.config, env: {}, deps: deps() });
    assert.equal(check(r, 'mqtt').status, 'ok', check(r, 'mqtt').detail);
    assert.match(check(r, 'mqtt').detail, /connected to mqtt:\/\/127\.0\.0\.1:\d+\/? as fitbit/);
    assert.equal(r.exitCode, 0);

    const wrong = await setup(tmp, { google: emuGoogle(), yaml: `mqtt:\n  server: ${broker.url}\n  username: fitbit\n  password: nope\n` });
    r = await runDoctor({ file: wrong.config, env: {}, deps: deps() });
    const m = check(r, 'mqtt');
    assert.equal(m.status, 'problem');
    assert.match(m.detail, /not authorised|bad user name or password/);
    assert.match(m.fix ?? '', /mqtt\.username and mqtt\.password/);
    assert.doesNotMatch(JSON.stringify(r), /nope/, 'the password is never shown');
    assert.equal(r.exitCode, 1);

    const port = await freePort();
    const none = await setup(tmp, { google: emuGoogle(), yaml: `mqtt:\n  server: mqtt://127.0.0.1:${port}\n` });
    r = await runDoctor({ file: none.config, env: {}, deps: deps() });
    assert.equal(check(r, 'mqtt').status, 'problem');
    assert.match(check(r, 'mqtt').detail, /ECONNREFUSED/);
    assert.match(check(r, 'mqtt').fix ?? '', /Check mqtt\.server/);
  });

  test('the check does not kick a running bridge off the broker (a client id of its own)', async () => {
    const bridge = await mqtt.connectAsync(broker.url, { clientId: 'fitbit-bridge-fixed', username: 'fitbit', password: 's3cret', reconnectPeriod: 0 });
    let closed = false;
    bridge.on('close', () => {
      closed = true;
    });
    try {
      const s = await setup(tmp, {
        google: emuGoogle(),
        yaml: `mqtt:\n  server: ${broker.url}\n  username: fitbit\n  password: s3cret\n  client_id: fitbit-bridge-fixed\n`,
      });
      const r = await runDoctor({ file: s.config, env: {}, deps: deps() });
      assert.equal(check(r, 'mqtt').status, 'ok');
      await new Promise((res) => setTimeout(res, 200));
      assert.equal(closed, false);
      assert.equal(bridge.connected, true);
    } finally {
      await bridge.endAsync(true);
    }
  });
});

describe('remote write', () => {
  test('a real VictoriaMetrics accepts the empty write request', async () => {
    const vm = await VictoriaMetrics.start();
    try {
      const s = await setup(tmp, { google: emuGoogle(), yaml: `remote_write:\n  url: ${vm.remoteWriteUrl}\n` });
      const r = await runDoctor({ file: s.config, env: {}, deps: deps() });
      const c = check(r, 'remote-write');
      assert.equal(c.status, 'ok', c.detail);
      assert.match(c.detail, /accepted an empty write request \(HTTP 204/);
    } finally {
      await vm.cleanup();
    }
  });

  test('the request is an empty snappy WriteRequest with the configured auth and headers; 401 / 404 / 503 / no answer', async () => {
    const srv401 = await httpServer(401, 'unauthorized');
    const srv404 = await httpServer(404, 'remote write receiver needs to be enabled with --web.enable-remote-write-receiver');
    const srv503 = await httpServer(503, 'overloaded');
    const hang = await httpServer(null);
    try {
      const yaml = (url: string): string =>
        `remote_write:\n  url: ${url}/api/v1/write\n  username: fitbit\n  password: pw-secret\n  headers:\n    X-Scope-OrgID: fitbit\n`;
      let s = await setup(tmp, { google: emuGoogle(), yaml: yaml(srv401.url) });
      let r = await runDoctor({ file: s.config, env: {}, deps: deps() });
      let c = check(r, 'remote-write');
      assert.equal(c.status, 'problem');
      assert.match(c.detail, /refused the credentials \(HTTP 401\)/);
      assert.match(c.fix ?? '', /remote_write\.username/);
      const req = srv401.seen[0] as Seen;
      assert.equal(req.method, 'POST');
      assert.equal(req.headers['content-encoding'], 'snappy');
      assert.equal(req.headers['content-type'], 'application/x-protobuf');
      assert.equal(req.headers['x-prometheus-remote-write-version'], '0.1.0');
      assert.equal(req.headers['x-scope-orgid'], 'fitbit');
      assert.equal(req.headers.authorization, `Basic ${Buffer.from('fitbit:pw-secret').toString('base64')}`);
      assert.deepEqual(decodeWriteRequest(snappyUncompress(req.body)), [], 'no series: nothing is written');
      assert.doesNotMatch(JSON.stringify(r), /pw-secret/);

      s = await setup(tmp, { google: emuGoogle(), yaml: yaml(srv404.url) });
      r = await runDoctor({ file: s.config, env: {}, deps: deps() });
      c = check(r, 'remote-write');
      assert.equal(c.status, 'problem');
      assert.match(c.detail, /no remote-write receiver \(HTTP 404\): remote write receiver needs to be enabled/);
      assert.match(c.fix ?? '', /--web\.enable-remote-write-receiver/);

      s = await setup(tmp, { google: emuGoogle(), yaml: yaml(srv503.url) });
      r = await runDoctor({ file: s.config, env: {}, deps: deps() });
      assert.equal(check(r, 'remote-write').status, 'warn');
      assert.equal(r.exitCode, 0);

      s = await setup(tmp, { google: emuGoogle(), yaml: yaml(hang.url) });
      const t0 = Date.now();
      r = await runDoctor({ file: s.config, env: {}, deps: deps({ timeoutMs: 500 }) });
      assert.ok(Date.now() - t0 < 5000, 'the short timeout applies');
      assert.equal(check(r, 'remote-write').status, 'problem');
      assert.match(check(r, 'remote-write').detail, /timed out/);
    } finally {
      await Promise.all([srv401.close(), srv404.close(), srv503.close(), hang.close()]);
    }
  });
});

describe('google endpoints', () => {
  test('any HTTP answer is reachable (404, 401 included); no answer is a problem', async () => {
    const srv401 = await httpServer(401);
    const port = await freePort();
    try {
      const s = await setup(tmp, { google: { token_endpoint: `${srv401.url}/token`, api_base_url: `http://127.0.0.1:${port}` } });
      const r = await runDoctor({ file: s.config, env: {}, deps: deps() });
      assert.equal(check(r, 'reach:token-endpoint').status, 'ok');
      assert.match(check(r, 'reach:token-endpoint').detail, /reachable \(HTTP 401/);
      const api = check(r, 'reach:api');
      assert.equal(api.status, 'problem');
      assert.match(api.detail, /not reachable: .*ECONNREFUSED/);
      assert.match(api.fix ?? '', /google\.api_base_url/);
      assert.equal(r.exitCode, 1);
    } finally {
      await srv401.close();
    }
  });
});
