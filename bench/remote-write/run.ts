// bench/remote-write: samples/s of our remote write into a real Prometheus and a real
// VictoriaMetrics for one year of minute data (14 intraday metrics × 2 data sources ≈ 14.7 M
// samples, plus the per-day series), beside the receivers' own bulk paths in the same run:
//   - VictoriaMetrics: its Prometheus text import (/api/v1/import/prometheus, ms timestamps)
//   - Prometheus: promtool tsdb create-blocks-from openmetrics (on our export-openmetrics file)
// usage: node --import tsx bench/remote-write/run.ts [--days 365] [--batch 10000]
// Writes bench/out/remote-write-results.json and prints a table. Not part of `npm test`.
import { once } from 'node:events';
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { configSchema } from '../../src/config/schema.js';
import { metric, prometheusFactor, prometheusHistoryName, type MetricId } from '../../src/metrics/registry.js';
import { exportOpenMetrics } from '../../src/sinks/openmetrics/export.js';
import { createRemoteWrite } from '../../src/sinks/remote-write/index.js';
import { openStore } from '../../src/store/store.js';
import type { Sample, Store } from '../../src/store/types.js';
import { silentLogger } from '../../src/util/log.js';
import { Prometheus, promtoolBinary } from '../../test/support/prometheus.js';
import { VictoriaMetrics } from '../../test/support/victoria-metrics.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const days = arg('--days', 365);
const batch = arg('--batch', 10_000);
const out = join(root, 'bench', 'out');
mkdirSync(out, { recursive: true });
const work = join(out, `remote-write-${days}d`);
mkdirSync(work, { recursive: true });

const METRIC_IDS: MetricId[] = [
  'heart_rate',
  'steps',
  'distance',
  'calories',
  'active_energy',
  'altitude',
  'floors',
  'active_zone_minutes',
  'spo2',
  'hrv_rmssd',
  'hrv_sdnn',
  'hrv_coverage',
  'hrv_low_frequency',
  'hrv_high_frequency',
];
const SOURCES = ['Inspire 3', 'Pixel Watch 3'];
const START = Date.parse('2025-01-01T00:00:00Z');
const OFFSET = 60; // minutes east

/** One year of minute data, written once and cached (bench/out/remote-write-<days>d/store.db). */
function dataset(): Store {
  const db = join(work, 'store.db');
  const marker = join(work, 'store.complete');
  if (existsSync(marker)) return openStore(db);
  rmSync(db, { force: true });
  rmSync(`${db}-wal`, { force: true });
  const store = openStore(db);
  const t0 = performance.now();
  let seed = 12345;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (const id of METRIC_IDS) {
    for (const source of SOURCES) {
      const key = { account: 'default', metric: id, source };
      store.write(() => {
        for (let d = 0; d < days; d++) {
          const samples = new Array<Sample>(1440);
          for (let i = 0; i < 1440; i++) {
            const t = START + d * 86_400_000 + i * 60_000;
            const base = id === 'heart_rate' ? 65 + 20 * Math.sin(i / 229) : id === 'spo2' ? 95 + 3 * rnd() : 10 * rnd();
            const v = id === 'steps' || id === 'floors' || id === 'active_zone_minutes' ? Math.floor(base * 3) : Math.round(base * 100) / 100;
            samples[i] = { t, offset: OFFSET, v };
          }
          store.writeSamples(key, samples, { exportMs: 1 });
        }
      });
    }
  }
  store.close();
  writeFileSync(marker, String(performance.now() - t0));
  return openStore(db);
}
import { writeFileSync } from 'node:fs';

function count(store: Store): number {
  return store.listSeries().reduce((n, s) => n + s.count, 0);
}

async function ours(store: Store, url: string): Promise<{ seconds: number; sent: number; rejected: number; requests: number; bytes: number }> {
  // a fresh cursor for each receiver
  const { sink, client } = createRemoteWrite({
    store,
    config: configSchema.parse({ remote_write: { url, batch_samples: batch } }).remote_write,
    logger: silentLogger(),
  });
  sink.cursor.reset();
  const t0 = performance.now();
  const r = await sink.drain();
  return { seconds: (performance.now() - t0) / 1000, sent: r.sent, rejected: r.rejected, requests: client.stats.requests, bytes: client.stats.bytesSent };
}

