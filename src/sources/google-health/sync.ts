/**
 * The Google Health API sync of one account.
 *
 * Per data type (datatypes.ts) a durable coverage record (coverage.ts) says which local days are
 * covered and when. Two passes:
 * - incremental (`recent`: intraday types, `daily`: daily values, sessions, weight; `all`: both):
 *   intraday types ask for what is new since the newest stored point (minus
 *   sync.recent_overlap_minutes, to the minute) and, every sync.overlap_every_hours, re-read the
 *   whole local days from sync.overlap_hours before the newest synced instant; daily types re-read
 *   the last sync.recheck_days days — there is no change feed, and data arrives late after a phone
 *   sync (plan.ts incrementalWindows);
 * - backfill (`backfill`, `all`): newest first, window by window below the covered span, down to
 *   the first day with data. An empty window costs one more request: a probe for the newest point
 *   before it (pageSize 1; list answers newest first), which either jumps over the empty stretch
 *   or proves there is nothing older (backfill done). Every list follows nextPageToken through
 *   empty pages (the live API answers a past range with `{"nextPageToken":"…"}` first): only a
 *   final page (no token) without points ends a window or proves a probe empty (paging.ts guards
 *   against a server that keeps sending tokens). rollUp-only types (no probe possible) stop
 *   at the oldest data the list types found (or the store holds), else after a long empty run;
 *   always at sync.backfill_days.
 * Requests use the widest windows and largest pages (datatypes.ts: heart-rate 7 days a filter,
 * pageSize 10000).
 *
 * Crash safety: everything of one page — its samples, sessions, the raw page and the coverage
 * update (including the token of the next page) — commits in ONE store transaction. Writes are
 * idempotent merges, so a SIGKILL anywhere followed by a rerun gives the store an uninterrupted
 * run gives (test/sync/sigkill.test.ts kills at every failpoint and compares storeDigest).
 *
 * Errors of one type (a missing scope, a filter the API refuses) are reported for that type and
 * the others go on; an account-level problem (ReauthNeededError, 401 after a refresh, account not
 * linked, abort, a full disk) stops the account and is rethrown.
 */
import { randomBytes } from 'node:crypto';
import { ReauthNeededError } from '../../auth/oauth-client.js';
import type { Config } from '../../config/schema.js';
import { errText, InterruptedError, isAbortReason } from '../../errors.js';
import { StoreFullError, type Store } from '../../store/types.js';
import { failpoint } from '../../util/failpoints.js';
import type { Logger } from '../../util/log.js';
import { Zone, addDays, dayNumber, systemClock, type Clock } from '../../time/index.js';
import { applyPage, roundedOf } from './apply.js';
import type { HealthClient } from './client.js';
import { markCovered, maxDate, minDate, readCoverage, writeCoverage, type Coverage, type PendingWindow } from './coverage.js';
import { familyName, typesForMode, type DataTypeDef, type FilterMember, type SourceFamily } from './datatypes.js';
import { HealthApiError } from './errors.js';
import { mapPage, type MappedPage } from './mapping.js';
import { incrementalWindows, oldestStoredDay, planSync, type SyncMode, type SyncPlan } from './plan.js';
import { PageGuard } from './paging.js';
import { requestKey, rollUpBody, sendPage, windowFilter, type PageRequest, type WindowSpec } from './requests.js';

export type { SyncMode, SyncPlan } from './plan.js';
export { planSync } from './plan.js';

export interface SyncProgress {
  /** Requests sent so far. */
  done: number;
  /** Planned requests (an estimate; grows when the sync finds more). */
  total: number;
  requests: number;
  type: string;
}

