/**
 * Real TSDB servers for tests: a Prometheus (this file) and a VictoriaMetrics
 * (victoria-metrics.ts) on a free 127.0.0.1 port with a temp data dir, started, waited for,
 * stopped (SIGTERM, or SIGKILL to simulate a crash), restarted on the same port and data, and
 * queried through their HTTP APIs. Scrape targets can be given (dashboard and /metrics tests).
 *
 *   const prom = await Prometheus.start({ scrape: [{ job: 'bridge', targets: ['127.0.0.1:8787'] }] });
 *   prom.remoteWriteUrl;                               // http://127.0.0.1:<port>/api/v1/write
 *   await prom.query('up');                            // instant vector
 *   await prom.rawSamples('{__name__=~"fitbit_.+"}', from, to);   // every stored sample
 *   await prom.stop(); await prom.start();             // same port, same data
 *   await prom.cleanup();                              // stop and remove the temp dir
 *
 * Binaries: the Debian packages `prometheus` (/usr/bin/prometheus, promtool) and
 * `victoria-metrics` (scripts/test.mjs installs them when missing).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';

// ---- shared process handling ----------------------------------------------------------------------

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
});

/** A free TCP port on 127.0.0.1 (asks the kernel for one; tiny race until the server binds it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Finds a binary on PATH (or /usr/sbin, /usr/bin); throws with an install hint. */
export function findBinary(name: string, pkg = name): string {
  const r = spawnSync(
    'sh',
    ['-c', `command -v ${name} || { test -x /usr/sbin/${name} && echo /usr/sbin/${name}; } || { test -x /usr/bin/${name} && echo /usr/bin/${name}; }`],
    { encoding: 'utf8' },
  );
  const p = r.stdout.trim().split('\n')[0];
  if (r.status !== 0 || !p) throw new Error(`${name} not found: install the Debian package ${pkg} (apt-get install ${pkg})`);
  return p;
}

/** One stored series with all its samples: [UTC ms, value]. */
export interface RawSeries {
  labels: Record<string, string>;
  samples: Array<[number, number]>;
}

export interface VectorSample {
  labels: Record<string, string>;
  /** Evaluation instant (ms) and value. */
  t: number;
  v: number;
}

export interface MatrixSeries {
  labels: Record<string, string>;
  values: Array<[number, number]>;
}

/** Scrape job (Prometheus scrape_config; VictoriaMetrics reads the same format). */
export interface ScrapeTarget {
  job: string;
  /** host:port list. */
  targets: string[];
  metricsPath?: string;
  /** e.g. '1s' (default: the global scrape interval). */
  scrapeInterval?: string;
  scheme?: 'http' | 'https';
  labels?: Record<string, string>;
}

export function scrapeConfigs(jobs: readonly ScrapeTarget[]): Array<Record<string, unknown>> {
  return jobs.map((j) => ({
    job_name: j.job,
    ...(j.metricsPath !== undefined ? { metrics_path: j.metricsPath } : {}),
    ...(j.scrapeInterval !== undefined ? { scrape_interval: j.scrapeInterval } : {}),
    ...(j.scheme !== undefined ? { scheme: j.scheme } : {}),
    static_configs: [{ targets: j.targets, ...(j.labels ? { labels: j.labels } : {}) }],
  }));
}

function labelsOf(metric: Record<string, string>): Record<string, string> {
  return { ...metric };
}

/** What Prometheus and VictoriaMetrics share: a child process and the Prometheus query API. */
export abstract class TsdbServer {
  readonly url: string;
  protected child: ChildProcess | null = null;
  private exited: Promise<void> | null = null;
  readonly logFile: string;

  protected constructor(
    readonly port: number,
    readonly dataDir: string,
    protected readonly ownsDir: string | null,
    readonly name: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.logFile = join(dataDir, '..', `${name}-${port}.log`);
  }

  protected abstract command(): { bin: string; args: string[] };
  protected abstract readyPath(): string;

  get running(): boolean {
    return this.child !== null;
  }

