/**
 * The Dockerfile, held to its promises without a Docker engine: parsed with dockerfile-ast and
 * checked stage by stage (multi-stage, pinned Node 24 base, ARG BUILD_FROM first, a runtime
 * without npm and headers, /data volume, the bridge as ENTRYPOINT, healthcheck, labels, ports,
 * users, commands), its ENV through the real config loader, its COPY sources against the
 * repository and .dockerignore, and its HEALTHCHECK commands run for real against a local
 * /healthz. Building and running the images: `npm run test:image` (scripts/test-image.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DockerfileParser, type Copy, type Dockerfile, type Instruction } from 'dockerfile-ast';
import { addonCommand } from '../../src/cli/commands/addon.js';
import { healthcheckCommand } from '../../src/cli/commands/healthcheck.js';
import { runCommand } from '../../src/cli/commands/run.js';
import { loadConfig } from '../../src/config/load.js';
import { startNode } from '../support/child.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const text = readFileSync(join(root, 'Dockerfile'), 'utf8');
const df: Dockerfile = DockerfileParser.parse(text);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };

interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

/** The stages in order, each with its own instructions (FROM excluded). */
function stages(): Stage[] {
  const out: Stage[] = [];
  for (const i of df.getInstructions()) {
    if (i.getKeyword() === 'FROM') {
      const args = i.getArguments().map((a) => a.getValue());
      const as = args.findIndex((a) => a.toUpperCase() === 'AS');
      out.push({ name: as >= 0 ? (args[as + 1] ?? '') : String(out.length), from: args.filter((a) => !a.startsWith('--'))[0] ?? '', instructions: [] });
    } else out.at(-1)?.instructions.push(i);
  }
  return out;
}
const all = stages();
const stage = (name: string): Stage => {
  const s = all.find((x) => x.name === name);
  assert.ok(s, `no stage ${name}`);
  return s;
};
/** The instructions that make up a stage's image: its ancestors' (in this file) and its own. */
function chain(name: string): Instruction[] {
  const s = stage(name);
  const parent = all.find((x) => x.name === s.from);
  return [...(parent ? chain(parent.name) : []), ...s.instructions];
}
const of = (ins: Instruction[], kw: string): Instruction[] => ins.filter((i) => i.getKeyword() === kw);
const last = (ins: Instruction[], kw: string): Instruction | undefined => of(ins, kw).at(-1);
const argsOf = (i: Instruction | undefined): string[] => (i ? i.getArguments().map((a) => a.getValue()) : []);
/** KEY=VALUE pairs of LABEL / ENV instructions (quotes removed). */
function pairs(ins: Instruction[], kw: 'LABEL' | 'ENV'): Map<string, string> {
  const out = new Map<string, string>();
  for (const i of of(ins, kw)) {
    const props = (i as unknown as { getProperties(): { getName(): string; getValue(): string | null }[] }).getProperties();
    for (const p of props) out.set(p.getName(), (p.getValue() ?? '').replace(/^"(.*)"$/s, '$1'));
  }
  return out;
}
/** CMD / ENTRYPOINT in JSON form as an argv. */
function execForm(i: Instruction | undefined): string[] {
  assert.ok(i, 'missing CMD / ENTRYPOINT');
  return JSON.parse(i.getArgumentsContent() ?? '[]') as string[];
}
const initialArg = (name: string): string | null | undefined => {
  const a = df.getInitialARGs().find((x) => x.getProperty()?.getName() === name);
  return a === undefined ? undefined : (a.getProperty()?.getValue() ?? null);
};

