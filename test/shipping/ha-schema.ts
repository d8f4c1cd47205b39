/**
 * What the Home Assistant Supervisor checks in an add-on repository, written down here so the
 * tests need nothing outside this repository. Transcribed from the Supervisor's sources
 * (github.com/home-assistant/supervisor):
 *
 * - supervisor/addons/validate.py: `_SCHEMA_ADDON_CONFIG` (config.yaml; unknown keys are dropped
 *   silently — `extra=REMOVE_EXTRA` — so a misspelt key does nothing: the test refuses them),
 *   `_migrate_addon_config` (map entries), `RE_VOLUME`, `RE_SERVICE`, `SCHEMA_BUILD_CONFIG` with
 *   `RE_DOCKER_IMAGE_BUILD` (build.yaml), `SCHEMA_ADDON_TRANSLATIONS` (translations/*.yaml);
 * - supervisor/addons/options.py: `RE_SCHEMA_ELEMENT` (the option type language) and
 *   `AddonOptions` (how options.json is checked: unknown keys ignored with a warning, a missing
 *   key is an error unless its type is a string ending in `?` — a missing mapping or list of
 *   mappings is an error);
 * - supervisor/validate.py: `docker_image` (config.yaml `image`, no tag), `network_port`;
 * - supervisor/const.py: `ARCH_ALL`, `AddonStartup`, `AddonBootConfig`, `AddonStage`, `ROLE_ALL`;
 * - supervisor/addons/model.py `_image`: `image.format(arch=…)`, then `<image>:<version>` is pulled;
 * - supervisor/store/data.py: every `config.{json,yaml,yml}` below the repository root (not under
 *   a folder starting with "." or named `rootfs`) is read as an add-on; translations from
 *   `<add-on>/translations/<lang>.{yaml,yml,json}`;
 * - supervisor/store/validate.py: `SCHEMA_REPOSITORY_CONFIG` (repository.yaml).
 *
 * Plus developers.home-assistant.io (add-ons: configuration, presentation): options nest at most
 * two levels; icon.png square (128x128 recommended), logo.png about 250x100.
 *
 * Where the Supervisor coerces (`vol.Boolean()` takes "yes", `vol.Coerce(int)` takes "5"), these
 * checks are stricter on purpose: the add-on's own files should hold the plain types.
 */

export type SchemaNode = string | SchemaNode[] | { [k: string]: SchemaNode };

/** supervisor/const.py ARCH_ALL. */
export const SUPERVISOR_ARCHES = ['armhf', 'armv7', 'aarch64', 'amd64', 'i386'] as const;
/** AddonStartup (`before` / `after` are migrated to services / application, with a warning). */
export const STARTUP_VALUES = ['initialize', 'system', 'services', 'application', 'once'] as const;
/** AddonBootConfig. */
export const BOOT_VALUES = ['auto', 'manual', 'manual_only'] as const;
export const STAGE_VALUES = ['stable', 'experimental', 'deprecated'] as const;
export const ROLE_VALUES = ['default', 'homeassistant', 'backup', 'manager', 'admin'] as const;
/** The Docker platform each Supervisor architecture runs (for building its image). */
export const DOCKER_PLATFORM: Record<string, string> = {
  amd64: 'linux/amd64',
  aarch64: 'linux/arm64',
  armv7: 'linux/arm/v7',
  armhf: 'linux/arm/v6',
  i386: 'linux/386',
};