  /** Starts the server (again, after stop() or kill(): same port, same data) and waits until it is ready. */
  async start(timeoutMs = 30_000): Promise<void> {
    if (this.child) return;
    const { bin, args } = this.command();
    const fd = openSync(this.logFile, 'a');
    const child = spawn(bin, args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    live.add(child);
    this.child = child;
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        live.delete(child);
        if (this.child === child) this.child = null;
        resolve();
      }),
    );
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.child) throw new Error(`${this.name} exited during start-up; log ${this.logFile}:\n${this.logTail()}`);
      try {
        const res = await fetch(this.url + this.readyPath(), { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.ok) return;
      } catch {
        /* not yet */
      }
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`${this.name} not ready after ${timeoutMs} ms; log ${this.logFile}:\n${this.logTail()}`);
      }
      await sleep(100);
    }
  }

  /** The last lines of the server's log (for failure messages). */
  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  private async signal(sig: NodeJS.Signals, timeoutMs: number): Promise<void> {
    const c = this.child;
    if (!c || !this.exited) return;
    c.kill(sig);
    const done = await Promise.race([this.exited.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (!done) {
      c.kill('SIGKILL');
      await this.exited;
    }
  }

  /** Graceful stop (SIGTERM; SIGKILL after 20 s). */
  async stop(): Promise<void> {
    await this.signal('SIGTERM', 20_000);
  }

  /** Crash (SIGKILL). */
  async kill(): Promise<void> {
    await this.signal('SIGKILL', 10_000);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Stops the server and removes the temp folder it created. */
  async cleanup(): Promise<void> {
    await this.kill();
    if (this.ownsDir) rmSync(this.ownsDir, { recursive: true, force: true });
  }

  /**
   * GET (or POST form) on the Prometheus-compatible API; returns `data`, throws on an error answer.
   * Prometheus 2.42 sometimes answers a query that races a head compaction / chunk mapping with
   * `422 cannot populate chunk … not found` (known upstream: prometheus/prometheus#8221, and
   * grafana/mimir-prometheus#566 for the compaction race; gone on retry). That one answer is
   * retried a few times; every other error is thrown at once.
   */
  async api<T>(path: string, params: Record<string, string | string[]> = {}, method: 'GET' | 'POST' = 'GET'): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.apiOnce<T>(path, params, method);
      } catch (e) {
        if (attempt >= 5 || !(e instanceof Error) || !/HTTP 422: cannot populate chunk/.test(e.message)) throw e;
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }

  private async apiOnce<T>(path: string, params: Record<string, string | string[]>, method: 'GET' | 'POST'): Promise<T> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) qs.append(k, x);
    const res =
      method === 'GET'
        ? await fetch(`${this.url}${path}?${qs.toString()}`)
        : await fetch(`${this.url}${path}`, { method: 'POST', body: qs, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const text = await res.text();
    let body: { status?: string; data?: T; error?: string };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new Error(`${this.name} ${path}: HTTP ${res.status}: ${text.slice(0, 300)}`);
    }
    if (!res.ok || body.status !== 'success') throw new Error(`${this.name} ${path}: HTTP ${res.status}: ${body.error ?? text.slice(0, 300)}`);
    return body.data as T;
  }

  /** Instant query (time: ms, default now). */
  async query(expr: string, timeMs?: number): Promise<VectorSample[]> {
    const data = await this.api<{ resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(
      '/api/v1/query',
      { query: expr, ...(timeMs !== undefined ? { time: String(timeMs / 1000) } : {}) },
      'POST',
    );
    if (data.resultType === 'scalar') {
      const v = data.result as unknown as [number, string];
      return [{ labels: {}, t: v[0] * 1000, v: Number(v[1]) }];
    }
    return data.result.map((r) => ({ labels: labelsOf(r.metric), t: Math.round(r.value[0] * 1000), v: Number(r.value[1]) }));
  }

  /** One number: the first sample of an instant query (null when the result is empty). */
  async scalar(expr: string, timeMs?: number): Promise<number | null> {
    const r = await this.query(expr, timeMs);
    return r[0]?.v ?? null;
  }

  /** Range query (ms, step in seconds). */
  async queryRange(expr: string, startMs: number, endMs: number, stepSeconds: number): Promise<MatrixSeries[]> {
    const data = await this.api<{ result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> }>(
      '/api/v1/query_range',
      { query: expr, start: String(startMs / 1000), end: String(endMs / 1000), step: String(stepSeconds) },
      'POST',
    );
    return data.result.map((r) => ({ labels: labelsOf(r.metric), values: r.values.map(([t, v]) => [Math.round(t * 1000), Number(v)] as [number, number]) }));
  }

  /** Label sets of the series matching the selectors in [start, end] (ms). */
  async series(match: string[], startMs?: number, endMs?: number): Promise<Array<Record<string, string>>> {
    return this.api<Array<Record<string, string>>>(
      '/api/v1/series',
      {
        'match[]': match,
        ...(startMs !== undefined ? { start: String(startMs / 1000) } : {}),
        ...(endMs !== undefined ? { end: String(endMs / 1000) } : {}),
      },
      'POST',
    );
  }

  /** Every stored sample of the series matching `selector` in [startMs, endMs]. */
  abstract rawSamples(selector: string, startMs: number, endMs: number): Promise<RawSeries[]>;

  /** Polls until `fn` returns a value that is not undefined/false (throws after timeoutMs). */
  async waitFor<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastErr: unknown = null;
    for (;;) {
      try {
        const v = await fn();
        if (v !== undefined && v !== false) return v;
      } catch (e) {
        lastErr = e;
      }
      if (Date.now() > deadline) throw new Error(`${this.name}: timed out waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`);
      await sleep(200);
    }
  }
}

// ---- Prometheus -------------------------------------------------------------------------------------

