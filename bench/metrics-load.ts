/**
 * `/metrics` under load: 50 concurrent keep-alive connections scraping `fitbit-bridge run`'s
 * `/metrics` as fast as they can, against a store holding a synthetic Takeout import. Two runs of
 * the same bridge on the same store, one after the other in one invocation:
 * - "before": every scrape renders the exposition (`renderCacheMs: 0`, the code path before
 *   issue 13);
 * - "after": the default — one rendering serves every scrape while nothing changed (at most 1 s),
 *   concurrent scrapes share the rendering in progress.
 * The bridge runs in a child process (its RSS is read from /proc/<pid>/status: before the load,
 * the highest seen during it, and after it). Per request: latency, timeouts (no answer within
 * --timeout ms), errors.
 *
 *   node --import tsx bench/metrics-load.ts [--days 30] [--seconds 20] [--connections 50] [--timeout 2000]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const DAYS = arg('days', 30);
const SECONDS = arg('seconds', 20);
const CONNECTIONS = arg('connections', 50);
const TIMEOUT_MS = arg('timeout', 2000);
const self = fileURLToPath(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** CPU time the process has used (user + system), ms (/proc/<pid>/stat, clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) * 10;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

// ---- the bridge (child process) --------------------------------------------------------------

async function serve(dbPath: string, renderCacheMs: number): Promise<void> {
  const { loadConfig } = await import('../src/config/load.js');
  const { Controller } = await import('../src/run/controller.js');
  const { prometheusExtension } = await import('../src/sinks/prometheus/extension.js');
  const { openStore } = await import('../src/store/store.js');
  const { silentLogger } = await import('../src/util/log.js');
  const file = join(tmpdir(), `fb-bench-metrics-${process.pid}.yaml`);
  writeFileSync(file, '');
  const config = loadConfig({ file, overrides: { 'store.path': dbPath }, env: { FITBIT_BRIDGE_HTTP__PORT: '0' } });
  rmSync(file);
  const store = openStore(dbPath);
  // "today" is the export's last day, so every latest-value gauge has data
  const at = Date.parse('2026-04-30T20:00:00-04:00');
  const controller = new Controller({
    config,
    store,
    logger: silentLogger(),
    version: 'bench',
    sync: null,
    parts: [prometheusExtension({ clock: () => at, renderCacheMs })],
  });
  await controller.start();
  process.stdout.write(`${controller.http!.url()!}\n`);
  process.once('SIGTERM', () => {
    void controller.stop().then(() => {
      store.close();
      process.exit(0);
    });
  });
}

// ---- the load (this process) ------------------------------------------------------------------

interface LoadResult {
  requests: number;
  timeouts: number;
  errors: number;
  bytes: number;
  latencies: number[];
  seconds: number;
}

async function load(url: string): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const u = new URL(`${url}/metrics`);
  const r: LoadResult = { requests: 0, timeouts: 0, errors: 0, bytes: 0, latencies: [], seconds: 0 };
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const start = performance.now();
      let done = false;
      const finish = (kind: 'ok' | 'timeout' | 'error', bytes = 0): void => {
        if (done) return;
        done = true;
        if (kind === 'ok') {
          r.requests++;
          r.bytes += bytes;
          r.latencies.push(performance.now() - start);
        } else if (kind === 'timeout') r.timeouts++;
        else r.errors++;
        resolve();
      };
      const req = request({ host: u.hostname, port: u.port, path: u.pathname, agent }, (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => (n += c.length));
        res.on('end', () => finish(res.statusCode === 200 ? 'ok' : 'error', n));
        res.on('error', () => finish('error'));
      });
      req.setTimeout(TIMEOUT_MS, () => {
        finish('timeout');
        req.destroy();
      });
      req.on('error', () => finish('error'));
      req.end();
    });
  const worker = async (): Promise<void> => {
    while (performance.now() < end) await one();
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  r.seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  return r;
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

interface Row {
  mode: string;
  reqPerS: number;
  p50: number;
  p99: number;
  max: number;
  timeouts: number;
  errors: number;
  kbPerScrape: number;
  cpuMsPerScrape: number;
  rssBefore: number;
  rssPeak: number;
  rssAfter: number;
}

async function runMode(dbPath: string, mode: string, renderCacheMs: number): Promise<Row> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', self, '--serve', dbPath, String(renderCacheMs)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (c) => reject(new Error(`the bridge exited (${c}) before listening`)));
  });
  try {
    // warm up: one scrape, then let the heap settle
    await (await fetch(`${url}/metrics`)).text();
    await sleep(2000);
    const pid = child.pid!;
    const rssBefore = rssMb(pid);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(pid))), 200);
    const cpu0 = cpuMs(pid);
    const r = await load(url);
    const cpu = cpuMs(pid) - cpu0;
    clearInterval(sampler);
    await sleep(2000);
    const rssAfter = rssMb(pid);
    return {
      mode,
      reqPerS: r.requests / r.seconds,
      p50: pct(r.latencies, 50),
      p99: pct(r.latencies, 99),
      max: pct(r.latencies, 100),
      timeouts: r.timeouts,
      errors: r.errors,
      kbPerScrape: r.requests ? r.bytes / r.requests / 1024 : 0,
      cpuMsPerScrape: r.requests ? cpu / r.requests : NaN,
      rssBefore,
      rssPeak: Math.max(rssPeak, rssAfter),
      rssAfter,
    };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

async function main(): Promise<void> {
  const { importTakeout } = await import('../src/sources/takeout/import.js');
  const { openStore } = await import('../src/store/store.js');
  const { archiveBaseName, exportInstant, generateTakeout } = await import('../src/synthetic/index.js');
  const { silentLogger } = await import('../src/util/log.js');
  const dir = mkdtempSync(join(tmpdir(), 'fb-bench-metrics-'));
  try {
    const out = join(dir, `${archiveBaseName(exportInstant('2026-04-30'))}-001`);
    await generateTakeout({ out, format: 'dir', days: DAYS, seed: 20261202, timezone: 'America/New_York' });
    const dbPath = join(dir, 'bench.db');
    const store = openStore(dbPath);
    const s = await importTakeout({ paths: [out], account: 'default', store, logger: silentLogger() });
    const samples = store.listSeries().reduce((n, x) => n + x.count, 0);
    store.close();
    if (s.exitCode !== 0) throw new Error('the import failed');
    console.log(
      `store: ${DAYS} days of synthetic Takeout, ${samples.toLocaleString('en')} samples; load: ${CONNECTIONS} connections, ${SECONDS} s, timeout ${TIMEOUT_MS} ms`,
    );
    const rows = [await runMode(dbPath, 'before (render every scrape)', 0), await runMode(dbPath, 'after (shared rendering, ≤ 1 s)', 1000)];
    const f = (x: number, d = 0): string => (Number.isFinite(x) ? x.toFixed(d) : '—');
    console.log('\n| /metrics | req/s | p50 ms | p99 ms | max ms | timeouts | errors | KiB/scrape | bridge CPU ms/scrape | RSS before → peak → after (MB) |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const r of rows)
      console.log(
        `| ${r.mode} | ${f(r.reqPerS)} | ${f(r.p50, 1)} | ${f(r.p99, 1)} | ${f(r.max, 1)} | ${r.timeouts} | ${r.errors} | ${f(r.kbPerScrape, 1)} | ${f(r.cpuMsPerScrape, 2)} | ${f(r.rssBefore)} → ${f(r.rssPeak)} → ${f(r.rssAfter)} |`,
      );
    const [b, a] = rows as [Row, Row];
    console.log(
      `\nreq/s after / before: ${(a.reqPerS / b.reqPerS).toFixed(1)}×; p99 before / after: ${(b.p99 / a.p99).toFixed(1)}×; ` +
        `bridge CPU per scrape before / after: ${(b.cpuMsPerScrape / a.cpuMsPerScrape).toFixed(1)}×; load average ${loadavg()
          .map((x) => x.toFixed(1))
          .join(' ')}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const serveAt = process.argv.indexOf('--serve');
if (serveAt >= 0) void serve(process.argv[serveAt + 1]!, Number(process.argv[serveAt + 2]));
else
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
