/**
 * Loads the configuration: one YAML file, environment variables and command-line flags, merged
 * with the precedence flag > env > file > default, then validated by the zod schema.
 *
 * - Env: every key as `FITBIT_BRIDGE_` + its path upper-cased, segments joined by `__`
 *   (`FITBIT_BRIDGE_LOG__LEVEL=debug`, `FITBIT_BRIDGE_ACCOUNTS__0__NAME=alice`). Values are YAML
 *   scalars (numbers, booleans) unless the key holds a string, in which case the text is taken
 *   as is (so `007` stays "007"). A variable naming no key is an error. `FITBIT_BRIDGE_DB` sets
 *   store.path; `FITBIT_BRIDGE_CONFIG` names the file; `FITBIT_BRIDGE_LOG_LEVEL` belongs to the
 *   logger (src/util/log.ts) and is left alone here.
 * - Secrets from files: any key `X_file` whose sibling `X` is in the schema (in the file, as
 *   `FITBIT_BRIDGE_…_X_FILE`, or as a flag) is replaced by `X` = the file's content without its
 *   trailing newline. Relative paths in the YAML file are relative to the file's folder. Only a
 *   regular file of at most MAX_SECRET_FILE_BYTES is read (a FIFO, /dev/zero or a huge file is
 *   an error naming key and path); the config file itself is read up to MAX_CONFIG_FILE_BYTES.
 *   YAML aliases that expand too much (an alias bomb) are an error naming the file.
 * - Errors: one ConfigError listing every problem as `<where>: <key.path>: expected …, got …`,
 *   where `<where>` is `config.yaml:12:3`, `env FITBIT_BRIDGE_…` or `flag --…`. Values of
 *   secrets (from `_file` keys, or keys named like password / secret / token) are never shown.
 *
 * The machinery (`loadConfigWith`, `resolveSecretFiles`) works with any zod object schema.
 */
