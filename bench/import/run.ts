// bench/import: measures the Takeout importer on a generated archive, in one run, beside a floor
// and a baseline on the same machine. usage: npm run bench:import [-- --days 365]
// Writes bench/out/import-results.json and prints a table.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateTakeout } from '../../src/synthetic/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const daysArg = process.argv.indexOf('--days');
const days = daysArg > 0 ? Number(process.argv[daysArg + 1]) : 365;
const out = join(root, 'bench', 'out');
const archiveDir = join(out, `takeout-${days}d`);
mkdirSync(out, { recursive: true });

function json(cmd: string, args: string[]): Record<string, number> {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop() ?? '{}';
  return JSON.parse(last) as Record<string, number>;
}

function timed(cmd: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync('sh', ['-c', `${cmd} ${args.map((a) => `'${a}'`).join(' ')} > /dev/null`]);
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr.toString()}`);
  return (performance.now() - t0) / 1000;
}

if (!existsSync(archiveDir) || readdirSync(archiveDir).length === 0) {
  console.error(`generating a ${days}-day synthetic archive in ${archiveDir} …`);
  await generateTakeout({ out: archiveDir, format: 'zip', days, seed: 7, timezone: 'America/New_York' });
}
const archives = readdirSync(archiveDir)
  .filter((f) => f.endsWith('.zip'))
  .sort()
  .map((f) => join(archiveDir, f));
const tsx = [process.execPath, '--import', 'tsx'];

console.error('ours …');
const ours = json(tsx[0]!, [...tsx.slice(1), 'bench/import/ours.ts', join(out, 'ours.db'), ...archives]);
console.error('shuffled …');
const shuffled = json(tsx[0]!, [...tsx.slice(1), 'bench/import/shuffled.ts', join(out, 'ours.db'), join(out, 'shuffled.db')]);
console.error('floor …');
const unzipSeconds = existsSync('/usr/bin/unzip') ? archives.reduce((a, z) => a + timed('unzip', ['-p', z]), 0) : NaN;
const floor = json(tsx[0]!, [...tsx.slice(1), 'bench/import/floor.ts', ...archives]);
console.error('baseline (python3 json + sqlite3, heart rate only) …');
const base = json('python3', ['bench/import/baseline.py', join(out, 'baseline.db'), ...archives]);

const oursRate = ours.samples! / ours.seconds!;
const baseRate = base.samples! / base.seconds!;
const results = {
  machine: { node: process.version, cpus: (await import('node:os')).cpus().length },
  days,
  archives: archives.length,
  ours: { ...ours, samplesPerSecond: oursRate },
  shuffled,
  floor: { unzipSeconds, jsonParseSeconds: floor.parseSeconds, seconds: unzipSeconds + floor.parseSeconds! },
  baseline: { ...base, samplesPerSecond: baseRate, bytesPerSample: base.db_bytes! / base.samples! },
  ratios: {
    samplesPerSecondVsBaseline: oursRate / baseRate,
    wallTimeBaselineHrOnlyOverOursWholeArchive: base.seconds! / ours.seconds!,
    oursOverFloor: ours.seconds! / (unzipSeconds + floor.parseSeconds!),
  },
};
writeFileSync(join(out, 'import-results.json'), JSON.stringify(results, null, 2));
const f = (x: number, d = 2): string => x.toFixed(d);
console.log(`bench/import: ${days} days, ${archives.length} zip part(s)
                         samples      seconds   samples/s    peak RSS   bytes/sample
ours (whole archive)   ${String(ours.samples).padStart(10)}   ${f(ours.seconds!).padStart(8)}   ${f(oursRate, 0).padStart(9)}   ${f(ours.maxRssMB!, 0).padStart(6)} MB   ${f(ours.bytesPerSample!)}
ours, values shuffled  ${String(shuffled.samples).padStart(10)}                                      ${f(shuffled.bytesPerSample!)}
baseline (py, HR only) ${String(base.samples).padStart(10)}   ${f(base.seconds!).padStart(8)}   ${f(baseRate, 0).padStart(9)}              ${f(base.db_bytes! / base.samples!)}
floor (unzip -p + JSON.parse)        ${f(unzipSeconds + floor.parseSeconds!).padStart(8)}   (unzip ${f(unzipSeconds)} s + JSON.parse ${f(floor.parseSeconds!)} s)
ratios: samples/s ours/baseline = ${f(results.ratios.samplesPerSecondVsBaseline)}x; baseline wall time (HR only) / ours (whole archive) = ${f(results.ratios.wallTimeBaselineHrOnlyOverOursWholeArchive)}x; ours / floor = ${f(results.ratios.oursOverFloor)}x`);