export interface SyncOptions {
  store: Store;
  client: HealthClient;
  account: string;
  /** IANA zone of the account: daily records' local midnights, offsets where a point has none, local days of windows. */
  timezone: string;
  mode: SyncMode;
  /** Data type ids (`heart-rate`) or metric ids (`heart_rate`); default every type of the mode. */
  types?: string[];
  /** Only plan (no request, no write). */
  dryRun?: boolean;
  config: Config['sync'];
  /** For the plan's ETA; default 300. */
  quotaPerMinute?: number;
  logger?: Logger;
  /** Epoch ms; default Date.now. */
  now?: Clock;
  signal?: AbortSignal;
  onProgress?: (p: SyncProgress) => void;
  /** Stop (resumably) after this many requests (scheduled backfill slices). */
  maxRequests?: number;
  /**
   * Intraday types run their late-data re-read (sync.overlap_hours) when it is due (default true);
   * false: this pass asks only for what is new (the frequent recent pass of `run`).
   */
  lateOverlap?: boolean;
}

export interface TypeReport {
  requests: number;
  pages: number;
  points: number;
  added: number;
  changed: number;
  sessions: number;
  /** Malformed points skipped, values omitted or zero, unknown enum values. */
  skipped: number;
  zeros: number;
  unknownEnums: number;
  coveredFrom: string | null;
  coveredTo: string | null;
  backfillDone: boolean;
  /** The filter member in use (sleep: end_time or civil_start_time). */
  member: string | null;
  error?: string;
  /** HealthApiError reason, e.g. MISSING_OAUTH_SCOPE. */
  reason?: string;
}

export interface SyncReport {
  account: string;
  mode: SyncMode;
  requests: number;
  pages: number;
  added: number;
  changed: number;
  sessions: number;
  types: Record<string, TypeReport>;
  /** First warnings (malformed points), each naming type and page. */
  warnings: string[];
  /** Why the sync stopped early (budget, abort), else null. */
  stopped: 'budget' | null;
  plan?: { requests: number; etaSeconds: number };
  durationMs: number;
}

const MAX_REPORT_WARNINGS = 50;
/** rollUp types without a known data floor: stop the backfill after this many empty days once data was seen … */
const ROLLUP_EMPTY_RUN_DAYS = 60;
/** … or this many when none was ever seen. */
const ROLLUP_EMPTY_RUN_DAYS_NO_DATA = 120;
const FILTER_MEMBER_REASON = 'INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER';

class BudgetExhausted extends Error {
  constructor() {
    super('request budget exhausted');
  }
}

/**
 * Did the API refuse the filter member? The live body names every refused term: `detailedReasons`
 * comma-joined (one entry per term) and one field violation each, so any entry counts, and a
 * violation naming the member counts too (whatever the reasons say).
 */
function memberRefused(e: HealthApiError, def: DataTypeDef, member: FilterMember | null): boolean {
  if (e.detailedReasons.includes(FILTER_MEMBER_REASON)) return true;
  return member !== null && e.refusedMembers.includes(`${def.filterId}.${member.member}`);
}

/** Errors that concern the account, not one type: stop and rethrow. */
function isAccountLevel(e: unknown): boolean {
  if (e instanceof ReauthNeededError || e instanceof StoreFullError || e instanceof BudgetExhausted) return true;
  if (e instanceof HealthApiError) return e.kind === 'unauthenticated' || e.kind === 'account-not-linked';
  return isAbortReason(e);
}

interface TypeState {
  def: DataTypeDef;
  cov: Coverage;
  tr: TypeReport;
}

class AccountSync {
  private readonly zone: Zone;
  private readonly now: Clock;
  private readonly runAt: number;
  private readonly report: SyncReport;
  private planned = 0;
  private rollupFloorCache: { day: string; settled: boolean } | null | undefined;

  constructor(private readonly opts: SyncOptions) {
    this.zone = new Zone(opts.timezone);
    this.now = opts.now ?? systemClock;
    this.runAt = this.now();
    this.report = {
      account: opts.account,
      mode: opts.mode,
      requests: 0,
      pages: 0,
      added: 0,
      changed: 0,
      sessions: 0,
      types: {},
      warnings: [],
      stopped: null,
      durationMs: 0,
    };
  }

  private get store(): Store {
    return this.opts.store;
  }