/** RE_SLUG_FIELD (addons/const.py RE_SLUG, anchored). */
export const RE_SLUG_FIELD = /^[-_.A-Za-z0-9]+$/;
/** RE_VOLUME: a `map` entry as a string. */
export const RE_VOLUME = /^(data|config|ssl|addons|backup|share|media|homeassistant_config|all_addon_configs|addon_config)(?::(rw|ro))?$/;
/** RE_SERVICE. */
export const RE_SERVICE = /^(mqtt|mysql):(provide|want|need)$/;
/** supervisor/validate.py docker_image: config.yaml `image` (a repository, never a tag). */
export const RE_DOCKER_IMAGE = /^([a-zA-Z\-.:\d{}]+\/)*?([-\w{}]+)\/([-\w{}]+)$/;
/** RE_DOCKER_IMAGE_BUILD: build.yaml `build_from` (needs a `/`: `node:24` must be written `docker.io/library/node:24`). */
export const RE_DOCKER_IMAGE_BUILD = /^([a-zA-Z\-.:\d{}]+\/)*?([-\w{}]+)\/([-\w{}]+)(:[.\-\w{}]+)?$/;
/** `ports` keys. */
const RE_DOCKER_PORT = /^\d+(?:\/tcp|\/udp)?$/;
/** RE_SCHEMA_ELEMENT (addons/options.py), Python's named groups in JavaScript spelling. */
export const RE_SCHEMA_ELEMENT =
  /^(?:|bool|email|url|port|device(?:\((?<filter>subsystem=[a-z]+)\))?|str(?:\((?<s_min>\d+)?,(?<s_max>\d+)?\))?|password(?:\((?<p_min>\d+)?,(?<p_max>\d+)?\))?|int(?:\((?<i_min>\d+)?,(?<i_max>\d+)?\))?|float(?:\((?<f_min>[\d.]+)?,(?<f_max>[\d.]+)?\))?|match\((?<match>.*)\)|list\((?<list>.+)\))\??$/;

/**
 * Every key `_SCHEMA_ADDON_CONFIG` knows. Any other key is dropped without a word, so a test
 * that finds one has found a typo or a key from another tool (build.yaml's, HA core's).
 */
export const SUPERVISOR_CONFIG_KEYS = [
  'name',
  'version',
  'slug',
  'description',
  'arch',
  'machine',
  'url',
  'startup',
  'boot',
  'init',
  'advanced',
  'stage',
  'ports',
  'ports_description',
  'watchdog',
  'webui',
  'ingress',
  'ingress_port',
  'ingress_entry',
  'ingress_stream',
  'panel_icon',
  'panel_title',
  'panel_admin',
  'homeassistant',
  'host_network',
  'host_pid',
  'host_ipc',
  'host_uts',
  'host_dbus',
  'devices',
  'udev',
  'tmpfs',
  'map',
  'environment',
  'privileged',
  'apparmor',
  'full_access',
  'audio',
  'video',
  'gpio',
  'usb',
  'uart',
  'devicetree',
  'kernel_modules',
  'realtime',
  'hassio_api',
  'hassio_role',
  'homeassistant_api',
  'stdin',
  'legacy',
  'docker_api',
  'auth_api',
  'services',
  'discovery',
  'backup_exclude',
  'backup_pre',
  'backup_post',
  'restore_pre',
  'restore_post',
  'backup',
  'options',
  'schema',
  'image',
  'ulimits',
  'timeout',
  'journald',
  'breaking_versions',
] as const;
export const REQUIRED_CONFIG_KEYS = ['name', 'version', 'slug', 'description', 'arch'] as const;

const BOOL_KEYS = [
  'init',
  'advanced',
  'ingress',
  'ingress_stream',
  'panel_admin',
  'host_network',
  'host_pid',
  'host_ipc',
  'host_uts',
  'host_dbus',
  'udev',
  'tmpfs',
  'apparmor',
  'full_access',
  'audio',
  'video',
  'gpio',
  'usb',
  'uart',
  'devicetree',
  'kernel_modules',
  'realtime',
  'hassio_api',
  'homeassistant_api',
  'stdin',
  'legacy',
  'docker_api',
  'auth_api',
  'journald',
];
const STR_KEYS = ['name', 'description', 'ingress_entry', 'panel_icon', 'panel_title', 'backup_pre', 'backup_post', 'restore_pre', 'restore_post'];
const STR_LIST_KEYS = ['devices', 'discovery', 'backup_exclude'];

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isUrl = (v: unknown): boolean => {
  if (typeof v !== 'string') return false;
  try {
    const u = new URL(v);
    return u.protocol !== '' && u.host !== '';
  } catch {
    return false;
  }
};
const isPort = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65_535;
/** version_tag is AwesomeVersion(value): any string works; a YAML number (1.10 → 1.1) would not say what was meant. */
const isVersion = (v: unknown): boolean => typeof v === 'string' && /^\d+(\.\d+)*([.-]?[0-9A-Za-z.-]+)?$/.test(v);

