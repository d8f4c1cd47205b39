/**
 * docker-compose.example.yml without a Docker engine: it parses, the config files its services
 * mount exist, the Prometheus config passes `promtool check config` and a real Prometheus and a
 * real mosquitto start with the compose file's flags and configs, and the bridge's environment
 * names only real configuration keys (through the real loader), pointing at the other services.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { hostAllowed } from '../../src/run/http.js';
import { findBinary, freePort } from '../support/prometheus.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const composeFile = join(root, 'docker-compose.example.yml');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: string[];
}
const compose = parse(readFileSync(composeFile, 'utf8')) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const svc = (name: string): Service => {
  const s = compose.services[name];
  assert.ok(s, `no service ${name}`);
  return s;
};

/** Short-syntax volume → { source, target, ro }. */
function mounts(s: Service): { source: string; target: string; ro: boolean; bind: boolean }[] {
  return (s.volumes ?? []).map((v) => {
    const [source = '', target = '', mode = ''] = v.split(':');
    const bind = source.startsWith('.') || source.startsWith('/');
    return { source, target, ro: mode === 'ro', bind };
  });
}
const hostPath = (source: string): string => resolve(root, source);
/** Bind mounts that are data folders the user fills (created by compose when missing). */
const DATA_FOLDERS = new Set(['./takeout']);

