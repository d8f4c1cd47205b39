/**
 * The Home Assistant add-on: the repository satisfies what the Supervisor checks before it lists
 * and installs an add-on (rules transcribed in ./ha-schema.ts, with the Supervisor sources they
 * come from), the add-on installs from published images that the release workflow builds under
 * exactly the name config.yaml gives, and the runtime (src/addon/) turns options.json plus the
 * Supervisor's answers (a local stand-in on 127.0.0.1 with a bearer-token check) into the
 * bridge's configuration — down to a real `addon-run` against a real mosquitto.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, relative, sep } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { ADDON_HTTP_PORT, buildAddonConfig } from '../../src/addon/config.js';
import { AddonError, addonOptionsSchema, parseAddonOptions } from '../../src/addon/options.js';
import { addonRunEnv, prepareAddon } from '../../src/addon/runtime.js';
import { loadConfig, unwrapSchema } from '../../src/config/load.js';
import { Mosquitto, Recorder } from '../support/mosquitto.js';
import { Tmp } from '../support/tmp.js';
import {
  checkAddonConfig,
  checkBuildConfig,
  checkRepositoryConfig,
  checkTranslations,
  DOCKER_PLATFORM,
  normaliseImageRef,
  parseType,
  pngSize,
  RE_DOCKER_IMAGE,
  REQUIRED_CONFIG_KEYS,
  schemaLeaves,
  validateOptions,
  type SchemaNode,
} from './ha-schema.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const ADDON_DIR = join(root, 'homeassistant-addon', 'fitbit-bridge');
const readYaml = (p: string): Record<string, unknown> => parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
const addonConfig = readYaml(join(ADDON_DIR, 'config.yaml'));
const addonSchema = addonConfig.schema as SchemaNode;
const arches = addonConfig.arch as string[];
const CONFIG_SUFFIXES = ['.json', '.yaml', '.yml'];

/**
 * What supervisor/store/data.py reads as add-ons: every `config.*` with a configuration suffix
 * below the repository root, except under folders starting with "." or named `rootfs`. (A git
 * clone has no node_modules, dist or other build output; those are skipped here as well.)
 */
function storeConfigFiles(dir = root): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.') || e.name === 'rootfs') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (dir === root && ['node_modules', 'dist', 'coverage', 'tmp', 'demo-out'].includes(e.name)) continue;
      out.push(...storeConfigFiles(p));
    } else if (e.isFile() && e.name.startsWith('config.') && CONFIG_SUFFIXES.includes(extname(e.name))) out.push(relative(root, p).split(sep).join('/'));
  }
  return out.sort();
}

/** The default of the Dockerfile's `ARG BUILD_FROM` (declared before the first FROM). */
function dockerfileBuildFrom(): string {
  const text = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const firstFrom = text.search(/^FROM\s/m);
  const m = /^ARG\s+BUILD_FROM=(\S+)\s*$/m.exec(text.slice(0, firstFrom));
  assert.ok(m, 'the Dockerfile declares ARG BUILD_FROM=<default> before its first FROM');
  return m[1] as string;
}

// ---- the files -----------------------------------------------------------------------------------

