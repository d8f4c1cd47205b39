/**
 * The human summary of a Takeout import: per metric the samples added / changed / unchanged and
 * the first and last local day, sessions, the zone used for which files, unknown files, symbolic
 * links skipped, failures and warnings.
 */
import { METRICS } from '../../metrics/registry.js';
import { clip } from '../../util/clip.js';
import type { ImportSummary } from './import.js';

const MAX_UNKNOWN = 25;
/** ImportSummary.zone.name when no zone was known. */
export const NO_ZONE = '(none)';
const MAX_WARNINGS = 25;
const MAX_LINKS = 25;

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}
function lpad(s: string, n: number): string {
  return s.length >= n ? s : ' '.repeat(n - s.length) + s;
}
function int(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatSummary(s: ImportSummary): string {
  const out: string[] = [];
  out.push(`Takeout import into account "${s.account}"${s.profileId ? ` (Fitbit profile ${s.profileId})` : ''}`);
  out.push(
    s.zone.name === NO_ZONE
      ? 'Time zone: none known (no --timezone, no Profile.csv, none stored for the account): local-time files were not imported'
      : `Time zone: ${s.zone.name} (from ${zoneFromLabel(s.zone.from)})`,
  );
  for (const z of s.zoneUse) out.push(`  ${z}`);
  const f = s.files;
  out.push(
    `Files: ${int(f.seen)} seen, ${int(f.imported)} imported, ${int(f.noData)} without data, ${int(f.unknown.length)} unknown, ${int(f.failed.length)} failed`,
  );
  out.push('');

  const order = METRICS.map((m) => m.id as string);
  const ids = Object.keys(s.metrics).sort((a, b) => order.indexOf(a) - order.indexOf(b));
  if (ids.length) {
    const rows = ids.map((id) => {
      const m = s.metrics[id] as ImportSummary['metrics'][string];
      return [id, int(m.added), int(m.changed), int(m.unchanged), m.first ?? '-', m.last ?? '-'];
    });
    const head = ['metric', 'added', 'changed', 'unchanged', 'first day', 'last day'];
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
    const line = (r: string[]): string =>
      r
        .map((c, i) => (i >= 1 && i <= 3 ? lpad(c, w[i] as number) : pad(c, w[i] as number)))
        .join('  ')
        .trimEnd();
    out.push(line(head));
    out.push(w.map((n) => '-'.repeat(n)).join('  '));
    for (const r of rows) out.push(line(r));
  } else {
    out.push('No samples imported.');
  }
  const sess = Object.entries(s.sessions);
  if (sess.length) {
    out.push('');
    for (const [k, v] of sess.sort()) out.push(`Sessions ${k}: ${int(v.added)} added or updated, ${int(v.unchanged)} unchanged`);
  }
  if (s.sleep) {
    const z = s.sleep;
    out.push(
      `Sleep: ${int(z.physical)} physical sleep(s) (${int(z.main)} main, ${int(z.naps)} nap session(s) counted) from ${int(z.stored)} stored session(s); version counted: ${z.version} (takeout.sleep_version), ${int(z.alternatives)} other version(s) kept as alternatives${z.repaired ? `; ${int(z.repaired)} row(s) of an older import replaced` : ''}`,
    );
  }
  out.push('');
  out.push(...reconciledLines(s));
  out.push(`Conflicting values (newer export wins): ${int(s.conflicts)}`);
  if (f.unknown.length) {
    out.push('');
    out.push(`Unknown files (not imported): ${int(f.unknown.length)}`);
    // grouped by folder and name pattern (dates → YYYY-MM-DD, numbers → N)
    const groups = new Map<string, { n: number; example: string }>();
    for (const u of f.unknown) {
      const parts = u.split('/');
      const base = parts.pop() ?? '';
      const key = `${parts.pop() ?? ''}/${base.replace(/\d{4}-\d{2}-\d{2}/g, 'YYYY-MM-DD').replace(/\d+/g, 'N')}`;
      const g = groups.get(key);
      if (g) g.n++;
      else groups.set(key, { n: 1, example: u });
    }
    let shown = 0;
    for (const [key, g] of groups) {
      if (shown++ >= MAX_UNKNOWN) break;
      out.push(g.n === 1 ? `  ${clip(g.example)}` : `  ${clip(key)} (${int(g.n)} files, e.g. ${clip(g.example)})`);
    }
    if (groups.size > MAX_UNKNOWN) out.push(`  … and ${int(groups.size - MAX_UNKNOWN)} more kinds`);
  }
  if (f.skippedLinks.length) {
    out.push('');
    out.push(`Symbolic links skipped (never followed or read; copy the files themselves into the folder): ${int(f.skippedLinks.length)}`);
    for (const l of f.skippedLinks.slice(0, MAX_LINKS)) out.push(`  ${clip(l)}`);
    if (f.skippedLinks.length > MAX_LINKS) out.push(`  … and ${int(f.skippedLinks.length - MAX_LINKS)} more`);
  }
  if (f.failed.length) {
    out.push('');
    out.push(`FAILED files (nothing of them was written): ${int(f.failed.length)}`);
    for (const x of f.failed) out.push(`  ${clip(x.file)}: ${x.error}`);
  }
  if (s.warningCount) {
    out.push('');
    out.push(`Warnings: ${int(s.warningCount)}`);
    for (const w of s.warnings.slice(0, MAX_WARNINGS)) out.push(`  ${clip(w.file)}${w.line !== undefined ? `:${w.line}` : ''}: ${w.message}`);
    if (s.warningCount > Math.min(MAX_WARNINGS, s.warnings.length)) out.push(`  … ${int(s.warningCount - Math.min(MAX_WARNINGS, s.warnings.length))} more`);
  }
  return out.join('\n') + '\n';
}

/**
 * The lines about the same measurement in two layers (src/reconcile/samples.ts): the total, then
 * the layer disagreements, the daily values and the weigh-ins (README "Same measurement in two layers").
 */
export function reconciledLines(s: Pick<ImportSummary, 'dedupedJsonSamples' | 'reconciled'>): string[] {
  const r = s.reconciled;
  return [
    `JSON samples matched to CSV samples (stored once): ${int(s.dedupedJsonSamples)}`,
    `Layer disagreements (same instant, different values; the CSV value is kept): ${int(r.layerDisagreements)}`,
    `Daily values in both layers (one per day; the Google daily_*.csv value is kept): ${int(r.daily)}, of which ${int(r.dailyDisagreements)} disagree`,
    `Weigh-ins in both layers (one per day and weight; weight.csv's instant is kept): ${int(r.weighIns)}`,
  ];
}

/** Where the zone came from, as the summary says it. */
export function zoneFromLabel(from: ImportSummary['zone']['from']): string {
  return from === 'flag' ? '--timezone' : from === 'config' ? 'the configuration' : from === 'profile' ? 'Profile.csv' : 'the account, from an earlier import';
}
