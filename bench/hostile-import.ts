// bench/hostile-import: peak RSS of a Takeout import on huge single files (issue 13), ours now
// against the same importer holding each file whole (batchSamples: Infinity, the code path before
// issue 13), in one run on the same machine.
//
// usage: npm run bench:hostile [-- --cap-mb 3000] [-- --only json-1gib-valid]
//
// Cases (generated once into bench/out/hostile/, reused by later runs):
//   zip-4gib-repeated  a 4 GiB heart-rate JSON array of one record repeated, zipped (a few MB)
//   zip-1gib-valid     1 GiB of well-formed heart-rate JSON (one sample a second, ~16 M samples), zipped
//   json-1gib-valid    the same 1 GiB JSON as a plain file in an extracted folder
// Each case is imported by a child process into a fresh store; the parent polls the child's
// /proc/<pid>/status (VmHWM = peak RSS) and kills it when its RSS passes the cap (default 3000 MB:
// the old code path climbs past that). Writes bench/out/hostile-import.json and prints a table.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import yazl from 'yazl';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'bench', 'out', 'hostile');
const ENTRY = 'Takeout/Fitbit/Global Export Data/heart_rate-2024-01-01.json';
const GIB = 1024 ** 3;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

// ---- child: one import, its own figures on stdout ----------------------------------------------
if (process.argv[2] === '--child') {
  const [, , , storePath, batch, input] = process.argv;
  const { openStore } = await import('../src/store/store.js');
  const { importTakeout } = await import('../src/sources/takeout/import.js');
  const { silentLogger } = await import('../src/util/log.js');
  const store = openStore(storePath!);
  const t0 = performance.now();
  const s = await importTakeout({ paths: [input!], account: 'me', timezone: 'UTC', store, logger: silentLogger(), batchSamples: Number(batch) });
  const seconds = (performance.now() - t0) / 1000;
  store.close();
  const hr = s.metrics['heart_rate'];
  process.stdout.write(
    JSON.stringify({
      seconds,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      imported: s.files.imported,
      failed: s.files.failed.map((f) => f.error.slice(0, 200)),
      samples: hr ? hr.added + hr.changed + hr.unchanged : 0,
    }) + '\n',
  );
  process.exit(0);
}

// ---- inputs -------------------------------------------------------------------------------------
const pad = (n: number): string => String(n).padStart(2, '0');

/** Legacy heart-rate records, one a second from 2024-01-01 (UTC stamps), until `bytes` are written. */
function* validJson(bytes: number): Generator<Buffer> {
  let n = 1;
  yield Buffer.from('[');
  let t = Date.UTC(2024, 0, 1);
  let first = true;
  const parts: string[] = [];
  let size = 0;
  while (n < bytes) {
    const d = new Date(t);
    const rec = `${first ? '' : ','}{"dateTime":"${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${pad(d.getUTCFullYear() % 100)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}","value":{"bpm":${50 + ((t / 1000) % 60)},"confidence":3}}`;
    first = false;
    parts.push(rec);
    size += rec.length;
    n += rec.length;
    t += 1000;
    if (size >= 1 << 20) {
      yield Buffer.from(parts.join(''));
      parts.length = 0;
      size = 0;
    }
  }
  if (parts.length) yield Buffer.from(parts.join(''));
  yield Buffer.from(']');
}

/** One record repeated until `bytes` are written (what a zip bomb holds: it compresses ~1000:1). */
function* repeatedJson(bytes: number): Generator<Buffer> {
  const rec = ',{"dateTime":"01/01/24 00:00:00","value":{"bpm":60,"confidence":3}}';
  const block = Buffer.from(rec.repeat(Math.floor((1 << 20) / rec.length)));
  yield Buffer.from(`[${rec.slice(1)}`);
  let n = rec.length;
  while (n + block.length < bytes) {
    yield block;
    n += block.length;
  }
  yield Buffer.from(']');
}

async function writeZip(path: string, gen: Iterable<Buffer>): Promise<void> {
  const z = new yazl.ZipFile();
  z.addReadStream(Readable.from(gen, { objectMode: false }), ENTRY, { compress: true, forceZip64Format: true });
  z.end();
  await new Promise<void>((resolve, reject) => {
    z.outputStream.pipe(createWriteStream(path)).on('close', resolve).on('error', reject);
  });
}

async function writePlain(path: string, gen: Iterable<Buffer>): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  await new Promise<void>((resolve, reject) => {
    Readable.from(gen, { objectMode: false }).pipe(createWriteStream(path)).on('close', resolve).on('error', reject);
  });
}