/** Problems of config.yaml against `_SCHEMA_ADDON_CONFIG` (empty: the Supervisor accepts it as is). */
export function checkAddonConfig(cfg: unknown): string[] {
  if (!isObj(cfg)) return ['config.yaml: not a mapping'];
  const out: string[] = [];
  const known = new Set<string>(SUPERVISOR_CONFIG_KEYS);
  for (const k of Object.keys(cfg)) if (!known.has(k)) out.push(`${k}: not a key the Supervisor knows (it would be dropped silently)`);
  for (const k of REQUIRED_CONFIG_KEYS) if (!(k in cfg)) out.push(`${k}: required`);
  const has = (k: string): boolean => k in cfg;
  for (const k of STR_KEYS) if (has(k) && typeof cfg[k] !== 'string') out.push(`${k}: not a string`);
  for (const k of BOOL_KEYS) if (has(k) && typeof cfg[k] !== 'boolean') out.push(`${k}: not a boolean`);
  for (const k of STR_LIST_KEYS)
    if (has(k) && !(Array.isArray(cfg[k]) && (cfg[k] as unknown[]).every((x) => typeof x === 'string'))) out.push(`${k}: not a list of strings`);
  if (has('name') && cfg.name === '') out.push('name: empty');
  if (has('version') && !isVersion(cfg.version)) out.push(`version: not a version string (quote it): ${JSON.stringify(cfg.version)}`);
  if (has('homeassistant') && !isVersion(cfg.homeassistant)) out.push('homeassistant: not a version string');
  if (has('slug') && !(typeof cfg.slug === 'string' && RE_SLUG_FIELD.test(cfg.slug))) out.push('slug: not [-_.A-Za-z0-9]+');
  if (has('arch')) {
    const a = cfg.arch;
    if (!Array.isArray(a) || a.length === 0) out.push('arch: not a non-empty list');
    else for (const x of a) if (!(SUPERVISOR_ARCHES as readonly unknown[]).includes(x)) out.push(`arch: unknown ${JSON.stringify(x)}`);
  }
  if (has('url') && !isUrl(cfg.url)) out.push('url: not a URL');
  if (has('startup') && !(STARTUP_VALUES as readonly unknown[]).includes(cfg.startup)) out.push(`startup: not one of ${STARTUP_VALUES.join('|')}`);
  if (has('boot') && !(BOOT_VALUES as readonly unknown[]).includes(cfg.boot)) out.push(`boot: not one of ${BOOT_VALUES.join('|')}`);
  if (has('stage') && !(STAGE_VALUES as readonly unknown[]).includes(cfg.stage)) out.push(`stage: not one of ${STAGE_VALUES.join('|')}`);
  if (has('hassio_role') && !(ROLE_VALUES as readonly unknown[]).includes(cfg.hassio_role)) out.push('hassio_role: unknown role');
  if (has('backup') && !['hot', 'cold'].includes(cfg.backup as string)) out.push('backup: not hot|cold');
  if (has('ingress_port') && !(isPort(cfg.ingress_port) || cfg.ingress_port === 0)) out.push('ingress_port: not a port (or 0)');
  if (has('timeout') && !(typeof cfg.timeout === 'number' && Number.isInteger(cfg.timeout) && cfg.timeout >= 10 && cfg.timeout <= 300))
    out.push('timeout: not 10..300');
  if (has('watchdog') && !(typeof cfg.watchdog === 'string' && /^(?:https?|\[PROTO:\w+\]|tcp):\/\/\[HOST\]:(\[PORT:\d+\]|\d+).*$/.test(cfg.watchdog)))
    out.push('watchdog: bad form');
  if (has('webui') && !(typeof cfg.webui === 'string' && /^(?:https?|\[PROTO:\w+\]):\/\/\[HOST\]:\[PORT:\d+\].*$/.test(cfg.webui))) out.push('webui: bad form');
  if (has('ports')) {
    if (!isObj(cfg.ports)) out.push('ports: not a mapping');
    else for (const [k, v] of Object.entries(cfg.ports)) if (!RE_DOCKER_PORT.test(k) || !(v === null || isPort(v))) out.push(`ports: bad entry ${k}`);
  }
  if (has('environment') && !(isObj(cfg.environment) && Object.values(cfg.environment).every((v) => typeof v === 'string')))
    out.push('environment: not a mapping of strings');
  if (has('services')) {
    const s = cfg.services;
    if (!Array.isArray(s)) out.push('services: not a list');
    else for (const x of s) if (!(typeof x === 'string' && RE_SERVICE.test(x))) out.push(`services: bad entry ${JSON.stringify(x)}`);
  }
  if (has('map')) {
    // _migrate_addon_config skips a bad entry with a warning only; for us it is an error
    const m = cfg.map;
    if (!Array.isArray(m)) out.push('map: not a list');
    else
      for (const x of m) {
        const ok = typeof x === 'string' ? RE_VOLUME.test(x) : isObj(x) && typeof x.type === 'string' && RE_VOLUME.test(x.type);
        if (!ok) out.push(`map: bad entry ${JSON.stringify(x)}`);
      }
  }
  if (has('image')) {
    const img = cfg.image;
    if (!(typeof img === 'string' && RE_DOCKER_IMAGE.test(img))) out.push('image: not an image repository (registry/owner/name, no tag)');
    // model.py: image.format(arch=…) — any other {…} raises
    else if (img.replace(/\{arch\}/g, '').includes('{') || img.replace(/\{arch\}/g, '').includes('}')) out.push('image: a placeholder other than {arch}');
  }
  if (has('options') && !isObj(cfg.options)) out.push('options: not a mapping');
  if (has('schema') && cfg.schema !== false) out.push(...checkSchemaShape(cfg.schema as SchemaNode, 'schema', 0));
  return out;
}