import { closeSync, constants as fsConstants, existsSync, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import { BridgeError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { clip } from '../util/clip.js';
import { configSchema, defaultConfigPath, defaultStorePath, type Config } from './schema.js';

export type KeyPath = (string | number)[];

/** Every problem found while loading, one line each. */
export class ConfigError extends BridgeError {
  constructor(public readonly issues: string[]) {
    super('invalid configuration', 'Fix the configuration (every key is described in config.example.yaml)', EXIT.USAGE, { message: issues.join('\n') });
    this.name = 'ConfigError';
  }

  /** One issue on the line; several on lines of their own. */
  override describe(): string {
    return this.issues.length === 1
      ? `${this.what}: ${this.issues[0] ?? ''}. ${this.advice}.`
      : `${this.what}:\n  ${this.issues.join('\n  ')}\n${this.advice}.`;
  }
}

export const ENV_PREFIX = 'FITBIT_BRIDGE_';
/** Variables with the prefix that are not configuration keys. */
/** Variables of ours that are not config keys (the failpoints drive the crash tests: src/util/failpoints.ts). */
export const RESERVED_ENV = ['FITBIT_BRIDGE_CONFIG', 'FITBIT_BRIDGE_LOG_LEVEL', 'FITBIT_BRIDGE_FAILPOINT', 'FITBIT_BRIDGE_FAILPOINT_LOG'];
/** Shorthand variables: name → dotted key path. */
export const ENV_ALIASES: Record<string, string> = { FITBIT_BRIDGE_DB: 'store.path' };

const SECRET_KEY_RE = /secret|password|passwd|token|api_?key/i;
const MAX_ARRAY_INDEX = 9999;
/** Alias expansions a config file may use (yaml's maxAliasCount; more is an alias bomb). */
const MAX_ALIAS_COUNT = 100;

// ---- schema walking ------------------------------------------------------------------------------

type AnyType = z.ZodType;

/** Strips optional / default / prefault / nullable / readonly / catch / pipe wrappers. */
export function unwrapSchema(s: AnyType): AnyType {
  let cur: AnyType = s;
  for (let i = 0; i < 32; i++) {
    if (
      cur instanceof z.ZodOptional ||
      cur instanceof z.ZodNullable ||
      cur instanceof z.ZodDefault ||
      cur instanceof z.ZodPrefault ||
      cur instanceof z.ZodReadonly ||
      cur instanceof z.ZodCatch
    ) {
      cur = cur.unwrap() as AnyType;
    } else if (cur instanceof z.ZodPipe) {
      cur = cur.in as AnyType;
    } else break;
  }
  return cur;
}

function objectShape(s: AnyType): Record<string, AnyType> | null {
  const u = unwrapSchema(s);
  return u instanceof z.ZodObject ? u.shape : null;
}

function arrayElement(s: AnyType): AnyType | null {
  const u = unwrapSchema(s);
  return u instanceof z.ZodArray ? (u.element as AnyType) : null;
}

/** A leaf whose values are strings (so env text is taken verbatim). */
function isStringLeaf(s: AnyType): boolean {
  const u = unwrapSchema(s);
  if (u instanceof z.ZodString) return true;
  if (u instanceof z.ZodEnum) return (u.options as unknown[]).every((o) => typeof o === 'string');
  if (u instanceof z.ZodLiteral) return [...u.values].every((v) => typeof v === 'string');
  return false;
}

function acceptsNull(s: AnyType): boolean {
  return s.safeParse(null).success;
}

/**
 * An empty YAML value (`store:` with only comments below it, `timezone:`) is null: where the
 * schema does not take null, it means "not set". Mutates `data`.
 */
export function dropNulls(schema: AnyType, data: unknown): void {
  const shape = objectShape(schema);
  if (shape && isObj(data)) {
    for (const k of Object.keys(data)) {
      const sub = shape[k];
      if (sub === undefined) continue;
      if (data[k] === null && !acceptsNull(sub)) delete data[k];
      else dropNulls(sub, data[k]);
    }
    return;
  }
  const el = arrayElement(schema);
  if (el && Array.isArray(data)) for (const item of data) dropNulls(el, item);
}

function isContainer(s: AnyType): boolean {
  return objectShape(s) !== null || arrayElement(s) !== null;
}

type Resolved = { ok: true; path: KeyPath; leaf: AnyType; secretFile: boolean } | { ok: false; at: number; known: string[] };

/**
 * Resolves key segments against the schema. `match(seg, key)` compares a segment with a schema
 * key. `X_file` is accepted, as the last segment, for any non-container key `X`.
 */
function resolveSegments(schema: AnyType, segs: string[], match: (seg: string, key: string) => boolean): Resolved {
  const path: KeyPath = [];
  let cur: AnyType = schema;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i] as string;
    const shape = objectShape(cur);
    if (shape) {
      const key = Object.keys(shape).find((k) => match(seg, k));
      if (key !== undefined) {
        path.push(key);
        cur = shape[key] as AnyType;
        continue;
      }
      if (i === segs.length - 1) {
        const base = Object.keys(shape).find((k) => match(seg, `${k}_file`));
        if (base !== undefined && !isContainer(shape[base] as AnyType)) {
          path.push(`${base}_file`);
          return { ok: true, path, leaf: z.string(), secretFile: true };
        }
      }
      return { ok: false, at: i, known: Object.keys(shape) };
    }
    const el = arrayElement(cur);
    if (el) {
      if (!/^\d+$/.test(seg) || Number(seg) > MAX_ARRAY_INDEX) return { ok: false, at: i, known: ['0', '1', '…'] };
      path.push(Number(seg));
      cur = el;
      continue;
    }
    return { ok: false, at: i, known: [] };
  }
  return { ok: true, path, leaf: cur, secretFile: false };
}

// ---- plain-data helpers --------------------------------------------------------------------------

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function setIn(root: Obj, path: KeyPath, value: unknown): void {
  let cur: Obj | unknown[] = root;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i] as string | number;
    const nextIsIndex = typeof path[i + 1] === 'number';
    const container = cur as Record<string | number, unknown>;
    let next = container[k];
    if (nextIsIndex ? !Array.isArray(next) : !isObj(next)) {
      next = nextIsIndex ? [] : {};
      container[k] = next;
    }
    cur = next as Obj | unknown[];
  }
  (cur as Record<string | number, unknown>)[path[path.length - 1] as string | number] = value;
}

function keyStr(path: KeyPath): string {
  return path.length === 0 ? '(top level)' : path.join('.');
}

function isPrefix(prefix: KeyPath, path: KeyPath): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => String(p) === String(path[i]));
}

/** Parses an env value as a YAML scalar / flow value; falls back to the raw text. */
function parseEnvValue(raw: string): unknown {
  const doc = parseDocument(raw);
  if (doc.errors.length > 0) return raw;
  const v: unknown = doc.toJS();
  return v === null && raw.trim() !== '' && !/^(null|~|Null|NULL)$/.test(raw.trim()) ? raw : v;
}