describe('add-on repository files, as the Supervisor checks them', () => {
  test('repository.yaml: SCHEMA_REPOSITORY_CONFIG, with url and maintainer', () => {
    const repo = readYaml(join(root, 'repository.yaml'));
    assert.deepEqual(checkRepositoryConfig(repo), []);
    assert.deepEqual(Object.keys(repo).sort(), ['maintainer', 'name', 'url']);
    assert.deepEqual(checkRepositoryConfig({ name: 'x', url: 'not a url' }), ['url: not a URL']);
  });

  test('config.yaml: _SCHEMA_ADDON_CONFIG accepts it, with no key it would drop', () => {
    assert.deepEqual(checkAddonConfig(addonConfig), []);
    // and the checker does refuse
    const bad = {
      ...addonConfig,
      slug: 'fitbit bridge',
      arch: ['x86'],
      startup: 'later',
      boot: 'sometimes',
      map: ['share:rx'],
      services: ['mqtt:maybe'],
      buildfrom: 1,
    };
    const problems = checkAddonConfig(bad).map((p) => p.split(':')[0]);
    assert.deepEqual(problems.sort(), ['arch', 'boot', 'buildfrom', 'map', 'services', 'slug', 'startup']);
    for (const k of REQUIRED_CONFIG_KEYS) {
      const { [k]: _, ...without } = addonConfig;
      assert.deepEqual(checkAddonConfig(without), [`${k}: required`]);
    }
  });

  test('the store finds exactly one add-on in the repository: this one', () => {
    const files = storeConfigFiles();
    const accepted = files.filter((f) => {
      let data: unknown;
      try {
        data = parse(readFileSync(join(root, f), 'utf8'));
      } catch {
        return false;
      }
      return checkAddonConfig(data).every((p) => p.includes('not a key the Supervisor knows'));
    });
    assert.deepEqual(accepted, ['homeassistant-addon/fitbit-bridge/config.yaml']);
    // config.example.yaml matches the store's config.* too: it is read, logged as unreadable
    // (no name) and skipped, which costs a warning line in the Supervisor log and nothing else
    assert.ok(files.includes('config.example.yaml'));
  });

  test('our choices: amd64 + aarch64, after Home Assistant, MQTT wanted, share read-only, own init', () => {
    assert.deepEqual([...arches].sort(), ['aarch64', 'amd64']);
    assert.equal(addonConfig.startup, 'application');
    assert.equal(addonConfig.boot, 'auto');
    assert.deepEqual(addonConfig.services, ['mqtt:want']);
    const map = addonConfig.map as string[];
    assert.ok(map.includes('share:ro'), 'Takeout archives come from /share (read-only)');
    assert.ok(map.includes('addon_config:rw'));
    assert.equal(addonConfig.init, false);
    assert.match(String(addonConfig.panel_icon), /^mdi:[a-z0-9-]+$/);
  });

  test('the version is the package version, with a CHANGELOG entry', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    assert.equal(addonConfig.version, pkg.version, 'the add-on version is the package version');
    assert.match(readFileSync(join(ADDON_DIR, 'CHANGELOG.md'), 'utf8'), new RegExp(`^## ${pkg.version.replace(/\./g, '\\.')}\\b`, 'm'));
    for (const f of ['DOCS.md', 'README.md', 'CHANGELOG.md']) assert.ok(statSync(join(ADDON_DIR, f)).size > 0, f);
  });

  test('image: one published image per architecture, named with {arch}', () => {
    const image = addonConfig.image as string;
    assert.match(image, RE_DOCKER_IMAGE);
    assert.ok(image.includes('{arch}'), 'the image name has {arch}: one image per architecture');
    // what supervisor/addons/model.py _image makes of it: image.format(arch=…)
    const names = arches.map((a) => image.replace(/\{arch\}/g, a));
    assert.equal(new Set(names).size, arches.length);
    for (const n of names) assert.ok(!/[{}]/.test(n), n);
    assert.equal(image, 'ghcr.io/fitbit-bridge/{arch}-fitbit-bridge-addon');
  });

  test('ingress: the port the runtime serves, not published to the LAN', () => {
    assert.equal(addonConfig.ingress, true);
    assert.equal(addonConfig.ingress_port, ADDON_HTTP_PORT);
    assert.ok(!('ports' in addonConfig), 'no ports: 8099 answers the ingress proxy only');
    assert.ok(!('ingress_entry' in addonConfig), 'ingress opens / (the /auth page)');
  });

  test('every schema type is one RE_SCHEMA_ELEMENT takes, and options nest at most two levels', () => {
    for (const [path, t] of schemaLeaves(addonSchema)) assert.doesNotThrow(() => parseType(t), path);
    assert.throws(() => parseType('string'));
    assert.throws(() => parseType('int(-1,5)'), 'the Supervisor takes no negative bounds');
    assert.throws(() => parseType(''));
    assert.deepEqual(checkAddonConfig({ ...addonConfig, schema: { a: { b: { c: 'str' } } }, options: {} }), ['schema.a.b: options nest more than two levels']);
    assert.deepEqual(checkAddonConfig({ ...addonConfig, schema: { a: [['str']] }, options: {} }), ['schema.a: a list may not directly contain another list']);
  });

  test('the default options validate against their own schema (and the validator does reject)', () => {
    const options = addonConfig.options as Record<string, unknown>;
    assert.deepEqual(validateOptions(options, addonSchema), []);
    assert.notDeepEqual(validateOptions({ ...options, log_level: 'loud' }, addonSchema), []);
    assert.notDeepEqual(validateOptions({ ...options, surprise: 1 }, addonSchema), []);
    assert.notDeepEqual(validateOptions({ ...options, accounts: [{ name: 'no spaces' }] }, addonSchema), []);
    assert.notDeepEqual(validateOptions({ ...options, mqtt: { enabled: true, step_goal: 0 } }, addonSchema), []);
    // AddonOptions: a missing mapping (or list of mappings) is a missing option, not an optional one
    const { google: _g, ...noGoogle } = options;
    assert.deepEqual(validateOptions(noGoogle, addonSchema), ['google: required']);
    const { accounts: _a, ...noAccounts } = options;
    assert.deepEqual(validateOptions(noAccounts, addonSchema), ['accounts: required']);
    assert.deepEqual(validateOptions({ ...options, mqtt: { enabled: null } }, addonSchema), [
      'mqtt.enabled: expected a value (null is "missing required option"), got null',
    ]);
    // and the runtime accepts them
    assert.doesNotThrow(() => parseAddonOptions(options));
  });

  test('the Supervisor schema and the runtime know the same options', () => {
    const fromYaml = [...schemaLeaves(addonSchema).keys()].sort();
    const fromZod: string[] = [];
    for (const [k, v] of Object.entries(addonOptionsSchema.shape as Record<string, z.ZodType>)) {
      const u = unwrapSchema(v);
      if (u instanceof z.ZodArray) for (const kk of Object.keys((unwrapSchema(u.element as z.ZodType) as z.ZodObject).shape)) fromZod.push(`${k}[].${kk}`);
      else if (u instanceof z.ZodObject) for (const kk of Object.keys(u.shape)) fromZod.push(`${k}.${kk}`);
      else fromZod.push(k);
    }
    assert.deepEqual(fromZod.sort(), fromYaml);
  });

  test('translations: SCHEMA_ADDON_TRANSLATIONS, a name and a description for every option and field', () => {
    const dir = join(ADDON_DIR, 'translations');
    const files = readdirSync(dir);
    assert.ok(files.includes('en.yaml'));
    for (const f of files) {
      assert.ok(CONFIG_SUFFIXES.includes(extname(f)), `${f}: the store reads only .yaml/.yml/.json`);
      assert.deepEqual(checkTranslations(readYaml(join(dir, f)), addonSchema), [], f);
    }
    // and the check does notice a gap or a stray key
    const en = readYaml(join(dir, 'en.yaml')) as { configuration: Record<string, { fields?: Record<string, unknown> }> };
    const copy = structuredClone(en);
    delete copy.configuration.mqtt?.fields?.step_goal;
    (copy.configuration as Record<string, unknown>).nonsense = { name: 'x', description: 'y' };
    assert.deepEqual(checkTranslations(copy, addonSchema).sort(), [
      'configuration.mqtt.fields.step_goal: no translation',
      'configuration.nonsense: not in the schema',
    ]);
  });

  test('build.yaml: SCHEMA_BUILD_CONFIG, a Debian base per architecture, the Dockerfile default', () => {
    const build = readYaml(join(ADDON_DIR, 'build.yaml'));
    assert.deepEqual(checkBuildConfig(build), []);
    const from = build.build_from as Record<string, string>;
    assert.deepEqual(Object.keys(from).sort(), [...arches].sort(), 'a base for every architecture of config.yaml');
    const dockerDefault = normaliseImageRef(dockerfileBuildFrom());
    for (const [arch, img] of Object.entries(from)) {
      assert.match(img, /:[^/]*\b(bookworm|trixie|bullseye)\b/, `${arch}: a Debian-based image (glibc; better-sqlite3's build needs it)`);
      assert.equal(normaliseImageRef(img), dockerDefault, `${arch}: build.yaml's base is the Dockerfile's ARG BUILD_FROM default`);
    }
    // the Supervisor's pattern needs owner/name: a bare Docker Hub name is refused
    assert.deepEqual(checkBuildConfig({ build_from: { amd64: 'node:24-bookworm-slim' } }), [
      'build_from.amd64: node:24-bookworm-slim does not match RE_DOCKER_IMAGE_BUILD',
    ]);
  });

  test('icon.png is square (128x128) and logo.png about 250x100', () => {
    const icon = pngSize(readFileSync(join(ADDON_DIR, 'icon.png')));
    assert.deepEqual(icon, { width: 128, height: 128 });
    const logo = pngSize(readFileSync(join(ADDON_DIR, 'logo.png')));
    assert.ok(logo.width >= 200 && logo.width <= 300 && logo.height >= 80 && logo.height <= 120, JSON.stringify(logo));
  });

  test('DOCS.md: installs from the published images, how to add the repository, every option', () => {
    const docs = readFileSync(join(ADDON_DIR, 'DOCS.md'), 'utf8');
    assert.ok(docs.includes(addonConfig.image as string), 'DOCS.md names the image');
    assert.match(docs, /published images?/i);
    assert.match(docs, /Repositories/);
    assert.ok(docs.includes('https://github.com/fitbit-bridge/fitbit-bridge'), "the repository's URL to add");
    assert.doesNotMatch(docs, /needs no build\.yaml/i);
    for (const path of schemaLeaves(addonSchema).keys()) assert.ok(docs.includes(`\`${path}\``), `DOCS.md explains ${path}`);
  });
});

