/**
 * Renders docs/mqtt.md — the MQTT topics, the state JSON and the Home Assistant entities — from
 * the MQTT sink's own tables (src/sinks/mqtt/), so the reference cannot drift from the code.
 * `npm run docs` writes it; a test checks the committed file equals this output.
 */
import { configSchema } from '../config/schema.js';
import { ACCOUNT_ENTITIES, PROJECT_URL } from '../sinks/mqtt/discovery.js';
import { LIVE_KEYS } from '../sinks/mqtt/entities.js';
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
    `| \`${t.accountState('<account>')}\` | published | the account's state JSON (below, for scripts), whenever a value changes and at least at every local midnight |`,
    `| \`${t.entityState('<account>', '<key>')}\` | published | one entity's state \`{"value": …, "measured_at": …}\` (what Home Assistant reads), only when that value or its measurement time changes |`,
    `| \`${t.discoveryConfig('sensor', node, '<key>')}\` | published | Home Assistant discovery of each sensor (below); an empty payload clears one the bridge no longer produces |`,
    `| \`${t.discoveryConfig('binary_sensor', node, '<key>')}\` | published | the same for binary sensors |`,
    `| \`${t.haStatus}\` | subscribed | \`online\` (Home Assistant's birth message): the topics the broker lacks are published again (normally none: everything is retained) |`,
    `| \`${t.base}/#\`, \`${t.discoveryWildcard}\` | subscribed | the bridge's own retained messages, to know what the broker holds (and to clear discovery configs it no longer produces) |`,
    '',
    '## The state JSON',
    '',
    'Every key is always present (`null` while unknown), in this order:',
    '',
    STATE_KEYS.map((k) => `\`${k}\``).join(', ') + '.',
    '',
    'Beside them: `measured_at` (per key: the ISO 8601 time with its UTC offset of the sample the value',
    'comes from), `age_s` (per key: its age in seconds when the state was last published; it is not',
    'republished only because time passed, so compute the age from `measured_at`), `local_date` and',
    '`timezone` of the account. `sleep_stage` here is the current or last stage of the newest sleep.',
    '',
    '## Entity topics and freshness',
    '',
    `Each entity has its own retained topic \`${t.entityState('<account>', '<key>')}\` with`,
    '`{"value": …, "measured_at": "<ISO 8601 with offset>" | null}`; Home Assistant shows `value`',
    '(`null`: unknown) and `measured_at` as an attribute (true whenever it is read: an instant, not an',
    "age). Home Assistant re-arms an entity's `expire_after` on every message on its state topic and",
    'redelivers retained messages when it (re)subscribes, so a message is sent to an entity only when',
    'its own value or measurement time changes, and a live value is sent as `null` once it is older',
    'than its freshness limit (the bridge re-evaluates at that instant and whenever it starts, so a',
    'value that went stale while it was stopped is republished as `null`, never as the old number):',
    '',
    `- ${LIVE_KEYS.filter((k) => k !== 'sleep_stage')
      .map((k) => `\`${k}\``)
      .join(
        ', ',
      )}: measured (for the 60-minute window: the newest steps sample) within \`mqtt.expire_after_seconds\` (default ${mq.expire_after_seconds} s; 0: no limit);`,
    '  their `expire_after` is the same number (Home Assistant: unavailable when the topic stays silent).',
    '- `sleep_stage`: a stage of the newest sleep covers the current instant; `null` once that sleep has',
    '  ended or its data stopped.',
    '- Other keys are daily values, totals and bridge facts, shown with their `measured_at`.',
    '',
    'While the bridge is stopped its last will marks every entity unavailable (`' + t.bridgeState + '` = `offline`).',
    '',
    '## Home Assistant entities (one device per account, linked to the bridge device)',
    '',
    '| key | component | name | device_class | state_class | unit | notes |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const e of ACCOUNT_ENTITIES) {
    const notes = [
      e.diagnostic ? 'diagnostic' : '',
      e.disabledByDefault ? 'disabled by default' : '',
      (LIVE_KEYS as readonly string[]).includes(e.key) ? 'null once stale' : '',
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
  lines.push(
    '',
    'The bridge device has a diagnostic connectivity binary sensor fed by the bridge state topic.',
    `Every config carries \`origin\` (\`name\`, \`sw\` = version, \`url\` = ${PROJECT_URL}); with \`http.public_url\` set (and HTTP on)`,
    'both devices link to it (`configuration_url`, Home Assistant\'s "Visit" link).',
    '',
  );
  return lines.join('\n');
}