describe('Dockerfile', () => {
  test('multi-stage: build, base, runtime, addon, and the plain image last (the default target)', () => {
    assert.deepEqual(
      all.map((s) => s.name),
      ['build', 'base', 'runtime', 'addon', 'plain'],
    );
    assert.equal(stage('addon').from, 'runtime');
    assert.equal(stage('plain').from, 'runtime');
    // the runtime takes only built output from the build stage
    const copies = (of(stage('runtime').instructions, 'COPY') as Copy[]).map((c) => ({ from: c.getFromFlag()?.getValue() ?? null, args: argsOf(c) }));
    for (const p of ['/app/node_modules', '/app/dist', '/app/package.json'])
      assert.ok(
        copies.some((c) => c.from === 'build' && c.args.includes(p)),
        p,
      );
  });

  test('no `# syntax` line: nothing needs a frontend image fetched by every BuildKit build', () => {
    assert.doesNotMatch(text, /^#\s*syntax\s*=/im);
    assert.equal(df.getDirectives().length, 0);
  });

  test('ARG BUILD_FROM comes before the first FROM; build and base use it; the base is pinned Node 24 LTS', () => {
    const firstFrom = df.getFROMs()[0];
    assert.ok(firstFrom);
    const argLine = df
      .getInitialARGs()
      .find((a) => a.getProperty()?.getName() === 'BUILD_FROM')
      ?.getRange().start.line;
    assert.ok(argLine !== undefined && argLine < firstFrom.getRange().start.line);
    assert.equal(stage('build').from, '${BUILD_FROM}');
    assert.equal(stage('base').from, '${BUILD_FROM}');
    const base = initialArg('BUILD_FROM');
    assert.ok(typeof base === 'string' && base !== '');
    assert.doesNotMatch(base, /:latest\b/);
    const [, tag = '', digest] = /^[^@:]+(?::([^@]+))?(?:@(sha256:[0-9a-f]{64}))?$/.exec(base) ?? [];
    assert.ok(digest !== undefined || /^\d+\.\d+\.\d+(-[a-z0-9.-]+)?$/.test(tag), `${base}: an exact version tag or a digest`);
    assert.match(base, /^node:24\./, 'Node 24 (LTS)');
    assert.match(base, /-(bookworm|trixie)-slim$|@sha256:/, 'Debian slim');
    for (const f of df.getFROMs()) assert.doesNotMatch(f.getImage() ?? '', /:latest\b/);
  });

  test('the build installs, compiles and then prunes to production dependencies, with a native toolchain', () => {
    const runs = of(stage('build').instructions, 'RUN')
      .map((r) => r.getArgumentsContent() ?? '')
      .join('\n');
    assert.match(runs, /npm ci\b/);
    assert.match(runs, /npm run build\b/);
    assert.match(runs, /npm (prune|ci) --omit=dev/);
    for (const p of ['python3', 'make', 'g++']) assert.ok(runs.includes(p), p);
    assert.ok(runs.indexOf('npm run build') < runs.indexOf('--omit=dev'));
  });

  test('the runtime: the base flattened without npm, npx, corepack, yarn and the C headers', () => {
    assert.equal(stage('runtime').from, 'scratch');
    const first = stage('runtime').instructions[0] as Copy | undefined;
    assert.equal(first?.getKeyword(), 'COPY');
    assert.equal(first.getFromFlag()?.getValue(), 'base');
    assert.deepEqual(argsOf(first), ['/', '/']);
    const rm = of(stage('base').instructions, 'RUN')
      .map((r) => r.getArgumentsContent() ?? '')
      .join('\n');
    for (const p of [
      '/usr/local/lib/node_modules',
      '/usr/local/include/node',
      '/usr/local/bin/npm',
      '/usr/local/bin/npx',
      '/usr/local/bin/corepack',
      '/usr/local/bin/yarn',
      '/opt/yarn-*',
    ])
      assert.ok(rm.includes(p), p);
    assert.match(rm, /^rm -rf /);
    // a flattened base brings no environment: PATH is the image's own
    const env = Object.fromEntries(pairs(chain('plain'), 'ENV'));
    assert.match(env.PATH ?? '', /(^|:)\/usr\/local\/bin(:|$)/);
    // nothing after the flattening runs npm
    for (const name of ['runtime', 'addon', 'plain'])
      for (const r of of(stage(name).instructions, 'RUN')) assert.doesNotMatch(r.getArgumentsContent() ?? '', /\bnp[mx]\b/);
  });

  test('VOLUME /data, owned by the unprivileged user', () => {
    assert.ok(of(chain('plain'), 'VOLUME').some((v) => argsOf(v).includes('/data') || (v.getArgumentsContent() ?? '').includes('"/data"')));
    const runs = of(stage('runtime').instructions, 'RUN')
      .map((r) => r.getArgumentsContent() ?? '')
      .join('\n');
    assert.match(runs, /chown node:node \/data/);
  });

  test("the plain image runs as a non-root user, the add-on as root (the Supervisor's /data is root-owned)", () => {
    const plainUser = argsOf(last(chain('plain'), 'USER'))[0];
    assert.ok(plainUser !== undefined && !['root', '0', '0:0'].includes(plainUser), `USER ${String(plainUser)}`);
    assert.equal(argsOf(last(chain('addon'), 'USER'))[0], 'root');
    // SQLite's temporary files of the add-on on its data volume
    const addonEnv = Object.fromEntries(pairs(chain('addon'), 'ENV'));
    assert.match(addonEnv.SQLITE_TMPDIR ?? '', /^\/data(\/|$)/);
  });

  test('ENTRYPOINT is the bridge (`docker run <image> <command> …`); CMD `run` in the plain image, `addon-run` in the add-on; the binary is linked', () => {
    for (const name of ['plain', 'addon']) assert.deepEqual(execForm(last(chain(name), 'ENTRYPOINT')), ['fitbit-bridge'], name);
    assert.deepEqual(execForm(last(chain('plain'), 'CMD')), [runCommand().name()]);
    assert.deepEqual(execForm(last(chain('addon'), 'CMD')), [addonCommand().name()]);
    const runs = of(stage('runtime').instructions, 'RUN')
      .map((r) => r.getArgumentsContent() ?? '')
      .join('\n');
    assert.ok(runs.includes(`ln -s /app/${pkg.bin['fitbit-bridge'] ?? '?'} /usr/local/bin/fitbit-bridge`));
  });

  test("EXPOSE: 8787 (http.port's default) and, in the add-on, the ingress port 8099", () => {
    const def = loadConfig({ env: {}, file: join(root, 'config.example.yaml') });
    assert.ok(argsOf(last(chain('plain'), 'EXPOSE')).includes(String(def.http.port)));
    assert.equal(def.http.port, 8787);
    assert.ok(of(chain('addon'), 'EXPOSE').some((e) => argsOf(e).includes('8099')));
  });

  test('ENV names only real configuration keys, and they say what the brief says', () => {
    const env = Object.fromEntries(pairs(chain('plain'), 'ENV'));
    assert.equal(env.FITBIT_BRIDGE_DB, '/data/fitbit-bridge.db');
    assert.equal(env.FITBIT_BRIDGE_HTTP__BIND, '0.0.0.0');
    const bridgeEnv = Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('FITBIT_BRIDGE_')));
    const cfg = loadConfig({ env: bridgeEnv, file: join(root, 'config.example.yaml') });
    assert.equal(cfg.store.path, '/data/fitbit-bridge.db');
    assert.equal(cfg.google.token_dir, '/data/tokens');
    assert.equal(cfg.http.bind, '0.0.0.0');
  });

  test('ENV memory tuning: node accepts the NODE_OPTIONS of the image, glibc the MALLOC_* values', () => {
    const env = Object.fromEntries(pairs(chain('plain'), 'ENV'));
    assert.match(env.NODE_OPTIONS ?? '', /--max-semi-space-size=\d+/);
    for (const k of ['MALLOC_ARENA_MAX', 'MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_']) assert.match(env[k] ?? '', /^\d+$/, k);
    // a NODE_OPTIONS node refuses would stop every node process in the image, the healthcheck too
    const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(require("v8").getHeapStatistics().total_heap_size > 0))'], {
      env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: env.NODE_OPTIONS ?? '' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'true');
    const bad = spawnSync(process.execPath, ['-e', '0'], { env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: '--no-such-node-option' }, encoding: 'utf8' });
    assert.notEqual(bad.status, 0, 'node refuses unknown NODE_OPTIONS (so the check above can fail)');
  });

  test('labels: OCI in both images, io.hass.* in the add-on; versions agree with package.json', () => {
    assert.equal(initialArg('BUILD_VERSION'), pkg.version);
    assert.ok(['amd64', 'aarch64'].includes(initialArg('BUILD_ARCH') ?? ''), 'BUILD_ARCH: an architecture of the add-on');
    const plain = pairs(chain('plain'), 'LABEL');
    for (const k of ['title', 'description', 'version', 'licenses', 'source']) assert.ok(plain.get(`org.opencontainers.image.${k}`), k);
    assert.equal(plain.get('org.opencontainers.image.version'), '${BUILD_VERSION}');
    const addon = pairs(chain('addon'), 'LABEL');
    for (const k of ['name', 'description', 'version', 'type', 'arch']) assert.ok(addon.get(`io.hass.${k}`), `io.hass.${k}`);
    assert.equal(addon.get('io.hass.type'), 'addon');
    // one architecture per add-on image ({arch}-fitbit-bridge-addon), as Home Assistant's builder labels them
    assert.equal(addon.get('io.hass.arch'), '${BUILD_ARCH}');
    assert.ok(![...plain.keys()].some((k) => k.startsWith('io.hass.')), 'the plain image is no add-on');
  });

  test('COPY sources exist and the .dockerignore lets them through', () => {
    const ignore = readFileSync(join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    assert.equal(ignore[0], '**', '.dockerignore starts by excluding everything');
    const allowed = new Set(ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/\*\*$/, '')));
    for (const c of of(df.getInstructions(), 'COPY')) {
      if ((c as Copy).getFromFlag() !== null) continue;
      const args = argsOf(c);
      for (const src of args.slice(0, -1)) {
        assert.ok(existsSync(join(root, src)), `COPY ${src}: not in the repository`);
        assert.ok(allowed.has(src.replace(/\/$/, '')), `COPY ${src}: excluded by .dockerignore`);
      }
    }
    // whatever `npm run build` compiles is in the context
    const tsb = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
    assert.ok(tsb.include.every((p) => p.startsWith('src/')));
  });

  describe('HEALTHCHECK', () => {
    let status = 200;
    let port = 0;
    let dir = '';
    const server = createServer((req, res) => {
      res.writeHead(req.url === '/healthz' ? status : 404, { 'content-type': 'application/json' });
      res.end('{"status":"ok"}');
    });
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'fb-dockerfile-'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as AddressInfo).port;
    });
    after(async () => {
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    });

    /** The exec-form command of a stage's HEALTHCHECK (after its CMD keyword and flags). */
    function healthCmd(name: string): string[] {
      const h = last(chain(name), 'HEALTHCHECK');
      assert.ok(h, `no HEALTHCHECK in ${name}`);
      const content = (h.getArgumentsContent() ?? '').replace(/\s+/g, ' ');
      const m = /(?:^| )CMD (\[.*\])$/.exec(content);
      assert.ok(m, `exec form: ${content}`);
      const argv = JSON.parse(m[1] as string) as string[];
      assert.deepEqual(argv.slice(0, 2), ['fitbit-bridge', healthcheckCommand().name()]);
      assert.match(h.getTextContent(), /--timeout=\d+s/);
      return argv.slice(1);
    }
    /** Runs it like Docker does (with the image's ENV), through the CLI's sources. */
    async function runCheck(argv: string[], env: Record<string, string>): Promise<number | null> {
      const imageEnv = Object.fromEntries([...pairs(chain('plain'), 'ENV')].filter(([k]) => k.startsWith('FITBIT_BRIDGE_') || k === 'NODE_OPTIONS'));
      const r = await startNode(['src/cli/main.ts', ...argv], { PATH: process.env.PATH ?? '', HOME: dir, XDG_CONFIG_HOME: dir, ...imageEnv, ...env }, root)
        .done;
      return r.code;
    }

    test("the plain image's check asks the port of the loaded configuration: 0 on 200, 1 on 503 and on no server", async () => {
      const argv = healthCmd('plain');
      status = 200;
      assert.equal(await runCheck(argv, { FITBIT_BRIDGE_HTTP__PORT: String(port) }), 0);
      const file = join(dir, 'config.yaml');
      writeFileSync(file, `http:\n  port: ${port}\n`);
      assert.equal(await runCheck(argv, { FITBIT_BRIDGE_CONFIG: file }), 0, 'the port of the config file');
      status = 503;
      assert.equal(await runCheck(argv, { FITBIT_BRIDGE_HTTP__PORT: String(port) }), 1);
      status = 200;
      assert.equal(await runCheck(argv, { FITBIT_BRIDGE_HTTP__PORT: '1' }), 1);
      writeFileSync(file, 'http:\n  enabled: false\n');
      assert.equal(await runCheck(argv, { FITBIT_BRIDGE_CONFIG: file }), 0, 'HTTP off: healthy');
    });

    test("the add-on's check reads the configuration addon-run writes (the ingress port)", async () => {
      const argv = healthCmd('addon');
      const i = argv.indexOf('--config');
      assert.equal(argv[i + 1], '/data/fitbit-bridge.yaml');
      const file = join(dir, 'addon.yaml');
      writeFileSync(file, `http:\n  bind: 0.0.0.0\n  port: ${port}\n`);
      status = 200;
      assert.equal(
        await runCheck(
          argv.map((a) => (a === '/data/fitbit-bridge.yaml' ? file : a)),
          {},
        ),
        0,
      );
    });
  });
});
