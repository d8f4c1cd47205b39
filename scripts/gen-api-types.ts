// Generates src/sources/google-health/api-types.ts from the Google Health API v4 discovery document.
// Run: npm run gen:api-types
//   or node --import tsx scripts/gen-api-types.ts [discovery.json] [out.ts]
// Defaults: test/fixtures/google-health/health-v4-discovery.json (the vendored document; its README
// names origin, revision and licence)
// and src/sources/google-health/api-types.ts. Output is deterministic (schemas and properties sorted,
// no timestamps, no absolute paths), so a test can compare the committed file with a fresh run.
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const DEFAULT_DISCOVERY_URL = new URL('../test/fixtures/google-health/health-v4-discovery.json', import.meta.url);
export const DEFAULT_OUT_URL = new URL('../src/sources/google-health/api-types.ts', import.meta.url);

/** The parts of a discovery-document JSON schema this generator reads. */
export interface DiscoverySchema {
  id?: string;
  type?: string;
  format?: string;
  description?: string;
  $ref?: string;
  enum?: string[];
  enumDescriptions?: string[];
  items?: DiscoverySchema;
  additionalProperties?: DiscoverySchema;
  properties?: Record<string, DiscoverySchema>;
  readOnly?: boolean;
}

export interface DiscoveryDocument {
  id?: string;
  name?: string;
  version?: string;
  revision?: string;
  schemas?: Record<string, DiscoverySchema>;
}

/** Longest description (in characters) kept in a JSDoc comment; longer ones are cut at a word. */
const MAX_DOC_CHARS = 600;
/** JSDoc lines are wrapped to about this width (without indentation). */
const WRAP = 96;
/** A union longer than this is written one member per line. */
const MAX_INLINE_UNION = 90;

const INT64_FORMATS = new Set(['int64', 'uint64']);

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedEntries<T>(rec: Record<string, T> | undefined): [string, T][] {
  return Object.entries(rec ?? {}).sort(([a], [b]) => byCodeUnit(a, b));
}

function isIdentifier(name: string): boolean {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name);
}