  async run(): Promise<SyncReport> {
    const o = this.opts;
    const plan = planSync({
      store: o.store,
      account: o.account,
      timezone: o.timezone,
      mode: o.mode,
      config: o.config,
      now: this.now,
      ...(o.types ? { types: o.types } : {}),
      ...(o.quotaPerMinute !== undefined ? { quotaPerMinute: o.quotaPerMinute } : {}),
      ...(o.lateOverlap !== undefined ? { lateOverlap: o.lateOverlap } : {}),
    });
    this.report.plan = { requests: plan.requests, etaSeconds: plan.etaSeconds };
    this.planned = plan.requests;
    if (o.dryRun) return this.finish();
    if (!o.store.getAccount(o.account)) {
      o.store.write(() => o.store.setAccount({ name: o.account, profileId: null, timezone: o.timezone }));
    }
    failpoint('sync.start');
    const defs = typesForMode(o.mode, o.types);
    let first = true;
    for (const def of defs) {
      if (!first) failpoint('sync.between-types');
      first = false;
      this.checkAbort();
      const st: TypeState = { def, cov: readCoverage(o.store, o.account, def.id), tr: this.newTypeReport() };
      this.report.types[def.id] = st.tr;
      try {
        failpoint('sync.before-type');
        await this.syncType(st);
      } catch (e) {
        this.sumType(st);
        if (e instanceof BudgetExhausted) {
          this.report.stopped = 'budget';
          break;
        }
        if (isAccountLevel(e)) throw e;
        st.tr.error = errText(e);
        if (e instanceof HealthApiError && e.reason) st.tr.reason = e.reason;
        o.logger?.warn({ account: o.account, dataType: def.id, err: st.tr.error }, `sync of ${def.id} failed; the other types go on`);
        this.recordError(st, st.tr.error);
        continue;
      }
      this.sumType(st);
    }
    failpoint('sync.end');
    return this.finish();
  }

  private finish(): SyncReport {
    this.report.durationMs = Math.max(0, this.now() - this.runAt);
    return this.report;
  }

  private newTypeReport(): TypeReport {
    return {
      requests: 0,
      pages: 0,
      points: 0,
      added: 0,
      changed: 0,
      sessions: 0,
      skipped: 0,
      zeros: 0,
      unknownEnums: 0,
      coveredFrom: null,
      coveredTo: null,
      backfillDone: false,
      member: null,
    };
  }

  private sumType(st: TypeState): void {
    st.tr.coveredFrom = st.cov.from;
    st.tr.coveredTo = st.cov.to;
    st.tr.backfillDone = st.cov.backfillDone;
    st.tr.member = st.cov.member ?? st.def.members[0]?.member ?? null;
  }

  private recordError(st: TypeState, message: string): void {
    try {
      const next: Coverage = { ...st.cov, lastError: { at: this.now(), message: message.slice(0, 500) } };
      this.store.write(() => writeCoverage(this.store, this.opts.account, st.def.id, next));
      st.cov = next;
    } catch {
      /* the report has it */
    }
  }

  private checkAbort(): void {
    const s = this.opts.signal;
    if (s?.aborted) {
      const r: unknown = s.reason;
      throw r instanceof Error ? r : new InterruptedError('sync aborted');
    }
  }

  // ---- one type --------------------------------------------------------------------------------

  private async syncType(st: TypeState): Promise<void> {
    const mode = this.opts.mode;
    if (mode !== 'backfill') {
      const wins = incrementalWindows(st.def, st.cov, this.zone, this.now(), this.opts.config, this.opts.lateOverlap ?? true);
      let firstWin = true;
      for (const w of wins) {
        if (!firstWin) failpoint('sync.between-windows');
        firstWin = false;
        await this.fetchWindow(st, w, 'incremental');
      }
    }
    if (mode === 'backfill' || mode === 'all') await this.backfill(st);
  }

