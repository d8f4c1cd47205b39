/**
 * A real VictoriaMetrics single-node server for tests (see prometheus.ts for the shared API):
 *
 *   const vm = await VictoriaMetrics.start();          // -dedup.minScrapeInterval=1ms, -retentionPeriod=100y
 *   vm.remoteWriteUrl;                                 // http://127.0.0.1:<port>/api/v1/write
 *   await vm.forceFlush();                             // make just-written samples searchable
 *   await vm.rawSamples('{__name__=~"fitbit_.+"}', from, to);   // /api/v1/export
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { findBinary, freePort, scrapeConfigs, TsdbServer, type RawSeries, type ScrapeTarget } from './prometheus.js';

export interface VictoriaMetricsOptions {
  dataDir?: string;
  port?: number;
  /** -dedup.minScrapeInterval (default '1ms': a resent sample is stored once). null: off. */
  dedupMinScrapeInterval?: string | null;
  /** -retentionPeriod (default '100y'). */
  retentionPeriod?: string;
  /** Scrape jobs (-promscrape.config). */
  scrape?: ScrapeTarget[];
  scrapeInterval?: string;
  extraArgs?: string[];
  binary?: string;
  readyTimeoutMs?: number;
}

export class VictoriaMetrics extends TsdbServer {
  private constructor(
    port: number,
    dataDir: string,
    ownsDir: string | null,
    private readonly opts: VictoriaMetricsOptions,
  ) {
    super(port, dataDir, ownsDir, 'victoria-metrics');
  }

  static async start(opts: VictoriaMetricsOptions = {}): Promise<VictoriaMetrics> {
    let ownsDir: string | null = null;
    let dataDir = opts.dataDir;
    if (dataDir === undefined) {
      ownsDir = mkdtempSync(join(tmpdir(), 'fb-victoria-'));
      dataDir = join(ownsDir, 'data');
    }
    mkdirSync(dataDir, { recursive: true });
    const vm = new VictoriaMetrics(opts.port ?? (await freePort()), dataDir, ownsDir, opts);
    await vm.start(opts.readyTimeoutMs);
    return vm;
  }

  get remoteWriteUrl(): string {
    return `${this.url}/api/v1/write`;
  }

  /** Prometheus text import with millisecond timestamps (`name{labels} value ts_ms` lines). */
  get importPrometheusUrl(): string {
    return `${this.url}/api/v1/import/prometheus`;
  }

  protected command(): { bin: string; args: string[] } {
    const o = this.opts;
    const dedup = o.dedupMinScrapeInterval === undefined ? '1ms' : o.dedupMinScrapeInterval;
    const args = [
      `-storageDataPath=${this.dataDir}`,
      `-httpListenAddr=127.0.0.1:${this.port}`,
      `-retentionPeriod=${o.retentionPeriod ?? '100y'}`,
      '-search.disableCache',
      '-search.latencyOffset=0s',
      '-loggerLevel=WARN',
    ];
    if (dedup !== null) args.push(`-dedup.minScrapeInterval=${dedup}`);
    if (o.scrape && o.scrape.length > 0) {
      const file = join(this.dataDir, '..', `promscrape-${this.port}.yml`);
      writeFileSync(file, stringify({ global: { scrape_interval: o.scrapeInterval ?? '15s' }, scrape_configs: scrapeConfigs(o.scrape) }));
      args.push(`-promscrape.config=${file}`);
    }
    return { bin: o.binary ?? findBinary('victoria-metrics'), args: [...args, ...(o.extraArgs ?? [])] };
  }

  protected readyPath(): string {
    return '/health';
  }

  /** Makes recently ingested samples visible to queries. */
  async forceFlush(): Promise<void> {
    const res = await fetch(`${this.url}/internal/force_flush`);
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`victoria-metrics force_flush: HTTP ${res.status}`);
  }

  /** Every raw sample via /api/v1/export (JSON lines), after a force flush. */
  async rawSamples(selector: string, startMs: number, endMs: number): Promise<RawSeries[]> {
    await this.forceFlush();
    const qs = new URLSearchParams({ 'match[]': selector, start: String(startMs / 1000), end: String(endMs / 1000) });
    const res = await fetch(`${this.url}/api/v1/export?${qs.toString()}`);
    const text = await res.text();
    if (!res.ok) throw new Error(`victoria-metrics export: HTTP ${res.status}: ${text.slice(0, 300)}`);
    const bySeries = new Map<string, RawSeries>();
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const r = JSON.parse(line) as { metric: Record<string, string>; values: number[]; timestamps: number[] };
      const key = JSON.stringify(Object.entries(r.metric).sort());
      const s = bySeries.get(key) ?? { labels: { ...r.metric }, samples: [] };
      for (let i = 0; i < r.values.length; i++) s.samples.push([r.timestamps[i]!, r.values[i]!]);
      bySeries.set(key, s);
    }
    for (const s of bySeries.values()) s.samples.sort((a, b) => a[0] - b[0]);
    return [...bySeries.values()];
  }
}
