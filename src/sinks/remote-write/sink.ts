/**
 * The remote write sink: follows its own durable cursor over the store's change sequence
 * (src/sinks/cursor.ts, key `sink:remote-write:cursor`) and delivers every changed day block —
 * new days, late data merged into an old day, writes by other processes — then commits. A TSDB
 * outage just makes the client wait and retry; a kill -9 resumes from the last commit: samples
 * may be sent twice (receivers keep one: same instant, same value), never skipped.
 *
 * Per-day series (daily totals, sleep and exercise time) of a local day are sent once the day has
 * ended plus `dailySettleMs` (late data has come in by then; a TSDB does not reliably take a
 * second value for an instant: docs/tsdb.md). Days touched before that wait in a durable set (key
 * `sink:remote-write:daily`), committed together with the cursor.
 */
import { STATE_KEYS } from '../../store/state-keys.js';
import { metric as metricDef, type MetricId, type SessionKind } from '../../metrics/registry.js';
import { SinkCursor, type CursorLag } from '../cursor.js';
import type { Store } from '../../store/types.js';
import { DAY_MS, MINUTE_MS, dayNumber, systemClock, type Clock } from '../../time/index.js';
import type { Logger } from '../../util/log.js';
import { Batcher } from './batch.js';
import type { RemoteWriteClient } from './client.js';
import { encodeLabels, type EncodedLabels, type Label } from './protobuf.js';
import {
  blockColumns,
  dailySums,
  hasDailySum,
  historyLabels,
  labelsKey,
  seriesLabels,
  sessionDaily,
  sessionDay,
  type DailyPoint,
  type DayRange,
} from './series.js';
import { SLEEP_STAGE_HISTORY, sleepStageSamples } from './sleep-stages.js';

export const SINK_NAME = 'remote-write';

export interface RemoteWriteSinkOptions {
  store: Store;
  client: RemoteWriteClient;
  logger: Logger;
  /** Samples per request at most. */
  batchSamples: number;
  /** Oldest local day to send (YYYY-MM-DD). */
  from?: string | undefined;
  /** How long after a local day ended its per-day series are sent (ms). */
  dailySettleMs: number;
  /** Changed blocks handled per pass (and per cursor commit). Default 256. */
  blocksPerPass?: number;
  clock?: Clock;
}

export interface PassResult {
  /** Day blocks read in this pass. */
  blocks: number;
  /** Samples accepted / rejected by the receiver. */
  sent: number;
  rejected: number;
  /** Nothing was pending after this pass. */
  caughtUp: boolean;
}

type PendingKind = 'sum' | SessionKind;

interface PendingEntry {
  kind: PendingKind;
  account: string;
  metric?: MetricId;
  source?: string;
  day: number;
  /** Unix ms when the day is settled. */
  due: number;
}

function pendingKey(e: Omit<PendingEntry, 'due'>): string {
  return JSON.stringify([e.kind, e.account, e.metric ?? null, e.source ?? null, e.day]);
}

export class RemoteWriteSink {
  readonly cursor: SinkCursor;
  private readonly stateKey = STATE_KEYS.remoteWriteDaily(SINK_NAME);
  private readonly range: DayRange;
  private readonly clock: Clock;
  private readonly labelCache = new Map<string, EncodedLabels>();

  constructor(private readonly opts: RemoteWriteSinkOptions) {
    this.clock = opts.clock ?? systemClock;
    this.cursor = new SinkCursor(opts.store, SINK_NAME, this.clock);
    this.range = opts.from !== undefined ? { from: dayNumber(opts.from) } : {};
  }

  /** How far behind the store the sink is, and how many days wait to settle. */
  lag(): CursorLag & { dailyWaiting: number } {
    return { ...this.cursor.lag(), dailyWaiting: this.loadPending().size };
  }

  private encoded(labels: Label[]): EncodedLabels {
    const k = labelsKey(labels);
    let e = this.labelCache.get(k);
    if (!e) {
      if (this.labelCache.size > 10_000) this.labelCache.clear();
      e = encodeLabels(labels);
      this.labelCache.set(k, e);
    }
    return e;
  }

