/**
 * The JSON API behind the web UI, under `/api/` (docs/api.md). Registers its routes on the
 * bridge's HTTP server; returns what to do on stop (an upload or import in progress ends).
 *
 * Every answer is JSON; a bad parameter is 400 `{"error"}` naming it (params.ts). The figures are
 * the store's, read through the same code as the dump and the TSDB (src/reconcile, src/sinks/dump).
 * The server (src/run/http.ts) has already checked the client, the Host, the method, and for
 * anything but GET/HEAD the Origin and the CSRF token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errText } from '../../errors.js';
import { METRICS, type MetricDef } from '../../metrics/registry.js';
import type { ExtensionContext } from '../../run/extension.js';
import { sendJson } from '../../run/http.js';
import { rankedSeries } from '../../reconcile/day-totals.js';
import { dateOfDay, DAY_MS, localDayAtOffset, systemClock, zoneNamed, type Clock } from '../../time/index.js';
import { CoverageCache, fractions, measureOf } from './coverage.js';
import { findGaps, otherMetricSeries } from './gaps.js';
import { sleepOfDay, TrendCache } from './daily.js';
import { accountParam, ApiError, dateParam, dateRange, intParam, knownAccounts, metricParam, msParam } from './params.js';
import { MAX_READ_SAMPLES, seriesAnswer } from './series.js';
import { accountZone, StatusService } from './status.js';
import { statfs } from 'node:fs/promises';
import { STATE_KEYS } from '../../store/state-keys.js';
import { Uploads, type ImportJob } from './uploads.js';

export interface ApiOptions {
  /** Epoch ms (default Date.now): "today" of the coverage's trailing gap, token expiry, backfill target. */
  clock?: Clock;
  /** Free space of a file system (default fs.promises.statfs): the uploads' disk check. */
  statfs?: (path: string) => Promise<{ bavail: number | bigint; bsize: number | bigint }>;
  /** Compute the coverage and trends in the background this long after start (ms, default 2000; null: never, they are computed on the first request). */
  prewarmMs?: number | null;
}

/** The longest range GET /api/series reads (ms): 20 years. */
const MAX_SERIES_SPAN = 20 * 366 * DAY_MS;

export function mountApi(ctx: ExtensionContext, opts: ApiOptions = {}): () => Promise<void> {
  const api = new Api(ctx, opts.clock ?? systemClock, opts.statfs ?? ((p) => statfs(p)));
  if (opts.prewarmMs !== null) api.startPrewarm(opts.prewarmMs ?? 2000);
  ctx.http.routePrefix('/api/', (req, res, url) => api.handle(req, res, url), { methods: ['GET', 'POST', 'PUT', 'DELETE'] });
  return () => api.stop();
}

type Handler = (q: URLSearchParams, req: IncomingMessage, res: ServerResponse, rest: string[]) => unknown;

class Api {
  private readonly coverage: CoverageCache;
  private readonly statusService: StatusService;
  private accountsCache: { seq: number; list: string[] } | null = null;
  private readonly trendCache: TrendCache;
  private prewarmTimer: NodeJS.Timeout | null = null;
  private stopping = false;

  private readonly uploads: Uploads;

  constructor(
    private readonly ctx: ExtensionContext,
    private readonly clock: Clock,
    statfsFn: (path: string) => Promise<{ bavail: number | bigint; bsize: number | bigint }>,
  ) {
    this.coverage = new CoverageCache(ctx.store);
    this.trendCache = new TrendCache(ctx.store);
    this.uploads = new Uploads(ctx, {
      clock,
      statfs: async (p) => {
        const s = await statfsFn(p);
        return { bavail: Number(s.bavail), bsize: Number(s.bsize) };
      },
    });
    this.statusService = new StatusService(ctx, clock, () => this.importJobs());
  }

  /** Computes the coverage of every metric and the trends of every account in the background (in steps), so the pages answer at once. */
  startPrewarm(delayMs: number): void {
    this.prewarmTimer = setTimeout(() => {
      this.prewarmTimer = null;
      this.prewarm().catch((e: unknown) => {
        if (!this.stopping) this.ctx.logger.warn({ err: errText(e) }, 'web api: warming the coverage and trends failed');
      });
    }, delayMs);
    this.prewarmTimer.unref();
  }