function describeInput(v: unknown, secret: boolean): string {
  if (v === undefined) return 'nothing';
  if (secret) return 'a value that is not shown (secret)';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  if (Array.isArray(v)) return `a list of ${v.length} item${v.length === 1 ? '' : 's'}`;
  if (isObj(v)) return 'a mapping';
  return typeof v;
}

const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  boolean: 'a boolean',
  int: 'an integer',
};

function describeExpected(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return TYPE_NAMES[issue.expected] ?? issue.expected;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'too_small': {
      const n = String(issue.minimum);
      if (issue.origin === 'string') return `at least ${n} character${n === '1' ? '' : 's'}`;
      if (issue.origin === 'array' || issue.origin === 'set') return `at least ${n} item${n === '1' ? '' : 's'}`;
      return `${issue.inclusive ? '>=' : '>'} ${n}`;
    }
    case 'too_big': {
      const n = String(issue.maximum);
      if (issue.origin === 'string') return `at most ${n} characters`;
      if (issue.origin === 'array' || issue.origin === 'set') return `at most ${n} items`;
      return `${issue.inclusive ? '<=' : '<'} ${n}`;
    }
    case 'invalid_format':
      return issue.message.startsWith('Invalid') ? `a string matching ${issue.pattern ?? issue.format}` : issue.message;
    default:
      return issue.message;
  }
}

// ---- locations -----------------------------------------------------------------------------------

export type Origin = { kind: 'env'; name: string } | { kind: 'flag'; name: string };

interface FileSource {
  /** As shown in messages. */
  display: string;
  dir: string;
  doc: ReturnType<typeof parseDocument>;
  lines: LineCounter;
}

/** Position of the node at `path` (or, for `keyOf`, of that key inside it); nearest ancestor if absent. */
function filePosition(src: FileSource, path: KeyPath, keyOf?: string): { line: number; col: number } | null {
  let node: unknown = src.doc.contents;
  let best: YamlNode | null = isMap(node) || isSeq(node) || isScalar(node) ? node : null;
  const segs: (string | number)[] = keyOf === undefined ? path : [...path, keyOf];
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i] as string | number;
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
      if (!pair) break;
      if (keyOf !== undefined && i === segs.length - 1 && isScalar(pair.key)) {
        best = pair.key;
        break;
      }
      node = pair.value;
      if (isMap(node) || isSeq(node) || isScalar(node)) best = node;
      else if (isScalar(pair.key)) best = pair.key;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) break;
      node = item;
      if (isMap(item) || isSeq(item) || isScalar(item)) best = item;
    } else break;
  }
  const range = best?.range;
  if (!range) return null;
  return src.lines.linePos(range[0]);
}

class Locator {
  readonly origins: { path: KeyPath; origin: Origin }[] = [];
  constructor(private readonly file: FileSource | null) {}

  record(path: KeyPath, origin: Origin): void {
    this.origins.push({ path, origin });
  }

  /** Origin of the value at `path` when it came from env / flags (the last one applied wins). */
  originOf(path: KeyPath): Origin | null {
    for (let i = this.origins.length - 1; i >= 0; i--) {
      const o = this.origins[i] as { path: KeyPath; origin: Origin };
      if (isPrefix(o.path, path)) return o.origin;
    }
    for (let i = this.origins.length - 1; i >= 0; i--) {
      const o = this.origins[i] as { path: KeyPath; origin: Origin };
      if (isPrefix(path, o.path)) return o.origin;
    }
    return null;
  }

  where(path: KeyPath, keyOf?: string): string {
    const o = this.originOf(keyOf === undefined ? path : [...path, keyOf]);
    if (o) return o.kind === 'env' ? `env ${o.name}` : `flag ${o.name}`;
    if (this.file) {
      const pos = filePosition(this.file, path, keyOf);
      return pos ? `${this.file.display}:${pos.line}:${pos.col}` : this.file.display;
    }
    return 'defaults';
  }
}

// ---- reading small files -------------------------------------------------------------------------

/** Largest file an `X_file` key may name: a secret, a PEM certificate or CA bundle. */
export const MAX_SECRET_FILE_BYTES = 1024 * 1024;
/** Largest configuration file read. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

const MIB = 1024 * 1024;
const sizeText = (n: number): string => (n % MIB === 0 ? `${n / MIB} MiB` : n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`);

function errnoWhy(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return String(code ?? (e as Error).message);
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

type SmallFile = { ok: true; text: string } | { ok: false; why: string };

/**
 * Reads at most `max` bytes of `path` as UTF-8. `regularOnly`: anything but a regular file (a
 * FIFO, /dev/zero, a directory) is refused before it is opened (and opened non-blocking, checked
 * again on the descriptor); otherwise only a directory is. Never reads more than `max` + 1 bytes:
 * a larger file (or an endless device) is refused by size.
 */
