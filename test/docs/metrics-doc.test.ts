import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderMetricsDoc } from '../../src/docs/metrics-doc.js';
import { METRICS } from '../../src/metrics/registry.js';

test('docs/metrics.md is generated from the registry and up to date (npm run docs)', () => {
  const committed = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
  assert.equal(committed, renderMetricsDoc());
  for (const m of METRICS) assert.ok(committed.includes(`\`${m.id}\``), m.id);
});

test('registry: ids unique, snake_case; calories and active energy stay distinct quantities', () => {
  const ids = METRICS.map((m) => m.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids) assert.match(id, /^[a-z][a-z0-9_]*$/);
  const calories = METRICS.find((m) => m.id === 'calories');
  const active = METRICS.find((m) => m.id === 'active_energy');
  assert.equal(calories?.googleHealth?.dataType, 'total-calories');
  assert.equal(active?.googleHealth?.dataType, 'active-energy-burned');
  assert.equal(active?.takeout.length, 0);
});