// ---- the release workflow ------------------------------------------------------------------------

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  strategy?: { matrix: { include: { arch: string; platform: string }[] } };
  steps: Step[];
}
const workflow = readYaml(join(root, '.github', 'workflows', 'release.yml')) as {
  on: { push: { tags: string[] } };
  env: Record<string, string>;
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
};
const buildStep = (job: Job): Step => {
  const steps = job.steps.filter((s) => s.uses?.startsWith('docker/build-push-action@'));
  assert.equal(steps.length, 1);
  return steps[0] as Step;
};
const lines = (s: string | undefined): string[] =>
  (s ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');

describe('release workflow (.github/workflows/release.yml)', () => {
  test('runs on a version tag and may push packages', () => {
    assert.deepEqual(workflow.on.push.tags, ['v*']);
    assert.equal(workflow.permissions.packages, 'write');
  });

  test('builds exactly the add-on image config.yaml names, per architecture, tagged with the version', () => {
    assert.equal(workflow.env.ADDON_IMAGE, addonConfig.image, 'ADDON_IMAGE is config.yaml image');
    assert.equal(workflow.env.ADDON_DIR, relative(root, ADDON_DIR).split(sep).join('/'));
    const job = workflow.jobs.addon as Job;
    const include = job.strategy?.matrix.include ?? [];
    assert.deepEqual(include.map((i) => i.arch).sort(), [...arches].sort(), 'one build per config.yaml arch');
    for (const i of include) assert.equal(i.platform, DOCKER_PLATFORM[i.arch], i.arch);
    const meta = job.steps.find((s) => s.id === 'meta') as Step;
    assert.ok(meta.run?.includes('${ADDON_IMAGE//\\{arch\\}/$ARCH}'), 'the name is ADDON_IMAGE with {arch} replaced');
    assert.ok(meta.run?.includes('.build_from.$ARCH') && meta.run.includes('$ADDON_DIR/build.yaml'), 'the base comes from build.yaml');
    const b = buildStep(job);
    assert.equal(b.with?.context, '.');
    assert.equal(b.with?.file, 'Dockerfile');
    assert.equal(b.with?.target, 'addon');
    assert.equal(b.with?.platforms, '${{ matrix.platform }}');
    assert.deepEqual(lines(b.with?.['build-args']), [
      'BUILD_FROM=${{ steps.meta.outputs.build_from }}',
      'BUILD_VERSION=${{ needs.prepare.outputs.version }}',
      'BUILD_ARCH=${{ matrix.arch }}',
    ]);
    assert.equal(b.with?.tags, '${{ steps.meta.outputs.image }}:${{ needs.prepare.outputs.version }}', 'the Supervisor pulls <image>:<version>');
    assert.ok(lines(b.with?.labels).includes('io.hass.arch=${{ matrix.arch }}'));
    assert.equal(String(b.with?.push), 'true');
  });

  test('refuses to publish when the tag, package.json, config.yaml or the image name disagree', () => {
    const prep = (workflow.jobs.prepare as Job).steps.find((s) => s.id === 'version') as Step;
    for (const needle of ['package.json', '$ADDON_DIR/config.yaml', '.version', '.image', '"$image" = "$ADDON_IMAGE"'])
      assert.ok(prep.run?.includes(needle), needle);
    for (const j of ['addon', 'plain']) assert.equal((workflow.jobs[j] as Job).needs, 'prepare');
  });

  test('builds the plain image for amd64 and arm64 in one multi-arch image', () => {
    const b = buildStep(workflow.jobs.plain as Job);
    assert.equal(b.with?.target, 'plain');
    assert.deepEqual(String(b.with?.platforms).split(',').sort(), ['linux/amd64', 'linux/arm64']);
    assert.deepEqual(lines(b.with?.tags), ['${{ env.PLAIN_IMAGE }}:${{ needs.prepare.outputs.version }}', '${{ env.PLAIN_IMAGE }}:latest']);
    assert.equal(workflow.env.PLAIN_IMAGE, 'ghcr.io/fitbit-bridge/fitbit-bridge');
  });

  test('the Dockerfile has the stages and build arguments the workflow uses', () => {
    const text = readFileSync(join(root, 'Dockerfile'), 'utf8');
    assert.match(text, /^FROM\s+\S+\s+AS\s+addon\s*$/im);
    assert.match(text, /^FROM\s+\S+\s+AS\s+plain\s*$/im);
    assert.match(text, /^FROM\s+\$\{?BUILD_FROM\}?\s/m, 'the base is BUILD_FROM');
    assert.match(text, /^ARG\s+BUILD_VERSION\b/m);
    assert.ok(dockerfileBuildFrom().length > 0);
  });
});

// ---- a stand-in for the Supervisor ---------------------------------------------------------------

interface StandIn {
  url: string;
  requests: string[];
  mqtt: { status: number; body: unknown };
  info: { status: number; body: unknown };
  self: { status: number; body: unknown };
  close(): Promise<void>;
}

const TOKEN = 'supervisor-token-7f3a';
const MQTT_PASSWORD = 'mqtt-pw-from-supervisor-91c2';

/** The Supervisor stand-in's normal answers (a test changes one, reset() restores them). */
function supervisorAnswers(): Pick<StandIn, 'mqtt' | 'info' | 'self'> {
  return {
    mqtt: {
      status: 200,
      body: { result: 'ok', data: { host: 'core-mosquitto', port: 1883, ssl: false, protocol: '3.1.1', username: 'addons', password: MQTT_PASSWORD } },
    },
    info: { status: 200, body: { result: 'ok', data: { supervisor: '2026.10.0', timezone: 'Europe/Berlin' } } },
    self: {
      status: 200,
      body: {
        result: 'ok',
        data: {
          slug: 'a0d7b954_fitbit-bridge',
          name: 'fitbit-bridge',
          ingress: true,
          ingress_port: 8099,
          ingress_entry: '/api/hassio_ingress/tok/',
          ingress_url: '/api/hassio_ingress/tok/',
        },
      },
    },
  };
}

async function supervisorStandIn(): Promise<StandIn> {
  const s: StandIn = {
    url: '',
    requests: [],
    ...supervisorAnswers(),
    close: async () => undefined,
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    s.requests.push(`${req.method} ${req.url}`);
    const send = (status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(text);
    };
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { result: 'error', message: 'Unauthorized' });
    if (req.method === 'GET' && req.url === '/services/mqtt') return send(s.mqtt.status, s.mqtt.body);
    if (req.method === 'GET' && req.url === '/info') return send(s.info.status, s.info.body);
    if (req.method === 'GET' && req.url === '/addons/self/info') return send(s.self.status, s.self.body);
    send(404, { result: 'error', message: 'not found' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  s.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  s.close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return s;
}

let tmp: Tmp;
let sup: StandIn;
before(async () => {
  tmp = new Tmp('fb-addon-');
  sup = await supervisorStandIn();
});
after(async () => {
  await sup.close();
  tmp.cleanup();
});

function reset(): void {
  sup.requests.length = 0;
  Object.assign(sup, supervisorAnswers());
}

/** A fresh /data with options.json; returns the paths. */
function addonData(options: unknown): { dataDir: string; optionsPath: string; baseConfigPath: string } {
  const dataDir = tmp.mkdir('data');
  const optionsPath = join(dataDir, 'options.json');
  writeFileSync(optionsPath, JSON.stringify(options));
  return { dataDir, optionsPath, baseConfigPath: join(dataDir, 'no-such-base.yaml') };
}

const minimal = { accounts: [{ name: 'me' }], log_level: 'info', google: {}, mqtt: { enabled: true }, remote_write: {}, takeout: {}, sync: {} };

async function prepare(options: unknown, env: NodeJS.ProcessEnv = { SUPERVISOR_TOKEN: TOKEN }, extra: { baseConfig?: string } = {}) {
  const d = addonData(options);
  if (extra.baseConfig !== undefined) writeFileSync(d.baseConfigPath, extra.baseConfig);
  const p = await prepareAddon({ ...d, supervisorUrl: sup.url, env, httpPort: 8099 });
  return { ...d, ...p };
}

async function rejects(p: Promise<unknown>, re: RegExp): Promise<AddonError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AddonError, `expected AddonError, got ${String(e)}`);
    assert.match(e.message, re);
    return e;
  }
  assert.fail('expected an AddonError');
}