function readSmallFile(path: string, max: number, regularOnly: boolean): SmallFile {
  const refuse = (st: Stats): SmallFile | null => {
    if (st.isDirectory()) return { ok: false, why: 'it is a directory' };
    if (regularOnly && !st.isFile()) return { ok: false, why: `it is ${kindOf(st)}, not a regular file` };
    if (st.isFile() && st.size > max) return { ok: false, why: `it is larger than ${sizeText(max)}: ${st.size} bytes` };
    return null;
  };
  let fd: number;
  try {
    const bad = refuse(statSync(path));
    if (bad) return bad;
    fd = openSync(path, fsConstants.O_RDONLY | (regularOnly ? (fsConstants.O_NONBLOCK ?? 0) : 0));
  } catch (e) {
    return { ok: false, why: errnoWhy(e) };
  }
  try {
    const bad = refuse(fstatSync(fd)); // swapped between the stat and the open
    if (bad) return bad;
    const buf = Buffer.alloc(max + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n > max) return { ok: false, why: `it is larger than ${sizeText(max)}` };
    }
    return { ok: true, text: buf.toString('utf8', 0, n) };
  } catch (e) {
    return { ok: false, why: errnoWhy(e) };
  } finally {
    closeSync(fd);
  }
}

// ---- secrets from files --------------------------------------------------------------------------

export interface SecretFileOptions {
  /** Folder relative `X_file` paths are resolved against, per key path. Default: process.cwd(). */
  baseDir?: (path: KeyPath) => string;
  /** Where a key was set, for messages. Default: `defaults`. */
  where?: (path: KeyPath) => string;
}

/**
 * Walks `data` along `schema` and replaces every `X_file` key whose sibling `X` is in the schema
 * (and `X_file` is not) by `X` = the file's content, trailing newline removed. Mutates `data`.
 * Returns the key paths that now hold secrets; throws ConfigError listing every unreadable file
 * (by key and path, never by content) and every `X` set together with `X_file`.
 */
export function resolveSecretFiles(schema: AnyType, data: unknown, opts: SecretFileOptions = {}): KeyPath[] {
  const secrets: KeyPath[] = [];
  const errors: string[] = [];
  const baseDir = opts.baseDir ?? (() => process.cwd());
  const where = opts.where ?? (() => 'defaults');
  const walk = (s: AnyType, v: unknown, path: KeyPath): void => {
    const shape = objectShape(s);
    if (shape && isObj(v)) {
      for (const k of Object.keys(v)) {
        if (k in shape) {
          walk(shape[k] as AnyType, v[k], [...path, k]);
          continue;
        }
        if (!k.endsWith('_file')) continue;
        const base = k.slice(0, -'_file'.length);
        if (!(base in shape) || isContainer(shape[base] as AnyType)) continue;
        const fileKey = [...path, k];
        const file = v[k];
        if (typeof file !== 'string' || file === '') {
          errors.push(`${where(fileKey)}: ${keyStr(fileKey)}: expected the path of a file holding ${base}, got ${describeInput(file, false)}`);
          continue;
        }
        if (v[base] !== undefined) {
          errors.push(`${where(fileKey)}: ${keyStr(fileKey)}: ${base} is set as well; set either ${base} or ${k}, not both`);
          continue;
        }
        const abs = resolve(baseDir(fileKey), file);
        const read = readSmallFile(abs, MAX_SECRET_FILE_BYTES, true);
        if (!read.ok) {
          errors.push(`${where(fileKey)}: ${keyStr(fileKey)}: cannot read ${abs} (${read.why})`);
          continue;
        }
        delete v[k];
        v[base] = read.text.replace(/\r?\n$/, '');
        secrets.push([...path, base]);
      }
      return;
    }
    const el = arrayElement(s);
    if (el && Array.isArray(v)) v.forEach((item, i) => walk(el, item, [...path, i]));
  };
  walk(schema, data, []);
  if (errors.length > 0) throw new ConfigError(errors);
  return secrets;
}

// ---- generic loader ------------------------------------------------------------------------------

