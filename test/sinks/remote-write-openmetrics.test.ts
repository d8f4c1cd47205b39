/**
 * `fitbit-bridge export-openmetrics` for deep backfills of plain Prometheus: the file is read by
 * the real `promtool tsdb create-blocks-from openmetrics`, the blocks are loaded by a real
 * Prometheus, and it then answers with exactly the series and samples remote write delivers.
 * Plus the wire formats: the protobuf WriteRequest and the snappy block format round-trip.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { METRICS, prometheusDailyName, prometheusGaugeName, prometheusHistoryName } from '../../src/metrics/registry.js';
import { formatTimestamp } from '../../src/sinks/openmetrics/export.js';
import { decodeWriteRequest, encodeLabels, encodeWriteRequest } from '../../src/sinks/remote-write/protobuf.js';
import { snappyCompress, snappyUncompress } from '../../src/sinks/remote-write/snappy.js';
import { Prometheus, promtoolBinary } from '../support/prometheus.js';
import { Tmp } from '../support/tmp.js';
import { assertTsdbHolds, expectedFromStore, importDataset } from './remote-write-helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const tmp = new Tmp('fb-om-');
let db: string;
let prom: Prometheus | null = null;
before(async () => {
  const store = tmp.store();
  await importDataset(tmp, store, 2, 4242);
  db = store.path;
  store.close();
});
after(async () => {
  await prom?.cleanup();
  tmp.cleanup();
});

/** Runs the command in its own process (commander program with the global options, as main.ts wires it). */
async function runCli(args: string[]): Promise<string> {
  const cfg = tmp.path('empty-config.yaml');
  writeFileSync(cfg, '');
  const script = `
    import { Command } from 'commander';
    import { exportOpenMetricsCommand } from './src/cli/commands/export-openmetrics.ts';
    const program = new Command('fitbit-bridge').option('--db <file>').option('--config <file>').option('--log-level <level>');
    program.addCommand(exportOpenMetricsCommand());
    await program.parseAsync(JSON.parse(process.argv[1]), { from: 'user' });`;
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script, JSON.stringify(['--db', db, '--config', cfg, '--log-level', 'fatal', ...args])],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 0, `export-openmetrics failed: ${r.stderr}`);
  return r.stdout;
}

test('export-openmetrics → promtool create-blocks-from openmetrics → Prometheus holds the history', async () => {
  const file = tmp.path('history.om');
  const msg = await runCli(['export-openmetrics', file]);
  assert.match(msg, /samples of \d+ series/);
  const text = readFileSync(file, 'utf8');
  assert.ok(text.endsWith('# EOF\n'));
  assert.match(text, /^# TYPE fitbit_history_heart_rate_bpm gauge$/m);

  const blocks = tmp.mkdir('blocks');
  const r = spawnSync(promtoolBinary(), ['tsdb', 'create-blocks-from', 'openmetrics', file, blocks], { encoding: 'utf8' });
  assert.equal(r.status, 0, `promtool: ${r.stdout}\n${r.stderr}`);

  prom = await Prometheus.start({ dataDir: blocks, remoteWriteReceiver: false, outOfOrderTimeWindow: null });
  const store = tmp.store(db);
  await assertTsdbHolds(prom, expectedFromStore(store));
});

test('export-openmetrics filters by metric and local dates', async () => {
  const file = tmp.path('hr.om');
  await runCli(['export-openmetrics', file, '--metric', 'heart_rate,steps', '--from', '2026-04-30', '--to', '2026-04-30']);
  const text = readFileSync(file, 'utf8');
  const names = new Set(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.slice(0, l.indexOf('{'))),
  );
  assert.deepEqual([...names].sort(), ['fitbit_history_daily_steps', 'fitbit_history_heart_rate_bpm', 'fitbit_history_steps']);
  const times = text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)) * 1000);
  // 2026-04-30 in New York (-04:00)
  const lo = Date.parse('2026-04-30T04:00:00Z');
  const hi = Date.parse('2026-05-01T04:00:00Z');
  assert.ok(times.length > 1000);
  assert.ok(
    times.every((t) => t >= lo && t < hi),
    'only that local day',
  );
  assert.equal(formatTimestamp(1714435200123), '1714435200.123');
  assert.equal(formatTimestamp(1714435200000), '1714435200');
});

test('WriteRequest protobuf and snappy block format round-trip', () => {
  const labels = encodeLabels([
    ['__name__', 'fitbit_history_heart_rate_bpm'],
    ['account', 'ä'],
    ['source', 'Inspire 3'],
  ]);
  const t = [1714435200000, 1714435205000, -1000];
  const v = [61.5, 62, -0.25];
  const raw = encodeWriteRequest([
    { labels, t, v },
    { labels, t: [0], v: [Number.MAX_VALUE] },
  ]);
  const back = decodeWriteRequest(snappyUncompress(snappyCompress(raw)));
  assert.deepEqual(back, [
    {
      labels: [
        ['__name__', 'fitbit_history_heart_rate_bpm'],
        ['account', 'ä'],
        ['source', 'Inspire 3'],
      ],
      samples: t.map((x, i) => ({ t: x, v: v[i]! })),
    },
    {
      labels: [
        ['__name__', 'fitbit_history_heart_rate_bpm'],
        ['account', 'ä'],
        ['source', 'Inspire 3'],
      ],
      samples: [{ t: 0, v: Number.MAX_VALUE }],
    },
  ]);
  // snappy block format: starts with the uncompressed length as a varint (no stream identifier)
  const big = Buffer.alloc(300, 7);
  const c = snappyCompress(big);
  assert.deepEqual([...c.subarray(0, 2)], [0xac, 0x02]);
  assert.throws(
    () =>
      encodeLabels([
        ['b', '1'],
        ['a', '2'],
      ]),
    /sorted/,
  );
});

test('registry: history names never equal a gauge name; every name is documented in docs/tsdb.md', () => {
  const doc = readFileSync(join(import.meta.dirname, '../../docs/tsdb.md'), 'utf8');
  const gauges = new Set(METRICS.map((m) => prometheusGaugeName(m)));
  for (const m of METRICS) {
    const names = [m.kind === 'session' ? null : prometheusHistoryName(m), prometheusDailyName(m)].filter((x): x is string => x !== null);
    for (const n of names) {
      assert.match(n, /^fitbit_history_[a-z0-9_]+$/);
      assert.ok(!gauges.has(n), n);
      assert.ok(doc.includes(`\`${n}\``), `docs/tsdb.md names ${n}`);
    }
  }
});