describe('MQTT from the Supervisor', () => {
  test('no broker in the options: host, port and credentials come from /services/mqtt', async () => {
    reset();
    const p = await prepare(minimal);
    assert.equal(p.mqttSource, 'supervisor');
    assert.equal(p.config.mqtt.server, 'mqtt://core-mosquitto:1883');
    assert.equal(p.config.mqtt.username, 'addons');
    assert.equal(p.config.mqtt.password, MQTT_PASSWORD);
    assert.ok(sup.requests.includes('GET /services/mqtt'));
    // the password sits in a 0600 file, not in the generated YAML
    const yaml = readFileSync(p.configFile, 'utf8');
    assert.ok(!yaml.includes(MQTT_PASSWORD));
    assert.equal(statSync(p.configFile).mode & 0o777, 0o600);
    assert.equal(statSync(join(p.dataDir, 'secrets', 'mqtt_password')).mode & 0o777, 0o600);
    assert.equal(statSync(join(p.dataDir, 'secrets')).mode & 0o777, 0o700);
  });

  test('TLS from the Supervisor becomes mqtts://', async () => {
    reset();
    sup.mqtt.body = { result: 'ok', data: { host: 'core-mosquitto', port: 8883, ssl: true, username: 'u', password: 'p' } };
    const p = await prepare(minimal);
    assert.equal(p.config.mqtt.server, 'mqtts://core-mosquitto:8883');
  });

  test('a broker in the options is kept, with its credentials, and the Supervisor is not asked', async () => {
    reset();
    const p = await prepare({ ...minimal, mqtt: { enabled: true, server: 'mqtt://192.168.1.5:1883', username: 'me', password: 'mine' } });
    assert.equal(p.mqttSource, 'options');
    assert.equal(p.config.mqtt.server, 'mqtt://192.168.1.5:1883');
    assert.equal(p.config.mqtt.username, 'me');
    assert.equal(p.config.mqtt.password, 'mine');
    assert.ok(!sup.requests.includes('GET /services/mqtt'));
  });

  test('a broker in the options without credentials gets none from the Supervisor', async () => {
    reset();
    const p = await prepare({ ...minimal, mqtt: { enabled: true, server: 'mqtt://broker.lan:1883' } });
    assert.equal(p.config.mqtt.username, undefined);
    assert.equal(p.config.mqtt.password, undefined);
  });

  test("credentials in the options without a broker: the Supervisor's broker with the user's credentials", async () => {
    reset();
    const p = await prepare({ ...minimal, mqtt: { enabled: true, username: 'me', password: 'mine' } });
    assert.equal(p.config.mqtt.server, 'mqtt://core-mosquitto:1883');
    assert.equal(p.config.mqtt.username, 'me');
    assert.equal(p.config.mqtt.password, 'mine');
  });

  test('mqtt.enabled false: no MQTT and no question to the Supervisor about it', async () => {
    reset();
    const p = await prepare({ ...minimal, mqtt: { enabled: false } });
    assert.equal(p.mqttSource, 'off');
    assert.equal(p.config.mqtt.enabled, false);
    assert.ok(!sup.requests.includes('GET /services/mqtt'));
  });

  test('the Supervisor answering an error stops the start with what to do', async () => {
    reset();
    sup.mqtt = { status: 400, body: { result: 'error', message: 'No mqtt service available' } };
    const e = await rejects(prepare(minimal), /No mqtt service available/);
    assert.match(e.message, /Mosquitto/);
    assert.match(e.message, /mqtt\.enabled/);
    assert.match(e.message, /mqtt\.server/);
  });

  test('a refused token, a missing token and an unreachable Supervisor are said so, without the token', async () => {
    reset();
    const e = await rejects(prepare(minimal, { SUPERVISOR_TOKEN: 'wrong-token-123' }), /HTTP 401.*refused the add-on token/);
    assert.ok(!e.message.includes('wrong-token-123'));
    await rejects(prepare(minimal, {}), /SUPERVISOR_TOKEN is not set/);
    const d = addonData(minimal);
    await rejects(prepareAddon({ ...d, supervisorUrl: 'http://127.0.0.1:1', env: { SUPERVISOR_TOKEN: TOKEN } }), /cannot reach the Supervisor/);
  });

  test('an answer without a usable host is refused', async () => {
    reset();
    sup.mqtt.body = { result: 'ok', data: { port: 1883 } };
    await rejects(prepare(minimal), /no usable host and port/);
  });
});