  private loadPending(): Map<string, PendingEntry> {
    const raw = this.opts.store.getState(this.stateKey);
    const out = new Map<string, PendingEntry>();
    if (raw === null) return out;
    try {
      for (const e of JSON.parse(raw) as PendingEntry[]) {
        // older versions kept one entry per source; the day total is one figure of all sources now
        if (e.kind === 'sum') delete e.source;
        const k = pendingKey(e);
        const cur = out.get(k);
        if (!cur || e.due < cur.due) out.set(k, e);
      }
    } catch {
      this.opts.logger.warn('remote write: unreadable list of days waiting to settle; it is rebuilt from the next changes');
    }
    return out;
  }

  private savePending(p: Map<string, PendingEntry>): void {
    this.opts.store.setState(this.stateKey, JSON.stringify([...p.values()]));
  }

  /** Unix ms when local day `day` (whose UTC offset is `offsetMin`) is settled. */
  private dueOf(day: number, offsetMin: number): number {
    return (day + 1) * DAY_MS - offsetMin * MINUTE_MS + this.opts.dailySettleMs;
  }

  private batcher(result: { sent: number; rejected: number }, signal: AbortSignal | undefined): Batcher {
    return new Batcher(this.opts.batchSamples, async (chunks) => {
      const r = await this.opts.client.write(chunks, signal);
      result.sent += r.sent;
      result.rejected += r.rejected;
    });
  }

  private async sendDaily(points: DailyPoint[], batcher: Batcher): Promise<void> {
    const bySeries = new Map<string, DailyPoint[]>();
    for (const p of points) {
      if (this.range.from !== undefined && p.day < this.range.from) continue;
      const k = labelsKey(p.labels);
      const list = bySeries.get(k);
      if (list) list.push(p);
      else bySeries.set(k, [p]);
    }
    for (const list of bySeries.values()) {
      list.sort((a, b) => a.t - b.t);
      await batcher.add(
        this.encoded(list[0]!.labels),
        Float64Array.from(list, (p) => p.t),
        Float64Array.from(list, (p) => p.v),
      );
    }
  }

  private dailyPoints(entries: Iterable<Omit<PendingEntry, 'due'>>): DailyPoint[] {
    const sums = new Map<string, { account: string; metric: MetricId; days: number[] }>();
    const sess = new Map<string, { account: string; kind: SessionKind; days: number[] }>();
    for (const e of entries) {
      if (e.kind === 'sum' && e.metric !== undefined) {
        const k = JSON.stringify([e.account, e.metric]);
        const g = sums.get(k) ?? { account: e.account, metric: e.metric, days: [] };
        g.days.push(e.day);
        sums.set(k, g);
      } else if (e.kind !== 'sum') {
        const k = JSON.stringify([e.account, e.kind]);
        const g = sess.get(k) ?? { account: e.account, kind: e.kind, days: [] };
        g.days.push(e.day);
        sess.set(k, g);
      }
    }
    const out: DailyPoint[] = [];
    for (const g of sums.values()) out.push(...dailySums(this.opts.store, g.account, g.metric, g.days));
    for (const g of sess.values()) out.push(...sessionDaily(this.opts.store, g.account, g.kind, g.days, this.range));
    return out;
  }

