/**
 * The dump sink: every local day of every metric as one file, written incrementally.
 *
 * Layout (one account): `<dir>/<metric>/<YYYY-MM-DD>.csv|jsonl`, and the day's figures in
 * `<dir>/summary/<YYYY-MM-DD>.csv|jsonl` (summary.ts); several accounts: `<dir>/<account>/<metric>/…`.
 * Plus `<dir>/manifest.json` and the state file `<dir>/.fitbit-bridge-dump.json`.
 *
 * Which file a record lands in:
 * - samples (intraday and daily metrics): the LOCAL date of the sample, i.e. the date of
 *   `t + offset` with the sample's own stored offset (travel and DST handled per sample);
 * - sleep: the local date of the session END (the morning you woke up), so a night that starts
 *   at 23:00 on the 5th is in `sleep/<6th>.csv`, next to that day's resting heart rate;
 * - exercise: the local date of the session START.
 *
 * Incremental: the state file remembers the store's change sequence and the settings. The next
 * run with the same settings re-renders only the local days touched by blocks / sessions changed
 * since then (a UTC day block d → local days d-1..d+1), keeps byte-identical files untouched,
 * and removes files of days that no longer have data. Otherwise (no state, settings changed) it
 * re-renders every day. Files are only ever removed when the dump itself wrote them (state file
 * or journal); the state file is written last, so a crash just redoes the work next time.
 */
import { readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMetricId, METRICS, metric as metricDef, type MetricDef, type MetricId, type SessionKind } from '../../metrics/registry.js';
import type { SeriesKey, StoredSession, Store } from '../../store/types.js';
import { DAY_MS, dateOfDay, localDayAtOffset } from '../../time/index.js';
import type { Logger } from '../../util/log.js';
import { mkdirPrivate } from '../../util/private-fs.js';
import {
  columnsOf,
  compareRaw,
  compareRows,
  dateToDay,
  exerciseRow,
  renderFile,
  renderSamples,
  sleepRows,
  stableJson,
  type DumpFormat,
  type RawSample,
  type Row,
} from './format.js';
import { createProgress } from './progress.js';
import { feedsSummary, renderSummary, SUMMARY_COLUMNS, SUMMARY_FOLDER, summaryRows } from './summary.js';
import {
  appendJournal,
  DUMP_LAYOUT_VERSION,
  readJournal,
  readState,
  removeJournal,
  sameSettings,
  STATE_FILE,
  writeFileAtomic,
  writeState,
  type DumpSettings,
  type DumpState,
} from './state.js';

export interface DumpOptions {
  store: Store;
  dir: string;
  /** Default: every account; with several accounts the layout is <dir>/<account>/<metric>/…, with one <dir>/<metric>/…. */
  account?: string;
  /** Local dates YYYY-MM-DD, inclusive. */
  from?: string;
  to?: string;
  metrics?: MetricId[];
  format: 'csv' | 'jsonl';
  logger: Logger;
  progress?: boolean;
  /** Also write the sleep versions that are not counted (dump --sleep-alternatives / dump.sleep_alternatives). */
  sleepAlternatives?: boolean;
}

export interface DumpSummary {
  /** Absolute dump root. */
  dir: string;
  /** Day files written (created or changed) by this run. */
  filesWritten: number;
  /** Day files re-rendered by this run whose content was already on disk byte for byte. */
  filesUnchanged: number;
  /** Day files (written by an earlier dump) removed by this run. */
  filesRemoved: number;
  /** Distinct local dates with at least one file in the dump after this run. */
  days: number;
  /** Per metric id (all accounts together), the dump's content after this run: files, rows, first and last local date. */
  metrics: Record<string, { files: number; samples: number; first: string | null; last: string | null }>;
  /** Store change sequence the dump now reflects. */
  seq: number;
  /** First run or settings changed: every day was re-rendered. */
  full: boolean;
}

export const MANIFEST_FILE = 'manifest.json';
/** Target days rendered together (one store read per series per chunk; bounds memory). */
const CHUNK_DAYS = 7;

interface Target {
  account: string;
  /** Account folder ('' in the flat layout). */
  folder: string;
  def: MetricDef;
  days: Set<number>;
}

const pkgVersion = readPackageVersion();

