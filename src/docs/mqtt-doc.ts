/**
 * Renders docs/mqtt.md — the MQTT topics, the state JSON and the Home Assistant entities — from
 * the MQTT sink's own tables (src/sinks/mqtt/), so the reference cannot drift from the code.
 * `npm run docs` writes it; a test checks the committed file equals this output.
 */
import { configSchema } from '../config/schema.js';
import { ACCOUNT_ENTITIES } from '../sinks/mqtt/discovery.js';
import { STATE_KEYS } from '../sinks/mqtt/state.js';
import { Topics } from '../sinks/mqtt/topics.js';

const cell = (s: string): string => s.replace(/\|/g, '\\|');

export function renderMqttDoc(): string {
  const mq = configSchema.parse({}).mqtt;
  const t = new Topics(mq.base_topic, mq.discovery_prefix);
  const node = t.accountNode('<account_id>');
  const lines: string[] = [
    '# MQTT topics and Home Assistant entities',
    '',
    '<!-- Generated from src/sinks/mqtt/ by `npm run docs`. Do not edit by hand. -->',
    '',
    `With the defaults (\`mqtt.base_topic: ${mq.base_topic}\`, \`mqtt.discovery_prefix: ${mq.discovery_prefix}\`). Every`,
    'message is retained and sent with QoS 1. `<account>` is the account name with characters outside',
    '`[A-Za-z0-9_.-]` replaced by `_`; `<account_id>` is the same in lower case with `_` (an account',
    'named `bridge` becomes `bridge_account`; names that collide get a short hash).',
    '',
    '| topic | direction | payload |',
    '|---|---|---|',
    `| \`${t.bridgeState}\` | published | \`online\` while the bridge runs; \`offline\` as its last will and on a clean stop |`,
    `| \`${t.accountState('<account>')}\` | published | the account's state JSON (below), whenever a value changes and at least at every local midnight |`,
    `| \`${t.discoveryConfig('sensor', node, '<key>')}\` | published | Home Assistant discovery of each sensor (below); an empty payload clears one the bridge no longer produces |`,
    `| \`${t.discoveryConfig('binary_sensor', node, '<key>')}\` | published | the same for binary sensors |`,
    `| \`${t.haStatus}\` | subscribed | \`online\` (Home Assistant's birth message): everything is published again |`,
    '',
    '## The state JSON',
    '',
    'Every key is always present (`null` while unknown), in this order:',
    '',
    STATE_KEYS.map((k) => `\`${k}\``).join(', ') + '.',
    '',
    'Beside them: `measured_at` (per key: the ISO 8601 time with its UTC offset of the sample the value',
    'comes from), `age_s` (per key: its age in seconds when the state was computed), `local_date` and',
    '`timezone` of the account.',
    '',
    '## Home Assistant entities (one device per account, linked to the bridge device)',
    '',
    '| key | component | name | device_class | state_class | unit | notes |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const e of ACCOUNT_ENTITIES) {
    const notes = [
      e.diagnostic ? 'diagnostic' : '',
      e.expires ? `\`expire_after\` ${mq.expire_after_seconds} s` : '',
      e.options ? `options: ${e.options.join(', ')}` : '',
      e.needsStepGoal ? 'only with `mqtt.step_goal`' : '',
    ]
      .filter(Boolean)
      .join('; ');
    lines.push(
      `| \`${e.key}\` | ${e.component} | ${cell(e.name)} | ${e.device_class ?? '—'} | ${e.state_class ?? '—'} | ${e.unit ? cell(e.unit) : '—'} | ${notes} |`,
    );
  }
  lines.push('', 'The bridge device has a diagnostic connectivity binary sensor fed by the bridge state topic.', '');
  return lines.join('\n');
}