describe('time zone', () => {
  test('from /info when the options have none', async () => {
    reset();
    const p = await prepare(minimal);
    assert.deepEqual(p.timezone, { value: 'Europe/Berlin', source: 'supervisor' });
    assert.equal(p.config.takeout.timezone, 'Europe/Berlin');
    assert.ok(sup.requests.includes('GET /info'));
  });

  test('the options win over the Supervisor', async () => {
    reset();
    const p = await prepare({ ...minimal, takeout: { timezone: 'America/New_York' } });
    assert.equal(p.config.takeout.timezone, 'America/New_York');
    assert.ok(!sup.requests.includes('GET /info'));
  });

  test('without an answer from /info: $TZ; without $TZ: none', async () => {
    reset();
    sup.info = { status: 500, body: { result: 'error', message: 'boom' } };
    const p = await prepare(minimal, { SUPERVISOR_TOKEN: TOKEN, TZ: 'Asia/Tokyo' });
    assert.deepEqual(p.timezone, { value: 'Asia/Tokyo', source: 'env' });
    const q = await prepare(minimal, { SUPERVISOR_TOKEN: TOKEN, TZ: 'Not/AZone' });
    assert.deepEqual(q.timezone, { value: null, source: 'none' });
    assert.equal(q.config.takeout.timezone, undefined);
  });
});