function propKey(name: string): string {
  return isIdentifier(name) ? name : `'${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Cleans a description for a JSDoc block: trimmed, cut to MAX_DOC_CHARS, `*\/` and tags escaped. */
export function docText(raw: string): string {
  let text = raw.replace(/\r\n?/g, '\n').trim();
  if (text.length > MAX_DOC_CHARS) {
    const cut = text.slice(0, MAX_DOC_CHARS);
    const space = cut.lastIndexOf(' ');
    text = `${(space > MAX_DOC_CHARS / 2 ? cut.slice(0, space) : cut).trimEnd()} …`;
  }
  return (
    text
      .replace(/\*\//g, '*\\/')
      // A bare `@word` would start a JSDoc tag; TSDoc escapes it as `\@`.
      .replace(/(^|[\s(])@(?=\w)/g, '$1\\@')
  );
}

function wrapLine(line: string): string[] {
  if (line.length <= WRAP) return [line];
  const out: string[] = [];
  let current = '';
  for (const word of line.split(/ +/)) {
    if (current && current.length + 1 + word.length > WRAP) {
      out.push(current);
      current = word;
    } else {
      current = current ? `${current} ${word}` : word;
    }
  }
  if (current) out.push(current);
  return out;
}

function jsdoc(paragraphs: string[], indent: string): string[] {
  const lines: string[] = [];
  for (const p of paragraphs) {
    if (!p) continue;
    if (lines.length) lines.push('');
    for (const l of p.split('\n')) lines.push(...wrapLine(l.trimEnd()));
  }
  if (lines.length === 0) return [];
  if (lines.length === 1 && `${indent}/** ${lines[0]} */`.length <= 110) return [`${indent}/** ${lines[0]} */`];
  return [`${indent}/**`, ...lines.map((l) => (l ? `${indent} * ${l}` : `${indent} *`)), `${indent} */`];
}

/** TypeScript type of a schema (a property, an array item or a map value). */
export function tsType(s: DiscoverySchema, indent: string | null = null): string {
  if (s.$ref) return s.$ref;
  if (s.enum && s.enum.length) {
    const members = [...s.enum.map(quote), '(string & {})'];
    const inline = members.join(' | ');
    // Long unions are written one member per line when `indent` is given (property position).
    if (indent === null || inline.length <= MAX_INLINE_UNION) return inline;
    return `\n${members.map((m) => `${indent}  | ${m}`).join('\n')}`;
  }
  switch (s.type) {
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'any':
      return 'unknown';
    case 'array': {
      const item = s.items ? tsType(s.items) : 'unknown';
      return /^[A-Za-z0-9_]+$/.test(item) ? `${item}[]` : `Array<${item}>`;
    }
    case 'object':
      if (s.additionalProperties) return `Record<string, ${tsType(s.additionalProperties)}>`;
      return 'Record<string, unknown>';
    default:
      return 'unknown';
  }
}

/**
 * Short type description for SCHEMA_FIELDS: `string`, `string(<format>)` (e.g. `string(int64)`,
 * `string(google-datetime)`), `number(<format>)` (e.g. `number(double)`), `integer(int32)`,
 * `boolean`, `enum`, `any`, `ref:<Schema>`, `array:<item>`, `map:<value>`, `object`.
 */
export function fieldKind(s: DiscoverySchema): string {
  if (s.$ref) return `ref:${s.$ref}`;
  if (s.enum && s.enum.length) return 'enum';
  switch (s.type) {
    case 'array':
      return `array:${s.items ? fieldKind(s.items) : 'any'}`;
    case 'object':
      return s.additionalProperties ? `map:${fieldKind(s.additionalProperties)}` : 'object';
    case undefined:
      return 'any';
    default:
      return s.format ? `${s.type}(${s.format})` : s.type;
  }
}

/** Extra JSDoc notes that follow from the type, e.g. that int64 values arrive as JSON strings. */
function typeNotes(s: DiscoverySchema): string[] {
  const notes: string[] = [];
  const base = s.type === 'array' && s.items ? s.items : s;
  if (base.type === 'string' && base.format && INT64_FORMATS.has(base.format)) {
    notes.push(`${base.format}: sent as a JSON string (proto3 JSON); parse with Number() or BigInt().`);
  } else if (base.type === 'string' && base.format === 'google-datetime') {
    notes.push('google-datetime: RFC 3339 timestamp string, e.g. "2026-03-04T05:06:07Z".');
  } else if (base.type === 'string' && base.format === 'google-duration') {
    notes.push('google-duration: seconds with an "s" suffix, e.g. "1303s" or "0.5s".');
  } else if (base.type === 'string' && base.format === 'byte') {
    notes.push('byte: base64-encoded string.');
  }
  if (base.enum && base.enum.length) notes.push('Open enum: the live API may send values not listed here.');
  if (s.readOnly && !/output only/i.test(s.description ?? '')) notes.push('Read-only: set by the server.');
  return notes;
}

export function generateApiTypes(doc: DiscoveryDocument, sourceFile: string): string {
  const schemas = sortedEntries(doc.schemas);
  const revision = doc.revision ?? 'unknown';
  const out: string[] = [];
  out.push(
    '/**',
    ` * Google Health API ${doc.version ?? ''} types. GENERATED FILE, DO NOT EDIT.`,
    ' *',
    ` * Generated by scripts/gen-api-types.ts from the discovery document \`${sourceFile}\``,
    ` * (${doc.id ?? 'unknown id'}, revision ${revision}; Google's discovery document as published in`,
    ' * googleapis/google-api-go-client, BSD-style licence). Regenerate with `npm run gen:api-types`.',
    ' *',
    ' * Proto3 JSON omits zero values and empty lists, so every property is optional. int64/uint64',
    ' * values arrive as JSON strings and are typed `string`. Enums are open unions: the live API',
    ' * sends values the document does not list.',
    ` * ${schemas.length} schemas.`,
    ' */',
    '',
    '/** Revision of the discovery document these types were generated from. */',
    `export const DISCOVERY_REVISION = ${quote(revision)};`,
    '',
  );

  for (const [name, schema] of schemas) {
    out.push(...jsdoc([schema.description ? docText(schema.description) : ''], ''));
    const props = sortedEntries(schema.properties);
    if (props.length === 0 && schema.additionalProperties) {
      out.push(`export type ${name} = ${tsType(schema)};`, '');
      continue;
    }
    if (props.length === 0) {
      out.push(`export interface ${name} {}`, '');
      continue;
    }
    out.push(`export interface ${name} {`);
    for (const [prop, ps] of props) {
      const paragraphs = [ps.description ? docText(ps.description) : '', ...typeNotes(ps)];
      out.push(...jsdoc(paragraphs, '  '));
      const type = tsType(ps, '  ');
      out.push(`  ${propKey(prop)}?:${type.startsWith('\n') ? '' : ' '}${type};`);
    }
    out.push('}', '');
  }

  out.push(
    '/**',
    ' * schema → property → type description, straight from the discovery document. Grammar:',
    ' * `string`, `string(<format>)` (e.g. `string(int64)`, `string(google-datetime)`),',
    ' * `number(double)`, `number(float)`, `integer(int32)`, `boolean`, `enum`, `any`, `object`,',
    ' * `ref:<Schema>`, `array:<item>` (e.g. `array:ref:SleepStage`), `map:<value>`.',
    ' */',
    'export const SCHEMA_FIELDS: Record<string, Record<string, string>> = {',
  );
  for (const [name, schema] of schemas) {
    const props = sortedEntries(schema.properties);
    if (props.length === 0) {
      out.push(`  ${propKey(name)}: {},`);
      continue;
    }
    out.push(`  ${propKey(name)}: {`);
    for (const [prop, ps] of props) out.push(`    ${propKey(prop)}: ${quote(fieldKind(ps))},`);
    out.push('  },');
  }
  out.push('};', '');
  return out.join('\n');
}

export function readDiscovery(path: string | URL): DiscoveryDocument {
  return JSON.parse(readFileSync(path, 'utf8')) as DiscoveryDocument;
}

/** Generates the file text from a discovery document on disk (the header names only its basename). */
export function generateFromFile(path: string | URL): string {
  const file = typeof path === 'string' ? path : fileURLToPath(path);
  return generateApiTypes(readDiscovery(file), basename(file));
}

function main(argv: string[]): void {
  const input = argv[0] ? resolve(argv[0]) : fileURLToPath(DEFAULT_DISCOVERY_URL);
  const output = argv[1] ? resolve(argv[1]) : fileURLToPath(DEFAULT_OUT_URL);
  const text = generateFromFile(input);
  mkdirSync(dirname(output), { recursive: true });
  writeFileSync(output, text);
  const count = Object.keys(readDiscovery(input).schemas ?? {}).length;
  console.log(`wrote ${output} (${count} schemas)`);
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return pathToFileURL(realpathSync(entry)).href === pathToFileURL(realpathSync(fileURLToPath(import.meta.url))).href;
  } catch {
    return false;
  }
}

if (isMain()) main(process.argv.slice(2));
