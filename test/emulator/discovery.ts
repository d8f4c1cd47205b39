/**
 * A small validator that walks the Google Health API v4 discovery document itself (the copy in
 * the repository, test/fixtures/google-health/health-v4-discovery.json, the one
 * scripts/gen-api-types.ts generates from), not the generated types: every field name must exist
 * in the schema, JSON types must match, int64 are non-empty decimal strings, enums are documented
 * values (never *_UNSPECIFIED), Timestamps and Durations are well-formed, and proto3 zero values
 * (0, "0", "", false, [], {} where a message has required content) are omitted.
 *
 * `mode: 'emulator'` fails on an undocumented enum value; `mode: 'live'` only warns (enums are open).
 *
 * Doubles may be the proto3 JSON strings "NaN", "Infinity", "-Infinity" (seen live: "NaN" in daily
 * temperature / HRV records). `allow` names what the live API serves beyond the document
 * (`LIVE_DEVIATIONS`, the default: the emulator serves them); `NO_DEVIATIONS` is the document alone.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_DISCOVERY_URL } from '../../scripts/gen-api-types.js';

interface Prop {
  type?: string;
  format?: string;
  $ref?: string;
  items?: Prop;
  enum?: string[];
  additionalProperties?: Prop;
}
interface Schema {
  id: string;
  type: string;
  properties?: Record<string, Prop>;
}
export interface Discovery {
  schemas: Record<string, Schema>;
  resources: Record<string, unknown>;
}

export function loadDiscovery(): Discovery {
  return JSON.parse(readFileSync(DEFAULT_DISCOVERY_URL, 'utf8')) as Discovery;
}

export interface Report {
  errors: string[];
  warnings: string[];
}

/** Deviations from the discovery document, by `Schema.field` (`Schema.*`: every field). */
export interface Allow {
  /** Fields the schema does not have. */
  fields: readonly string[];
  /** Fields whose zero value ("0", false) is present. */
  zeros: readonly string[];
}

/** Seen live (reference "Sessions as served"): sleep `metadata.mainSleep`, summary minutes with zeros present ("0"). */
export const LIVE_DEVIATIONS: Allow = {
  fields: ['SleepMetadata.mainSleep'],
  zeros: ['SleepMetadata.mainSleep', 'SleepMetadata.nap', 'SleepSummary.*', 'StageSummary.*'],
};
export const NO_DEVIATIONS: Allow = { fields: [], zeros: [] };

const allowed = (list: readonly string[], where: string): boolean => list.includes(where) || list.includes(`${where.split('.')[0]}.*`);

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;
const DURATION = /^-?\d+(\.\d{1,9})?s$/;

export function validate(d: Discovery, value: unknown, schema: string, mode: 'emulator' | 'live' = 'emulator', allow: Allow = LIVE_DEVIATIONS): Report {
  const rep: Report = { errors: [], warnings: [] };
  walkRef(d, value, schema, schema, rep, mode, allow);
  return rep;
}

function walkRef(d: Discovery, v: unknown, ref: string, path: string, rep: Report, mode: 'emulator' | 'live', allow: Allow): void {
  const s = d.schemas[ref];
  if (!s) {
    rep.errors.push(`${path}: unknown schema ${ref}`);
    return;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    rep.errors.push(`${path}: expected an object (${ref})`);
    return;
  }
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const p = s.properties?.[k];
    if (!p) {
      if (!allowed(allow.fields, `${ref}.${k}`)) rep.errors.push(`${path}.${k}: not a field of ${ref}`);
      continue;
    }
    walkProp(d, x, p, `${path}.${k}`, rep, mode, !allowed(allow.zeros, `${ref}.${k}`), allow);
  }
}