  private async prewarm(): Promise<void> {
    const t0 = Date.now();
    for (const account of this.accounts()) {
      if (this.stopping) return;
      await this.trendCache.rows(account, null, null);
      const metrics = new Set<string>(this.ctx.store.listSeries({ account }).map((s) => s.metric));
      for (const m of METRICS) {
        if (this.stopping) return;
        if (m.kind === 'session' || metrics.has(m.id)) await this.coverage.days(account, m);
      }
    }
    this.ctx.logger.debug({ ms: Date.now() - t0 }, 'web api: coverage and trends computed');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.prewarmTimer) clearTimeout(this.prewarmTimer);
    this.coverage.stop();
    this.trendCache.stop();
    await this.uploads.stop();
  }

  /** Recent imports: this process's uploads and what the drop folder recorded, newest first. */
  importJobs(): ImportJob[] {
    const jobs = [...this.uploads.list(), ...dropFolderJobs(this.ctx.store.getState(STATE_KEYS.dropFolder))];
    const at = (j: ImportJob): number => j.finished_at ?? j.started_at ?? Infinity;
    return jobs.sort((a, b) => at(b) - at(a)).slice(0, 20);
  }

  private accounts(): string[] {
    const seq = this.ctx.store.currentSeq();
    if (this.accountsCache?.seq !== seq)
      this.accountsCache = {
        seq,
        list: knownAccounts(
          this.ctx.config.accounts.map((a) => a.name),
          this.ctx.store,
        ),
      };
    return this.accountsCache.list;
  }

  private timezoneOf(account: string): string {
    return accountZone(this.ctx, account).timezone;
  }

  private isLive(account: string): boolean {
    return Boolean(this.ctx.config.google.client_id) && this.ctx.config.accounts.some((a) => a.name === account);
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const parts = url.pathname.slice('/api/'.length).split('/');
    const method = (req.method ?? 'GET').toUpperCase();
    const get = method === 'GET' || method === 'HEAD';
    let handler: Handler | null = null;
    const name = parts[0] ?? '';
    if (parts.length === 1 && get) {
      handler =
        name === 'status'
          ? () => this.statusService.status()
          : name === 'metrics'
            ? (q) => this.metrics(q)
            : name === 'coverage'
              ? (q) => this.coverageOf(q)
              : name === 'series'
                ? (q) => this.series(q)
                : name === 'sleep'
                  ? (q) => this.sleep(q)
                  : name === 'trends'
                    ? (q) => this.trends(q)
                    : null;
    }
    if (name === 'uploads') handler = this.uploadRoute(method, parts.slice(1));
    try {
      if (handler === null) {
        const known = ['status', 'metrics', 'coverage', 'series', 'sleep', 'trends', 'uploads'];
        if (known.includes(name)) throw new ApiError(405, `${method} ${url.pathname} is not supported (see docs/api.md)`);
        throw new ApiError(404, `no API ${JSON.stringify(url.pathname.slice(0, 120))} (see docs/api.md)`);
      }
      const body = await handler(url.searchParams, req, res, parts.slice(1));
      if (body !== undefined && !res.headersSent) sendJson(res, 200, body);
    } catch (e) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof ApiError) return sendJson(res, e.status, { error: e.message });
      if (e instanceof RangeError) return sendJson(res, 400, { error: e.message });
      this.ctx.logger.error({ path: url.pathname, err: errText(e) }, 'web api: request failed');
      sendJson(res, 500, { error: `internal error: ${errText(e)}` });
    }
  }

  // ---- GET /api/metrics ---------------------------------------------------------------------
  private metrics(q: URLSearchParams): unknown {
    const account = accountParam(q, this.accounts());
    const series = this.ctx.store.listSeries({ account }).filter((s) => s.count > 0);
    const out = [];
    for (const m of METRICS) {
      let sources: string[];
      let first: number | null = null;
      let last: number | null = null;
      if (m.kind === 'session') {
        const all = this.ctx.store.sessions(account, m.id as 'sleep' | 'exercise', -Infinity, Infinity, { resolve: false });
        if (all.length === 0) continue;
        sources = [...new Set(all.map((s) => s.source))];
        for (const s of all) {
          if (first === null || s.start < first) first = s.start;
          if (last === null || s.end > last) last = s.end;
        }
      } else {
        const mine = rankedSeries(this.ctx.store, account, m.id).filter((s) => series.some((x) => x.id === s.id));
        if (mine.length === 0) continue;
        sources = mine.map((s) => s.source);
        for (const s of mine) {
          if (s.first !== null && (first === null || s.first < first)) first = s.first;
          if (s.last !== null && (last === null || s.last > last)) last = s.last;
        }
      }
      out.push({
        metric: m.id,
        name: m.title,
        unit: m.unit,
        kind: m.kind === 'intraday' ? 'samples' : m.kind === 'daily' ? 'daily' : 'sessions',
        sources,
        first,
        last,
      });
    }
    return { metrics: out };
  }

  // ---- GET /api/coverage --------------------------------------------------------------------
  private async coverageOf(q: URLSearchParams): Promise<unknown> {
    const account = accountParam(q, this.accounts());
    const def: MetricDef = metricParam(q);
    const { from, to } = dateRange(q);
    const all = await this.coverage.days(account, def);
    const measure = measureOf(def);
    const frac = fractions(measure, all);
    const dayNums = [...all.keys()].sort((a, b) => a - b);
    const inRange = dayNums.filter((d) => (from === null || d >= from) && (to === null || d <= to));
    const days = inRange.map((d) => {
      const f = all.get(d)!;
      return { date: dateOfDay(d), value: f.value, fraction: frac(f), sources: f.sources };
    });
    let gaps: ReturnType<typeof findGaps> = [];
    if (inRange.length > 0) {
      const zone = zoneNamed(this.timezoneOf(account));
      const now = this.clock();
      const yesterday = localDayAtOffset(now, zone.offsetAt(now)) - 1;
      const trailing = to === null ? yesterday : null;
      gaps = findGaps(
        { store: this.ctx.store, account, def, live: this.isLive(account), others: otherMetricSeries(this.ctx.store, account, def.id) },
        inRange,
        from ?? -Infinity,
        to ?? Infinity,
        trailing,
      );
    }
    return {
      account,
      metric: def.id,
      measure,
      days,
      gaps,
      first: inRange.length ? dateOfDay(inRange[0]!) : null,
      last: inRange.length ? dateOfDay(inRange[inRange.length - 1]!) : null,
    };
  }

  // ---- GET /api/series ----------------------------------------------------------------------
  private series(q: URLSearchParams): unknown {
    const account = accountParam(q, this.accounts());
    const def = metricParam(q);
    if (def.kind === 'session') throw new ApiError(400, `metric: ${def.id} is sessions, not samples: use GET /api/sleep for sleep`);
    const from = msParam(q, 'from');
    const to = msParam(q, 'to');
    if (to <= from) throw new ApiError(400, `to: must be after from (${from}), got ${to}`);
    if (to - from > MAX_SERIES_SPAN) throw new ApiError(400, `to: the range is at most 20 years (${MAX_SERIES_SPAN} ms)`);
    const width = intParam(q, 'width', 1, 10_000);
    const source = q.get('source');
    if (source !== null && !rankedSeries(this.ctx.store, account, def.id).some((s) => s.source === source))
      throw new ApiError(404, `source: account ${account} has no ${def.id} from ${JSON.stringify(source.slice(0, 80))}`);
    try {
      return seriesAnswer(this.ctx.store, account, def, from, to, width, source);
    } catch (e) {
      if (e instanceof RangeError) throw new ApiError(413, `${e.message} (at most ${MAX_READ_SAMPLES})`);
      throw e;
    }
  }

  // ---- GET /api/sleep -----------------------------------------------------------------------
  private sleep(q: URLSearchParams): unknown {
    const account = accountParam(q, this.accounts());
    const day = dateParam(q, 'date', true)!;
    return { account, date: dateOfDay(day), ...sleepOfDay(this.ctx.store, account, day) };
  }

  // ---- GET /api/trends ----------------------------------------------------------------------
  private async trends(q: URLSearchParams): Promise<unknown> {
    const account = accountParam(q, this.accounts());
    const { from, to } = dateRange(q);
    return { account, days: await this.trendCache.rows(account, from, to) };
  }

  // ---- uploads ------------------------------------------------------------------------------
  private uploadRoute(method: string, rest: string[]): Handler | null {
    const [id, sub, file, ...more] = rest;
    if (more.length > 0) return null;
    if (id === undefined || id === '') return method === 'POST' ? (q, _req, res) => this.created(res, this.uploads.create(q)) : null;
    if (sub === undefined) {
      if (method === 'GET' || method === 'HEAD') return () => this.uploads.get(id);
      if (method === 'DELETE') return () => this.uploads.remove(id);
      return null;
    }
    if (sub === 'import' && file === undefined && method === 'POST') return (_q, _req, res) => this.created(res, this.uploads.startImport(id), 202);
    if (sub === 'files' && file !== undefined && file !== '' && method === 'PUT') return (q, req, res) => this.uploads.put(id, file, req, res, q);
    return null;
  }

  private created(res: ServerResponse, body: unknown, status = 201): undefined {
    sendJson(res, status, body);
    return undefined;
  }
}