  private async backfill(st: TypeState): Promise<void> {
    const cfg = this.opts.config;
    const def = st.def;
    const today = this.zone.localDate(this.now());
    const floor = addDays(today, -cfg.backfill_days);
    let emptyRun = 0;
    let firstWin = true;
    while (!st.cov.backfillDone) {
      const cursor = st.cov.from ?? addDays(today, 1);
      let stopAt = floor;
      let settled = true;
      const rf = def.method === 'rollUp' ? this.rollupFloor() : null;
      if (rf !== null && rf.day > stopAt) {
        stopAt = rf.day;
        settled = rf.settled;
      }
      if (cursor <= stopAt) {
        // a floor only the store suggests (the list types' backfill is not finished) ends this run, not the backfill
        if (settled)
          this.commitCoverage(st, (c) => {
            c.backfillDone = true;
          });
        return;
      }
      if (!firstWin) failpoint('sync.between-windows');
      firstWin = false;
      let from = addDays(cursor, -def.windowDays);
      if (from < stopAt) from = stopAt;
      const win = { from, to: cursor };
      const points = await this.fetchWindow(st, win, 'backfill');
      if (points > 0) {
        emptyRun = 0;
        continue;
      }
      if (def.method === 'list') {
        await this.probe(st, win.from);
      } else {
        emptyRun += dayNumber(win.to) - dayNumber(win.from);
        const limit = st.cov.firstData !== null ? ROLLUP_EMPTY_RUN_DAYS : ROLLUP_EMPTY_RUN_DAYS_NO_DATA;
        if (this.rollupFloor() === null && emptyRun >= limit) {
          this.commitCoverage(st, (c) => {
            c.backfillDone = true;
          });
          return;
        }
      }
    }
  }

  /**
   * Where rollUp backfills stop: the oldest day with data of the intraday list types — settled when
   * all of them finished their backfill — else the oldest sample the store holds (not settled).
   */
  private rollupFloor(): { day: string; settled: boolean } | null {
    if (this.rollupFloorCache !== undefined) return this.rollupFloorCache;
    let floor: string | null = null;
    let all = true;
    for (const def of typesForMode('all')) {
      if (def.method !== 'list' || def.record === 'daily' || def.record === 'session') continue;
      const c = readCoverage(this.store, this.opts.account, def.id);
      if (!c.backfillDone) all = false;
      else if (c.firstData !== null) floor = minDate(floor, c.firstData);
    }
    const stored = oldestStoredDay(this.store, this.opts.account, this.zone);
    let out: { day: string; settled: boolean } | null = null;
    if (all && floor !== null) out = { day: floor, settled: true };
    else if (minDate(floor, stored) !== null) out = { day: minDate(floor, stored) as string, settled: false };
    this.rollupFloorCache = out;
    return out;
  }

  private member(st: TypeState): FilterMember | null {
    const m = st.def.members;
    if (!m.length) return null;
    return m.find((x) => x.member === st.cov.member) ?? m[0]!;
  }

  private buildRequest(
    st: TypeState,
    win: WindowSpec,
    member: FilterMember | null,
    page: number,
    pageToken: string | undefined,
    family?: SourceFamily,
  ): PageRequest {
    const def = st.def;
    const base = { dataType: def.id, pageSize: def.maxPageSize, page, from: win.from, to: win.to, tz: this.opts.timezone };
    if (def.method === 'rollUp') {
      return { ...base, method: 'rollUp', body: rollUpBody(def, win, this.zone, family), ...(pageToken !== undefined ? { pageToken } : {}) };
    }
    return { ...base, method: 'list', filter: windowFilter(def, member as FilterMember, win, this.zone), ...(pageToken !== undefined ? { pageToken } : {}) };
  }

  private countRequest(st: TypeState): void {
    if (this.opts.maxRequests !== undefined && this.report.requests >= this.opts.maxRequests) throw new BudgetExhausted();
    this.report.requests++;
    st.tr.requests++;
    if (this.report.requests > this.planned) this.planned = this.report.requests;
  }

  private progress(st: TypeState): void {
    this.opts.onProgress?.({ done: this.report.requests, total: this.planned, requests: this.report.requests, type: st.def.id });
  }