export interface LoadOptionsWith {
  /** YAML file to read; must exist. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** From flags: dotted key path → value (undefined values are ignored). */
  overrides?: Record<string, unknown>;
  /** How each override is named in messages (dotted path → `--db`). Default: `--<path>`. */
  overrideNames?: Record<string, string>;
  /** Default FITBIT_BRIDGE_. */
  envPrefix?: string;
  /** Prefixed variables to leave alone. */
  reservedEnv?: readonly string[];
  /** Prefixed variables that are shorthands: name → dotted key path. */
  envAliases?: Record<string, string>;
  /** Runs on the merged raw data before validation (fill computed defaults). */
  prepare?: (raw: Record<string, unknown>) => void;
}

function readConfigFile(file: string): { data: Obj; src: FileSource } {
  // any kind of file (a pipe: --config <(…)), but never more than the limit (/dev/zero)
  const read = readSmallFile(file, MAX_CONFIG_FILE_BYTES, false);
  if (!read.ok) throw new ConfigError([`${file}: cannot read the configuration file (${read.why})`]);
  const text = read.text;
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const src: FileSource = { display: file, dir: dirname(resolve(file)), doc, lines };
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((err) => {
        const p = err.linePos?.[0] ?? lines.linePos(err.pos[0]);
        const msg = err.message.split('\n')[0] ?? err.message;
        return `${file}${p ? `:${p.line}:${p.col}` : ''}: invalid YAML: ${msg}`;
      }),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    // the yaml package refuses aliases that expand too much ("billion laughs") with a ReferenceError
    const msg = e instanceof Error ? e.message : String(e);
    if (/excessive alias count/i.test(msg)) {
      throw new ConfigError([
        `${file}: YAML aliases expand too much (an alias bomb, "billion laughs": over ${MAX_ALIAS_COUNT} alias expansions); refusing to load it`,
      ]);
    }
    throw new ConfigError([`${file}: invalid YAML: ${clip(msg.split('\n')[0] ?? msg)}`]);
  }
  if (data === null || data === undefined) return { data: {}, src };
  if (!isObj(data)) {
    const pos = doc.contents?.range ? lines.linePos(doc.contents.range[0]) : { line: 1, col: 1 };
    throw new ConfigError([`${file}:${pos.line}:${pos.col}: (top level): expected a mapping of keys, got ${describeInput(data, false)}`]);
  }
  return { data, src };
}

/**
 * Loads and validates a configuration against any zod object schema (see the module comment for
 * the rules). Throws ConfigError.
 */
