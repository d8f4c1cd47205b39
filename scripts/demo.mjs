#!/usr/bin/env node
// `npm run demo`: the main job end to end on embedded defaults — no account, no network, no config.
// 1. starts the Google emulator (OAuth + Health API v4) serving a synthetic user's last 30 days,
// 2. authorises against it with `fitbit-bridge auth`, following the consent link the way a browser
//    would (the emulator consents by itself and redirects to the CLI's 127.0.0.1 listener),
// 3. backfills the month with `fitbit-bridge sync`,
// 4. runs `fitbit-bridge run` once: waits for /healthz, scrapes /metrics, loads the web UI's page
//    and /api/status, stops it with SIGTERM,
// 5. imports a synthetic Google Takeout export of the same days (the two paths merge, not double),
// 6. dumps everything with `fitbit-bridge dump`, prints `fitbit-bridge stats`, the paths, how to
//    open the web UI on the demo store, and a last line `demo: ok …` with the counts.
// Everything lands in ./demo-out (deleted at the start). MQTT only when a broker is configured.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'demo-out');
const cli = join(root, 'dist', 'cli', 'main.js');
const days = Number(process.env.DEMO_DAYS ?? 30);
const TZ = 'America/New_York';
const SEED = 42;
const started = Date.now();

/** @param {string} title */
function step(title) {
  console.log(`\n== ${title}`);
}

/** @param {string} msg @returns {never} */
function fail(msg) {
  console.error(`demo: ${msg}`);
  process.exit(1);
}

const childEnv = { ...process.env, FITBIT_BRIDGE_LOG_LEVEL: process.env.FITBIT_BRIDGE_LOG_LEVEL ?? 'warn' };

/**
 * Runs a CLI command to its end. Asynchronous on purpose: the emulator answers from this very
 * process, so a spawnSync here would block it.
 * @param {string[]} args
 * @param {{ capture?: boolean }} [options]
 * @returns {Promise<string>} its stdout when captured, else ''
 */
function run(args, { capture = false } = {}) {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [cli, ...args], {
      cwd: root,
      env: childEnv,
      stdio: capture ? ['ignore', 'pipe', 'inherit'] : ['ignore', 'inherit', 'inherit'],
    });
    let stdout = '';
    c.stdout?.on('data', (/** @type {Buffer} */ d) => {
      stdout += d.toString();
    });
    c.once('exit', (code) => {
      if (code !== 0) fail(`\`fitbit-bridge ${args.join(' ')}\` exited with ${code}`);
      resolve(stdout);
    });
  });
}

/** @param {string} dir @returns {number} */
function countFiles(dir) {
  let n = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) n += countFiles(p);
    else if (!name.startsWith('.')) n += 1;
  }
  return n;
}

/** Local date (YYYY-MM-DD) in `tz` of instant `t`. @param {number} t @param {string} tz */
function localDate(t, tz) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(t);
}

/** @param {string} date YYYY-MM-DD @param {number} n */
function addDays(date, n) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/**
 * Runs a CLI command in the background; resolves lines of its stdout / stderr to callbacks.
 * @param {string[]} args
 * @param {{ onStdout?: (line: string) => void, onStderr?: (line: string) => void }} [callbacks]
 */
function startChild(args, { onStdout, onStderr } = {}) {
  const c = spawn(process.execPath, [cli, ...args], { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  /** @type {(stream: import('node:stream').Readable, cb: ((line: string) => void) | undefined, echo: NodeJS.WritableStream) => void} */
  const lines = (stream, cb, echo) => {
    let buf = '';
    stream.on('data', (/** @type {Buffer} */ d) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (echo) echo.write(`${line}\n`);
        cb?.(line);
      }
    });
  };
  lines(c.stdout, onStdout, process.stdout);
  lines(c.stderr, onStderr, process.stderr);
  /** @type {Promise<{ code: number | null, signal: NodeJS.Signals | null }>} */
  const exited = new Promise((resolve) => c.once('exit', (code, signal) => resolve({ code, signal })));
  return { child: c, exited };
}