  /**
   * Sends a request built for the type's current filter member; on INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER
   * switches to the next member (sleep) and tries again. Returns the answer and the member used.
   */
  private async send(
    st: TypeState,
    build: (m: FilterMember | null) => PageRequest,
  ): Promise<{ req: PageRequest; body: unknown; raw: string; fetchedAt: number; member: FilterMember | null }> {
    let member = this.member(st);
    for (;;) {
      const req = build(member);
      this.checkAbort();
      this.countRequest(st);
      failpoint('sync.before-request');
      try {
        const r = await sendPage(this.opts.client, req);
        const fetchedAt = this.now();
        this.progress(st);
        failpoint('sync.after-request');
        return { req, body: r.body, raw: r.raw, fetchedAt, member };
      } catch (e) {
        this.progress(st);
        const members = st.def.members;
        const i = member ? members.indexOf(member) : -1;
        if (e instanceof HealthApiError && memberRefused(e, st.def, member) && i >= 0 && i + 1 < members.length) {
          const next = members[i + 1]!;
          this.opts.logger?.info(
            { account: this.opts.account, dataType: st.def.id, refused: member?.member, next: next.member },
            `${st.def.id}: the API refused the filter member ${member?.member}; trying ${next.member}`,
          );
          failpoint('sync.filter-fallback');
          member = next;
          st.cov = { ...st.cov, member: next.member, window: null };
          continue;
        }
        throw e;
      }
    }
  }

  /**
   * Fetches every page of a window (rollUp types: of each source family in turn, datatypes.ts
   * `families`); returns the number of data points (windows) it held.
   */
  private async fetchWindow(st: TypeState, win: WindowSpec, phase: 'backfill' | 'incremental'): Promise<number> {
    const families: (SourceFamily | undefined)[] = st.def.method === 'rollUp' && st.def.families?.length ? [...st.def.families] : [undefined];
    const pend = st.cov.window;
    const resume =
      pend &&
      pend.phase === phase &&
      pend.from === win.from &&
      pend.to === win.to &&
      pend.fromInstant === win.fromInstant &&
      pend.member === (this.member(st)?.member ?? null) &&
      families.includes(pend.family)
        ? pend
        : null;
    let fi = resume ? families.indexOf(resume.family) : 0;
    let family = families[fi];
    // '' = the first page of the pending family
    let pageToken: string | undefined = resume?.pageToken || undefined;
    let page = resume?.pages ?? 0;
    let points = resume?.points ?? 0;
    const fetchId = resume?.fetchId ?? `${this.runAt.toString(36)}-${randomBytes(4).toString('hex')}`;
    // only a page without a token ends the window: empty pages with a token are followed (paging.ts)
    const guard = new PageGuard(`${st.def.id} ${win.from}..${addDays(win.to, -1)}`, page);
    for (;;) {
      let got;
      try {
        got = await this.send(st, (m) => this.buildRequest(st, win, m, page, pageToken, family));
      } catch (e) {
        // a page token from a killed run the API no longer accepts: start the window again
        if (pageToken !== undefined && e instanceof HealthApiError && e.kind === 'invalid-argument' && /page.?token/i.test(e.message)) {
          this.opts.logger?.info({ dataType: st.def.id, from: win.from, to: win.to }, 'stale page token; fetching the window again');
          pageToken = undefined;
          page = 0;
          points = 0;
          continue;
        }
        throw e;
      }
      const label = `page ${page + 1} of ${win.from}..${addDays(win.to, -1)}${family ? ` (${family})` : ''}`;
      const mapped = mapPage(st.def, got.body, {
        account: this.opts.account,
        zone: this.zone,
        page: label,
        ...(family ? { family: familyName(family) } : {}),
      });
      failpoint('sync.after-map');
      points += mapped.points;
      const lastPage = mapped.nextPageToken === null;
      const last = lastPage && fi === families.length - 1;
      const memberName = got.member?.member ?? null;
      const newest = newestInstant(mapped, got.fetchedAt);
      this.commitPage(
        st,
        got.req,
        got.raw,
        got.fetchedAt,
        mapped,
        fetchId,
        (c) => {
          c.member = memberName;
          c.firstData = minDate(c.firstData, mapped.minDay);
          c.lastData = maxDate(c.lastData, mapped.maxDay);
          if (newest !== null && (c.newestPoint === null || newest > c.newestPoint)) c.newestPoint = newest;
          c.lastError = null;
          if (!last) {
            const w: PendingWindow = {
              phase,
              from: win.from,
              to: win.to,
              member: memberName,
              // the family's next page, or the next family's first page ('')
              pageToken: lastPage ? '' : (mapped.nextPageToken as string),
              pages: page + 1,
              points,
              fetchId,
            };
            const nextFamily = lastPage ? families[fi + 1] : family;
            if (nextFamily !== undefined) w.family = nextFamily;
            if (win.fromInstant !== undefined) w.fromInstant = win.fromInstant;
            c.window = w;
            return;
          }
          c.window = null;
          markCovered(c, win.from, win.to, this.runAt);
          const reach = Math.min(got.fetchedAt, this.zone.midnightOfDate(win.to));
          if (win.to > this.zone.localDate(this.runAt) || c.syncedUntil === null) c.syncedUntil = Math.max(c.syncedUntil ?? -Infinity, reach);
          // a re-read of whole days (not one from an instant) is the late-data re-read of an intraday type
          if (phase === 'incremental' && st.def.group === 'recent' && win.fromInstant === undefined) c.overlapAt = this.runAt;
        },
        // a window from an instant holds part of its first day: it supersedes no older page
        last && win.fromInstant === undefined ? win : null,
      );
      failpoint('sync.after-commit');
      try {
        guard.next(mapped.points, mapped.nextPageToken);
      } catch (e) {
        // a looping server: the next run fetches the window afresh instead of resuming the loop
        this.commitCoverage(st, (c) => {
          c.window = null;
        });
        throw e;
      }
      if (last) return points;
      failpoint('sync.between-pages');
      if (lastPage) {
        fi++;
        family = families[fi];
        pageToken = undefined;
      } else pageToken = mapped.nextPageToken as string;
      page++;
    }
  }