function walkProp(d: Discovery, v: unknown, p: Prop, path: string, rep: Report, mode: 'emulator' | 'live', field: boolean, allow: Allow): void {
  if (p.$ref) {
    walkRef(d, v, p.$ref, path, rep, mode, allow);
    return;
  }
  switch (p.type) {
    case 'array':
      if (!Array.isArray(v)) {
        rep.errors.push(`${path}: expected an array`);
        return;
      }
      if (field && v.length === 0) rep.errors.push(`${path}: empty repeated field (proto3 omits it)`);
      v.forEach((x, i) => walkProp(d, x, p.items ?? {}, `${path}[${i}]`, rep, mode, false, allow));
      return;
    case 'object':
      if (typeof v !== 'object' || v === null) rep.errors.push(`${path}: expected an object`);
      return;
    case 'boolean':
      if (typeof v !== 'boolean') rep.errors.push(`${path}: expected a boolean`);
      else if (field && !v) rep.errors.push(`${path}: false is the zero value (omitted)`);
      return;
    case 'integer':
      if (!Number.isInteger(v)) rep.errors.push(`${path}: expected an integer, got ${JSON.stringify(v)}`);
      else if (field && v === 0) rep.errors.push(`${path}: 0 is the zero value (omitted)`);
      return;
    case 'number':
      if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return; // proto3 JSON of a non-finite double
      if (typeof v !== 'number' || !Number.isFinite(v)) rep.errors.push(`${path}: expected a number, got ${JSON.stringify(v)}`);
      else if (field && v === 0) rep.errors.push(`${path}: 0 is the zero value (omitted)`);
      return;
    case 'string': {
      if (typeof v !== 'string') {
        rep.errors.push(`${path}: expected a string (${p.format ?? 'string'}), got ${JSON.stringify(v)}`);
        return;
      }
      if (field && v === '') rep.errors.push(`${path}: "" is the zero value (omitted)`);
      if (p.format === 'int64' || p.format === 'uint64') {
        if (!/^-?\d+$/.test(v)) rep.errors.push(`${path}: int64 must be a decimal string, got ${JSON.stringify(v)}`);
        else if (field && Number(v) === 0) rep.errors.push(`${path}: "0" is the zero value (omitted)`);
      } else if (p.format === 'google-datetime' && !TIMESTAMP.test(v)) rep.errors.push(`${path}: not an RFC 3339 UTC timestamp: ${v}`);
      else if (p.format === 'google-duration' && !DURATION.test(v)) rep.errors.push(`${path}: not a Duration: ${v}`);
      if (p.enum) {
        if (!p.enum.includes(v)) (mode === 'emulator' ? rep.errors : rep.warnings).push(`${path}: ${v} is not a documented enum value`);
        else if (v.endsWith('_UNSPECIFIED')) rep.errors.push(`${path}: ${v} is the zero value (omitted)`);
      }
      return;
    }
    default:
      rep.errors.push(`${path}: unsupported schema type ${String(p.type)}`);
  }
}

/** The DataPoint union keys (kebab-case data type id → camelCase key) as the discovery document names them. */
export function unionKeys(d: Discovery, schema = 'DataPoint'): Map<string, string> {
  const out = new Map<string, string>();
  for (const k of Object.keys(d.schemas[schema]?.properties ?? {})) {
    out.set(k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace('vo2', 'vo2'), k);
  }
  return out;
}

/** httpMethod and flatPath of a users.dataTypes.dataPoints method. */
export function dataPointsMethod(d: Discovery, name: string): { httpMethod: string; flatPath: string; request?: string; response?: string } {
  const users = d.resources.users as {
    resources: {
      dataTypes: {
        resources: {
          dataPoints: { methods: Record<string, { httpMethod: string; flatPath: string; request?: { $ref: string }; response?: { $ref: string } }> };
        };
      };
    };
  };
  const m = users.resources.dataTypes.resources.dataPoints.methods[name];
  if (!m) throw new Error(`no dataPoints.${name}`);
  return {
    httpMethod: m.httpMethod,
    flatPath: m.flatPath,
    ...(m.request ? { request: m.request.$ref } : {}),
    ...(m.response ? { response: m.response.$ref } : {}),
  };
}
