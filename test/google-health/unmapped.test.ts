/**
 * Every data type of the vendored discovery document (the DataPoint union and the values only
 * rollUp / dailyRollUp serve) is either synced onto registry metrics (datatypes.ts) or listed in
 * UNMAPPED_DATA_TYPES with why not; docs/metrics.md prints both (its own test checks it is current).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DISCOVERY_URL, readDiscovery, type DiscoverySchema } from '../../scripts/gen-api-types.js';
import { renderMetricsDoc } from '../../src/docs/metrics-doc.js';
import { DATA_TYPES } from '../../src/sources/google-health/datatypes.js';
import { UNMAPPED_DATA_TYPES } from '../../src/sources/google-health/unmapped.js';

const schemas: Record<string, DiscoverySchema> = readDiscovery(DEFAULT_DISCOVERY_URL).schemas ?? {};

const kebab = (camel: string): string => camel.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);

/** The union members of a schema: the properties that are messages (`$ref`), except `exclude`. */
function unionMembers(schema: string, exclude: readonly string[]): string[] {
  const props = schemas[schema]?.properties ?? {};
  return Object.entries(props)
    .filter(([k, v]) => v.$ref !== undefined && !exclude.includes(k))
    .map(([k]) => k);
}

/** The data type ids of the document, from the unions (DataPoint names each member's kebab-case id in its description). */
function documentTypes(): Set<string> {
  const out = new Set<string>();
  for (const k of unionMembers('DataPoint', ['dataSource'])) out.add(kebab(k));
  for (const k of unionMembers('RollupDataPoint', [])) out.add(kebab(k));
  for (const k of unionMembers('DailyRollupDataPoint', ['civilStartTime', 'civilEndTime'])) out.add(kebab(k));
  return out;
}

test('the document lists the data types the unions name (the derivation is sound)', () => {
  const types = documentTypes();
  assert.ok(types.size >= 35, `only ${types.size} data types`);
  for (const id of ['heart-rate', 'total-calories', 'respiratory-rate-sleep-summary', 'electrocardiogram', 'run-vo2-max', 'calories-in-heart-rate-zone'])
    assert.ok(types.has(id), id);
  // the DataPoint member descriptions name the kebab-case ids the derivation produces
  const dp = schemas.DataPoint?.properties ?? {};
  for (const k of unionMembers('DataPoint', ['dataSource'])) {
    const d = dp[k]?.description ?? '';
    if (d.includes('`')) assert.ok(d.includes(`\`${kebab(k)}\``) || !/`[a-z-]+`/.test(d), `${k}: ${d}`);
  }
});

test('every data type of the discovery document maps onto a metric or is listed with why not', () => {
  const mapped = new Set(DATA_TYPES.filter((d) => d.metrics.length > 0).map((d) => d.id));
  const unmapped = new Map(UNMAPPED_DATA_TYPES.map((u) => [u.id, u]));
  const problems: string[] = [];
  for (const id of documentTypes()) {
    if (mapped.has(id) && unmapped.has(id)) problems.push(`${id}: both mapped and listed as not mapped`);
    else if (!mapped.has(id) && !unmapped.has(id)) problems.push(`${id}: neither mapped onto a metric nor listed in UNMAPPED_DATA_TYPES`);
  }
  for (const d of DATA_TYPES) if (d.metrics.length === 0) problems.push(`${d.id}: synced without a metric`);
  // no stale entries: a listed type is in the document unless marked otherwise
  const types = documentTypes();
  for (const u of UNMAPPED_DATA_TYPES) {
    if (u.inDocument === false) assert.ok(!types.has(u.id), `${u.id} is in the document: drop inDocument: false`);
    else if (!types.has(u.id)) problems.push(`${u.id}: listed as not mapped but not a data type of the document`);
    assert.ok(u.why.length > 20, `${u.id}: say why`);
  }
  assert.deepEqual(problems, []);
});

test('docs/metrics.md names every data type: its metrics, or why it is not mapped', () => {
  const doc = renderMetricsDoc();
  for (const d of DATA_TYPES) assert.ok(doc.includes(`| \`${d.id}\` |`), d.id);
  for (const u of UNMAPPED_DATA_TYPES) assert.ok(doc.includes(u.id), u.id);
  assert.match(doc, /\| `respiratory-rate-sleep-summary` \| `sleep_breathing_rate` \|/);
});
