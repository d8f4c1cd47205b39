#!/usr/bin/env node
// `npm test`: makes sure what the integration tests need is installed, then runs every test file
// under test/ with node's test runner (TypeScript through tsx).
//
//   node scripts/test.mjs [<substring> …] [--exclude=<substring> …]
//
// Arguments pick the files whose path contains one of the substrings (default: all), minus those
// matching an --exclude. TEST_CONCURRENCY: how many test files run at once (each in
// its own process; default node's: one less than the CPUs).
//
// System packages: tests that need a real server (later: mosquitto, prometheus) list them in
// DEBIAN_PACKAGES. When one is missing and we are root with apt-get, it is installed. Under
// CI=true a package that cannot be installed fails the run; it is never skipped silently.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Debian package → a binary that proves it is installed. */
const DEBIAN_PACKAGES = {
  mosquitto: 'mosquitto', // MQTT sink tests: a real broker
  prometheus: 'promtool', // remote write, /metrics and dashboard tests: a real Prometheus (and promtool)
  'victoria-metrics': 'victoria-metrics', // remote write tests against VictoriaMetrics
  chromium: 'chromium', // web UI tests in a real browser (playwright-core drives Debian's chromium)
};

/** @param {string} bin */
function have(bin) {
  // mosquitto lives in /usr/sbin, which a non-root PATH may lack
  return spawnSync('sh', ['-c', `command -v ${bin} || test -x /usr/sbin/${bin}`], { stdio: 'ignore' }).status === 0;
}

function ensureDebianPackages() {
  const missing = Object.entries(DEBIAN_PACKAGES)
    .filter(([, bin]) => !have(bin))
    .map(([pkg]) => pkg);
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && have('apt-get')) {
    console.error(`npm test: installing Debian packages: ${missing.join(' ')}`);
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (r.status === 0) return;
  }
  const msg = `npm test: missing Debian packages: ${missing.join(' ')} (install them with apt-get)`;
  if (process.env.CI === 'true') {
    console.error(`${msg}; CI=true, so this fails the run.`);
    process.exit(1);
  }
  console.error(`${msg}; tests that need them will fail.`);
}

/** @param {string} dir @returns {string[]} */
function findTests(dir) {
  /** @type {string[]} */
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) {
      if (name === 'fixtures' || name === 'node_modules') continue;
      out.push(...findTests(p));
    } else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

ensureDebianPackages();
const argv = process.argv.slice(2);
// --coverage (npm run coverage): Node's own V8 coverage of the test processes, as coverage/lcov.info
// and a summary of src/ (code run only by a spawned CLI process is not counted: a lower bound).
const coverage = argv.includes('--coverage');
const exclude = argv.filter((a) => a.startsWith('--exclude=')).map((a) => a.slice('--exclude='.length));
const filter = argv.filter((a) => !a.startsWith('--exclude=') && a !== '--coverage');
let files = findTests(join(root, 'test')).map((f) => relative(root, f));
if (filter.length > 0) files = files.filter((f) => filter.some((x) => f.includes(x)));
if (exclude.length > 0) files = files.filter((f) => !exclude.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('npm test: no test files found');
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY;
const concurrencyArgs = concurrency ? [`--test-concurrency=${concurrency}`] : [];
const lcov = join(root, 'coverage', 'lcov.info');
const reporters = coverage
  ? [
      '--experimental-test-coverage',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=lcov',
      `--test-reporter-destination=${lcov}`,
    ]
  : ['--test-reporter=spec'];
// TEST_REPORT_FILE (set by test-clocks.mjs): the spec report is also written to that file, so a
// caller can repeat the failures at the end of a long run, where CI's tail shows them.
const reportFile = process.env.TEST_REPORT_FILE;
if (reportFile && !coverage) reporters.push('--test-reporter-destination=stdout', '--test-reporter=spec', `--test-reporter-destination=${reportFile}`);
if (coverage) mkdirSync(dirname(lcov), { recursive: true });
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...concurrencyArgs, ...reporters, ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, FITBIT_BRIDGE_LOG_LEVEL: process.env.FITBIT_BRIDGE_LOG_LEVEL ?? 'silent' },
});
if (coverage) console.log(coverageSummary(readFileSync(lcov, 'utf8')));
process.exit(r.status ?? 1);

/**
 * Line, branch and function coverage of the files under src/ from an lcov report.
 * @param {string} text
 */
function coverageSummary(text) {
  const sum = { LF: 0, LH: 0, BRF: 0, BRH: 0, FNF: 0, FNH: 0 };
  let inSrc = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('SF:')) inSrc = relative(root, join(root, line.slice(3))).startsWith(`src${sep}`);
    const m = /^(LF|LH|BRF|BRH|FNF|FNH):(\d+)$/.exec(line);
    if (inSrc && m) sum[/** @type {keyof typeof sum} */ (m[1])] += Number(m[2]);
  }
  /** @param {number} hit @param {number} found */
  const pct = (hit, found) => `${found === 0 ? '100.0' : ((100 * hit) / found).toFixed(1)} % (${hit}/${found})`;
  return `coverage of src/: lines ${pct(sum.LH, sum.LF)}, branches ${pct(sum.BRH, sum.BRF)}, functions ${pct(sum.FNH, sum.FNF)}; lcov: ${relative(root, lcov)}`;
}