  /**
   * The backfill met an empty window [from, …): asks for the newest point before it and jumps there
   * (or ends). The answer may come after empty pages carrying a token (seen live over past ranges):
   * only a FINAL page (no token) without points proves there is nothing older.
   */
  private async probe(st: TypeState, before: string): Promise<void> {
    failpoint('sync.before-probe');
    const guard = new PageGuard(`${st.def.id} probe before ${before}`);
    let pageToken: string | undefined;
    let got: Awaited<ReturnType<AccountSync['send']>>;
    let mapped: MappedPage;
    for (let page = 0; ; page++) {
      const token = pageToken;
      got = await this.send(st, (m) => ({
        method: 'list',
        dataType: st.def.id,
        filter: windowFilter(st.def, m as FilterMember, { to: before }, this.zone),
        pageSize: 1,
        page,
        from: '',
        to: before,
        tz: this.opts.timezone,
        ...(token !== undefined ? { pageToken: token } : {}),
      }));
      mapped = mapPage(st.def, got.body, { account: this.opts.account, zone: this.zone, page: `probe before ${before}, page ${page + 1}` });
      if (mapped.points > 0 || mapped.nextPageToken === null) break;
      guard.next(mapped.points, mapped.nextPageToken);
      pageToken = mapped.nextPageToken;
    }
    failpoint('sync.after-probe');
    const memberName = got.member?.member ?? null;
    if (mapped.points === 0 || mapped.maxDay === null) {
      this.commitCoverage(st, (c) => {
        c.member = memberName;
        c.backfillDone = true;
      });
      this.opts.logger?.info(
        { account: this.opts.account, dataType: st.def.id, firstData: st.cov.firstData },
        `${st.def.id}: backfill complete (no data before ${before})`,
      );
      return;
    }
    // everything in [newest older point's day + 1, before) is known to be empty
    let next = addDays(mapped.maxDay, 1);
    if (next > before) next = before;
    this.commitCoverage(st, (c) => {
      c.member = memberName;
      if (next < before) markCovered(c, next, before, this.runAt);
    });
  }

