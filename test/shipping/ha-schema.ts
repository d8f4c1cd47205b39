/**
 * The type language of a Home Assistant add-on's `schema` (config.yaml), as conventions.md lists
 * it: `str`, `bool`, `int(min,max)`, `float(min,max)`, `url`, `password`, `port`, `email`,
 * `match(REGEX)`, `list(a|b)`, each optionally ending in `?` (optional); nested mappings and
 * lists of one element type. Enough to check that the add-on's default options satisfy its own
 * schema, and that an options.json a test writes is one the Supervisor would accept.
 */

export type SchemaNode = string | SchemaNode[] | { [k: string]: SchemaNode };

export interface ParsedType {
  kind: 'str' | 'bool' | 'int' | 'float' | 'url' | 'password' | 'port' | 'email' | 'match' | 'list';
  optional: boolean;
  min?: number;
  max?: number;
  regex?: RegExp;
  choices?: string[];
}

/** Parses one type string; throws on anything outside the language. */
export function parseType(t: string): ParsedType {
  let s = t.trim();
  const optional = s.endsWith('?');
  if (optional) s = s.slice(0, -1);
  const m = /^([a-z]+)(?:\((.*)\))?$/s.exec(s);
  if (!m) throw new Error(`not a schema type: ${t}`);
  const name = m[1] as string;
  const arg = m[2];
  const range = (): { min?: number; max?: number } => {
    if (arg === undefined) return {};
    const [a, b] = arg.split(',');
    const out: { min?: number; max?: number } = {};
    if (a !== undefined && a.trim() !== '') out.min = Number(a);
    if (b !== undefined && b.trim() !== '') out.max = Number(b);
    if ((out.min !== undefined && Number.isNaN(out.min)) || (out.max !== undefined && Number.isNaN(out.max))) throw new Error(`bad range in ${t}`);
    return out;
  };
  switch (name) {
    case 'str':
      return { kind: 'str', optional, ...range() };
    case 'int':
      return { kind: 'int', optional, ...range() };
    case 'float':
      return { kind: 'float', optional, ...range() };
    case 'bool':
    case 'url':
    case 'password':
    case 'port':
    case 'email':
      if (arg !== undefined) throw new Error(`${name} takes no argument: ${t}`);
      return { kind: name, optional };
    case 'match':
      if (arg === undefined) throw new Error(`match needs a regex: ${t}`);
      return { kind: 'match', optional, regex: new RegExp(arg) };
    case 'list':
      if (arg === undefined || arg === '') throw new Error(`list needs choices: ${t}`);
      return { kind: 'list', optional, choices: arg.split('|') };
    default:
      throw new Error(`unknown schema type ${name} in ${t}`);
  }
}

function checkValue(v: unknown, t: ParsedType, path: string, out: string[]): void {
  const bad = (what: string): void => {
    out.push(`${path}: expected ${what}, got ${JSON.stringify(v)}`);
  };
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
      if (t.kind === 'url') {
        try {
          new URL(v);
        } catch {
          bad('a URL');
        }
      }
      if (t.kind === 'email' && !/^[^@\s]+@[^@\s]+$/.test(v)) bad('an e-mail address');
      if (t.kind === 'match' && !(t.regex as RegExp).test(v)) bad(`a match of ${String(t.regex)}`);
      if (t.kind === 'list' && !(t.choices as string[]).includes(v)) bad(`one of ${(t.choices as string[]).join('|')}`);
    }
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Problems of `value` against `schema` (empty: valid). Unknown keys and missing required keys count. */
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
        const optional = typeof sub === 'string' ? parseType(sub).optional : isObj(sub);
        if (!optional) out.push(`${at(k)}: required`);
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