/** Prometheus text (ms timestamps) of the same history samples, for VictoriaMetrics' own import. */
async function promText(store: Store, file: string): Promise<number> {
  const w = createWriteStream(file);
  let n = 0;
  for (const s of store.listSeries()) {
    const m = metric(s.metric);
    const f = prometheusFactor(m);
    const head = `${prometheusHistoryName(m)}{account="${s.account}",source="${s.source}"} `;
    for (const day of store.days(s)) {
      const c = store.readDayColumns(s, day);
      const lines = new Array<string>(c.n);
      for (let i = 0; i < c.n; i++) lines[i] = `${head}${f === 1 ? c.v[i] : c.v[i]! * f} ${c.t[i]}`;
      n += c.n;
      if (!w.write(`${lines.join('\n')}\n`)) await once(w, 'drain');
    }
  }
  w.end();
  await once(w, 'finish');
  return n;
}

async function vmImport(vm: VictoriaMetrics, file: string): Promise<number> {
  const t0 = performance.now();
  const res = await request(vm.importPrometheusUrl, { method: 'POST', body: createReadStream(file), headersTimeout: 600_000, bodyTimeout: 600_000 });
  await res.body.text();
  if (res.statusCode >= 300) throw new Error(`import: HTTP ${res.statusCode}`);
  await vm.forceFlush();
  return (performance.now() - t0) / 1000;
}

/** Samples stored of the history series (VictoriaMetrics: a count query over all of them). */
async function storedHistory(tsdb: Prometheus | VictoriaMetrics): Promise<number> {
  const end = START + (days + 2) * 86_400_000;
  const v = await tsdb.scalar(`sum(count_over_time({__name__=~"fitbit_history_[a-z0-9_]+",__name__!~"fitbit_history_daily_.+"}[${days + 3}d]))`, end);
  return v ?? 0;
}

/** Prometheus answers a count over 15 M out-of-order samples too slowly: count one series (525,600 expected for a year). */
async function storedOneSeries(tsdb: Prometheus): Promise<number> {
  const end = START + (days + 2) * 86_400_000;
  return (await tsdb.scalar(`count_over_time(fitbit_history_heart_rate_bpm{source="Inspire 3"}[${days + 3}d])`, end)) ?? 0;
}

interface Row {
  target: string;
  path: string;
  samples: number;
  seconds: number;
  samples_per_s: number;
  stored_history?: number | string;
  requests?: number;
  mb_sent?: number;
}
const rows: Row[] = [];
const store = dataset();
const samples = count(store);
console.error(`dataset: ${samples} samples in ${store.listSeries().length} series (${days} days of minute data)`);

// ---- VictoriaMetrics ---------------------------------------------------------------------------
{
  const vm = await VictoriaMetrics.start();
  const r = await ours(store, vm.remoteWriteUrl);
  console.error(`victoria-metrics remote write: ${r.sent} samples in ${r.seconds.toFixed(1)} s`);
  await vm.forceFlush();
  const stored = await storedHistory(vm);
  await vm.cleanup();
  const text = join(work, 'history.prom');
  const nText = await promText(store, text);
  const vm2 = await VictoriaMetrics.start();
  const secs = await vmImport(vm2, text);
  console.error(`victoria-metrics text import: ${nText} samples in ${secs.toFixed(1)} s`);
  const stored2 = await storedHistory(vm2);
  await vm2.cleanup();
  rows.push({
    target: 'VictoriaMetrics 1.79',
    path: 'ours: remote write',
    samples: r.sent,
    seconds: r.seconds,
    samples_per_s: r.sent / r.seconds,
    stored_history: stored,
    requests: r.requests,
    mb_sent: r.bytes / 1e6,
  });
  rows.push({
    target: 'VictoriaMetrics 1.79',
    path: 'baseline: /api/v1/import/prometheus (text, prepared)',
    samples: nText,
    seconds: secs,
    samples_per_s: nText / secs,
    stored_history: stored2,
    mb_sent: statSync(text).size / 1e6,
  });
  rmSync(text, { force: true });
}