export interface PrometheusOptions {
  /** Data folder; default a new temp folder (removed by cleanup()). */
  dataDir?: string;
  port?: number;
  /** --web.enable-remote-write-receiver (default true). */
  remoteWriteReceiver?: boolean;
  /** storage.tsdb.out_of_order_time_window (default '3650d'; null: none). */
  outOfOrderTimeWindow?: string | null;
  /** --storage.tsdb.retention.time (default '20y'). */
  retention?: string;
  /** global.scrape_interval (default '15s'). */
  scrapeInterval?: string;
  /** Scrape jobs. */
  scrape?: ScrapeTarget[];
  /** Merged into prometheus.yml at the top level (e.g. rule_files). */
  extraConfig?: Record<string, unknown>;
  /** Further command-line flags. */
  extraArgs?: string[];
  binary?: string;
  /** Start-up timeout (ms, default 30 s). */
  readyTimeoutMs?: number;
}

export class Prometheus extends TsdbServer {
  readonly configFile: string;

  private constructor(
    port: number,
    dataDir: string,
    ownsDir: string | null,
    private readonly opts: PrometheusOptions,
  ) {
    super(port, dataDir, ownsDir, 'prometheus');
    this.configFile = join(dataDir, '..', `prometheus-${port}.yml`);
    this.writeConfig();
  }

  /** Creates the data dir and config and starts Prometheus. */
  static async start(opts: PrometheusOptions = {}): Promise<Prometheus> {
    let ownsDir: string | null = null;
    let dataDir = opts.dataDir;
    if (dataDir === undefined) {
      ownsDir = mkdtempSync(join(tmpdir(), 'fb-prometheus-'));
      dataDir = join(ownsDir, 'data');
    }
    mkdirSync(dataDir, { recursive: true });
    const p = new Prometheus(opts.port ?? (await freePort()), dataDir, ownsDir, opts);
    await p.start(opts.readyTimeoutMs);
    return p;
  }

  /** The remote write endpoint. */
  get remoteWriteUrl(): string {
    return `${this.url}/api/v1/write`;
  }

  /** Rewrites prometheus.yml (e.g. new scrape jobs) and reloads it if running. */
  async setScrape(jobs: ScrapeTarget[]): Promise<void> {
    this.opts.scrape = jobs;
    this.writeConfig();
    if (this.running) {
      const res = await fetch(`${this.url}/-/reload`, { method: 'POST' });
      if (!res.ok) throw new Error(`prometheus reload: HTTP ${res.status} ${await res.text()}`);
    }
  }

  private writeConfig(): void {
    const o = this.opts;
    const window = o.outOfOrderTimeWindow === undefined ? '3650d' : o.outOfOrderTimeWindow;
    const cfg: Record<string, unknown> = {
      global: { scrape_interval: o.scrapeInterval ?? '15s', evaluation_interval: o.scrapeInterval ?? '15s' },
      ...(window !== null ? { storage: { tsdb: { out_of_order_time_window: window } } } : {}),
      scrape_configs: scrapeConfigs(o.scrape ?? []),
      ...(o.extraConfig ?? {}),
    };
    writeFileSync(this.configFile, stringify(cfg));
  }

  protected command(): { bin: string; args: string[] } {
    const o = this.opts;
    return {
      bin: o.binary ?? findBinary('prometheus'),
      args: [
        `--config.file=${this.configFile}`,
        `--storage.tsdb.path=${this.dataDir}`,
        `--storage.tsdb.retention.time=${o.retention ?? '20y'}`,
        `--web.listen-address=127.0.0.1:${this.port}`,
        '--web.enable-lifecycle',
        '--web.enable-admin-api',
        ...((o.remoteWriteReceiver ?? true) ? ['--web.enable-remote-write-receiver'] : []),
        ...(o.extraArgs ?? []),
      ],
    };
  }

  protected readyPath(): string {
    return '/-/ready';
  }

  /** Every raw sample, via an instant query of a range selector at endMs. */
  async rawSamples(selector: string, startMs: number, endMs: number): Promise<RawSeries[]> {
    const rangeMs = Math.max(1, endMs - startMs + 1);
    const data = await this.api<{ resultType: string; result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> }>(
      '/api/v1/query',
      { query: `${selector}[${rangeMs}ms]`, time: String(endMs / 1000) },
      'POST',
    );
    return data.result.map((r) => ({
      labels: labelsOf(r.metric),
      samples: r.values.map(([t, v]) => [Math.round(t * 1000), Number(v)] as [number, number]),
    }));
  }

  /** A metric of Prometheus' own /metrics (sum over its label sets), e.g. prometheus_tsdb_head_samples_appended_total. */
  async selfMetric(name: string): Promise<number> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return sum;
  }
}

/** promtool (from the prometheus package). */
export function promtoolBinary(): string {
  return findBinary('promtool', 'prometheus');
}
