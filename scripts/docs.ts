// Writes the generated reference docs (docs/metrics.md). Run: npm run docs
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderMetricsDoc } from '../src/docs/metrics-doc.js';

const out = fileURLToPath(new URL('../docs/metrics.md', import.meta.url));
writeFileSync(out, renderMetricsDoc());
console.log(`wrote ${out}`);
