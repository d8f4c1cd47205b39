#!/usr/bin/env node
// `npm run test:clocks`: the test suite under other clocks and zones, so no test depends on the
// date, the time zone or the time of day it runs at.
//
//   node scripts/test-clocks.mjs                 every variant below
//   node scripts/test-clocks.mjs chatham nye     only these variants (by name)
//
// Variants:
// - chatham:   TZ=Pacific/Chatham (UTC+12:45 / +13:45: a zone far from UTC, not on the hour),
//              the real clock;
// - us-dst-end, leap-day, new-years-eve: the clock faked by libfaketime (Debian package
//              `faketime`), set to an instant when the variant starts and advancing in real time
//              (UTC):
//              2026-11-01 05:30 (US DST ends at 06:00 UTC: New York repeats 01:00–02:00 local
//              half an hour into the run), 2028-02-29 23:30 (a leap day turning into March),
//              2026-12-31 23:30 (the year turns half an hour into the run).
//
// Which files run under a faked clock: libfaketime works by LD_PRELOAD, so it fakes node and every
// child process of it, but not Go binaries (prometheus, victoria-metrics: statically linked, they
// read the clock through the vDSO), which keep the real clock. Test files that compare the
// bridge's clock with a TSDB's own (scrapes stamped by Prometheus's clock, queries at the bridge's
// "now") would test two clocks that disagree by months, which no real installation has; they
// run under `chatham` (real clock) only. TSDB tests that write history with its own timestamps
// and read it back by those (remote write, OpenMetrics blocks) do run under the faked clocks.
// The crash-safety files (SIGKILL at every failpoint / random moments) spend minutes of CPU on a
// fixed synthetic past and read no clock of their own: they run in `npm test` only; the slowest
// files with pinned dates and clocks (PINNED_HEAVY) run under `chatham` but not under each faked
// clock. Everything else runs under every variant.
//
// Under CI=true a missing libfaketime fails the run (installed with apt-get when root, as
// scripts/test.mjs does for mosquitto); elsewhere the faked variants are skipped with a warning.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

const LIBFAKETIME_CANDIDATES = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/faketime/libfaketime.so.1',
  '/usr/local/lib/faketime/libfaketime.so.1',
];

/** Files (path substrings) that compare the bridge's clock with a TSDB's: real clock only. */
const TWO_CLOCKS = ['test/dashboards/queries.test.ts', 'test/sinks/prometheus.test.ts'];
/** Crash-safety files: CPU-bound on a fixed synthetic past; `npm test` runs them. */
const CLOCKLESS_HEAVY = ['test/sync/sigkill.test.ts', 'test/integration/sigkill.test.ts'];
/**
 * The slowest files whose data and "now" are pinned (a synthetic past: March / April 2026 exports,
 * syncs with a fixed `now` and virtual clocks): the real clock only decides token lifetimes
 * there. They run under `chatham` (a zone can still leak into their local-time parsing) but not
 * under each faked clock, which keeps `test:clocks` within CI's budget.
 */
const PINNED_HEAVY = [
  'test/takeout/import.test.ts',
  'test/synthetic/takeout.test.ts',
  'test/integration/truth.test.ts',
  'test/integration/idempotence.test.ts',
  'test/sync/sync.test.ts',
  'test/sync/faults.test.ts',
  'test/web/browser.test.ts', // a real chromium over a March 2026 export (chromium under libfaketime: untested ground)
  'test/sync/merge.test.ts',
];

const VARIANTS = [
  { name: 'chatham', env: { TZ: 'Pacific/Chatham' }, exclude: CLOCKLESS_HEAVY },
  { name: 'us-dst-end', faketime: '2026-11-01T05:30:00', exclude: [...CLOCKLESS_HEAVY, ...PINNED_HEAVY, ...TWO_CLOCKS] },
  { name: 'leap-day', faketime: '2028-02-29T23:30:00', exclude: [...CLOCKLESS_HEAVY, ...PINNED_HEAVY, ...TWO_CLOCKS] },
  { name: 'new-years-eve', faketime: '2026-12-31T23:30:00', exclude: [...CLOCKLESS_HEAVY, ...PINNED_HEAVY, ...TWO_CLOCKS] },
];

