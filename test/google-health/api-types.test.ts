import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DEFAULT_DISCOVERY_URL, DEFAULT_OUT_URL, generateFromFile, readDiscovery, type DiscoverySchema } from '../../scripts/gen-api-types.js';
import {
  DISCOVERY_REVISION,
  SCHEMA_FIELDS,
  type DailyRestingHeartRate,
  type DataPoint,
  type Exercise,
  type HeartRate,
  type RollupDataPoint,
  type Steps,
} from '../../src/sources/google-health/api-types.js';
import { METRICS } from '../../src/metrics/registry.js';

const doc = readDiscovery(DEFAULT_DISCOVERY_URL);
const schemas: Record<string, DiscoverySchema> = doc.schemas ?? {};
const committed = readFileSync(DEFAULT_OUT_URL, 'utf8');

function camel(kebab: string): string {
  return kebab.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function props(schema: string): Record<string, DiscoverySchema> {
  return schemas[schema]?.properties ?? {};
}

/** The interface block `export interface Name { … }` of the generated file. */
function interfaceBlock(name: string): string {
  const start = committed.indexOf(`\nexport interface ${name} {\n`);
  assert.ok(start >= 0, `api-types.ts has no interface ${name}`);
  const end = committed.indexOf('\n}\n', start);
  return committed.slice(start, end + 2);
}

test('api-types.ts is generated from the discovery document and up to date (npm run gen:api-types)', () => {
  const fresh = generateFromFile(DEFAULT_DISCOVERY_URL);
  if (committed !== fresh) {
    const a = committed.split('\n');
    const b = fresh.split('\n');
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    assert.fail(
      `src/sources/google-health/api-types.ts differs from a fresh generation at line ${i + 1}:\n` +
        `  committed: ${JSON.stringify(a[i])}\n  generated: ${JSON.stringify(b[i])}\n` +
        'Run `npm run gen:api-types` (node --import tsx scripts/gen-api-types.ts).',
    );
  }
  assert.equal(DISCOVERY_REVISION, doc.revision);
});

test('every schema of the document has an interface and a SCHEMA_FIELDS entry with all its properties', () => {
  const names = Object.keys(schemas).sort();
  assert.ok(names.length > 100, `only ${names.length} schemas`);
  assert.deepEqual(Object.keys(SCHEMA_FIELDS).sort(), names);
  for (const name of names) {
    assert.ok(committed.includes(`\nexport interface ${name} {`) || committed.includes(`\nexport type ${name} =`), name);
    assert.deepEqual(Object.keys(SCHEMA_FIELDS[name] ?? {}).sort(), Object.keys(props(name)).sort(), name);
  }
  assert.equal(SCHEMA_FIELDS.Sleep?.stages, 'array:ref:SleepStage');
  assert.equal(SCHEMA_FIELDS.Steps?.interval, 'ref:ObservationTimeInterval');
  assert.equal(SCHEMA_FIELDS.Exercise?.exerciseType, 'enum');
});

/**
 * Checks one registry entry against the document. Returns a problem description, or null.
 * - list types: DataPoint.<camel(dataType)> → $ref schema → must have `field`;
 * - rollupOnly types: RollupDataPoint.<camel(dataType)> → $ref schema (the rollup value) → `field`.
 * The member's description must also name the kebab-case id, which confirms the id → member mapping.
 */
function checkEntry(metricId: string, dataType: string, field: string, rollupOnly: boolean): string | null {
  const container = rollupOnly ? 'RollupDataPoint' : 'DataPoint';
  const member = camel(dataType);
  const where = `metric '${metricId}' googleHealth { dataType: '${dataType}', field: '${field}'${rollupOnly ? ', rollupOnly: true' : ''} }`;
  const m = props(container)[member];
  if (!m) {
    const other = props(rollupOnly ? 'DataPoint' : 'RollupDataPoint')[member] ? ` (it is a member of ${rollupOnly ? 'DataPoint' : 'RollupDataPoint'})` : '';
    return `${where}: ${container} has no member '${member}'${other}`;
  }
  if (!m.$ref) return `${where}: ${container}.${member} is not a $ref`;
  if (!(m.description ?? '').includes(`\`${dataType}\``)) {
    return `${where}: ${container}.${member} is described as ${JSON.stringify(m.description)}, which does not name \`${dataType}\``;
  }
  // a dotted field walks nested messages (fullSleepStats.breathsPerMinute)
  let schema = m.$ref;
  const path = field.split('.');
  for (const [i, f] of path.entries()) {
    const fields = props(schema);
    if (!(f in fields)) {
      return `${where}: schema ${schema} (${container}.${member}) has no field '${f}'; it has: ${Object.keys(fields).sort().join(', ')}`;
    }
    if (i < path.length - 1) {
      const ref = fields[f]?.$ref;
      if (!ref) return `${where}: ${schema}.${f} is not a message`;
      schema = ref;
    }
  }
  return null;
}

test('every googleHealth entry of the metric registry names a data type and field of the document', () => {
  const problems: string[] = [];
  let checked = 0;
  for (const m of METRICS) {
    const gh = m.googleHealth;
    if (!gh) continue;
    checked++;
    const problem = checkEntry(m.id, gh.dataType, gh.field, gh.rollupOnly === true);
    if (problem) problems.push(problem);
  }
  assert.ok(checked >= 20, `only ${checked} registry entries checked`);
  assert.deepEqual(problems, [], `registry entries that do not match the discovery document:\n${problems.join('\n')}`);
});

test('the checker itself: known good and known bad entries', () => {
  assert.equal(checkEntry('x', 'heart-rate', 'beatsPerMinute', false), null);
  assert.equal(checkEntry('x', 'total-calories', 'kcalSum', true), null);
  assert.equal(checkEntry('x', 'floors', 'countSum', true), null);
  assert.equal(checkEntry('x', 'daily-vo2-max', 'vo2Max', false), null); // member dailyVo2Max → schema DailyVO2Max
  assert.match(checkEntry('x', 'floors', 'count', true) ?? '', /FloorsRollupValue .* has no field 'count'; it has: countSum/);
  assert.match(checkEntry('x', 'total-calories', 'kcalSum', false) ?? '', /DataPoint has no member 'totalCalories' \(it is a member of RollupDataPoint\)/);
  assert.match(checkEntry('x', 'heart-rate', 'bpm', false) ?? '', /HeartRate .* has no field 'bpm'/);
});

test('int64 fields are typed string in the generated file', () => {
  assert.equal(SCHEMA_FIELDS.Steps?.count, 'string(int64)');
  assert.equal(SCHEMA_FIELDS.HeartRate?.beatsPerMinute, 'string(int64)');
  assert.match(interfaceBlock('Steps'), /\n {2}count\?: string;\n/);
  assert.match(interfaceBlock('HeartRate'), /\n {2}beatsPerMinute\?: string;\n/);

  let int64 = 0;
  for (const [schema, fields] of Object.entries(SCHEMA_FIELDS)) {
    const block = () => interfaceBlock(schema);
    for (const [field, kind] of Object.entries(fields)) {
      if (kind === 'string(int64)' || kind === 'string(uint64)') {
        int64++;
        assert.match(block(), new RegExp(`\\n {2}${field}\\?: string;\\n`), `${schema}.${field}`);
        assert.match(
          block(),
          new RegExp(`${kind.slice(7, -1)}: sent as a JSON string[^\\n]*\\n(?: {3}\\*[^\\n]*\\n)* {3}\\*/\\n {2}${field}\\?`),
          `${schema}.${field} doc comment`,
        );
      }
      if (kind === 'array:string(int64)') assert.match(block(), new RegExp(`\\n {2}${field}\\?: string\\[\\];\\n`));
    }
  }
  assert.ok(int64 >= 30, `only ${int64} int64 fields`);

  // Compile-time checks (npx tsc -p tsconfig.test.json): int64 is string, enums are open, all optional.
  const steps: Steps = { count: '123' };
  // @ts-expect-error int64 arrives as a JSON string, not a number
  const badSteps: Steps = { count: 123 };
  const hr: HeartRate = { beatsPerMinute: '61' };
  const rhr: DailyRestingHeartRate = { beatsPerMinute: '55' };
  const ex: Exercise = { exerciseType: 'CARDIO_WORKOUT' };
  const empty: DataPoint = {};
  const rollup: RollupDataPoint = { floors: { countSum: '3' }, totalCalories: { kcalSum: 1.5 } };
  assert.ok(steps && badSteps && hr && rhr && ex && empty && rollup);
});
