#!/usr/bin/env node
// `npm run demo`: the main job end to end on embedded defaults, no account, no network.
// 1. generates a synthetic Google Takeout archive (both layers, real quirks) for 30 days,
// 2. imports it with `fitbit-bridge import-takeout`,
// 3. dumps it with `fitbit-bridge dump` (one CSV per metric per local day),
// 4. prints `fitbit-bridge stats`, the paths, and a last line `demo: ok …` with the counts.
// Everything lands in ./demo-out (delete it to start over).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'demo-out');
const cli = join(root, 'dist', 'cli', 'main.js');
const days = Number(process.env.DEMO_DAYS ?? 30);

function step(title) {
  console.log(`\n== ${title}`);
}

function run(args, { capture = false } = {}) {
  const r = spawnSync(process.execPath, [cli, ...args], {
    cwd: root, encoding: 'utf8', stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit',
    env: { ...process.env, FITBIT_BRIDGE_LOG_LEVEL: process.env.FITBIT_BRIDGE_LOG_LEVEL ?? 'warn' },
  });
  if (r.status !== 0) {
    console.error(`demo: \`fitbit-bridge ${args.join(' ')}\` exited with ${r.status}`);
    process.exit(1);
  }
  return r.stdout;
}

function countFiles(dir) {
  let n = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) n += countFiles(p);
    else if (!name.startsWith('.')) n += 1;
  }
  return n;
}

if (!existsSync(cli)) {
  step('building (npm run build)');
  const b = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(1);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const db = join(out, 'fitbit-bridge.db');
const archiveDir = join(out, 'takeout');
const dumpDir = join(out, 'dump');

step(`generating a synthetic Google Takeout archive (${days} days, America/New_York)`);
const { generateTakeout } = await import(pathToFileURL(join(root, 'dist', 'synthetic', 'index.js')).href);
const gen = await generateTakeout({ out: archiveDir, format: 'zip', days, seed: 42, timezone: 'America/New_York' });
for (const f of gen.files) console.log(`  ${f}`);

step('importing it: fitbit-bridge import-takeout');
run(['--db', db, 'import-takeout', ...gen.files, '--no-progress']);

step('importing it again (idempotent: nothing new)');
run(['--db', db, 'import-takeout', ...gen.files, '--no-progress']);

step('dumping it: fitbit-bridge dump');
run(['--db', db, 'dump', dumpDir]);

step('stats: fitbit-bridge stats');
run(['--db', db, 'stats']);
const stats = JSON.parse(run(['--db', db, 'stats', '--json'], { capture: true }));

const samples = stats.store.samples;
const series = stats.series.length;
const files = countFiles(dumpDir);
console.log(`\nstore:   ${db}`);
console.log(`dump:    ${dumpDir}`);
console.log(`archive: ${archiveDir}`);
console.log(`demo: ok samples=${samples} series=${series} dump_files=${files} days=${days}`);
if (samples <= 0 || files <= 0) process.exit(1);
