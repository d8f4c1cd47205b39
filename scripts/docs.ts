// Writes the generated reference docs (docs/metrics.md, docs/configuration.md, docs/mqtt.md). Run: npm run docs
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderConfigDoc } from '../src/docs/config-doc.js';
import { renderMetricsDoc } from '../src/docs/metrics-doc.js';
import { renderMqttDoc } from '../src/docs/mqtt-doc.js';

for (const [file, render] of [
  ['metrics.md', renderMetricsDoc],
  ['configuration.md', renderConfigDoc],
  ['mqtt.md', renderMqttDoc],
] as const) {
  const out = fileURLToPath(new URL(`../docs/${file}`, import.meta.url));
  writeFileSync(out, render());
  console.log(`wrote ${out}`);
}