interface DropState {
  imported?: { name: string; size: number; hash: string; at: number; account: string }[];
  failed?: { group: string; error: string; at: number }[];
}

/** The drop folder's records (src/sources/takeout/drop-folder.ts state) as finished import jobs. */
export function dropFolderJobs(raw: string | null): ImportJob[] {
  let st: DropState = {};
  try {
    st = raw === null ? {} : (JSON.parse(raw) as DropState);
  } catch {
    return [];
  }
  const out: ImportJob[] = [];
  const groups = new Map<string, NonNullable<DropState['imported']>>();
  for (const r of Array.isArray(st.imported) ? st.imported : []) {
    // the parts of one export are imported together: one job per (account, time)
    const k = `${r.account}\u0000${r.at}`;
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  for (const g of groups.values()) {
    const r = g[0]!;
    out.push({
      id: `drop-${r.hash.slice(0, 16)}`,
      account: r.account,
      files: g.map((x) => ({ name: x.name, bytes: x.size })),
      state: 'done',
      progress: null,
      started_at: r.at,
      finished_at: r.at,
      summary: null,
      error: null,
    });
  }
  for (const f of Array.isArray(st.failed) ? st.failed : []) {
    out.push({
      id: `drop-failed-${f.group}`,
      account: '',
      files: [{ name: f.group, bytes: 0 }],
      state: 'failed',
      progress: null,
      started_at: f.at,
      finished_at: f.at,
      summary: null,
      error: f.error,
    });
  }
  return out;
}