const tmp = mkdtempSync(join(tmpdir(), 'fb-compose-'));
after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('docker-compose.example.yml', () => {
  test('parses; services bridge, broker, TSDB, Grafana; images pinned; ports on 127.0.0.1 only', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), ['fitbit-bridge', 'grafana', 'mosquitto', 'prometheus']);
    assert.equal(svc('fitbit-bridge').build, '.');
    for (const [name, s] of Object.entries(compose.services)) {
      if (name !== 'fitbit-bridge') assert.match(s.image ?? '', /:v?\d+\.\d+\.\d+$/, `${name}: a pinned image version`);
      for (const p of s.ports ?? []) assert.match(p, /^127\.0\.0\.1:/, `${name}: ${p} only on the loopback`);
    }
    // every named volume is declared
    for (const s of Object.values(compose.services)) {
      for (const m of mounts(s)) if (!m.bind) assert.ok(compose.volumes && m.source in compose.volumes, `volume ${m.source} not declared`);
    }
  });

  test('every mounted config file exists (Grafana gets the shipped provisioning, read-only)', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const m of mounts(s)) {
        if (!m.bind || DATA_FOLDERS.has(m.source)) continue;
        assert.ok(existsSync(hostPath(m.source)), `${name}: ${m.source} does not exist`);
        assert.ok(m.ro, `${name}: ${m.source} is a config: mount it read-only`);
      }
    }
    const g = mounts(svc('grafana'));
    const target = (src: string): string | undefined => g.find((m) => m.source === src)?.target;
    assert.equal(target('./dashboards/provisioning/datasources'), '/etc/grafana/provisioning/datasources');
    assert.equal(target('./dashboards/provisioning/dashboards'), '/etc/grafana/provisioning/dashboards');
    assert.ok(statSync(hostPath('./dashboards/json')).isDirectory());
    // the dashboards land where the shipped provider looks for them
    const provider = parse(readFileSync(join(root, 'dashboards/provisioning/dashboards/fitbit-bridge.yml'), 'utf8')) as {
      providers: { options: { path: string } }[];
    };
    assert.equal(target('./dashboards/json'), provider.providers[0]?.options.path);
    // and the shipped data source points at the compose Prometheus
    const ds = parse(readFileSync(join(root, 'dashboards/provisioning/datasources/fitbit-bridge.yml'), 'utf8')) as { datasources: { url: string }[] };
    assert.equal(new URL(ds.datasources[0]?.url ?? '').host, 'prometheus:9090');
  });

  test("the bridge's environment names only real configuration keys and points at the other services", () => {
    const env = svc('fitbit-bridge').environment ?? {};
    for (const k of Object.keys(env)) assert.match(k, /^FITBIT_BRIDGE_/);
    assert.ok(!Object.values(env).some((v) => String(v).includes('${')), 'no interpolation left to guess');
    const empty = join(tmp, 'empty.yaml');
    writeFileSync(empty, '');
    // the image's own ENV first, then the compose file's (as Docker merges them)
    const cfg = loadConfig({ file: empty, env: { FITBIT_BRIDGE_DB: '/data/fitbit-bridge.db', FITBIT_BRIDGE_HTTP__BIND: '0.0.0.0', ...env } });
    assert.equal(new URL(cfg.mqtt.server ?? '').hostname, 'mosquitto');
    assert.ok('mosquitto' in compose.services);
    const rw = new URL(cfg.remote_write.url ?? '');
    assert.equal(rw.host, 'prometheus:9090');
    assert.equal(rw.pathname, '/api/v1/write');
    assert.equal(cfg.takeout.drop_folder, '/takeout');
    assert.ok(mounts(svc('fitbit-bridge')).some((m) => m.target === '/takeout' && m.ro));
    assert.ok(mounts(svc('fitbit-bridge')).some((m) => m.target === '/data' && !m.bind));
    assert.equal(cfg.store.path, '/data/fitbit-bridge.db');
    assert.deepEqual(svc('fitbit-bridge').ports, [`127.0.0.1:${cfg.http.port}:${cfg.http.port}`]);
    // the commented-out Google lines are real keys too
    const commented = [...readFileSync(composeFile, 'utf8').matchAll(/#\s*(FITBIT_BRIDGE_[A-Z0-9_]+):\s*(\S+)/g)];
    assert.ok(commented.length >= 2);
    const secretFile = join(tmp, 'google_client_secret');
    writeFileSync(secretFile, 'x\n');
    const withGoogle = Object.fromEntries(commented.map((m) => [m[1] as string, (m[1] as string).endsWith('_FILE') ? secretFile : (m[2] as string)]));
    const g = loadConfig({ file: empty, env: { ...env, ...withGoogle } });
    assert.match(g.google.client_id ?? '', /apps\.googleusercontent\.com$/);
    assert.equal(g.google.client_secret, 'x');
  });

  test('Prometheus: remote-write receiver, 20y retention, a 10-year out-of-order window, scraping the bridge; promtool agrees', () => {
    const p = svc('prometheus');
    const cmd = p.command ?? [];
    assert.ok(cmd.includes('--web.enable-remote-write-receiver'));
    assert.ok(cmd.includes('--storage.tsdb.retention.time=20y'));
    const cfgMount = mounts(p).find((m) => m.target === '/etc/prometheus/prometheus.yml');
    assert.ok(cfgMount);
    assert.ok(cmd.includes(`--config.file=${cfgMount.target}`));
    const file = hostPath(cfgMount.source);
    const prom = parse(readFileSync(file, 'utf8')) as {
      storage: { tsdb: { out_of_order_time_window: string } };
      scrape_configs: { static_configs: { targets: string[] }[]; metrics_path?: string }[];
    };
    assert.equal(prom.storage.tsdb.out_of_order_time_window, '3650d');
    const targets = prom.scrape_configs.flatMap((s) => s.static_configs.flatMap((c) => c.targets));
    assert.ok(targets.includes('fitbit-bridge:8787'));
    // the bridge answers the name Prometheus scrapes it by (Host check, issue 13)
    const env = svc('fitbit-bridge').environment ?? {};
    const empty = join(tmp, 'empty-hosts.yaml');
    writeFileSync(empty, '');
    const bridge = loadConfig({ file: empty, env: { FITBIT_BRIDGE_HTTP__BIND: '0.0.0.0', ...env } });
    for (const t of targets.filter((x) => x.startsWith('fitbit-bridge:'))) assert.ok(hostAllowed(t, bridge.http.allowed_hosts), t);
    const r = spawnSync(findBinary('promtool', 'prometheus'), ['check', 'config', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS/);
  });

  test("a real Prometheus starts with the compose file's flags and config", { timeout: 60_000 }, async () => {
    const p = svc('prometheus');
    const port = await freePort();
    const data = mkdtempSync(join(tmp, 'prom-'));
    const cfgMount = mounts(p).find((m) => m.target === '/etc/prometheus/prometheus.yml');
    assert.ok(cfgMount);
    const args = (p.command ?? []).map((a) =>
      a.replace(/^--config\.file=.*/, `--config.file=${hostPath(cfgMount.source)}`).replace(/^--storage\.tsdb\.path=.*/, `--storage.tsdb.path=${data}`),
    );
    const child = spawn(findBinary('prometheus'), [...args, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    try {
      const deadline = Date.now() + 30_000;
      let ready = false;
      while (!ready && Date.now() < deadline && child.exitCode === null) {
        ready = await fetch(`http://127.0.0.1:${port}/-/ready`).then(
          (r) => r.ok,
          () => false,
        );
        if (!ready) await new Promise((r) => setTimeout(r, 200));
      }
      assert.ok(ready, `Prometheus did not become ready: ${stderr.slice(-2000)}`);
      const flags = (await (await fetch(`http://127.0.0.1:${port}/api/v1/status/flags`)).json()) as { data: Record<string, string> };
      assert.equal(flags.data['web.enable-remote-write-receiver'], 'true');
      assert.equal(flags.data['storage.tsdb.retention.time'], '20y');
      // the receiver answers (an empty body is a bad request, not a 404)
      const w = await fetch(`http://127.0.0.1:${port}/api/v1/write`, { method: 'POST', body: '' });
      assert.notEqual(w.status, 404);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    }
  });

  test('a real mosquitto starts with the mounted mosquitto.conf', { timeout: 30_000 }, async () => {
    const m = mounts(svc('mosquitto')).find((x) => x.target === '/mosquitto/config/mosquitto.conf');
    assert.ok(m);
    const port = await freePort();
    const data = mkdtempSync(join(tmp, 'mq-'));
    const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    // the container's paths and port made local; everything else as shipped
    const conf = readFileSync(hostPath(m.source), 'utf8')
      .replace(/^listener 1883$/m, `listener ${port} 127.0.0.1`)
      .replace(/^persistence_location .*$/m, `persistence_location ${data}/`);
    assert.notEqual(conf, readFileSync(hostPath(m.source), 'utf8'));
    const local = join(data, 'mosquitto.conf');
    writeFileSync(local, `${asRoot ? 'user root\n' : ''}${conf}`);
    const child = spawn(findBinary('mosquitto'), ['-c', local], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      out += b.toString();
    });
    try {
      const mqtt = (await import('mqtt')).default;
      const deadline = Date.now() + 10_000;
      let ok = false;
      while (!ok && Date.now() < deadline && child.exitCode === null) {
        try {
          const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 1000 });
          await c.endAsync();
          ok = true;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      assert.ok(ok, `mosquitto did not accept an anonymous client: ${out}`);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    }
  });
});