if (!existsSync(cli)) {
  step('building (npm run build)');
  const b = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(1);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const db = join(out, 'fitbit-bridge.db');
const configPath = join(out, 'config.yaml');
const archiveDir = join(out, 'takeout');
const dumpDir = join(out, 'dump');
const lastDay = localDate(Date.now(), TZ);
const firstDay = addDays(lastDay, -(days - 1));

step(`starting the Google emulator (synthetic user, ${firstDay} … ${lastDay}, ${TZ})`);
const emulatorMod = /** @type {typeof import('../src/emulator/index.js')} */ (await import(pathToFileURL(join(root, 'dist', 'emulator', 'index.js')).href));
const emu = await emulatorMod.startGoogleEmulator({ seed: SEED, timezone: TZ, firstDay, lastDay });
console.log(`  emulator: ${emu.url}`);

writeFileSync(
  configPath,
  [
    '# written by npm run demo: the bridge pointed at the local Google emulator',
    'store:',
    `  path: ${JSON.stringify(db)}`,
    'accounts:',
    '  - name: demo',
    `    timezone: ${TZ}`,
    'google:',
    `  client_id: ${JSON.stringify(emulatorMod.EMULATOR_CLIENT_ID)}`,
    `  client_secret: ${JSON.stringify(emulatorMod.EMULATOR_CLIENT_SECRET)}`,
    `  authorize_endpoint: ${JSON.stringify(emu.authorizeEndpoint)}`,
    `  token_endpoint: ${JSON.stringify(emu.tokenEndpoint)}`,
    `  api_base_url: ${JSON.stringify(emu.url)}`,
    'sync:',
    `  backfill_days: ${days + 2}`,
    'http:',
    '  port: 0',
    '',
  ].join('\n'),
);
const withConfig = (/** @type {string[]} */ args) => ['--config', configPath, ...args];

try {
  step('authorising: fitbit-bridge auth (the demo plays the browser)');
  let opened = false;
  const auth = startChild(withConfig(['auth', '--account', 'demo', '--timeout', '60']), {
    onStdout: (line) => {
      const consentUrl = /^\s+(https?:\/\/\S+)$/.exec(line)?.[1];
      if (consentUrl === undefined || opened) return;
      opened = true;
      // A browser: GET the consent URL, follow the emulator's redirect to the CLI's listener.
      fetch(consentUrl, { redirect: 'follow' })
        .then((r) => r.text())
        .catch((/** @type {unknown} */ e) => console.error(`demo: browser step failed: ${e instanceof Error ? e.message : String(e)}`));
    },
  });
  const a = await auth.exited;
  if (a.code !== 0) fail(`fitbit-bridge auth exited with ${a.code ?? a.signal}`);

  step('backfilling the month: fitbit-bridge sync');
  await run(withConfig(['sync', '--account', 'demo', '--mode', 'all', '--no-progress']));

  step('running the bridge once: fitbit-bridge run, /healthz, /metrics, SIGTERM');
  /** @type {{ url: string | null }} */
  const listening = { url: null }; // set by the log line below
  const bridge = startChild(withConfig(['--log-level', 'info', 'run', '--no-sync']), {
    onStderr: (line) => {
      try {
        const rec = /** @type {{ msg?: unknown, url?: unknown }} */ (JSON.parse(line));
        if (rec.msg === 'HTTP server listening' && typeof rec.url === 'string') listening.url = rec.url;
      } catch {
        /* not a log line */
      }
    },
  });
  for (let i = 0; i < 200 && listening.url === null; i++) await new Promise((r) => setTimeout(r, 50));
  const url = listening.url ?? fail('fitbit-bridge run did not report its HTTP address');
  const health = await fetch(`${url}/healthz`);
  if (health.status !== 200) fail(`/healthz answered ${health.status}`);
  const metricsText = await (await fetch(`${url}/metrics`)).text();
  const bridgeMetrics = metricsText.split('\n').filter((l) => l.startsWith('fitbit_bridge_'));
  console.log(`  /healthz: ${health.status}; /metrics: ${bridgeMetrics.length} fitbit_bridge_* samples, e.g.`);
  for (const l of bridgeMetrics.slice(0, 4)) console.log(`    ${l}`);
  const ui = await fetch(`${url}/`);
  const uiHtml = await ui.text();
  if (ui.status !== 200 || !uiHtml.includes('ui/app.js')) fail(`the web UI at ${url}/ answered ${ui.status}`);
  const api = await fetch(`${url}/api/status`);
  if (api.status !== 200) fail(`/api/status answered ${api.status}`);
  console.log(`  web UI: ${url}/ answered ${ui.status}; /api/status: ${api.status}`);
  bridge.child.kill('SIGTERM');
  const b = await bridge.exited;
  if (b.code !== 0) fail(`fitbit-bridge run exited with ${b.code ?? b.signal} after SIGTERM`);

  step(`importing a synthetic Google Takeout export of the same days (merges, does not double)`);
  const { generateTakeout } = /** @type {typeof import('../src/synthetic/index.js')} */ (
    await import(pathToFileURL(join(root, 'dist', 'synthetic', 'index.js')).href)
  );
  // the export's full days end yesterday (today is still going on: the API has it)
  const gen = await generateTakeout({
    out: archiveDir,
    format: 'zip',
    days: days - 1,
    seed: SEED,
    timezone: TZ,
    endDate: addDays(lastDay, -1),
    partialDay: false,
  });
  await run(withConfig(['import-takeout', '--account', 'demo', ...gen.files, '--no-progress']));
} finally {
  await emu.close();
}

step('dumping it: fitbit-bridge dump');
await run(withConfig(['dump', dumpDir]));

step('stats: fitbit-bridge stats');
await run(withConfig(['stats']));
const stats = /** @type {{ store: { samples: number }, series: unknown[] }} */ (JSON.parse(await run(withConfig(['stats', '--json']), { capture: true })));

const samples = stats.store.samples;
const series = stats.series.length;
const files = countFiles(dumpDir);
console.log(`\nconfig:  ${configPath}`);
console.log(`store:   ${db}`);
console.log(`dump:    ${dumpDir}`);
console.log(`archive: ${archiveDir}`);
console.log(`time:    ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log('\nweb UI:  to look at the demo store in your browser (overview, coverage, day view, trends, upload), run');
console.log(`           FITBIT_BRIDGE_HTTP__PORT=8787 node dist/cli/main.js --config ${configPath} run --no-sync`);
console.log('         and open http://127.0.0.1:8787/ (Ctrl-C stops it). Data of the demo: the days up to today.');
console.log(`demo: ok samples=${samples} series=${series} dump_files=${files} days=${days}`);
if (samples <= 0 || files <= 0) process.exit(1);