function findLibfaketime() {
  return LIBFAKETIME_CANDIDATES.find((p) => existsSync(p)) ?? null;
}

function ensureLibfaketime() {
  let lib = findLibfaketime();
  if (lib) return lib;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const haveApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (isRoot && haveApt) {
    console.error('test:clocks: installing the Debian package faketime');
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'faketime'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    lib = findLibfaketime();
    if (lib) return lib;
  }
  const msg = 'test:clocks: libfaketime not found (apt-get install faketime)';
  if (process.env.CI === 'true') {
    console.error(`${msg}; CI=true, so this fails the run.`);
    process.exit(1);
  }
  console.error(`${msg}; the faked-clock variants are skipped.`);
  return null;
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !VARIANTS.some((v) => v.name === w));
if (unknown.length > 0) {
  console.error(`test:clocks: unknown variant(s) ${unknown.join(', ')}; known: ${VARIANTS.map((v) => v.name).join(', ')}`);
  process.exit(2);
}
const variants = wanted.length > 0 ? VARIANTS.filter((v) => wanted.includes(v.name)) : VARIANTS;
const lib = variants.some((v) => v.faketime) ? ensureLibfaketime() : null;

/**
 * The "failing tests" section of a spec report (node prints it last, with each failure's error
 * and stack), clipped: repeated after all variants so it is in the tail CI shows.
 * @param {string} file
 */
function failures(file, maxLines = 80) {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return '  (no report)';
  }
  const at = text.lastIndexOf('failing tests:');
  const lines = (at >= 0 ? text.slice(at) : text).split('\n');
  const cut = lines.length > maxLines ? [...lines.slice(0, maxLines), `… ${lines.length - maxLines} more lines`] : lines;
  return cut.map((l) => `  ${l}`).join('\n');
}

const reports = mkdtempSync(join(tmpdir(), 'fb-test-clocks-'));
const results = [];
const failed = [];
for (const v of variants) {
  if (v.faketime && !lib) {
    results.push(`${v.name}: skipped (no libfaketime)`);
    continue;
  }
  const reportFile = join(reports, `${v.name}.txt`);
  /** @type {NodeJS.ProcessEnv} */
  const env = { ...process.env, ...(v.env ?? {}), TEST_REPORT_FILE: reportFile };
  if (v.faketime) {
    // An offset from the real clock, not libfaketime's "@start" (which restarts at that instant in
    // every process: a child started a minute later would live a minute in the past of its
    // parent, and tests that hand instants between processes would see the future).
    const offsetS = Math.round((Date.parse(`${v.faketime}Z`) - Date.now()) / 1000);
    Object.assign(env, {
      TZ: 'UTC',
      LD_PRELOAD: lib,
      FAKETIME: offsetS < 0 ? String(offsetS) : `+${offsetS}`,
      // node's timers and performance.now() keep the real monotonic clock (faking it stalls timers)
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
    });
  }
  const args = [fileURLToPath(new URL('test.mjs', import.meta.url)), ...v.exclude.map((x) => `--exclude=${x}`)];
  const label = v.faketime ? `clock ${v.faketime}Z (FAKETIME=${env.FAKETIME}), TZ=UTC` : `TZ=${env.TZ}`;
  console.error(`\n== test:clocks ${v.name}: ${label}`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env });
  const s = Math.round((performance.now() - t0) / 1000);
  results.push(`${v.name}: ${r.status === 0 ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`} in ${s} s`);
  if (r.status !== 0) {
    process.exitCode = 1;
    failed.push(`-- ${v.name}:\n${failures(reportFile)}`);
  }
}
if (failed.length > 0) console.error(`\n== test:clocks failures (repeated from above)\n${failed.join('\n')}`);
console.error(`\n== test:clocks\n${results.map((x) => `  ${x}`).join('\n')}`);
rmSync(reports, { recursive: true, force: true });
