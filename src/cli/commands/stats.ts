/** `fitbit-bridge stats`: what the store holds, per account, metric and source. */
import { Command } from 'commander';
import { STATE_KEYS } from '../../store/state-keys.js';
import { metric as metricDef, metricsOfKind, type MetricId, type SessionKind } from '../../metrics/registry.js';
import type { SessionLayer, Store } from '../../store/types.js';
import { formatIso } from '../../time/index.js';
import { totalMerged, type MergeCounts } from '../../reconcile/samples.js';
import { readMerged, type MergedState } from '../../reconcile/samples-store.js';
import { createContext, type GlobalOptions } from '../context.js';
import { usageError } from '../errors.js';
import { parseAccountName } from '../validate.js';

export interface SeriesStats {
  account: string;
  metric: MetricId;
  unit: string;
  source: string;
  samples: number;
  /** ISO 8601 local time with the sample's UTC offset, e.g. 2024-03-31T02:59:00+02:00; null when empty. */
  first: string | null;
  last: string | null;
}

export interface SessionStats {
  account: string;
  kind: SessionKind;
  source: string;
  layer: SessionLayer;
  sessions: number;
  /** Start of the first and end of the last session, ISO with offset. */
  first: string | null;
  last: string | null;
}

export interface StoreStats {
  store: {
    path: string;
    /** Main file + WAL (the whole store, whatever --account says). */
    bytes: number;
    /** Samples and sessions of the selected account(s). */
    samples: number;
    sessions: number;
    /** bytes / samples of the whole store (every account), null for an empty store. */
    bytesPerSample: number | null;
  };
  accounts: { name: string; profileId: string | null; timezone: string | null }[];
  series: SeriesStats[];
  sessions: SessionStats[];
  /** Delivery state of the sinks that have run against this store (their durable cursors). */
  sinks: SinkStats[];
  /**
   * Per account: legacy-layer samples stored once because another layer has the same measurement
   * (src/reconcile/samples.ts), by the repair of a store written by an older version and by the
   * latest Takeout import; null when there was none.
   */
  merged: ({ account: string } & MergedState)[];
}

export interface SinkStats {
  name: string;
  /** The change sequence delivered so far, and how far the store is ahead of it. */
  position: number;
  changesBehind: number;
  /** Changed day blocks (and sessions) not delivered yet (counted up to 100,000). */
  blocksBehind: number;
}

/** Sinks that keep a cursor in the store (src/sinks/cursor.ts). */
const SINK_NAMES = ['mqtt', 'remote-write'] as const;

function sinkStats(store: Store): SinkStats[] {
  const out: SinkStats[] = [];
  const seq = store.currentSeq();
  for (const name of SINK_NAMES) {
    const v = store.getState(STATE_KEYS.sinkCursor(name));
    if (v === null) continue;
    const position = Number(v) || 0;
    let blocks = 0;
    for (const _b of store.changedBlocks(position)) if (++blocks >= 100_000) break;
    blocks += store.changedSessions(position).length;
    out.push({ name, position, changesBehind: Math.max(0, seq - position), blocksBehind: blocks });
  }
  return out;
}

function instantAt(store: Store, key: { account: string; metric: MetricId; source: string }, t: number | null): string | null {
  if (t === null) return null;
  const first = store.iterateSamples(key, t, t + 1).next();
  const offset = first.done ? 0 : first.value.offset;
  return formatIso(t, offset);
}

/** Collects the statistics (cheap: series counts come from block metadata). */
export function collectStats(store: Store, account?: string): StoreStats {
  const accountInfos = store.accounts();
  const seriesInfos = store.listSeries(account !== undefined ? { account } : undefined);
  const names = [...new Set([...accountInfos.map((a) => a.name), ...store.listSeries().map((s) => s.account)])].sort();
  const selected = account !== undefined ? names.filter((n) => n === account) : names;

  const series: SeriesStats[] = seriesInfos
    .map((s) => ({
      account: s.account,
      metric: s.metric,
      unit: metricDef(s.metric).unit,
      source: s.source,
      samples: s.count,
      first: instantAt(store, s, s.first),
      last: instantAt(store, s, s.last),
    }))
    .sort((a, b) => a.account.localeCompare(b.account) || a.metric.localeCompare(b.metric) || a.source.localeCompare(b.source));

  const sessions: SessionStats[] = [];
  for (const name of selected) {
    for (const def of metricsOfKind('session')) {
      const kind = def.id as SessionKind;
      const groups = new Map<string, SessionStats & { firstT: number; lastT: number }>();
      for (const s of store.sessions(name, kind, undefined, undefined, { resolve: false })) {
        const k = `${s.source}\u0000${s.layer}`;
        let g = groups.get(k);
        if (!g) {
          g = { account: name, kind, source: s.source, layer: s.layer, sessions: 0, first: null, last: null, firstT: Infinity, lastT: -Infinity };
          groups.set(k, g);
        }
        g.sessions++;
        if (s.start < g.firstT) {
          g.firstT = s.start;
          g.first = formatIso(s.start, s.startOffset);
        }
        if (s.end > g.lastT) {
          g.lastT = s.end;
          g.last = formatIso(s.end, s.endOffset);
        }
      }
      for (const g of [...groups.values()].sort((a, b) => a.source.localeCompare(b.source) || a.layer.localeCompare(b.layer))) {
        const { firstT: _f, lastT: _l, ...rest } = g;
        sessions.push(rest);
      }
    }
  }

  const samples = series.reduce((n, s) => n + s.samples, 0);
  // bytes are the whole store's, so the ratio is over every account's samples
  const allSamples = account === undefined ? samples : store.listSeries().reduce((n, s) => n + s.count, 0);
  const bytes = store.diskBytes();
  return {
    store: {
      path: store.path,
      bytes,
      samples,
      sessions: sessions.reduce((n, s) => n + s.sessions, 0),
      bytesPerSample: allSamples > 0 ? Math.round((bytes / allSamples) * 100) / 100 : null,
    },
    accounts: selected.map((n) => {
      const info = accountInfos.find((a) => a.name === n);
      return { name: n, profileId: info?.profileId ?? null, timezone: info?.timezone ?? null };
    }),
    series,
    sessions,
    sinks: sinkStats(store),
    merged: selected.map((n) => ({ account: n, ...readMerged(store, n) })),
  };
}

