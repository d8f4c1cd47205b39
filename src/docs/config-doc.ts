/**
 * Renders docs/configuration.md from the configuration schema (src/config/schema.ts), so the
 * reference cannot drift from the code: every key with its type, default, environment variable
 * and description. `npm run docs` writes it; a test checks the committed file equals this output.
 */
import { z } from 'zod';
import { configSchema } from '../config/schema.js';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  pattern?: string;
  format?: string;
  anyOf?: JsonSchema[];
}

export interface ConfigKeyDoc {
  /** Dotted path; list items as `[]`: `accounts[].name`. */
  path: string;
  type: string;
  default: string;
  /** The environment variable (list items with index 0). */
  env: string;
  description: string;
  /** A section (object) rather than a value. */
  section: boolean;
}

const SECRET_RE = /secret|password|passwd|token|api_?key/i;

function typeOf(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (s.anyOf) return s.anyOf.map(typeOf).join(' | ');
  let t = Array.isArray(s.type) ? s.type.join(' | ') : (s.type ?? 'any');
  if (t === 'integer') t = 'integer';
  if (s.format === 'uri') t = 'URL';
  const bounds: string[] = [];
  if (s.minimum !== undefined) bounds.push(`≥ ${s.minimum}`);
  if (s.maximum !== undefined) bounds.push(`≤ ${s.maximum}`);
  if (t === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') t = 'map of string';
  return bounds.length ? `${t} (${bounds.join(', ')})` : t;
}

function fmtDefault(v: unknown): string {
  if (v === undefined) return '—';
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0) return '—';
  return `\`${JSON.stringify(v)}\``;
}

function envName(path: string[]): string {
  return `FITBIT_BRIDGE_${path.map((p) => (p === '[]' ? '0' : p.toUpperCase())).join('__')}`;
}

/** Every key of the schema, depth first, in schema order. */
export function configKeys(): ConfigKeyDoc[] {
  const root = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const out: ConfigKeyDoc[] = [];
  const walk = (s: JsonSchema, path: string[]): void => {
    const props = s.properties ?? (s.type === 'array' && s.items?.properties ? s.items.properties : undefined);
    const isSection = props !== undefined;
    if (path.length > 0) {
      const dotted = path.join('.').replace(/\.\[\]/g, '[]');
      let desc = s.description ?? '';
      const leaf = path[path.length - 1] ?? '';
      if (!isSection && SECRET_RE.test(leaf)) desc += ` Secret: may be given as \`${leaf}_file: <path>\` instead (never logged).`;
      out.push({
        path: dotted,
        type: s.type === 'array' ? `list of ${s.items?.properties ? 'objects' : typeOf(s.items ?? {})}` : typeOf(s),
        default: fmtDefault(s.default),
        env: envName(path),
        description: desc.trim(),
        section: isSection,
      });
    }
    if (s.type === 'array' && s.items?.properties) {
      for (const [k, v] of Object.entries(s.items.properties)) walk(v, [...path, '[]', k]);
    } else if (s.properties) {
      for (const [k, v] of Object.entries(s.properties)) walk(v, [...path, k]);
    }
  };
  walk(root, []);
  return out;
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderConfigDoc(): string {
  const lines: string[] = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/schema.ts by `npm run docs`. Do not edit by hand. -->',
    '',
    'One optional YAML file: `--config <file>`, else `$FITBIT_BRIDGE_CONFIG`, else',
    '`~/.config/fitbit-bridge/config.yaml` when it exists. Every key is optional; the defaults are',
    'below and in [config.example.yaml](../config.example.yaml). Unknown keys are errors (reported',
    'as `file:line:col: key.path: …`). Precedence: command-line flag > environment > file > default.',
    '',
    'Environment variables: `FITBIT_BRIDGE_` + the key path in upper case, `__` between levels,',
    'list items by index (`FITBIT_BRIDGE_ACCOUNTS__1__NAME`). Any key `X` may be given as',
    "`X_file: <path>` (or `FITBIT_BRIDGE_…_X_FILE`): the file's content becomes the value — meant for",
    'secrets. The file must be a regular file (not a pipe or a device) of at most 1 MiB; the',
    'configuration file itself is read up to 1 MiB. `FITBIT_BRIDGE_DB` is a shorthand for',
    '`store.path`; `FITBIT_BRIDGE_LOG_LEVEL` is read by the logger itself.',
    '',
  ];
  const keys = configKeys();
  for (const sec of keys.filter((k) => k.section && !k.path.includes('.') && !k.path.includes('[]'))) {
    lines.push(`## \`${sec.path}\``, '', sec.description, '', '| key | type | default | environment | description |', '|---|---|---|---|---|');
    for (const k of keys) {
      if (k.section || !(k.path.startsWith(`${sec.path}.`) || k.path.startsWith(`${sec.path}[]`))) continue;
      lines.push(`| \`${k.path}\` | ${cell(k.type)} | ${cell(k.default)} | \`${k.env}\` | ${cell(k.description)} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