// ---- Prometheus ----------------------------------------------------------------------------------
{
  const prom = await Prometheus.start();
  const r = await ours(store, prom.remoteWriteUrl);
  console.error(`prometheus remote write: ${r.sent} samples in ${r.seconds.toFixed(1)} s`);
  const stored = `${await prom.selfMetric('prometheus_tsdb_head_samples_appended_total')} appended; one series ${await storedOneSeries(prom)}`;
  await prom.cleanup();
  // promtool 2.42 re-reads its whole input once per 2-hour block, so a year in one file means
  // 4,380 passes over ~1 GB: it is fed one file per day (12 passes over 1/365 each), as docs/tsdb.md says.
  const blocks = join(work, 'blocks');
  rmSync(blocks, { recursive: true, force: true });
  mkdirSync(blocks, { recursive: true });
  let exportSecs = 0;
  let promtoolSecs = 0;
  const ex = { samples: 0 };
  for (let d = 0; d < days; d++) {
    const date = new Date(START + d * 86_400_000).toISOString().slice(0, 10);
    const file = join(work, `day-${date}.om`);
    const te = performance.now();
    const e = await exportOpenMetrics({ store, file, from: date, to: date });
    exportSecs += (performance.now() - te) / 1000;
    ex.samples += e.samples;
    const tp = performance.now();
    const p = spawnSync(promtoolBinary(), ['tsdb', 'create-blocks-from', 'openmetrics', '-q', file, blocks], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (p.status !== 0) throw new Error(`promtool: ${p.stderr}`);
    promtoolSecs += (performance.now() - tp) / 1000;
    rmSync(file, { force: true });
  }
  console.error(`export-openmetrics ${exportSecs.toFixed(1)} s; promtool ${promtoolSecs.toFixed(1)} s`);
  const prom2 = await Prometheus.start({ dataDir: blocks, remoteWriteReceiver: false, readyTimeoutMs: 300_000 });
  const stored2 = `one series ${await storedOneSeries(prom2)}`;
  await prom2.cleanup();
  rmSync(blocks, { recursive: true, force: true });
  rows.push({
    target: 'Prometheus 2.42 (OOO 3650d)',
    path: 'ours: remote write',
    samples: r.sent,
    seconds: r.seconds,
    samples_per_s: r.sent / r.seconds,
    stored_history: stored,
    requests: r.requests,
    mb_sent: r.bytes / 1e6,
  });
  rows.push({
    target: 'Prometheus 2.42',
    path: 'baseline: promtool create-blocks-from openmetrics (one file per day)',
    samples: ex.samples,
    seconds: promtoolSecs,
    samples_per_s: ex.samples / promtoolSecs,
    stored_history: stored2,
  });
  rows.push({
    target: 'Prometheus 2.42',
    path: 'ours: export-openmetrics (the per-day files)',
    samples: ex.samples,
    seconds: exportSecs,
    samples_per_s: ex.samples / exportSecs,
  });
}

const ratio = (a: number, b: number): string => (a / b).toFixed(2);
const rps = rows.map((r) => r.samples_per_s);
const summary = {
  date: new Date().toISOString(),
  node: process.version,
  cores: (await import('node:os')).availableParallelism(),
  days,
  batch,
  store_samples: samples,
  rows,
  ratios: {
    vm_ours_over_import: Number(ratio(rps[0]!, rps[1]!)),
    prom_ours_over_promtool: Number(ratio(rps[2]!, rps[3]!)),
  },
};
writeFileSync(join(out, 'remote-write-results.json'), JSON.stringify(summary, null, 2));
console.log('| target | path | samples | seconds | samples/s | stored (history) |');
console.log('|---|---|---:|---:|---:|---:|');
for (const r of rows)
  console.log(`| ${r.target} | ${r.path} | ${r.samples} | ${r.seconds.toFixed(1)} | ${Math.round(r.samples_per_s)} | ${r.stored_history ?? ''} |`);
console.log(
  `ratios (samples/s): VictoriaMetrics ours/import = ${summary.ratios.vm_ours_over_import}; Prometheus ours/promtool = ${summary.ratios.prom_ours_over_promtool}`,
);
store.close();
