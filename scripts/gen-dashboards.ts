// Writes the Grafana dashboards (dashboards/json/*.json) and their provisioning files from
// dashboards/src/ (typed against @grafana/schema). Run: npm run dashboards
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from '../dashboards/src/index.js';

for (const f of generatedFiles()) {
  const out = fileURLToPath(new URL(`../${f.path}`, import.meta.url));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, f.text);
  console.log(`wrote ${out}`);
}