/** `12 (3 layer disagreements, 2 daily values, 1 weigh-in)` */
function mergedText(c: MergeCounts): string {
  const parts = [`${fmtInt(c.layerDisagreements)} layer disagreement${c.layerDisagreements === 1 ? '' : 's'}`];
  parts.push(`${fmtInt(c.daily)} daily value${c.daily === 1 ? '' : 's'}`, `${fmtInt(c.weighIns)} weigh-in${c.weighIns === 1 ? '' : 's'}`);
  return `${fmtInt(totalMerged(c))} (${parts.join(', ')})`;
}

function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}

function fmtBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}

function table(headers: string[], rows: string[][], rightAligned: Set<number>): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    `  ${cells.map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** Human-readable stats (stdout of `fitbit-bridge stats`). */
export function formatStats(s: StoreStats): string {
  const out: string[] = [];
  const bps = s.store.bytesPerSample === null ? '' : `, ${s.store.bytesPerSample.toFixed(1)} bytes/sample`;
  out.push(`Store ${s.store.path}: ${fmtBytes(s.store.bytes)} on disk, ${fmtInt(s.store.samples)} samples, ${fmtInt(s.store.sessions)} sessions${bps}`);
  for (const k of s.sinks) {
    out.push(
      `Sink ${k.name}: ${k.changesBehind === 0 ? 'caught up' : `${fmtInt(k.blocksBehind)} changed day blocks / sessions not delivered yet (${fmtInt(k.changesBehind)} changes behind)`}`,
    );
  }
  if (s.accounts.length === 0) {
    out.push('No data yet. Import some: fitbit-bridge import-takeout <path>');
    return out.join('\n');
  }
  for (const a of s.accounts) {
    const extra = [a.profileId !== null ? `profile ${a.profileId}` : null, a.timezone].filter((x) => x !== null).join(', ');
    out.push('', `Account ${a.name}${extra ? ` (${extra})` : ''}`);
    const ser = s.series.filter((x) => x.account === a.name);
    if (ser.length > 0) {
      out.push(
        ...table(
          ['metric', 'unit', 'source', 'samples', 'first', 'last'],
          ser.map((x) => [x.metric, x.unit, x.source, fmtInt(x.samples), x.first ?? '-', x.last ?? '-']),
          new Set([3]),
        ),
      );
    } else out.push('  no samples');
    const ses = s.sessions.filter((x) => x.account === a.name);
    if (ses.length > 0) {
      out.push(
        ...table(
          ['sessions', 'source', 'layer', 'count', 'first start', 'last end'],
          ses.map((x) => [x.kind, x.source, x.layer, fmtInt(x.sessions), x.first ?? '-', x.last ?? '-']),
          new Set([3]),
        ),
      );
    }
    const m = s.merged.find((x) => x.account === a.name);
    if (m && (m.repair || m.lastImport)) {
      const by = [
        m.repair ? `${mergedText(m.repair)} by the repair of older stores` : null,
        m.lastImport ? `${mergedText(m.lastImport)} by the last Takeout import` : null,
      ];
      out.push(`  Same measurement in two layers, stored once: ${by.filter((x) => x !== null).join('; ')}`);
    }
  }
  return out.join('\n');
}

export function statsCommand(): Command {
  return new Command('stats')
    .summary('show what the store holds')
    .description(
      "Show, per account, metric and data source, the number of samples and the first and last instant (local time with its UTC offset); session counts per kind, source and layer; the store's path, size on disk and bytes per sample; how far behind the store the sinks (MQTT, remote write) are; and how many legacy-layer samples were stored once because the Google layer has the same measurement (by the repair of a store written by an older version, and by the last Takeout import).",
    )
    .option('--json', 'print machine-readable JSON on stdout')
    .option('--account <name>', 'only this account', parseAccountName)
    .addHelpText(
      'after',
      `
Examples:
  fitbit-bridge stats
  fitbit-bridge stats --json --account alice | jq '.series[] | select(.metric == "heart_rate")'`,
    )
    .action(async (flags: { json?: boolean; account?: string }, cmd: Command) => {
      const ctx = createContext(cmd.optsWithGlobals<GlobalOptions>());
      const store = await ctx.openStore({ readonly: true, mustExist: true });
      try {
        const stats = collectStats(store, flags.account);
        if (flags.account !== undefined && stats.accounts.length === 0) {
          const known = [...new Set([...store.accounts().map((a) => a.name), ...store.listSeries().map((x) => x.account)])].sort();
          throw usageError(
            `no account "${flags.account}" in ${store.path} (known: ${known.join(', ') || 'none'})`,
            'Check the spelling, or leave --account out',
          );
        }
        process.stdout.write(flags.json ? `${JSON.stringify(stats, null, 2)}\n` : `${formatStats(stats)}\n`);
      } finally {
        store.close();
      }
    });
}
