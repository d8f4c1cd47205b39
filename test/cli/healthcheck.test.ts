/**
 * `fitbit-bridge healthcheck` (the images' HEALTHCHECK): the port comes from the loaded
 * configuration (config file, FITBIT_BRIDGE_HTTP__PORT), a wildcard bind is asked on loopback,
 * HTTP off is healthy without asking, and the exit code is 0 or 1 only (Docker reserves 2).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkHealth, healthUrl } from '../../src/cli/commands/healthcheck.js';
import { startNode } from '../support/child.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('healthcheck', () => {
  let server: Server;
  let port = 0;
  let status = 200;
  let body = '{"status":"ok","uptime_s":3}';
  const paths: string[] = [];
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fb-healthcheck-'));
    server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(req.url === '/healthz' ? status : 404, { 'content-type': 'application/json' });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('healthUrl: the bound address, loopback for a wildcard, IPv6 in brackets', () => {
    assert.equal(healthUrl({ bind: '0.0.0.0', port: 8787 }), 'http://127.0.0.1:8787/healthz');
    assert.equal(healthUrl({ bind: '127.0.0.1', port: 1 }), 'http://127.0.0.1:1/healthz');
    assert.equal(healthUrl({ bind: '::', port: 8099 }), 'http://[::1]:8099/healthz');
    assert.equal(healthUrl({ bind: 'fd00::5', port: 80 }), 'http://[fd00::5]:80/healthz');
    assert.equal(healthUrl({ bind: 'localhost', port: 9 }), 'http://localhost:9/healthz');
  });

  test('checkHealth: 200 with status ok is healthy; 503, 403, another body, no server are not; HTTP off and port 0 ask nothing', async () => {
    const http = { bind: '0.0.0.0', port, enabled: true };
    status = 200;
    assert.equal((await checkHealth(http, 2000)).healthy, true);
    body = '{"status":"starting"}';
    assert.equal((await checkHealth(http, 2000)).healthy, false, 'not our bridge, or not ok');
    body = '{"status":"ok"}';
    status = 503;
    assert.equal((await checkHealth(http, 2000)).healthy, false);
    status = 403;
    const refused = await checkHealth(http, 2000);
    assert.equal(refused.healthy, false);
    assert.match(refused.message, /allowed_clients/);
    status = 200;
    const free = await new Promise<number>((r) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => r(p));
      });
    });
    assert.equal((await checkHealth({ bind: '127.0.0.1', port: free, enabled: true }, 2000)).healthy, false);
    const n = paths.length;
    assert.deepEqual(await checkHealth({ bind: '0.0.0.0', port, enabled: false }, 2000), {
      healthy: true,
      url: null,
      message: 'healthy: HTTP is off (http.enabled: false), nothing to ask',
    });
    assert.equal((await checkHealth({ bind: '0.0.0.0', port: 0, enabled: true }, 2000)).healthy, true);
    assert.equal(paths.length, n, 'nothing asked');
  });

  /** The CLI with exactly this environment (no FITBIT_BRIDGE_* of the test runner). */
  async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string }> {
    const r = await startNode(['src/cli/main.ts', ...args], { PATH: process.env.PATH ?? '', HOME: dir, XDG_CONFIG_HOME: join(dir, 'xdg'), ...env }, ROOT).done;
    return { code: r.code, stdout: r.stdout };
  }

  test('the CLI asks the port of the config file; the environment overrides it; exit 0 / 1', async () => {
    status = 200;
    const file = join(dir, 'config.yaml');
    writeFileSync(file, `http:\n  bind: 0.0.0.0\n  port: ${port}\n`);
    const ok = await cli(['--config', file, 'healthcheck']);
    assert.equal(ok.code, 0, ok.stdout);
    assert.match(ok.stdout, new RegExp(`^healthy: http://127\\.0\\.0\\.1:${port}/healthz answered 200`));
    const viaEnv = await cli(['healthcheck'], { FITBIT_BRIDGE_CONFIG: file });
    assert.equal(viaEnv.code, 0, viaEnv.stdout);
    status = 503;
    const sick = await cli(['healthcheck', '--config', file]);
    assert.equal(sick.code, 1, sick.stdout);
    assert.match(sick.stdout, /answered HTTP 503/);
    status = 200;
    // FITBIT_BRIDGE_HTTP__PORT beats the file: port 1 has no bridge
    const other = await cli(['--config', file, 'healthcheck', '--timeout', '2'], { FITBIT_BRIDGE_HTTP__PORT: '1' });
    assert.equal(other.code, 1, other.stdout);
    assert.match(other.stdout, /127\.0\.0\.1:1\/healthz/);
  });

  test('HTTP off: healthy without asking; a configuration that does not load: 1, not 2', async () => {
    const off = join(dir, 'off.yaml');
    writeFileSync(off, 'http:\n  enabled: false\n');
    const n = paths.length;
    const r = await cli(['--config', off, 'healthcheck']);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /HTTP is off/);
    assert.equal(paths.length, n);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'http:\n  port: "many"\n');
    const b = await cli(['--config', bad, 'healthcheck']);
    assert.equal(b.code, 1, b.stdout);
    assert.match(b.stdout, /^unhealthy: /);
    const missing = await cli(['--config', join(dir, 'nope.yaml'), 'healthcheck']);
    assert.equal(missing.code, 1, missing.stdout);
  });
});