describe("the devices' link to the add-on's page (http.public_url → discovery configuration_url)", () => {
  test("the ingress page of the add-on's own slug, from /addons/self/info", async () => {
    reset();
    const p = await prepare(minimal);
    assert.equal(p.config.http.public_url, 'homeassistant://hassio/ingress/a0d7b954_fitbit-bridge');
    assert.ok(sup.requests.includes('GET /addons/self/info'));
  });

  test('no ingress, no slug or no answer: no link, and the add-on starts', async () => {
    for (const self of [
      { status: 200, body: { result: 'ok', data: { slug: 'a0d7b954_fitbit-bridge', ingress: false } } },
      { status: 200, body: { result: 'ok', data: { ingress: true } } },
      { status: 403, body: { result: 'error', message: 'Forbidden' } },
    ]) {
      reset();
      sup.self = self;
      const p = await prepare(minimal);
      assert.equal(p.config.http.public_url, undefined, JSON.stringify(self));
      assert.equal(p.mqttSource, 'supervisor');
    }
  });

  test('/config/config.yaml naming one wins, and the Supervisor is not asked', async () => {
    reset();
    const p = await prepare(minimal, { SUPERVISOR_TOKEN: TOKEN }, { baseConfig: 'http:\n  public_url: https://ha.example.lan/fitbit/\n' });
    assert.equal(p.config.http.public_url, 'https://ha.example.lan/fitbit/');
    assert.ok(!sup.requests.includes('GET /addons/self/info'));
  });
});