  // ---- transactions ---------------------------------------------------------------------------

  private commitCoverage(st: TypeState, change: (c: Coverage) => void): void {
    const next: Coverage = structuredClone(st.cov);
    change(next);
    this.store.write(() => {
      writeCoverage(this.store, this.opts.account, st.def.id, next);
      failpoint('sync.tx-before-commit');
    });
    st.cov = next;
  }

  /** One page: raw page, samples, sessions and the coverage update in ONE transaction. */
  private commitPage(
    st: TypeState,
    req: PageRequest,
    raw: string,
    fetchedAt: number,
    mapped: MappedPage,
    fetchId: string,
    change: (c: Coverage) => void,
    completed: WindowSpec | null,
  ): void {
    const o = this.opts;
    const next: Coverage = structuredClone(st.cov);
    change(next);
    const r = this.store.write(() => {
      failpoint('sync.tx-begin');
      if (o.config.keep_raw_pages) {
        this.store.putRawPage({
          account: o.account,
          dataType: st.def.id,
          requestKey: requestKey(req),
          request: JSON.stringify(req),
          windowFrom: req.from,
          windowTo: req.to,
          fetchId,
          fetchedAt,
          body: raw,
        });
        // a complete fetch of a window supersedes older fetches of windows inside it
        if (completed) this.store.pruneRawPages(o.account, st.def.id, completed.from, completed.to, fetchId);
      }
      failpoint('sync.tx-after-raw-page');
      const res = applyPage(this.store, o.account, mapped, fetchedAt, { afterSamples: () => failpoint('sync.tx-after-samples'), rounded: roundedOf(st.def) });
      failpoint('sync.tx-after-sessions');
      writeCoverage(this.store, o.account, st.def.id, next);
      failpoint('sync.tx-before-commit');
      return res;
    });
    st.cov = next;
    const tr = st.tr;
    tr.pages++;
    tr.points += mapped.points;
    tr.added += r.added;
    tr.changed += r.changed;
    tr.sessions += r.sessions;
    tr.skipped += mapped.skipped;
    tr.zeros += mapped.zeros;
    tr.unknownEnums += mapped.unknownEnums;
    this.report.pages++;
    this.report.added += r.added;
    this.report.changed += r.changed;
    this.report.sessions += r.sessions;
    for (const w of mapped.warnings) {
      o.logger?.warn({ account: o.account, dataType: st.def.id }, w);
      if (this.report.warnings.length < MAX_REPORT_WARNINGS) this.report.warnings.push(w);
    }
    if (mapped.unknownEnums)
      o.logger?.info({ account: o.account, dataType: st.def.id, count: mapped.unknownEnums }, 'enum values unknown to the bridge mapped to "unknown"');
  }
}

/** The newest sample instant of a page, not after the fetch (a clock-skewed point does not move the next pass's start past now). */
function newestInstant(mapped: MappedPage, fetchedAt: number): number | null {
  let n: number | null = null;
  for (const s of mapped.series.values()) for (const x of s.samples) if (x.t <= fetchedAt && (n === null || x.t > n)) n = x.t;
  return n;
}

/** Syncs one account (see the module comment). ReauthNeededError and other account-level errors are rethrown. */
export async function syncAccount(opts: SyncOptions): Promise<SyncReport> {
  return new AccountSync(opts).run();
}

/** `planSync` with the options of `syncAccount` (what `sync --dry-run` shows). */
export function planAccount(opts: Omit<SyncOptions, 'client'>): SyncPlan {
  return planSync({
    store: opts.store,
    account: opts.account,
    timezone: opts.timezone,
    mode: opts.mode,
    config: opts.config,
    ...(opts.types ? { types: opts.types } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.quotaPerMinute !== undefined ? { quotaPerMinute: opts.quotaPerMinute } : {}),
  });
}
