/**
 * Doctor checks of the network endpoints the bridge talks to, each with a short timeout:
 *
 * - `reach:token-endpoint`, `reach:api` — Google's OAuth token endpoint and the Health API base
 *   (only when google.client_id is set: without a client the live source is off). A plain GET;
 *   ANY HTTP answer (404, 401, 405, …) means reachable → ok; 5xx → warn; no answer (DNS, refused,
 *   TLS, timeout) → problem.
 * - `mqtt` — when MQTT is on (mqtt.server set, mqtt.enabled not false): a real MQTT connect with
 *   the configured credentials and TLS settings, under a client id of its own
 *   (`fitbit-bridge-doctor_<random>`, so a running bridge with a fixed mqtt.client_id is not
 *   kicked off), no last will, disconnected right away. Refused credentials / not authorised →
 *   problem.
 * - `remote-write` — when remote_write.url is set: POSTs an EMPTY remote-write 1.0 WriteRequest
 *   (snappy-compressed protobuf, no series) with the configured auth and headers. This tests
 *   exactly what the sink does — the path, the credentials, and that the receiver is on
 *   (Prometheus answers 404 without --web.enable-remote-write-receiver) — and writes no sample.
 *   A GET of `/-/ready` or `/health` would not: both answer without credentials and whether or
 *   not remote write is enabled. 2xx → ok; 401/403 → problem (credentials); 404/405 → problem
 *   (wrong URL or receiver off); other 4xx → problem; 5xx → warn (reachable, TSDB in trouble:
 *   the sink retries); no answer → problem.
 */
import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions } from 'mqtt';
import { mqttEnabled } from '../config/schema.js';
import { encodeWriteRequest } from '../sinks/remote-write/protobuf.js';
import { snappyCompress } from '../sinks/remote-write/snappy.js';
import type { CheckContext, CheckResult } from './types.js';
import { errDetail } from './types.js';

/** A URL without user info, query or fragment (never show credentials). */
export function displayUrl(u: string): string {
  try {
    const x = new URL(u);
    x.username = '';
    x.password = '';
    x.search = '';
    x.hash = '';
    return x.toString();
  } catch {
    return u.replace(/\/\/[^@/]*@/, '//');
  }
}

interface HttpAnswer {
  status: number;
  ms: number;
  body: string;
}

async function httpRequest(url: string, init: { method: string; headers?: Record<string, string>; body?: Buffer }, timeoutMs: number): Promise<HttpAnswer> {
  const t0 = Date.now();
  const res = await fetch(url, {
    method: init.method,
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
    ...(init.headers ? { headers: init.headers } : {}),
    ...(init.body ? { body: init.body } : {}),
  });
  let body = '';
  try {
    body = (await res.text()).slice(0, 300);
  } catch {
    // a body cut short does not change that the server answered
  }
  return { status: res.status, ms: Date.now() - t0, body };
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim().slice(0, 160);
}

/** Reachability of one HTTP(S) endpoint by a plain GET. */
export async function checkHttpReachable(id: string, name: string, url: string, configKey: string, timeoutMs: number): Promise<CheckResult> {
  const shown = displayUrl(url);
  try {
    const a = await httpRequest(url, { method: 'GET', headers: { accept: 'application/json' } }, timeoutMs);
    const data = { url: shown, status: a.status, ms: a.ms };
    if (a.status >= 500) {
      return {
        id,
        name,
        status: 'warn',
        detail: `${shown} answered HTTP ${a.status} in ${a.ms} ms (reachable, but the server has trouble)`,
        fix: 'Usually passes by itself: the bridge retries. If it persists, check the service status and ' + configKey,
        data,
      };
    }
    return { id, name, status: 'ok', detail: `${shown} reachable (HTTP ${a.status} in ${a.ms} ms)`, data };
  } catch (e) {
    return {
      id,
      name,
      status: 'problem',
      detail: `${shown} not reachable: ${errDetail(e)}`,
      fix: `Check the network, DNS and any proxy / firewall of this machine, and ${configKey}`,
      data: { url: shown, error: errDetail(e) },
    };
  }
}

export async function checkGoogleReachable(ctx: CheckContext): Promise<CheckResult[]> {
  const g = ctx.config.google;
  if (!g.client_id) {
    return [{ id: 'reach:google', name: 'google endpoints', status: 'ok', detail: 'not checked: the live source is off (no google.client_id)' }];
  }
  return Promise.all([
    checkHttpReachable('reach:token-endpoint', 'google token endpoint', g.token_endpoint, 'google.token_endpoint', ctx.deps.timeoutMs),
    checkHttpReachable('reach:api', 'google health api', g.api_base_url, 'google.api_base_url', ctx.deps.timeoutMs),
  ]);
}

const CONNACK_REASONS: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'client id rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorised',
  134: 'bad user name or password',
  135: 'not authorised',
};

