import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderMqttDoc } from '../../src/docs/mqtt-doc.js';
import { ACCOUNT_ENTITIES } from '../../src/sinks/mqtt/discovery.js';
import { STATE_KEYS } from '../../src/sinks/mqtt/state.js';

test('docs/mqtt.md is generated from the MQTT sink and up to date (npm run docs)', () => {
  const committed = readFileSync(new URL('../../docs/mqtt.md', import.meta.url), 'utf8');
  assert.equal(committed, renderMqttDoc());
  for (const k of STATE_KEYS) assert.ok(committed.includes(`\`${k}\``), k);
  for (const e of ACCOUNT_ENTITIES) assert.ok(committed.includes(e.name), e.name);
});