  /** One pass: up to `blocksPerPass` changed blocks (and the sessions changed before them), then a commit. */
  async pass(signal?: AbortSignal): Promise<PassResult> {
    const { store } = this.opts;
    const before = this.cursor.position();
    const p = this.cursor.pending(this.opts.blocksPerPass ?? 256);
    if (p.upto <= before && p.blocks.length === 0 && p.sessions.length === 0) {
      return { blocks: 0, sent: 0, rejected: 0, caughtUp: true };
    }
    const result = { sent: 0, rejected: 0 };
    const batcher = this.batcher(result, signal);
    const now = this.clock();
    /** Touched per-day entries → offset of the day (for its settle time). */
    const dirty = new Map<string, { e: Omit<PendingEntry, 'due'>; offset: number }>();
    const fromDay = this.range.from;
    for (const b of p.blocks) {
      if (fromDay !== undefined && b.day < fromDay - 1) continue;
      const labels = historyLabels(b.key);
      if (labels === null) continue;
      const cols = blockColumns(store, b.key, b.day, this.range);
      await batcher.add(this.encoded(labels), cols.t, cols.v);
      if (hasDailySum(metricDef(b.key.metric))) {
        const days =
          cols.localDays.size > 0
            ? cols.localDays
            : new Map([
                [b.day - 1, 0],
                [b.day, 0],
                [b.day + 1, 0],
              ]);
        for (const [day, offset] of days) {
          // the day's figure merges every source: a change of any source's block recomputes it
          const e = { kind: 'sum' as const, account: b.key.account, metric: b.key.metric, day };
          dirty.set(pendingKey(e), { e, offset });
        }
      }
    }
    // sleep stages as a minute series (Grafana's state timeline): the chosen sleeps (one version per
    // physical sleep) around each changed one
    const nights = new Map<string, { from: number; to: number }>();
    for (const s of p.sessions) {
      if (s.kind !== 'sleep') continue;
      const n = nights.get(s.account);
      nights.set(s.account, { from: Math.min(n?.from ?? s.start, s.start), to: Math.max(n?.to ?? s.end, s.end) });
    }
    for (const [account, { from, to }] of nights) {
      for (const [source, { t, v }] of sleepStageSamples(store.sessions(account, 'sleep', from, to))) {
        await batcher.add(this.encoded(seriesLabels(SLEEP_STAGE_HISTORY, account, source)), Float64Array.from(t), Float64Array.from(v));
      }
    }
    for (const s of p.sessions) {
      const day = sessionDay(s);
      const e = { kind: s.kind, account: s.account, day };
      dirty.set(pendingKey(e), { e, offset: s.kind === 'sleep' ? s.endOffset : s.startOffset });
    }
    const pending = this.loadPending();
    const settled: Omit<PendingEntry, 'due'>[] = [];
    for (const [k, { e, offset }] of dirty) {
      if (pending.has(k)) continue; // already waiting; sent when due
      const due = this.dueOf(e.day, offset);
      if (due <= now) settled.push(e);
      else pending.set(k, { ...e, due });
    }
    await this.sendDaily(this.dailyPoints(settled), batcher);
    await batcher.flush();
    store.write(() => {
      this.savePending(pending);
      this.cursor.commit(p.upto);
    });
    return { blocks: p.blocks.length, ...result, caughtUp: false };
  }

  /** Sends the per-day series of the waiting days that have settled by now. */
  async sendSettled(signal?: AbortSignal): Promise<{ sent: number; rejected: number; days: number }> {
    const pending = this.loadPending();
    const now = this.clock();
    const due = [...pending].filter(([, e]) => e.due <= now);
    if (due.length === 0) return { sent: 0, rejected: 0, days: 0 };
    const result = { sent: 0, rejected: 0 };
    const batcher = this.batcher(result, signal);
    await this.sendDaily(this.dailyPoints(due.map(([, e]) => e)), batcher);
    await batcher.flush();
    this.opts.store.write(() => {
      const cur = this.loadPending();
      for (const [k] of due) cur.delete(k);
      this.savePending(cur);
    });
    return { ...result, days: due.length };
  }

  /** Delivers everything pending now (passes until caught up), then the settled per-day series. */
  async drain(signal?: AbortSignal, onPass?: (r: PassResult) => void): Promise<{ sent: number; rejected: number; blocks: number }> {
    const total = { sent: 0, rejected: 0, blocks: 0 };
    for (;;) {
      const r = await this.pass(signal);
      onPass?.(r);
      total.sent += r.sent;
      total.rejected += r.rejected;
      total.blocks += r.blocks;
      if (r.caughtUp) break;
    }
    const s = await this.sendSettled(signal);
    total.sent += s.sent;
    total.rejected += s.rejected;
    return total;
  }
}
