/**
 * Renders docs/metrics.md from the metric registry, so the reference cannot drift from the code.
 * `npm run docs` writes it; a test checks the committed file equals this output.
 */
import { METRICS, type MetricDef } from '../metrics/registry.js';

function cell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

function api(m: MetricDef): string {
  if (!m.googleHealth) return '— (none)';
  const g = m.googleHealth;
  return `\`${g.dataType}\` → \`${g.field}\`${g.rollupOnly ? ' (rollUp only)' : ''}${g.factor ? ` ×${g.factor}` : ''}`;
}

export function renderMetricsDoc(): string {
  const lines: string[] = [
    '# Metrics',
    '',
    '<!-- Generated from src/metrics/registry.ts by `npm run docs`. Do not edit by hand. -->',
    '',
    'Every value fitbit-bridge stores belongs to one of these metrics. The id names the dump folder',
    '(`<dir>/<id>/<YYYY-MM-DD>.csv`) and the series in `fitbit-bridge stats`. A series is',
    '(account, metric, data source); each sample is a UTC instant, the UTC offset in force there and',
    'a number in the unit below. Daily metrics are stamped at local midnight of their day.',
    '',
    '| id | title | unit | kind | Takeout files | Google Health API |',
    '|---|---|---|---|---|---|',
  ];
  for (const m of METRICS) {
    lines.push(`| \`${m.id}\` | ${cell(m.title)} | ${cell(m.unit)} | ${m.kind} | ${m.takeout.map((t) => cell(t)).join('<br>') || '— (none)'} | ${api(m)} |`);
  }
  lines.push('', '## Notes', '');
  for (const m of METRICS) {
    lines.push(`- **\`${m.id}\`**: ${m.description}${m.note ? ` ${m.note}` : ''}`);
  }
  lines.push('');
  return lines.join('\n');
}