describe('options.json → configuration', () => {
  /** Every option of the schema set. */
  const full = {
    accounts: [{ name: 'alice', timezone: 'Europe/Paris' }, { name: 'bob' }],
    log_level: 'debug',
    google: { client_id: '123-abc.apps.googleusercontent.com', client_secret: 'gcs-secret-55' },
    mqtt: {
      enabled: true,
      server: 'mqtts://broker.lan:8883',
      username: 'fb',
      password: 'mqtt-secret-66',
      base_topic: 'fitbit',
      discovery_prefix: 'ha',
      step_goal: 9000,
    },
    remote_write: { url: 'http://victoria:8428/api/v1/write', username: 'rw', password: 'rw-secret-77' },
    takeout: { drop_folder: '/share/takeout', timezone: 'Europe/Madrid' },
    sync: { backfill_days: 400 },
  };

  test('the full example is valid for the Supervisor too', () => {
    assert.deepEqual(validateOptions(full, addonConfig.schema as SchemaNode), []);
  });

  test('every option lands on its configuration key', async () => {
    reset();
    const p = await prepare(full);
    const c = p.config;
    assert.deepEqual(c.accounts, [{ name: 'alice', timezone: 'Europe/Paris' }, { name: 'bob' }]);
    assert.equal(c.log.level, 'debug');
    assert.equal(c.google.client_id, '123-abc.apps.googleusercontent.com');
    assert.equal(c.google.client_secret, 'gcs-secret-55');
    assert.equal(c.mqtt.enabled, true);
    assert.equal(c.mqtt.server, 'mqtts://broker.lan:8883');
    assert.equal(c.mqtt.username, 'fb');
    assert.equal(c.mqtt.password, 'mqtt-secret-66');
    assert.equal(c.mqtt.base_topic, 'fitbit');
    assert.equal(c.mqtt.discovery_prefix, 'ha');
    assert.equal(c.mqtt.step_goal, 9000);
    assert.equal(c.remote_write.url, 'http://victoria:8428/api/v1/write');
    assert.equal(c.remote_write.username, 'rw');
    assert.equal(c.remote_write.password, 'rw-secret-77');
    assert.equal(c.takeout.drop_folder, '/share/takeout');
    assert.equal(c.takeout.timezone, 'Europe/Madrid');
    assert.equal(c.sync.backfill_days, 400);
    // fixed by the add-on
    assert.equal(c.store.path, join(p.dataDir, 'fitbit-bridge.db'));
    assert.equal(c.google.token_dir, join(p.dataDir, 'tokens'));
    assert.deepEqual(c.http, {
      enabled: true,
      bind: '0.0.0.0',
      port: 8099,
      allowed_clients: ['172.30.32.2', '127.0.0.1'],
      allowed_hosts: ['*'],
      public_url: 'homeassistant://hassio/ingress/a0d7b954_fitbit-bridge',
    });
    // no secret in the YAML
    const yaml = readFileSync(p.configFile, 'utf8');
    for (const s of ['gcs-secret-55', 'mqtt-secret-66', 'rw-secret-77']) assert.ok(!yaml.includes(s), s);
    assert.ok(!sup.requests.includes('GET /services/mqtt'));
  });

  test('defaults: the drop folder under /share, no Google client, no remote write', async () => {
    reset();
    const p = await prepare(addonConfig.options);
    assert.equal(p.config.takeout.drop_folder, '/share/fitbit-bridge/takeout');
    assert.equal(p.config.google.client_id, undefined);
    assert.equal(p.config.remote_write.url, undefined);
    assert.deepEqual(p.config.accounts, [{ name: 'me' }]);
    assert.equal(p.config.log.level, 'info');
  });

  test('empty strings mean "not set"; a secret removed from the options leaves no file behind', async () => {
    reset();
    const d = addonData({ ...minimal, google: { client_id: 'x', client_secret: 's1' } });
    await prepareAddon({ ...d, supervisorUrl: sup.url, env: { SUPERVISOR_TOKEN: TOKEN } });
    assert.ok(statSync(join(d.dataDir, 'secrets', 'google_client_secret')).isFile());
    writeFileSync(d.optionsPath, JSON.stringify({ ...minimal, google: { client_id: '', client_secret: '' }, mqtt: { enabled: false } }));
    const p = await prepareAddon({ ...d, supervisorUrl: sup.url, env: { SUPERVISOR_TOKEN: TOKEN } });
    assert.equal(p.config.google.client_id, undefined);
    assert.equal(p.config.google.client_secret, undefined);
    assert.throws(() => statSync(join(d.dataDir, 'secrets', 'google_client_secret')), /ENOENT/);
  });

  test('bad options are named, secrets are not shown', async () => {
    assert.throws(
      () => parseAddonOptions({ ...minimal, accounts: [{ name: 'a b' }] }),
      (e: unknown) => e instanceof AddonError && /accounts\.0\.name/.test(e.message),
    );
    assert.throws(() => parseAddonOptions({ ...minimal, accounts: [] }), /accounts/);
    assert.throws(() => parseAddonOptions({ ...minimal, accounts: [{ name: 'a' }, { name: 'a' }] }), /all different/);
    assert.throws(() => parseAddonOptions({ ...minimal, accounts: [{ name: 'a', timezone: 'Mars/Base' }] }), /accounts\.0\.timezone/);
    assert.throws(() => parseAddonOptions({ ...minimal, extra: true }), /unknown option extra/);
    assert.throws(() => parseAddonOptions({ ...minimal, mqtt: { enabled: true, server: 'http://nope' } }), /mqtt\.server/);
    assert.throws(
      () => parseAddonOptions({ ...minimal, google: { client_secret: 42 } }),
      (e: unknown) => e instanceof AddonError && /google\.client_secret: invalid value/.test(e.message) && !e.message.includes('42'),
    );
    const d = addonData(minimal);
    writeFileSync(d.optionsPath, '{not json');
    await rejects(prepareAddon({ ...d, supervisorUrl: sup.url, env: { SUPERVISOR_TOKEN: TOKEN } }), /not valid JSON/);
    await rejects(prepareAddon({ optionsPath: join(d.dataDir, 'missing.json'), dataDir: d.dataDir, env: {} }), /cannot read the add-on options/);
  });

  test('/config/config.yaml adds keys; the options win over it', async () => {
    reset();
    const p = await prepare({ ...minimal, mqtt: { enabled: true, server: 'mqtt://opt:1883' } }, undefined, {
      baseConfig:
        'schedule:\n  recent: "*/2 * * * *"\nmqtt:\n  server: mqtt://base:1883\n  keepalive: 30\n  password: base-pw\nhttp:\n  port: 1234\nremote_write:\n  headers:\n    X-Scope-OrgID: home\n',
    });
    assert.equal(p.config.schedule.recent, '*/2 * * * *');
    assert.equal(p.config.mqtt.server, 'mqtt://opt:1883');
    assert.equal(p.config.mqtt.keepalive, 30);
    assert.equal(p.config.mqtt.password, undefined, "the base's password does not ride along with the options' broker");
    assert.equal(p.config.http.port, 8099);
    assert.deepEqual(p.config.http.allowed_clients, ['172.30.32.2', '127.0.0.1'], 'only the ingress proxy (and the health check) by default');
    const own = await prepare(minimal, undefined, { baseConfig: 'http:\n  allowed_clients: [192.168.1.9]\n  allowed_hosts: [ha.lan]\n' });
    assert.deepEqual(own.config.http.allowed_clients, ['192.168.1.9'], 'configured otherwise in /config/config.yaml');
    assert.deepEqual(own.config.http.allowed_hosts, ['ha.lan']);
    assert.deepEqual(p.config.remote_write.headers, { 'X-Scope-OrgID': 'home' });
    const q = await prepare(minimal, undefined, { baseConfig: 'takeout:\n  timezone: Europe/Oslo\n' });
    assert.deepEqual(q.timezone, { value: 'Europe/Oslo', source: 'config' });
    assert.equal(q.config.takeout.timezone, 'Europe/Oslo');
    await rejects(prepare(minimal, undefined, { baseConfig: '- a list\n' }), /expected a mapping/);
  });

  test('buildAddonConfig is pure and its output loads as a configuration', () => {
    const ac = buildAddonConfig({ options: parseAddonOptions(minimal), dataDir: '/data', mqttService: { host: 'h', port: 1, ssl: false }, timezone: null });
    assert.deepEqual(ac.secrets, {});
    const dir = tmp.mkdir('pure');
    const f = join(dir, 'c.yaml');
    writeFileSync(f, JSON.stringify(ac.config));
    const c = loadConfig({ file: f, env: {} });
    assert.equal(c.mqtt.server, 'mqtt://h:1');
    assert.equal(c.store.path, '/data/fitbit-bridge.db');
  });

  test("run's environment: the image's FITBIT_BRIDGE_* variables are dropped, the generated file named", () => {
    const env = addonRunEnv(
      { PATH: '/bin', FITBIT_BRIDGE_DB: '/x.db', FITBIT_BRIDGE_HTTP__BIND: '127.0.0.1', FITBIT_BRIDGE_FAILPOINT: 'x', SUPERVISOR_TOKEN: 't' },
      '/data/fitbit-bridge.yaml',
    );
    assert.deepEqual(env, { PATH: '/bin', FITBIT_BRIDGE_FAILPOINT: 'x', SUPERVISOR_TOKEN: 't', FITBIT_BRIDGE_CONFIG: '/data/fitbit-bridge.yaml' });
  });
});