/** SCHEMA_ELEMENT: mappings of elements; a list holds one type string or one mapping, never a list. Nesting at most two levels (docs). */
function checkSchemaShape(node: SchemaNode, path: string, depth: number): string[] {
  if (typeof node === 'string') {
    try {
      parseType(node);
      return [];
    } catch (e) {
      return [`${path}: ${(e as Error).message}`];
    }
  }
  // depth: how many keys lead here (a list's element sits at its list's depth)
  if (depth > 1) return [`${path}: options nest more than two levels`];
  if (Array.isArray(node)) {
    if (node.length !== 1) return [`${path}: a list schema holds exactly one element type`];
    const [el] = node as [SchemaNode];
    if (Array.isArray(el)) return [`${path}: a list may not directly contain another list`];
    return checkSchemaShape(el, `${path}[]`, depth);
  }
  if (!isObj(node)) return [`${path}: not a type, list or mapping`];
  return Object.entries(node).flatMap(([k, v]) => checkSchemaShape(v, `${path}.${k}`, depth + 1));
}

export interface ParsedType {
  kind: 'str' | 'bool' | 'int' | 'float' | 'url' | 'password' | 'port' | 'email' | 'match' | 'list' | 'device';
  optional: boolean;
  min?: number;
  max?: number;
  regex?: RegExp;
  choices?: string[];
}

/** Parses one type string as RE_SCHEMA_ELEMENT does; throws on anything the Supervisor would not take. */
export function parseType(t: string): ParsedType {
  const m = RE_SCHEMA_ELEMENT.exec(t);
  if (!m || t.replace(/\?$/, '') === '') throw new Error(`not a schema type the Supervisor knows: ${JSON.stringify(t)}`);
  const g = m.groups ?? {};
  const optional = t.endsWith('?');
  const num = (a: string | undefined): number | undefined => (a === undefined ? undefined : Number(a));
  const range = (min: string | undefined, max: string | undefined): { min?: number; max?: number } => {
    const out: { min?: number; max?: number } = {};
    const lo = num(min);
    const hi = num(max);
    if (lo !== undefined) out.min = lo;
    if (hi !== undefined) out.max = hi;
    return out;
  };
  if (t.startsWith('str')) return { kind: 'str', optional, ...range(g.s_min, g.s_max) };
  if (t.startsWith('password')) return { kind: 'password', optional, ...range(g.p_min, g.p_max) };
  if (t.startsWith('int')) return { kind: 'int', optional, ...range(g.i_min, g.i_max) };
  if (t.startsWith('float')) return { kind: 'float', optional, ...range(g.f_min, g.f_max) };
  if (t.startsWith('match')) {
    // vol.Match anchors at the start only (re.match)
    return { kind: 'match', optional, regex: new RegExp(`^(?:${g.match as string})`) };
  }
  if (t.startsWith('list')) return { kind: 'list', optional, choices: (g.list as string).split('|') };
  for (const k of ['bool', 'email', 'url', 'port', 'device'] as const) if (t.startsWith(k)) return { kind: k, optional };
  throw new Error(`not a schema type: ${t}`);
}