interface Case {
  name: string;
  input: string;
  make: () => Promise<void>;
}
const cases: Case[] = [
  {
    name: 'zip-4gib-repeated',
    input: join(out, 'repeated-4gib.zip'),
    make: () => writeZip(join(out, 'repeated-4gib.zip'), repeatedJson(4 * GIB)),
  },
  {
    name: 'zip-1gib-valid',
    input: join(out, 'valid-1gib.zip'),
    make: () => writeZip(join(out, 'valid-1gib.zip'), validJson(GIB)),
  },
  {
    name: 'json-1gib-valid',
    input: join(out, 'valid-1gib'),
    make: () => writePlain(join(out, 'valid-1gib', ENTRY), validJson(GIB)),
  },
];

// ---- one measured child -------------------------------------------------------------------------
interface Result {
  peakRssMb: number;
  seconds: number;
  killed: boolean;
  child: Record<string, unknown> | null;
}

function status(pid: number): { hwm: number; rss: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0);
    return { hwm: kb('VmHWM') / 1024, rss: kb('VmRSS') / 1024 };
  } catch {
    return null;
  }
}

async function measure(input: string, batch: number, capMb: number): Promise<Result> {
  const store = join(out, `store-${process.pid}.db`);
  for (const x of [store, `${store}-wal`, `${store}-shm`]) rmSync(x, { force: true });
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', store, String(batch), input], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  let peak = 0;
  let killed = false;
  const timer = setInterval(() => {
    const s = status(child.pid!);
    if (!s) return;
    peak = Math.max(peak, s.hwm);
    if (s.rss > capMb && !killed) {
      killed = true;
      child.kill('SIGKILL');
    }
  }, 100);
  await new Promise<void>((resolve) => child.on('exit', () => resolve()));
  clearInterval(timer);
  const seconds = (performance.now() - t0) / 1000;
  for (const x of [store, `${store}-wal`, `${store}-shm`]) rmSync(x, { force: true });
  let parsed: Record<string, unknown> | null = null;
  try {
    parsed = JSON.parse(stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>;
  } catch {
    /* killed */
  }
  if (parsed && typeof parsed.maxRssMb === 'number') peak = Math.max(peak, parsed.maxRssMb);
  return { peakRssMb: Math.round(peak), seconds: Math.round(seconds * 10) / 10, killed, child: parsed };
}

// ---- run ----------------------------------------------------------------------------------------
mkdirSync(out, { recursive: true });
const capMb = Number(arg('--cap-mb') ?? 3000);
const only = arg('--only');
const results: Record<string, { before: Result; after: Result; inputBytes: number }> = {};
for (const c of cases) {
  if (only && c.name !== only) continue;
  if (!existsSync(c.input)) {
    console.error(`generating ${c.name} …`);
    await c.make();
  }
  const inputBytes = statSync(c.input).isDirectory() ? statSync(join(c.input, ENTRY)).size : statSync(c.input).size;
  console.error(`${c.name}: after (batches of 100,000 samples) …`);
  const after = await measure(c.input, 100_000, capMb);
  console.error(`${c.name}: before (each file held whole) …`);
  const before = await measure(c.input, Infinity, capMb);
  results[c.name] = { before, after, inputBytes };
}
// merged with the cases of earlier runs (--only runs one case)
const resultsFile = join(root, 'bench', 'out', 'hostile-import.json');
let earlier: Record<string, unknown> = {};
try {
  earlier = (JSON.parse(readFileSync(resultsFile, 'utf8')) as { results?: Record<string, unknown> }).results ?? {};
} catch {
  /* first run */
}
writeFileSync(resultsFile, JSON.stringify({ node: process.version, capMb, results: { ...earlier, ...results } }, null, 2) + '\n');
const mb = (r: Result): string => (r.killed ? `> ${capMb} MB (killed at the cap)` : `${r.peakRssMb} MB`);
console.log('| case | input | peak RSS before | peak RSS after | seconds before | seconds after | samples after | result after |');
console.log('|---|---:|---:|---:|---:|---:|---:|---|');
for (const [name, r] of Object.entries(results)) {
  const a = r.after.child;
  const res = a ? (Array.isArray(a.failed) && a.failed.length ? `failed: ${String(a.failed[0])}` : `${String(a.imported)} file imported`) : 'no result';
  console.log(
    `| ${name} | ${(r.inputBytes / 1048576).toFixed(0)} MB | ${mb(r.before)} | ${mb(r.after)} | ${r.before.seconds} | ${r.after.seconds} | ${a ? Number(a.samples).toLocaleString('en-US') : '-'} | ${res} |`,
  );
}