// ---- the whole add-on start, as a process ------------------------------------------------------------

describe('addon-run', () => {
  let broker: Mosquitto;
  before(async () => {
    broker = await Mosquitto.start({ users: { addons: MQTT_PASSWORD } });
  });
  after(async () => {
    await broker.cleanup();
  });

  test("starts run with the Supervisor's broker, serves /healthz, logs no secret, stops on SIGTERM", { timeout: 60_000 }, async () => {
    reset();
    sup.mqtt.body = {
      result: 'ok',
      data: { host: '127.0.0.1', port: broker.port, ssl: false, protocol: '3.1.1', username: 'addons', password: MQTT_PASSWORD },
    };
    const d = addonData({ ...minimal, google: { client_id: 'cid.apps.googleusercontent.com', client_secret: 'gcs-e2e-secret' } });
    mkdirSync(join(d.dataDir, 'share'), { recursive: true });
    const rec = await Recorder.connect(broker.url, ['fitbit-bridge/#'], { username: 'addons', password: MQTT_PASSWORD });
    const script = `import { addonCommand } from './src/cli/commands/addon.ts';
await addonCommand().parseAsync(process.argv.slice(1), { from: 'user' });`;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        script,
        '--',
        '--options',
        d.optionsPath,
        '--data',
        d.dataDir,
        '--supervisor',
        sup.url,
        '--port',
        '0',
        '--base-config',
        d.baseConfigPath,
        '--no-sync',
      ],
      {
        cwd: root,
        env: { ...process.env, SUPERVISOR_TOKEN: TOKEN, FITBIT_BRIDGE_DB: join(d.dataDir, 'elsewhere.db'), FITBIT_BRIDGE_HTTP__PORT: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    const running = new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (b: Buffer) => {
        stderr += b.toString();
        for (const line of stderr.split('\n')) {
          if (!line.includes('fitbit-bridge is running')) continue;
          resolve((JSON.parse(line) as { url: string }).url);
        }
      });
      child.once('exit', (code) => reject(new Error(`addon-run exited with ${String(code)}: ${stderr}`)));
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const url = await running;
      const res = await fetch(`${url}/healthz`);
      assert.equal(res.status, 200);
      const ui = await fetch(`${url}/`);
      assert.equal(ui.status, 200, 'ingress opens / (the web UI)');
      await rec.waitFor(
        (m) => m.topic === 'fitbit-bridge/bridge/state' && m.payload === 'online',
        15_000,
        0,
        "the bridge online via the Supervisor's credentials",
      );
      // the image's variables did not win over the options
      assert.ok(statSync(join(d.dataDir, 'fitbit-bridge.db')).isFile());
      assert.throws(() => statSync(join(d.dataDir, 'elsewhere.db')), /ENOENT/);
    } finally {
      child.kill('SIGTERM');
      const code = await exited;
      await rec.client.endAsync();
      for (const secret of [MQTT_PASSWORD, TOKEN, 'gcs-e2e-secret']) {
        assert.ok(!stderr.includes(secret), `a secret reached the log: ${secret}`);
        assert.ok(!stdout.includes(secret), `a secret reached stdout: ${secret}`);
      }
      assert.ok(stderr.includes('add-on configuration ready'), stderr);
      assert.equal(code, 0, stderr);
    }
  });
});