function checkValue(v: unknown, t: ParsedType, path: string, out: string[]): void {
  const bad = (what: string): void => {
    out.push(`${path}: expected ${what}, got ${JSON.stringify(v)}`);
  };
  if (v === null || v === undefined) return bad('a value (null is "missing required option")');
  switch (t.kind) {
    case 'bool':
      if (typeof v !== 'boolean') bad('a boolean');
      return;
    case 'int':
    case 'float':
    case 'port': {
      if (typeof v !== 'number' || !Number.isFinite(v)) return bad('a number');
      if (t.kind !== 'float' && !Number.isInteger(v)) return bad('an integer');
      const min = t.kind === 'port' ? 1 : t.min;
      const max = t.kind === 'port' ? 65_535 : t.max;
      if (min !== undefined && v < min) bad(`>= ${min}`);
      if (max !== undefined && v > max) bad(`<= ${max}`);
      return;
    }
    default: {
      if (typeof v !== 'string') return bad('a string');
      if (t.kind === 'str' || t.kind === 'password') {
        if (t.min !== undefined && v.length < t.min) bad(`at least ${t.min} characters`);
        if (t.max !== undefined && v.length > t.max) bad(`at most ${t.max} characters`);
      }
      if (t.kind === 'url' && !isUrl(v)) bad('a URL');
      if (t.kind === 'email' && !/^[^@\s]+@[^@\s]+$/.test(v)) bad('an e-mail address');
      if (t.kind === 'match' && !(t.regex as RegExp).test(v)) bad(`a match of ${String(t.regex)}`);
      if (t.kind === 'list' && !(t.choices as string[]).includes(v)) bad(`one of ${(t.choices as string[]).join('|')}`);
    }
  }
}

/**
 * Problems of `value` against `schema` (empty: valid), as AddonOptions checks options.json.
 * A key missing from a mapping is an error unless its type is a string ending in `?` (for a
 * list: its element type) — so a missing mapping, or a missing list of mappings, is an error, as
 * in the Supervisor. Unknown keys count too (the Supervisor drops them with a warning).
 */
export function validateOptions(value: unknown, schema: SchemaNode, path = ''): string[] {
  const out: string[] = [];
  const at = (k: string | number): string => (path === '' ? String(k) : `${path}.${k}`);
  if (typeof schema === 'string') {
    checkValue(value, parseType(schema), path || '(value)', out);
  } else if (Array.isArray(schema)) {
    if (schema.length !== 1) throw new Error(`${path}: a list schema has exactly one element type`);
    if (!Array.isArray(value)) return [`${path}: expected a list`];
    value.forEach((item, i) => out.push(...validateOptions(item, schema[0] as SchemaNode, at(i))));
  } else {
    if (!isObj(value)) return [`${path || '(top level)'}: expected a mapping`];
    for (const k of Object.keys(value)) if (!(k in schema)) out.push(`${at(k)}: not in the schema`);
    for (const [k, sub] of Object.entries(schema)) {
      if (!(k in value)) {
        const el = Array.isArray(sub) ? sub[0] : sub;
        if (!(typeof el === 'string' && el.endsWith('?'))) out.push(`${at(k)}: required`);
        continue;
      }
      out.push(...validateOptions(value[k], sub, at(k)));
    }
  }
  return out;
}

/** Every leaf of a schema as a dotted path (`accounts[].name`, `mqtt.server`) → its type string. */
export function schemaLeaves(schema: SchemaNode, path = ''): Map<string, string> {
  const out = new Map<string, string>();
  if (typeof schema === 'string') out.set(path, schema);
  else if (Array.isArray(schema)) for (const [k, v] of schemaLeaves(schema[0] as SchemaNode, `${path}[]`)) out.set(k, v);
  else for (const [k, v] of Object.entries(schema)) for (const [p, t] of schemaLeaves(v, path === '' ? k : `${path}.${k}`)) out.set(p, t);
  return out;
}

/**
 * Problems of a translations file against SCHEMA_ADDON_TRANSLATIONS, and against the schema it
 * translates: `configuration` names every option with `name` (required) and `description`, a
 * mapping's (or list of mappings') keys under `fields`, no key the schema lacks.
 */