export function loadConfigWith<S extends z.ZodObject>(schema: S, opts: LoadOptionsWith = {}): z.output<S> {
  const env = opts.env ?? process.env;
  const prefix = opts.envPrefix ?? ENV_PREFIX;
  const reserved = new Set(opts.reservedEnv ?? []);
  const aliases = opts.envAliases ?? {};
  const issues: string[] = [];

  // file
  let raw: Obj = {};
  let src: FileSource | null = null;
  if (opts.file !== undefined) ({ data: raw, src } = readConfigFile(opts.file));
  const loc = new Locator(src);

  // env (sorted so messages and array building are stable)
  const envSet: { name: string; path: KeyPath; value: unknown }[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(prefix) || reserved.has(name)) continue;
    const rawValue = env[name];
    if (rawValue === undefined) continue;
    const alias = aliases[name];
    const segs = alias !== undefined ? alias.split('.') : name.slice(prefix.length).split('__');
    const r =
      alias !== undefined
        ? resolveSegments(schema, segs, (seg, key) => seg === key)
        : resolveSegments(schema, segs, (seg, key) => seg.toUpperCase() === key.toUpperCase());
    if (!r.ok) {
      const at = segs.slice(0, r.at + 1).join('__');
      const known = r.known.length > 0 ? `; keys there: ${r.known.map((k) => k.toUpperCase()).join(', ')}` : '';
      issues.push(`env ${name}: no configuration key ${prefix}${at}${known}. Remove the variable or fix its name`);
      continue;
    }
    const value = r.secretFile || isStringLeaf(r.leaf) ? rawValue : parseEnvValue(rawValue);
    envSet.push({ name, path: r.path, value });
  }
  // aliases last among env: FITBIT_BRIDGE_DB beats FITBIT_BRIDGE_STORE__PATH
  envSet.sort((a, b) => Number(a.name in aliases) - Number(b.name in aliases));
  for (const e of envSet) {
    setIn(raw, e.path, e.value);
    loc.record(e.path, { kind: 'env', name: e.name });
  }

  // flags
  for (const [dotted, value] of Object.entries(opts.overrides ?? {})) {
    if (value === undefined) continue;
    const label = opts.overrideNames?.[dotted] ?? `--${dotted}`;
    const r = resolveSegments(schema, dotted.split('.'), (seg, key) => seg === key);
    if (!r.ok) {
      issues.push(`flag ${label}: no configuration key ${dotted}`);
      continue;
    }
    setIn(raw, r.path, value);
    loc.record(r.path, { kind: 'flag', name: label });
  }

  // holes left by env indexes (ACCOUNTS__1__NAME without ACCOUNTS__0__…)
  const findHoles = (v: unknown, path: KeyPath): void => {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        if (!(i in v)) issues.push(`${loc.where([...path, i])}: ${keyStr([...path, i])}: missing; list items must be numbered from 0 without gaps`);
        else findHoles(v[i], [...path, i]);
      }
    } else if (isObj(v)) for (const k of Object.keys(v)) findHoles(v[k], [...path, k]);
  };
  findHoles(raw, []);
  if (issues.length > 0) throw new ConfigError(issues);

  // secrets from files
  let secretPaths: KeyPath[] = [];
  try {
    secretPaths = resolveSecretFiles(schema, raw, {
      baseDir: (p) => (loc.originOf(p) === null && src ? src.dir : process.cwd()),
      where: (p) => loc.where(p),
    });
  } catch (e) {
    if (e instanceof ConfigError) issues.push(...e.issues);
    else throw e;
  }
  if (issues.length > 0) throw new ConfigError(issues);

  dropNulls(schema, raw);
  opts.prepare?.(raw);

  const parsed = schema.safeParse(raw, { reportInput: true });
  if (parsed.success) return parsed.data;
  const isSecret = (p: KeyPath): boolean => secretPaths.some((s) => isPrefix(s, p)) || p.some((seg) => typeof seg === 'string' && SECRET_KEY_RE.test(seg));
  for (const issue of parsed.error.issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const shape = (() => {
        const r = resolveSegments(schema, path.map(String), (seg, key) => seg === key);
        return r.ok ? objectShape(r.leaf) : null;
      })();
      const known = shape ? Object.keys(shape).join(', ') : '';
      for (const k of issue.keys) {
        issues.push(`${loc.where(path, k)}: ${keyStr([...path, k])}: unknown key${known ? `; known keys here: ${known}` : ''}`);
      }
      continue;
    }
    issues.push(`${loc.where(path)}: ${keyStr(path)}: expected ${describeExpected(issue)}, got ${describeInput(issue.input, isSecret(path))}`);
  }
  throw new ConfigError(issues);
}

// ---- fitbit-bridge configuration -----------------------------------------------------------------

export interface LoadConfigOptions {
  /** Config file (--config). Default: $FITBIT_BRIDGE_CONFIG, else <user config dir>/config.yaml if it exists. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** From flags, dotted key paths (`store.path`, `log.level`); undefined values are ignored. */
  overrides?: Record<string, unknown>;
  /** How each override is named in messages (`store.path` → `--db`). */
  overrideNames?: Record<string, string>;
}

/** The loaded configuration: store.path and google.token_dir are always set. */
export type LoadedConfig = Config & { store: { path: string }; google: { token_dir: string } };

/** The config file that loadConfig reads, or null when there is none (defaults only). */
export function configFilePath(opts: { file?: string; env?: NodeJS.ProcessEnv } = {}): string | null {
  const env = opts.env ?? process.env;
  if (opts.file !== undefined) return opts.file;
  const fromEnv = env.FITBIT_BRIDGE_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const def = defaultConfigPath();
  return existsSync(def) ? def : null;
}

export function loadConfig(opts: LoadConfigOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const file = configFilePath({ file: opts.file, env });
  const cfg = loadConfigWith(configSchema, {
    file: file ?? undefined,
    env,
    overrides: opts.overrides,
    overrideNames: opts.overrideNames,
    reservedEnv: RESERVED_ENV,
    envAliases: ENV_ALIASES,
  });
  const storePath = cfg.store.path ?? defaultStorePath();
  // Tokens live beside the store by default, so one data folder (Docker, add-on: /data) holds everything.
  const tokenDir = cfg.google.token_dir ?? join(dirname(storePath), 'tokens');
  return { ...cfg, store: { ...cfg.store, path: storePath }, google: { ...cfg.google, token_dir: tokenDir } };
}
