/**
 * Idle memory of the running bridge: the resident set of `fitbit-bridge run` (the built CLI in
 * dist/, as installed) once it has synced a week of synthetic data and sits between scheduled
 * passes. Target: < 80 MB. Baseline on the same machine in the same run: a bare `node` process
 * that does nothing (what any Node.js service costs before its first line of code).
 *
 *   node --import tsx bench/idle/run.ts [--days 7] [--settle 30] [--window 60] [--build] [--keep]
 *
 * Two setups, one after the other on the same store:
 * - "live": Google Health source (against the emulator, in this process), MQTT to a real
 *   mosquitto, Prometheus /metrics; the default schedule stays on, so a recent pass may land in
 *   the window (that is what idle looks like).
 * - "takeout-only": no Google client configured (the Takeout-only user), MQTT and /metrics on.
 * RSS is read from /proc/<pid>/status every second over the window: median and max.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tokenSetFromResponse, TokenManager } from '../../src/auth/oauth-client.js';
import { startGoogleEmulator } from '../../src/emulator/index.js';
import { freePort, Mosquitto } from '../../test/support/mosquitto.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const DAYS = arg('days', 7);
const SETTLE_S = arg('settle', 30);
const WINDOW_S = arg('window', 60);
const TZ = 'America/New_York';
const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist', 'cli', 'main.js');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) / 1024;
}

interface Rss {
  median: number;
  max: number;
  heap?: string;
  maps?: string;
}

/** The largest resident mappings (/proc/<pid>/smaps, grouped by name; anonymous ones as "anon"). */
function topMappings(pid: number, n = 6): string {
  const by = new Map<string, number>();
  let name = 'anon';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const p = head[1]!.trim();
      name = p === '' ? 'anon' : p.replace(/^.*\/node_modules\//, '');
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) by.set(name, (by.get(name) ?? 0) + Number(rss[1]));
  }
  return [...by]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${k} ${(v / 1024).toFixed(1)}`)
    .join(', ');
}

/** Where the memory is, from the bridge's own /metrics (prom-client's default process metrics). */
async function heapOf(url: string): Promise<string> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const mb = (re: RegExp): string => {
    const m = re.exec(text);
    return m ? (Number(m[1]) / 1048576).toFixed(1) : '?';
  };
  return (
    `V8 heap used ${mb(/^nodejs_heap_size_used_bytes (\S+)$/m)} of ${mb(/^nodejs_heap_size_total_bytes (\S+)$/m)} MB ` +
    `(new space ${mb(/^nodejs_heap_space_size_total_bytes\{space="new"\} (\S+)$/m)}, old ${mb(/^nodejs_heap_space_size_total_bytes\{space="old"\} (\S+)$/m)}), ` +
    `external ${mb(/^nodejs_external_memory_bytes (\S+)$/m)} MB`
  );
}

async function sampleRss(pid: number, url?: string): Promise<Rss> {
  const xs: number[] = [];
  for (let i = 0; i < WINDOW_S; i++) {
    xs.push(rssMb(pid));
    await sleep(1000);
  }
  xs.sort((a, b) => a - b);
  return { median: xs[Math.floor(xs.length / 2)]!, max: xs[xs.length - 1]!, maps: topMappings(pid), ...(url ? { heap: await heapOf(url) } : {}) };
}

function startChild(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; stderr: () => string } {
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });
  return { child, stderr: () => err };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** Waits until /metrics answers and `ready(text)` holds; returns that text. */
async function waitMetrics(url: string, ready: (text: string) => boolean, what: string, proc: { child: ChildProcess; stderr: () => string }): Promise<string> {
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`the bridge exited (${proc.child.exitCode}) before ${what}:\n${proc.stderr()}`);
    try {
      const res = await fetch(`${url}/metrics`);
      const text = res.ok ? await res.text() : '';
      if (res.ok && ready(text)) return text;
    } catch {
      /* not listening yet */
    }
    await sleep(500);
  }
  throw new Error(`timed out waiting for ${what}:\n${proc.stderr()}`);
}

async function main(): Promise<void> {
  if (!existsSync(cli) || process.argv.includes('--build')) {
    const b = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
    if (b.status !== 0) process.exit(1);
  }
  const dir = mkdtempSync(join(tmpdir(), 'fb-bench-idle-'));
  const broker = await Mosquitto.start();
  const emu = await startGoogleEmulator({ seed: 5, timezone: TZ, days: DAYS });
  const env = { ...process.env, FITBIT_BRIDGE_LOG_LEVEL: 'warn' };
  try {
    const tokenDir = join(dir, 'tokens');
    const base = (port: number): string[] => [
      'store:',
      `  path: ${join(dir, 'store.db')}`,
      'accounts:',
      '  - name: alice',
      `    timezone: ${TZ}`,
      'http:',
      `  port: ${port}`,
      'mqtt:',
      `  server: ${broker.url}`,
      'sync:',
      `  backfill_days: ${DAYS + 1}`,
    ];
    const live = async (): Promise<Rss & { samples: string }> => {
      const port = await freePort();
      const cfg = join(dir, 'live.yaml');
      writeFileSync(
        cfg,
        [
          ...base(port),
          'google:',
          `  client_id: ${emu.clientId}`,
          `  client_secret: ${emu.clientSecret}`,
          `  authorize_endpoint: ${emu.authorizeEndpoint}`,
          `  token_endpoint: ${emu.tokenEndpoint}`,
          `  api_base_url: ${emu.url}`,
          `  token_dir: ${tokenDir}`,
          '',
        ].join('\n'),
      );
      const tm = new TokenManager({
        account: 'alice',
        dir: tokenDir,
        tokenEndpoint: emu.tokenEndpoint,
        clientId: emu.clientId,
        clientSecret: emu.clientSecret,
      });
      await tm.save(tokenSetFromResponse(emu.issueTokens(), Date.now()));
      const proc = startChild([cli, 'run', '--config', cfg], env);
      try {
        const url = `http://127.0.0.1:${port}`;
        const done = (mode: string) => new RegExp(`fitbit_bridge_sync_runs_total\\{account="alice",mode="${mode}",result="ok"\\} [1-9]`);
        const text = await waitMetrics(
          url,
          (t) => ['recent', 'daily', 'backfill'].every((m) => done(m).test(t)),
          'the first recent, daily and backfill passes',
          proc,
        );
        const samples = /fitbit_bridge_store_samples\{account="alice"\} (\d+)/.exec(text)?.[1] ?? '?';
        await sleep(SETTLE_S * 1000);
        return { ...(await sampleRss(proc.child.pid!, url)), samples };
      } finally {
        await stopChild(proc.child);
      }
    };
    const takeoutOnly = async (): Promise<Rss> => {
      const port = await freePort();
      const cfg = join(dir, 'takeout.yaml');
      writeFileSync(cfg, [...base(port), ''].join('\n'));
      const proc = startChild([cli, 'run', '--config', cfg], env);
      try {
        const url = `http://127.0.0.1:${port}`;
        await waitMetrics(url, (t) => t.includes('fitbit_bridge_info'), '/metrics', proc);
        await sleep(SETTLE_S * 1000);
        return await sampleRss(proc.child.pid!, url);
      } finally {
        await stopChild(proc.child);
      }
    };
    const bare = async (): Promise<Rss> => {
      const proc = startChild(['-e', 'setInterval(() => {}, 1000)'], env);
      try {
        await sleep(2000);
        return await sampleRss(proc.child.pid!);
      } finally {
        await stopChild(proc.child);
      }
    };

    const l = await live();
    const t = await takeoutOnly();
    const b = await bare();
    const f = (x: number): string => `${x.toFixed(1)} MB`;
    console.log(
      `idle RSS after syncing ${DAYS} days (${l.samples} samples in the store), ${SETTLE_S} s settle, ${WINDOW_S} s window, node ${process.version}:`,
    );
    console.log(`  live source + MQTT + /metrics : median ${f(l.median)}, max ${f(l.max)}  (${(l.median / b.median).toFixed(2)}× bare node)`);
    console.log(`  Takeout-only + MQTT + /metrics: median ${f(t.median)}, max ${f(t.max)}  (${(t.median / b.median).toFixed(2)}× bare node)`);
    console.log(`    live: ${l.heap ?? ''}; largest mappings (MB): ${l.maps ?? ''}`);
    console.log(`    Takeout-only: ${t.heap ?? ''}; largest mappings (MB): ${t.maps ?? ''}`);
    console.log(`    bare node: largest mappings (MB): ${b.maps ?? ''}`);
    console.log(`  bare node (baseline)          : median ${f(b.median)}, max ${f(b.max)}`);
    console.log(`  target < 80 MB: ${l.max < 80 && t.max < 80 ? 'met' : 'NOT met'}`);
  } finally {
    await emu.close();
    await broker.stop();
    if (process.argv.includes('--keep')) console.log(`  kept: ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