export function checkTranslations(tr: unknown, schema: SchemaNode): string[] {
  if (!isObj(tr)) return ['not a mapping'];
  const out: string[] = [];
  for (const k of Object.keys(tr)) if (!['configuration', 'network'].includes(k)) out.push(`${k}: not a translations key`);
  if ('network' in tr && !(isObj(tr.network) && Object.values(tr.network).every((v) => typeof v === 'string'))) out.push('network: not a mapping of strings');
  const walk = (entries: unknown, node: SchemaNode, path: string): void => {
    if (!isObj(entries)) return void out.push(`${path}: not a mapping`);
    const inner = Array.isArray(node) ? (node[0] as SchemaNode) : node;
    if (!isObj(inner)) return;
    const want = Object.keys(inner).sort();
    const got = Object.keys(entries).sort();
    for (const k of want) if (!got.includes(k)) out.push(`${path}.${k}: no translation`);
    for (const k of got) if (!want.includes(k)) out.push(`${path}.${k}: not in the schema`);
    for (const k of want) {
      const e = entries[k];
      if (!isObj(e)) continue;
      const p = `${path}.${k}`;
      for (const kk of Object.keys(e)) if (!['name', 'description', 'fields'].includes(kk)) out.push(`${p}.${kk}: not a translation key`);
      if (typeof e.name !== 'string' || e.name.trim() === '') out.push(`${p}: no name`);
      if (typeof e.description !== 'string' || e.description.trim() === '') out.push(`${p}: no description`);
      const sub = inner[k] as SchemaNode;
      const subInner = Array.isArray(sub) ? sub[0] : sub;
      if (isObj(subInner)) walk(e.fields, sub, `${p}.fields`);
      else if ('fields' in e) out.push(`${p}.fields: the option has no fields`);
    }
  };
  if (!('configuration' in tr)) out.push('configuration: missing');
  else walk(tr.configuration, schema, 'configuration');
  return out;
}

/** Problems of build.yaml against SCHEMA_BUILD_CONFIG. */
export function checkBuildConfig(b: unknown): string[] {
  if (!isObj(b)) return ['build.yaml: not a mapping'];
  const out: string[] = [];
  for (const k of Object.keys(b)) if (!['build_from', 'squash', 'args', 'labels'].includes(k)) out.push(`${k}: not a build.yaml key (dropped silently)`);
  const from = b.build_from;
  if (typeof from === 'string') {
    if (!RE_DOCKER_IMAGE_BUILD.test(from)) out.push(`build_from: ${from} does not match RE_DOCKER_IMAGE_BUILD`);
  } else if (isObj(from)) {
    for (const [arch, img] of Object.entries(from)) {
      if (!(SUPERVISOR_ARCHES as readonly string[]).includes(arch)) out.push(`build_from.${arch}: unknown architecture`);
      if (!(typeof img === 'string' && RE_DOCKER_IMAGE_BUILD.test(img))) out.push(`build_from.${arch}: ${String(img)} does not match RE_DOCKER_IMAGE_BUILD`);
    }
  } else if (from !== undefined) out.push('build_from: neither an image nor a mapping arch → image');
  if ('squash' in b && typeof b.squash !== 'boolean') out.push('squash: not a boolean');
  for (const k of ['args', 'labels'])
    if (k in b && !(isObj(b[k]) && Object.values(b[k]).every((v) => typeof v === 'string'))) out.push(`${k}: not a mapping of strings`);
  return out;
}

/** Problems of repository.yaml against SCHEMA_REPOSITORY_CONFIG. */
export function checkRepositoryConfig(r: unknown): string[] {
  if (!isObj(r)) return ['repository.yaml: not a mapping'];
  const out: string[] = [];
  for (const k of Object.keys(r)) if (!['name', 'url', 'maintainer'].includes(k)) out.push(`${k}: not a repository key`);
  if (typeof r.name !== 'string') out.push('name: required string');
  if ('url' in r && !isUrl(r.url)) out.push('url: not a URL');
  if ('maintainer' in r && typeof r.maintainer !== 'string') out.push('maintainer: not a string');
  return out;
}

/** `docker.io/library/node:24` and `node:24` name the same image. */
export function normaliseImageRef(ref: string): string {
  let s = ref.trim();
  if (s.startsWith('docker.io/')) s = s.slice('docker.io/'.length);
  if (s.startsWith('library/')) s = s.slice('library/'.length);
  return s;
}

/** Width and height of a PNG (the IHDR chunk); throws when `buf` is not a PNG. */
export function pngSize(buf: Buffer): { width: number; height: number } {
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (buf.length < 24 || !buf.subarray(0, 8).equals(sig) || buf.toString('latin1', 12, 16) !== 'IHDR') throw new Error('not a PNG');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}