function readPackageVersion(): string {
  try {
    const here = dirname(fileURLToPath(import.meta.url));
    const pkg = JSON.parse(readFileSync(join(here, '..', '..', '..', 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** File-system-safe folder name of an account. */
export function accountFolder(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._@+-]/g, '_');
  return s === '' || s.startsWith('.') ? `_${s}` : s;
}

function fileDayOfSession(s: StoredSession): number {
  return s.kind === 'sleep' ? localDayAtOffset(s.end, s.endOffset) : localDayAtOffset(s.start, s.startOffset);
}

export async function runDump(opts: DumpOptions): Promise<DumpSummary> {
  const { store, logger } = opts;
  const format: DumpFormat = opts.format;
  if (format !== 'csv' && format !== 'jsonl') throw new Error(`format: expected csv or jsonl, got ${JSON.stringify(format)}`);
  const fromDay = opts.from !== undefined ? dateToDay(opts.from, '--from') : null;
  const toDay = opts.to !== undefined ? dateToDay(opts.to, '--to') : null;
  if (fromDay !== null && toDay !== null && fromDay > toDay) throw new Error(`--from ${opts.from} is after --to ${opts.to}`);
  const inRange = (d: number): boolean => (fromDay === null || d >= fromDay) && (toDay === null || d <= toDay);

  const metricIds: MetricId[] = opts.metrics && opts.metrics.length > 0 ? [...new Set(opts.metrics)] : METRICS.map((m) => m.id);
  for (const id of metricIds) {
    if (!isMetricId(id)) throw new Error(`--metric: unknown metric ${JSON.stringify(id)}; known: ${METRICS.map((m) => m.id).join(', ')}`);
  }
  metricIds.sort();
  const defs = metricIds.map((id) => metricDef(id));

  const dir = resolve(opts.dir);
  mkdirPrivate(dir); // 0700 when new (health data); an existing folder keeps its mode

  // Taken before reading anything: whatever changes while we read is seen again next run.
  const seq = store.currentSeq();

  // ---- accounts and layout --------------------------------------------------------------------
  const accountInfos = store.accounts();
  const known = new Set<string>([...accountInfos.map((a) => a.name), ...store.listSeries().map((s) => s.account)]);
  let accounts: string[];
  if (opts.account !== undefined) {
    if (!known.has(opts.account)) {
      throw new Error(`--account: no account ${JSON.stringify(opts.account)} in ${store.path}; known: ${[...known].sort().join(', ') || '(none)'}`);
    }
    accounts = [opts.account];
  } else {
    accounts = [...known].sort();
  }
  const nested = accounts.length > 1;
  const folders = new Map<string, string>();
  const usedFolders = new Set<string>();
  for (const a of accounts) {
    let f = nested ? accountFolder(a) : '';
    for (let i = 2; nested && usedFolders.has(f); i++) f = `${accountFolder(a)}-${i}`;
    usedFolders.add(f);
    folders.set(a, f);
  }
  const tzOf = new Map<string, string | null>(accounts.map((a) => [a, accountInfos.find((x) => x.name === a)?.timezone ?? null]));
  const alternatives = opts.sleepAlternatives === true;

  const settings: DumpSettings = {
    layoutVersion: DUMP_LAYOUT_VERSION,
    store: resolve(store.path),
    format,
    from: opts.from ?? null,
    to: opts.to ?? null,
    metrics: metricIds,
    accounts,
    sleepAlternatives: opts.sleepAlternatives === true,
    sleepVersion: store.sleepVersion(),
  };

  // ---- previous state -------------------------------------------------------------------------
  const { state: prev, problem } = readState(dir);
  if (problem) logger.warn(problem);
  // A store change sequence below the remembered one means another (re-created) store: start over.
  const full = !prev || !sameSettings(prev.settings, settings) || prev.seq > seq;
  const owned = new Set<string>([...(prev ? Object.keys(prev.files) : []), ...readJournal(dir)]);
  const files = new Map<string, number>(full || !prev ? [] : Object.entries(prev.files));
  logger.info(
    { dir, full, sinceSeq: prev?.seq ?? null, seq },
    full
      ? `dump: full run into ${dir} (${!prev ? 'no previous dump state' : prev.seq > seq ? 'the store is older than the dump' : 'settings changed'})`
      : `dump: incremental run into ${dir} (changes since seq ${prev?.seq})`,
  );

  // ---- plan: which local days to render, per account and metric ------------------------------
  const targets = new Map<string, Target>();
  const targetOf = (account: string, id: MetricId): Target | undefined => targets.get(`${account}\u0000${id}`);
  for (const a of accounts) {
    for (const def of defs) targets.set(`${a}\u0000${def.id}`, { account: a, folder: folders.get(a) ?? '', def, days: new Set() });
  }
  const addWindow = (t: Target | undefined, lo: number, hi: number): void => {
    if (!t) return;
    for (let d = lo; d <= hi; d++) if (inRange(d)) t.days.add(d);
  };
  const rangeLo = fromDay !== null ? fromDay * DAY_MS - DAY_MS : undefined;
  const rangeHi = toDay !== null ? (toDay + 1) * DAY_MS + DAY_MS : undefined;

  if (full || !prev) {
    for (const t of targets.values()) {
      if (t.def.kind === 'session') {
        for (const s of store.sessions(t.account, t.def.id as SessionKind, rangeLo, rangeHi, { resolve: !(alternatives && t.def.id === 'sleep') })) {
          const d = fileDayOfSession(s);
          if (inRange(d)) t.days.add(d);
        }
      } else {
        for (const s of store.listSeries({ account: t.account, metric: t.def.id })) {
          for (const d of store.days({ account: s.account, metric: s.metric, source: s.source })) addWindow(t, d - 1, d + 1);
        }
      }
    }
  } else {
    for (const b of store.changedBlocks(prev.seq)) addWindow(targetOf(b.key.account, b.key.metric), b.day - 1, b.day + 1);
    for (const s of store.changedSessions(prev.seq)) {
      addWindow(targetOf(s.account, s.kind), localDayAtOffset(s.start, s.startOffset) - 1, localDayAtOffset(s.end, s.endOffset) + 1);
    }
  }

  // ---- render ---------------------------------------------------------------------------------
  let filesWritten = 0;
  let filesUnchanged = 0;
  const ext = format === 'csv' ? 'csv' : 'jsonl';
  const relOf = (t: Target, day: number): string => `${t.folder ? `${t.folder}/` : ''}${t.def.id}/${dateOfDay(day)}.${ext}`;
  const madeDirs = new Set<string>();

  /** Writes one day file (or drops it from the dump when it has no rows). */
  const emit = (t: Target, day: number, rowCount: number, render: () => string): void => emitRel(relOf(t, day), rowCount, render);
  const emitRel = (rel: string, rowCount: number, render: () => string): void => {
    if (rowCount === 0) {
      files.delete(rel); // removed below if an earlier dump wrote it
      return;
    }
    const content = Buffer.from(render(), 'utf8');
    files.set(rel, rowCount);
    const abs = join(dir, ...rel.split('/'));
    let existing: Buffer | null = null;
    try {
      existing = readFileSync(abs);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (existing && existing.equals(content)) {
      filesUnchanged++;
      return;
    }
    const folder = dirname(abs);
    if (!madeDirs.has(folder)) {
      mkdirPrivate(folder);
      madeDirs.add(folder);
    }
    if (!owned.has(rel)) {
      appendJournal(dir, rel); // before the file exists: a crash never leaves a file we do not know we wrote
      owned.add(rel);
    }
    writeFileAtomic(abs, content);
    filesWritten++;
  };

  // day summaries: the days of every target feeding them (additive, daily-kind, sleep, exercise) are re-rendered
  const summaryDays = new Map<string, Set<number>>(accounts.map((a) => [a, new Set<number>()]));
  for (const t of targets.values()) {
    if (!feedsSummary(t.def)) continue;
    const set = summaryDays.get(t.account);
    if (set) for (const d of t.days) set.add(d);
  }
  const totalDays = [...targets.values()].reduce((n, t) => n + t.days.size, 0) + [...summaryDays.values()].reduce((n, s) => n + s.size, 0);
  const progress = createProgress(totalDays, logger, opts.progress === true);
  let lastYield = Date.now();
  try {
    for (const t of targets.values()) {
      if (t.days.size === 0) continue;
      const series: SeriesKey[] =
        t.def.kind === 'session'
          ? []
          : store.listSeries({ account: t.account, metric: t.def.id }).map((s) => ({ account: s.account, metric: s.metric, source: s.source }));
      for (const chunk of chunks([...t.days].sort((a, b) => a - b))) {
        const first = chunk[0] ?? 0;
        const last = chunk[chunk.length - 1] ?? first;
        const want = new Set(chunk);
        // Sessions become rows at once (few); samples stay raw until their day is printed.
        const byDay = new Map<number, Row[]>(chunk.map((d) => [d, []]));
        const rawByDay = new Map<number, RawSample[]>();
        // Local day D holds instants within one day either side of its UTC day (|offset| < 24 h).
        const lo = first * DAY_MS - DAY_MS;
        const hi = (last + 1) * DAY_MS + DAY_MS;
        if (t.def.kind === 'session') {
          const tz = tzOf.get(t.account) ?? null;
          const chosen = store.sessions(t.account, t.def.id as SessionKind, lo, hi);
          // sleep alternatives: every stored version; the chosen ones as chosen (main / nap decided)
          const all = alternatives && t.def.id === 'sleep' ? store.sessions(t.account, 'sleep', lo, hi, { resolve: false }) : chosen;
          const chosenById = new Map(chosen.map((s) => [s.id, s]));
          for (const stored of all) {
            const s = chosenById.get(stored.id) ?? stored;
            const d = fileDayOfSession(s);
            if (!want.has(d)) continue;
            const rows = byDay.get(d);
            if (!rows) continue;
            if (s.kind === 'sleep') rows.push(...sleepRows(s, tz, alternatives ? { chosen: chosenById.has(s.id) } : undefined));
            else rows.push(exerciseRow(s));
          }
        } else {
          for (const key of series) {
            for (const smp of store.iterateSamples(key, lo, hi)) {
              const d = localDayAtOffset(smp.t, smp.offset);
              if (!want.has(d)) continue;
              let raw = rawByDay.get(d);
              if (!raw) rawByDay.set(d, (raw = []));
              raw.push({ t: smp.t, offset: smp.offset, v: smp.v, source: key.source });
            }
          }
        }
        for (const d of chunk) {
          const raw = rawByDay.get(d);
          if (raw) {
            emit(t, d, raw.length, () => renderSamples(format, raw.sort(compareRaw)));
          } else {
            const rows = byDay.get(d) ?? [];
            const kind = t.def.kind === 'session' ? (t.def.id as SessionKind) : 'sample';
            emit(t, d, rows.length, () => renderFile(format, columnsOf(kind, alternatives), rows.sort(compareRows)));
          }
          byDay.delete(d);
          rawByDay.delete(d);
          progress.tick(`${t.folder ? `${t.account} ` : ''}${t.def.id} ${dateOfDay(d)}`);
        }
        if (Date.now() - lastYield > 100) {
          // Let the progress bar redraw and signals through; no store iterator is open here.
          await new Promise<void>((r) => setImmediate(r));
          lastYield = Date.now();
        }
      }
    }
    for (const account of accounts) {
      const folder = folders.get(account) ?? '';
      for (const chunk of chunks([...(summaryDays.get(account) ?? [])].sort((a, b) => a - b))) {
        const byDay = summaryRows(store, account, chunk, defs);
        for (const d of chunk) {
          const rows = byDay.get(d) ?? [];
          emitRel(`${folder ? `${folder}/` : ''}${SUMMARY_FOLDER}/${dateOfDay(d)}.${ext}`, rows.length, () => renderSummary(format, rows));
          progress.tick(`${folder ? `${account} ` : ''}${SUMMARY_FOLDER} ${dateOfDay(d)}`);
        }
        if (Date.now() - lastYield > 100) {
          await new Promise<void>((r) => setImmediate(r));
          lastYield = Date.now();
        }
      }
    }
  } finally {
    progress.stop();
  }

  // ---- remove what the dump wrote earlier but does not produce now ---------------------------
  let filesRemoved = 0;
  const touchedDirs = new Set<string>();
  for (const rel of owned) {
    if (files.has(rel)) continue;
    const abs = join(dir, ...rel.split('/'));
    try {
      rmSync(abs);
      filesRemoved++;
      touchedDirs.add(dirname(abs));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  // Folders emptied by the removal (never the dump root; non-empty folders stay).
  for (const d of [...touchedDirs].sort((a, b) => b.length - a.length)) removeEmptyUpTo(d, dir);

  // ---- manifest, state ------------------------------------------------------------------------
  const summary = summarize(dir, files, defs, { filesWritten, filesUnchanged, filesRemoved, seq, full });
  writeManifest(
    dir,
    buildManifest({ format, nested, accounts, folders, tzOf, fromDate: opts.from ?? null, toDate: opts.to ?? null, defs, files, alternatives }),
  );
  const state: DumpState = {
    generator: 'fitbit-bridge',
    stateVersion: 1,
    seq,
    settings,
    files: Object.fromEntries([...files.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))),
  };
  writeState(dir, state);
  removeJournal(dir);
  logger.info({ ...summary, metrics: undefined }, `dump: ${filesWritten} written, ${filesUnchanged} unchanged, ${filesRemoved} removed`);
  return summary;
}

/** Sorted days → groups spanning at most CHUNK_DAYS days. */
function* chunks(days: number[]): Generator<number[]> {
  let cur: number[] = [];
  for (const d of days) {
    const head = cur[0];
    if (head !== undefined && d - head >= CHUNK_DAYS) {
      yield cur;
      cur = [];
    }
    cur.push(d);
  }
  if (cur.length > 0) yield cur;
}

function removeEmptyUpTo(folder: string, root: string): void {
  let d = folder;
  for (;;) {
    const r = relative(root, d);
    if (r === '' || r.startsWith('..') || isAbsolute(r)) return;
    try {
      if (readdirSync(d).length > 0) return;
      rmdirSync(d);
    } catch {
      return;
    }
    d = dirname(d);
  }
}

interface ParsedRel {
  folder: string;
  metric: string;
  date: string;
}

function parseRel(rel: string): ParsedRel | null {
  const parts = rel.split('/');
  const file = parts[parts.length - 1] ?? '';
  const date = file.replace(/\.(csv|jsonl)$/, '');
  if (parts.length === 2) return { folder: '', metric: parts[0] ?? '', date };
  if (parts.length === 3) return { folder: parts[0] ?? '', metric: parts[1] ?? '', date };
  return null;
}

interface Tally {
  files: number;
  samples: number;
  first: string | null;
  last: string | null;
}

function tally(into: Tally, rows: number, date: string): void {
  into.files++;
  into.samples += rows;
  if (into.first === null || date < into.first) into.first = date;
  if (into.last === null || date > into.last) into.last = date;
}

function summarize(
  dir: string,
  files: Map<string, number>,
  defs: MetricDef[],
  run: { filesWritten: number; filesUnchanged: number; filesRemoved: number; seq: number; full: boolean },
): DumpSummary {
  const metrics: DumpSummary['metrics'] = {};
  for (const d of defs) metrics[d.id] = { files: 0, samples: 0, first: null, last: null };
  const dates = new Set<string>();
  for (const [rel, rows] of files) {
    const p = parseRel(rel);
    if (!p) continue;
    dates.add(p.date);
    const m = metrics[p.metric];
    if (m) tally(m, rows, p.date);
  }
  return { dir, ...run, days: dates.size, metrics };
}

interface ManifestInput {
  format: DumpFormat;
  nested: boolean;
  accounts: string[];
  folders: Map<string, string>;
  tzOf: Map<string, string | null>;
  fromDate: string | null;
  toDate: string | null;
  defs: MetricDef[];
  files: Map<string, number>;
  alternatives: boolean;
}

function buildManifest(m: ManifestInput): Record<string, unknown> {
  const ext = m.format === 'csv' ? 'csv' : 'jsonl';
  const perMetric = new Map<string, { all: Tally; byFolder: Map<string, Tally> }>();
  for (const d of m.defs) perMetric.set(d.id, { all: { files: 0, samples: 0, first: null, last: null }, byFolder: new Map() });
  for (const [rel, rows] of m.files) {
    const p = parseRel(rel);
    const e = p ? perMetric.get(p.metric) : undefined;
    if (!p || !e) continue;
    tally(e.all, rows, p.date);
    let f = e.byFolder.get(p.folder);
    if (!f) e.byFolder.set(p.folder, (f = { files: 0, samples: 0, first: null, last: null }));
    tally(f, rows, p.date);
  }
  const metrics: Record<string, unknown> = {};
  for (const d of m.defs) {
    const e = perMetric.get(d.id);
    const kind = d.kind === 'session' ? (d.id as SessionKind) : 'sample';
    const entry: Record<string, unknown> = {
      title: d.title,
      description: d.description,
      unit: d.unit,
      kind: d.kind,
      columns: columnsOf(kind, m.alternatives),
      files: e?.all.files ?? 0,
      rows: e?.all.samples ?? 0,
      first: e?.all.first ?? null,
      last: e?.all.last ?? null,
    };
    if (m.nested) {
      const acc: Record<string, unknown> = {};
      for (const a of m.accounts) {
        const t = e?.byFolder.get(m.folders.get(a) ?? '');
        acc[a] = { files: t?.files ?? 0, rows: t?.samples ?? 0, first: t?.first ?? null, last: t?.last ?? null };
      }
      entry.accounts = acc;
    }
    metrics[d.id] = entry;
  }
  const timezones = [...new Set(m.accounts.map((a) => m.tzOf.get(a)).filter((z): z is string => typeof z === 'string'))].sort();
  return {
    generator: 'fitbit-bridge',
    version: pkgVersion,
    generated: new Date().toISOString(),
    format: m.format,
    layout: `${m.nested ? '<account>/' : ''}<metric>/<YYYY-MM-DD>.${ext}`,
    dayRule:
      'One file per local calendar day. Samples: the local date of each sample (its UTC instant plus its own stored UTC offset). ' +
      'Sleep: the local date of the session end (the morning you woke up). Exercise: the local date of the session start. ' +
      'Timestamps are ISO 8601 with the UTC offset in force at that instant.',
    from: m.fromDate,
    to: m.toDate,
    timezones,
    accounts: m.accounts.map((a) => ({ name: a, folder: m.folders.get(a) || '.', timezone: m.tzOf.get(a) ?? null })),
    metrics,
    summary: {
      layout: `${m.nested ? '<account>/' : ''}${SUMMARY_FOLDER}/<YYYY-MM-DD>.${ext}`,
      columns: SUMMARY_COLUMNS,
      rule:
        'One row per figure of the local day: additive totals by metric id merged per minute across sources (source empty), ' +
        'sleep_main_* / sleep_nap_* and exercise in seconds (source empty), daily values by metric id from the highest-ranked source (source named).',
      files: [...m.files.keys()].filter((rel) => parseRel(rel)?.metric === SUMMARY_FOLDER).length,
    },
  };
}

/** Writes manifest.json unless only its `generated` time would change. */
function writeManifest(dir: string, manifest: Record<string, unknown>): void {
  const file = join(dir, MANIFEST_FILE);
  const comparable = (o: Record<string, unknown>): string => stableJson({ ...o, generated: null });
  try {
    const old = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    if (old && typeof old === 'object' && comparable(old) === comparable(manifest)) return;
  } catch {
    /* missing or unreadable: write it */
  }
  writeFileAtomic(file, JSON.stringify(manifest, null, 2) + '\n');
}

function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}

/** Human summary of a dump run (stdout of `fitbit-bridge dump`). */
export function formatDumpSummary(s: DumpSummary): string {
  const lines: string[] = [];
  lines.push(`Dump in ${s.dir} (${s.full ? 'full run' : 'incremental run'}, store seq ${s.seq})`);
  lines.push(
    `  files: ${fmtInt(s.filesWritten)} written, ${fmtInt(s.filesUnchanged)} unchanged, ${fmtInt(s.filesRemoved)} removed; ${fmtInt(s.days)} days in the dump`,
  );
  const ids = Object.keys(s.metrics).sort();
  const rows = ids
    .map((id) => ({ id, m: s.metrics[id] }))
    .filter((r): r is { id: string; m: DumpSummary['metrics'][string] } => r.m !== undefined && r.m.files > 0);
  if (rows.length === 0) {
    lines.push('  no data in the selected range');
    return lines.join('\n');
  }
  const w = Math.max(6, ...rows.map((r) => r.id.length));
  lines.push(`  ${'metric'.padEnd(w)}  ${'files'.padStart(7)}  ${'rows'.padStart(11)}  first       last`);
  for (const { id, m } of rows) {
    lines.push(`  ${id.padEnd(w)}  ${fmtInt(m.files).padStart(7)}  ${fmtInt(m.samples).padStart(11)}  ${m.first ?? '-'.padEnd(10)}  ${m.last ?? '-'}`);
  }
  return lines.join('\n');
}

export { STATE_FILE };