/** A real MQTT connect (and disconnect) with the configured settings. */
export async function checkMqtt(ctx: CheckContext): Promise<CheckResult> {
  const m = ctx.config.mqtt;
  const base = { id: 'mqtt', name: 'mqtt broker' } as const;
  if (!mqttEnabled(ctx.config) || m.server === undefined) {
    return { ...base, status: 'ok', detail: m.server === undefined ? 'not checked: MQTT is off (no mqtt.server)' : 'not checked: mqtt.enabled is false' };
  }
  const server = m.server;
  const shown = displayUrl(server);
  const timeoutMs = ctx.deps.timeoutMs;
  const options: IClientOptions = {
    clientId: `fitbit-bridge-doctor_${randomBytes(4).toString('hex')}`,
    keepalive: m.keepalive,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs,
    protocolVersion: 4,
    rejectUnauthorized: m.reject_unauthorized,
  };
  if (m.username !== undefined) options.username = m.username;
  if (m.password !== undefined) options.password = m.password;
  if (m.ca !== undefined) options.ca = m.ca;
  if (m.cert !== undefined) options.cert = m.cert;
  if (m.key !== undefined) options.key = m.key;
  const t0 = Date.now();
  const outcome = await new Promise<{ ok: true } | { ok: false; error: string; code: number | string | null }>((resolve) => {
    let done = false;
    const client = mqtt.connect(server, options);
    const finish = (r: { ok: true } | { ok: false; error: string; code: number | string | null }): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      client.end(true, () => resolve(r));
      // end() calls back even when the socket never opened; guard against a client that does not
      setTimeout(() => resolve(r), 1000).unref();
    };
    const timer = setTimeout(() => finish({ ok: false, error: `no CONNACK within ${timeoutMs} ms`, code: null }), timeoutMs + 250);
    client.once('connect', () => finish({ ok: true }));
    client.on('error', (e: Error & { code?: number | string }) => {
      const code = e.code ?? null;
      const reason = typeof code === 'number' && CONNACK_REASONS[code] ? `${CONNACK_REASONS[code]} (CONNACK ${code})` : errDetail(e);
      finish({ ok: false, error: reason, code });
    });
    client.once('close', () => finish({ ok: false, error: 'the connection was closed before the broker accepted it', code: null }));
  });
  const ms = Date.now() - t0;
  const data = { server: shown, ms, username: m.username ?? null };
  if (outcome.ok) {
    return { ...base, status: 'ok', detail: `connected to ${shown}${m.username !== undefined ? ` as ${m.username}` : ' (anonymous)'} in ${ms} ms`, data };
  }
  const auth = outcome.code === 4 || outcome.code === 5 || outcome.code === 134 || outcome.code === 135;
  return {
    ...base,
    status: 'problem',
    data: { ...data, error: outcome.error, code: outcome.code },
    detail: `cannot connect to ${shown}: ${outcome.error}`,
    fix: auth
      ? "Check mqtt.username and mqtt.password (or password_file) against the broker's users / ACL"
      : 'Check mqtt.server (host, port, mqtt:// vs mqtts://), that the broker runs and that this machine may reach it; for TLS, mqtt.ca / reject_unauthorized',
  };
}

/** An empty remote-write WriteRequest (no series) with the configured auth and headers. */
export async function checkRemoteWrite(ctx: CheckContext): Promise<CheckResult> {
  const r = ctx.config.remote_write;
  const base = { id: 'remote-write', name: 'remote write' } as const;
  if (r.url === undefined) return { ...base, status: 'ok', detail: 'not checked: remote write is off (no remote_write.url)' };
  const shown = displayUrl(r.url);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) headers[k.toLowerCase()] = v;
  if (r.bearer_token !== undefined) headers.authorization = `Bearer ${r.bearer_token}`;
  else if (r.username !== undefined) headers.authorization = `Basic ${Buffer.from(`${r.username}:${r.password ?? ''}`).toString('base64')}`;
  Object.assign(headers, {
    'content-type': 'application/x-protobuf',
    'content-encoding': 'snappy',
    'x-prometheus-remote-write-version': '0.1.0',
    'user-agent': 'fitbit-bridge-doctor',
  });
  const body = snappyCompress(encodeWriteRequest([]));
  try {
    const a = await httpRequest(r.url, { method: 'POST', headers, body }, ctx.deps.timeoutMs);
    const data = { url: shown, status: a.status, ms: a.ms };
    const said = a.body.trim() !== '' ? `: ${oneLine(a.body)}` : '';
    if (a.status >= 200 && a.status < 300) {
      return { ...base, status: 'ok', detail: `${shown} accepted an empty write request (HTTP ${a.status} in ${a.ms} ms)`, data };
    }
    if (a.status === 401 || a.status === 403) {
      return {
        ...base,
        status: 'problem',
        data,
        detail: `${shown} refused the credentials (HTTP ${a.status})${said}`,
        fix: 'Check remote_write.username / password (or password_file) or bearer_token, and the tenant header (remote_write.headers) if the TSDB wants one',
      };
    }
    if (a.status === 404 || a.status === 405) {
      return {
        ...base,
        status: 'problem',
        data,
        detail: `${shown} has no remote-write receiver (HTTP ${a.status})${said}`,
        fix: 'Check the path of remote_write.url (Prometheus and VictoriaMetrics: /api/v1/write); Prometheus must run with --web.enable-remote-write-receiver',
      };
    }
    if (a.status >= 500) {
      return {
        ...base,
        status: 'warn',
        data,
        detail: `${shown} answered HTTP ${a.status}${said} (reachable, but the TSDB has trouble; the sink keeps retrying)`,
        fix: "Check the TSDB's own logs and health",
      };
    }
    return {
      ...base,
      status: 'problem',
      data,
      detail: `${shown} rejected an empty write request (HTTP ${a.status})${said}`,
      fix: 'Check that remote_write.url is a Prometheus remote write 1.0 endpoint',
    };
  } catch (e) {
    return {
      ...base,
      status: 'problem',
      detail: `${shown} not reachable: ${errDetail(e)}`,
      fix: 'Check remote_write.url (host, port), that the TSDB runs and that this machine may reach it',
      data: { url: shown, error: errDetail(e) },
    };
  }
}
